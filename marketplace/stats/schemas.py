"""Targets in and out (marshmallow). The statistics answers are plain dicts built by service.py, whose shape
the OpenAPI document declares (stats/apidoc.py)."""

import re

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..core.schema import Bool, InputSchema, Money, Text
from ..core.vocab import CITIES
from .models import COUNT_INDICATORS, PROVINCE

COUNTY = re.compile(r"^(%s)/[\u4e00-\u9fff]{2,10}$" % "|".join(CITIES))


def valid_scope(value: str) -> bool:
    return value == PROVINCE or value in CITIES or bool(COUNTY.match(value or ""))


class TargetIn(InputSchema):
    """A target as a document states it. scope: province, a city (鹰潭), or a county-level city under its city
    (赣州/瑞金). value in yuan (1,000亿元 = 100000000000)."""

    LABELS = {
        "year": "年度",
        "scope": "范围",
        "indicator": "指标",
        "value": "目标值",
        "source": "来源文件",
        "is_current": "是否采用",
        "note": "备注",
    }
    year = fields.Integer(
        required=True, strict=True, validate=validate.Range(2000, 2100, error="年度应在2000到2100之间")
    )
    scope = Text(32, required=True)
    indicator = Text(32, lo=2, load_default="技术合同成交额")
    value = Money(required=True)
    source = Text(300, lo=2, required=True)
    is_current = Bool(load_default=True)
    note = Text(2000, allow_none=True)

    @validates("scope")
    def _scope(self, value, **_):
        if not valid_scope(value):
            raise ValidationError(
                "范围应为 province（全省）、设区市名称（如 鹰潭），或 设区市/县级市（如 赣州/瑞金）"
            )

    @validates("value")
    def _value(self, value, **_):
        if value == "negotiable" or value is None or value <= 0:
            raise ValidationError("目标值应为大于0的金额（元）")

    @validates_schema
    def _count_value(self, data, **_):
        """A count target (活动促成签约项数 …) is a whole number of items."""
        value = data.get("value")
        if data.get("indicator") in COUNT_INDICATORS and isinstance(value, Decimal) and value != value.to_integral():
            raise ValidationError({"value": ["该指标按项数计，目标值应为整数"]})


class TargetOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    scope = fields.String()
    scope_label = fields.Method("_scope_label")
    indicator = fields.String()
    value = fields.Method("_value")
    source = fields.String()
    is_current = fields.Boolean()
    note = fields.String(allow_none=True)

    def _value(self, t):
        return f"{t.value:.2f}"

    def _scope_label(self, t):
        return "全省" if t.scope == PROVINCE else t.scope.replace("/", "·")
