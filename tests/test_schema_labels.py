"""Every message a refused input gets names its field in Chinese (core.schema.InputSchema.validate_dict: the
schema's LABELS, else COMMON_LABELS — InputSchema.label_of): a broker once read "reason：长度应在4到1000个字之间"."""
import importlib
import pkgutil
import re
from decimal import Decimal

import pytest

import marketplace
from marketplace.core.errors import ValidationFailed
from marketplace.core.schema import InputSchema
from marketplace.commissions.schemas import ReasonSchema

CJK = re.compile(r"[\u4e00-\u9fff]")


def _schemas():
    for m in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        importlib.import_module(m.name)
    out, todo = [], list(InputSchema.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("marketplace."):  # (not the tests' own small schemas)
            out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def test_every_input_field_has_a_chinese_name(app):
    unnamed = []
    with app.app_context():
        for cls in _schemas():
            for name, field in cls().fields.items():
                key = field.data_key or name
                label = cls.label_of(key)
                if not (label and CJK.search(label)):
                    unnamed.append(f"{cls.__module__}.{cls.__name__}.{key}")
    assert unnamed == []


def test_a_refused_reason_is_named_in_chinese():
    with pytest.raises(ValidationFailed) as e:
        ReasonSchema().validate_dict({"reason": "更正"})
    assert e.value.message.startswith("理由：") and "reason" not in e.value.message
    assert list(e.value.fields) == ["reason"]  # the field itself still keyed by its name (the API's answer)


ODD = ["abc", "NaN", "Infinity", "1e5", "2026-02-30", "25:61", "-1", "", [], {}, True, 10 ** 30, Decimal("NaN"),
       Decimal("1E+5"), Decimal("1.123456789"), "x" * 20000, "\u0001", "\ud83d", [{"x": 1}], {"a": [1]}]
ENGLISH = re.compile(r"[A-Za-z]{3,}")
ALLOWED = {"YYYY", "MM", "DD", "DDTHH", "NaN", "Unicode", "http", "https", "JSON", "API", "Excel", "xlsx", "csv",
           "IACS", "USCC", "iCalendar"}


def test_what_a_refused_field_is_told_reads_in_chinese(app):
    """Every input field of every schema, given odd values one at a time: the message (as pages and the API show
    it) has no English words — marshmallow's own messages ("Not a valid integer.", "Special numeric values …") are
    translated, validators speak Chinese."""
    english = {}
    with app.app_context():
        for cls in _schemas():
            schema = cls()  # (a schema that needed arguments would fail here, not be skipped)
            keys = {part for n, f in schema.fields.items() for part in [f.data_key or n, *(f.data_key or n).split("_")]}
            for name, field in schema.fields.items():
                if field.dump_only:
                    continue
                key = field.data_key or name
                for value in ODD:
                    try:
                        schema.validate_dict({key: value}, partial=True)
                    except ValidationFailed as e:
                        # less the input shown back ("“abc”不是…"), the schema's own keys (the API's names), and a
                        # code given with its Chinese name, as a choice is ("可选：seller（卖方支付）…")
                        glossed = {part for code in re.findall(r"([A-Za-z_]{1,40})（", e.message)
                                   for part in code.split("_")}
                        words = {w for w in ENGLISH.findall(e.message)
                                 if w not in str(value) and w not in ALLOWED and w not in keys and w not in glossed}
                        if words:
                            english.setdefault(f"{cls.__name__}.{key}", (repr(value)[:20], e.message[:80]))
                    except Exception as e:  # noqa: BLE001 — a crash is a finding too
                        english[f"{cls.__name__}.{key}"] = (repr(value)[:20], f"{type(e).__name__}: {e}"[:80])
    assert english == {}, "\n".join(f"{k}: {v}" for k, v in sorted(english.items()))
