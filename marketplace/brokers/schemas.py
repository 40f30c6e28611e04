"""Broker input (profile, rating, disclosure, contract draft, review reason) and output schemas (marshmallow).
Pages and the API validate with the same input schemas."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..contracts.models import KINDS, TRANSFER_FORMS
from ..core.dates import UtcDateTime
from ..core.schema import Bool, InputSchema, LenientDate, Money, Text, TermList
from ..core.vocab import CITIES, INDUSTRIES
from .models import LEVELS, PROFILE_STATUSES

YUAN_STR = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}


class TrainingIn(InputSchema):
    LABELS = {"year": "年度", "hours": "学时"}
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100, error="年份应在 2000 到 2100 之间"))
    hours = fields.Decimal(required=True, places=1, validate=validate.Range(0, 2000, error="学时应在 0 到 2000 之间"))


class ProfileIn(InputSchema):
    LABELS = {"real_name": "真实姓名", "level": "等级", "certificate_no": "证书编号", "certificate_issuer": "发证机构",
              "specialties": "擅长产业", "cities": "服务城市", "filed_with_org_id": "备案中心", "bio": "个人简介",
              "training": "培训学时"}
    real_name = Text(50, lo=2, required=True)
    level = Text(16, required=True, choices=LEVELS)
    certificate_no = Text(64, allow_none=True)
    certificate_issuer = Text(120, allow_none=True)
    specialties = TermList(choices=INDUSTRIES, max_items=len(INDUSTRIES))
    cities = TermList(choices=CITIES, max_items=len(CITIES), vocab_kind="city")
    filed_with_org_id = fields.Integer(allow_none=True)
    bio = Text(2000, allow_none=True)
    training = fields.List(fields.Nested(TrainingIn), validate=validate.Length(max=30))

    @validates_schema
    def _years_once(self, data, **kw):
        years = [t["year"] for t in data.get("training") or []]
        if len(years) != len(set(years)):
            raise ValidationError("每个年度只填一次", "training")


class ReasonIn(InputSchema):
    reason = Text(1000, allow_none=True)


class RatingIn(InputSchema):
    LABELS = {"contract_id": "合同", "score": "评分", "comment": "评价"}
    contract_id = fields.Integer(required=True)
    score = fields.Integer(required=True, validate=validate.Range(1, 5, error="评分应为 1 到 5"))
    comment = Text(1000, allow_none=True)


class DisclosureIn(InputSchema):
    LABELS = {"contract_id": "合同", "allow_amount": "公开成交额"}
    contract_id = fields.Integer(required=True)
    allow_amount = Bool(required=True)


class ContractDraftIn(InputSchema):
    """What the broker adds to an introduction to make a contract draft; the rest comes from the introduction."""
    LABELS = {"kind": "合同类型", "transfer_form": "转让或许可", "title": "合同名称", "amount": "成交额",
              "signed_on": "签订日期", "commission": "佣金协议"}
    kind = Text(8, required=True, choices=KINDS)
    transfer_form = Text(8, choices=TRANSFER_FORMS, allow_none=True)
    title = Text(200, lo=4, allow_none=True)
    amount = Money(required=True)
    signed_on = LenientDate(allow_none=True)
    # The commission agreement proposed in the same step (the commissions package's agreement fields: payer,
    # seller_share, basis, rate, fee, tiers, cap, equity_…, brokers, note), checked by that package.
    commission = fields.Dict(keys=fields.String(), allow_none=True, load_default=None,
                             metadata={"description": "同时提出的佣金协议（payer、basis、rate、fee、cap 等），提交付款方确认"})


# Output -----------------------------------------------------------------------------------------------------

def _list(attr):
    return fields.Function(lambda o: getattr(o, attr), metadata={"type": "array", "items": {"type": "string"}})


class OrgRef(Schema):
    id = fields.Int()
    name = fields.Str()
    city = fields.Str(allow_none=True)


class TrainingOut(Schema):
    year = fields.Int()
    hours = fields.Function(lambda t: f"{t.hours:.1f}", metadata={"type": "string"})


class ProfileOut(Schema):
    """A profile as the public sees it (the certificate number is the filing's, shown publicly for checking)."""
    id = fields.Int()
    user_id = fields.Int()
    real_name = fields.Str()
    level = fields.Str()
    certificate_no = fields.Str(allow_none=True)
    certificate_issuer = fields.Str(allow_none=True)
    specialties = _list("specialty_list")
    cities = _list("city_list")
    bio = fields.Str(allow_none=True)
    agency = fields.Nested(OrgRef)
    filed_with = fields.Nested(OrgRef, allow_none=True)
    filed_on = fields.Date(allow_none=True)
    status = fields.Str(validate=validate.OneOf(list(PROFILE_STATUSES)))
    status_label = fields.Str()
    training = fields.List(fields.Nested(TrainingOut))


class OwnProfileOut(ProfileOut):
    """What the broker and its reviewers also see."""
    review_note = fields.Str(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)


class ComponentOut(Schema):
    key = fields.Str()
    label = fields.Str()
    points = fields.Function(lambda c: f"{c['points']:.1f}", metadata={"type": "string"})
    max = fields.Int()
    detail = fields.Str()


def _yuan(key):
    return fields.Function(lambda p: f"{p[key]:.2f}", metadata=YUAN_STR)


def _nullable_decimal(key):
    return fields.Function(lambda p: None if p[key] is None else str(p[key]),
                           metadata={"type": "string", "nullable": True})


class PerformanceOut(Schema):
    introductions = fields.Int()
    signed = fields.Int()
    failed = fields.Int()
    contracts = fields.Int()
    registered = fields.Int()
    value = _yuan("value")
    received = _yuan("received")
    commission = fields.Function(lambda p: None if p["commission"] is None else f"{p['commission']:.2f}",
                                 metadata={**YUAN_STR, "nullable": True})
    success_rate = _nullable_decimal("success_rate")
    median_days = _nullable_decimal("median_days")
    rating_mean = _nullable_decimal("rating_mean")
    ratings = fields.Int()
    score = fields.Function(lambda p: f"{p['score']:.1f}", metadata={"type": "string"})
    components = fields.List(fields.Nested(ComponentOut))


class DealOut(Schema):
    """A registered deal on a public profile: never the parties' exact amount unless both agreed."""
    contract_id = fields.Int()
    title = fields.Str()
    kind = fields.Str()
    year = fields.Int()
    industry = fields.Str()
    amount_band = fields.Str()
    amount = fields.Function(lambda d: None if d["amount"] is None else f"{d['amount']:.2f}",
                             metadata={**YUAN_STR, "nullable": True})


class RatingOut(Schema):
    id = fields.Int()
    contract_id = fields.Int()
    score = fields.Int()
    comment = fields.Str(allow_none=True)
    rater = fields.Function(lambda r: r.rater_org.name, metadata={"type": "string"})
    created_at = UtcDateTime()


class DemandRow(Schema):
    id = fields.Int()
    title = fields.Str()
    company = fields.Function(lambda d: d.owner_org.name, metadata={"type": "string"})
    city = fields.Str()
    industry = fields.Str()
    budget = fields.Function(lambda d: None if d.budget_negotiable or d.budget is None else f"{d.budget:.2f}",
                             metadata={**YUAN_STR, "nullable": True})
    deadline = fields.Date(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
