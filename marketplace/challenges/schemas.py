"""揭榜挂帅 input schemas (the pages and the API load the same ones) and output schemas (the API's answers)."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..core.dates import UtcDateTime

from ..core.schema import Bool, InputSchema, LenientDate, Money, Percent, Text
from ..core.vocab import CITIES, INDUSTRIES
from .models import APPLICATION_STATES, KINDS, MILESTONE_STATES, RATINGS, STATES  # noqa: F401

class MilestoneIn(InputSchema):
    LABELS = {"name": "里程碑名称", "criteria": "验收标准", "share": "占悬赏比例", "due_on": "计划完成日期"}
    name = Text(100, lo=2, required=True)
    criteria = Text(2000, lo=4, required=True)
    share = Percent(places=2, required=True, validate=validate.Range(0, 100, min_inclusive=False,
                                                                     error="应大于 0、不超过 100（%）"))
    due_on = LenientDate(allow_none=True)


class CriterionIn(InputSchema):
    LABELS = {"name": "评审指标", "weight": "权重", "description": "评分说明"}
    name = Text(100, lo=2, required=True)
    weight = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100, error="应为 1–100 的整数"))
    description = Text(500, allow_none=True)


class ChallengeSchema(InputSchema):
    """A challenge as its poster writes it. Money in yuan (`bounty` null or “面议”: negotiable)."""
    LABELS = {"title": "榜单名称", "problem": "需解决的问题", "indicators": "需达到的指标", "industry": "产业领域",
              "city": "所在设区市", "bounty": "悬赏金额", "enterprise_funding": "企业投入", "fiscal_funding": "财政资助",
              "deadline": "揭榜截止日期", "ip_terms": "知识产权约定", "anonymous": "匿名发榜",
              "company_org_id": "出题企业", "milestones": "里程碑", "criteria": "评审指标"}
    VOCAB_FIELDS = {"city": "city"}
    title = Text(200, lo=4, required=True)
    problem = Text(5000, lo=10, required=True)
    indicators = Text(2000, allow_none=True)
    industry = Text(32, required=True, choices=INDUSTRIES)
    city = Text(16, required=True, choices=CITIES)
    bounty = Money(unit="yuan")
    enterprise_funding = Money(unit="yuan")
    fiscal_funding = Money(unit="yuan")
    deadline = LenientDate(required=True)
    ip_terms = Text(2000, allow_none=True)
    anonymous = Bool(load_default=False)
    company_org_id = fields.Integer(allow_none=True, strict=True)
    milestones = fields.List(fields.Nested(MilestoneIn), load_default=list, validate=validate.Length(
        max=12, error="最多 12 个里程碑"))
    criteria = fields.List(fields.Nested(CriterionIn), load_default=list, validate=validate.Length(
        max=12, error="最多 12 项评审指标"))

    @validates_schema
    def _money(self, data, **kw):
        for key in ("enterprise_funding", "fiscal_funding"):
            if data.get(key) == "negotiable":
                raise ValidationError("出资构成应填写金额（元）", key)


class RaiseSchema(InputSchema):
    """What the poster may still change on a published challenge: raise the bounty, extend the deadline."""
    LABELS = {"bounty": "悬赏金额", "enterprise_funding": "企业投入", "fiscal_funding": "财政资助", "deadline": "揭榜截止日期",
              "reason": "理由"}
    bounty = Money(unit="yuan")
    enterprise_funding = Money(unit="yuan")
    fiscal_funding = Money(unit="yuan")
    deadline = LenientDate(allow_none=True)


class AdjustSchema(RaiseSchema):
    """An administrator's decision on a published challenge's bounty or deadline (the bounty lock's only key)."""
    reason = Text(1000, lo=4, required=True)


class ApplicationSchema(InputSchema):
    LABELS = {"team": "团队", "plan": "技术方案", "budget": "经费预算", "schedule": "进度安排", "attachments": "附件",
              "no_conflict": "无利益冲突声明", "conflicts": "利益冲突说明"}
    team = Text(2000, lo=4, required=True)
    plan = Text(10000, lo=20, required=True)
    budget = Money(unit="yuan", required=True)
    schedule = Text(2000, lo=4, required=True)
    attachments = Text(2000, allow_none=True)
    no_conflict = Bool(load_default=False)
    conflicts = Text(1000, allow_none=True)

    @validates_schema
    def _declared(self, data, **kw):
        if data.get("budget") == "negotiable" or (data.get("budget") is not None and data["budget"] <= 0):
            raise ValidationError("经费预算应为大于 0 的金额（元）", "budget")
        if not data.get("no_conflict") and not data.get("conflicts"):
            raise ValidationError("请声明无利益冲突，或说明存在的利益冲突", "conflicts")
        if data.get("no_conflict") and data.get("conflicts"):
            raise ValidationError("已声明无利益冲突时不应再填写冲突说明", "conflicts")


class ScoreIn(InputSchema):
    LABELS = {"criterion_id": "评审指标", "score": "分数"}
    criterion_id = fields.Integer(required=True, strict=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100, error="应为 0–100 的整数"))
    comment = Text(1000, allow_none=True)


