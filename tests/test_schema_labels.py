"""Every message a refused input gets names its field in Chinese (core.schema.InputSchema.validate_dict: the
schema's LABELS, else COMMON_LABELS — InputSchema.label_of): a broker once read "reason：长度应在4到1000个字之间"."""
import importlib
import pkgutil
import re

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