class ScoresSchema(InputSchema):
    LABELS = {"scores": "评分", "comment": "总体意见"}
    scores = fields.List(fields.Nested(ScoreIn), required=True, validate=validate.Length(
        min=1, max=12, error="应为每项评审指标各打一个分"))


class AwardSchema(InputSchema):
    LABELS = {"application_id": "揭榜方案", "amount": "合同金额", "signed_on": "签约日期", "note": "说明"}
    application_id = fields.Integer(required=True, strict=True)
    amount = Money(unit="yuan")
    signed_on = LenientDate(allow_none=True)
    note = Text(1000, allow_none=True)


class MilestoneAcceptSchema(InputSchema):
    LABELS = {"accepted_on": "验收日期", "evidence": "验收证明材料"}
    accepted_on = LenientDate(required=True)
    evidence = Text(2000, lo=4, required=True)


class FinishSchema(InputSchema):
    LABELS = {"rating": "验收评价", "note": "验收意见"}
    rating = Text(8, required=True, choices=list(RATINGS))
    note = Text(2000, allow_none=True)

    @validates_schema
    def _reason(self, data, **kw):
        if data.get("rating") == "不合格" and len(data.get("note") or "") < 4:
            raise ValidationError("验收不合格须写明意见（至少 4 个字）", "note")


class PanelInviteSchema(InputSchema):
    LABELS = {"user_id": "专家", "email": "专家邮箱"}
    user_id = fields.Integer(allow_none=True, strict=True)
    email = Text(120, allow_none=True)

    @validates_schema
    def _one(self, data, **kw):
        if not data.get("user_id") and not data.get("email"):
            raise ValidationError("请选择专家（user_id）或填写其登录邮箱", "email")


class ReasonSchema(InputSchema):
    LABELS = {"reason": "理由"}
    reason = Text(1000, allow_none=True)


# Outputs ---------------------------------------------------------------------------------------------------------

class TwoPlaces(fields.String):
    """A Decimal as a string with two places ("1200000.00"): money in yuan, a percentage, a score. A string in the
    OpenAPI document (a Decimal field would be documented as a number)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"


def _yuan(**kw):
    return TwoPlaces(metadata={"pattern": r"^\d+\.\d{2}$"}, **kw)


class ChallengeMilestoneOut(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    name = fields.String()
    criteria = fields.String()
    share = _yuan()
    amount = _yuan(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(list(MILESTONE_STATES)))
    status_label = fields.String()
    accepted_on = fields.Date(allow_none=True)
    evidence = fields.String(allow_none=True)


class ChallengeCriterionOut(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    name = fields.String()
    weight = fields.Integer()
    description = fields.String(allow_none=True)


class ChallengeOut(Schema):
    """A challenge as the API answers it; `poster` is null when the poster chose anonymity and the reader may not
    know it. `actions`: what the reader may do now."""
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    kind = fields.String(validate=validate.OneOf(list(KINDS)))
    kind_label = fields.String()
    title = fields.String()
    problem = fields.String()
    indicators = fields.String(allow_none=True)
    industry = fields.String()
    city = fields.String()
    bounty = _yuan(allow_none=True)
    bounty_display = fields.String()
    enterprise_funding = _yuan(allow_none=True)
    fiscal_funding = _yuan(allow_none=True)
    deadline = fields.Date()
    ip_terms = fields.String(allow_none=True)
    anonymous = fields.Boolean()
    poster = fields.String(allow_none=True)
    company_org_id = fields.Integer(allow_none=True)
    demand_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(list(STATES)))
    status_label = fields.String()
    reject_reason = fields.String(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    milestones = fields.List(fields.Nested(ChallengeMilestoneOut))
    criteria = fields.List(fields.Nested(ChallengeCriterionOut))
    applications = fields.Integer()
    awarded_application_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    rating = fields.String(allow_none=True)
    rating_note = fields.String(allow_none=True)
    actions = fields.List(fields.String())


class ChallengeScoreOut(Schema):
    criterion_id = fields.Integer()
    criterion = fields.String()
    weight = fields.Integer()
    score = fields.Integer()
    comment = fields.String(allow_none=True)


class ScoreSheetOut(Schema):
    """One panel member's scores of one application: named for the managers and the member, 专家1… for the applicant."""
    member = fields.String()
    total = _yuan(allow_none=True)
    scores = fields.List(fields.Nested(ChallengeScoreOut))


class ApplicationOut(Schema):
    id = fields.Integer()
    challenge_id = fields.Integer()
    org = fields.String()
    team = fields.String()
    plan = fields.String()
    budget = _yuan()
    schedule = fields.String()
    attachments = fields.String(allow_none=True)
    no_conflict = fields.Boolean()
    conflicts = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(list(APPLICATION_STATES)))
    status_label = fields.String()
    total_score = _yuan(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = UtcDateTime()


class ChallengeStatsRowOut(Schema):
    year = fields.Integer()
    city = fields.String()
    posted = fields.Integer()
    bounty = _yuan()
    applications = fields.Integer()
    solved = fields.Integer()


class ChallengeStatsTotalOut(Schema):
    posted = fields.Integer()
    bounty = _yuan()
    applications = fields.Integer()
    solved = fields.Integer()


class StatsOut(Schema):
    rows = fields.List(fields.Nested(ChallengeStatsRowOut))
    total = fields.Nested(ChallengeStatsTotalOut)
