"""Input schemas for terms, contracts, reports, payments and income splits (Chinese messages)."""
from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from ..core.schema import Bool, InputSchema, LenientDate, Money, Percent, Text
from ..core.vocab import CITIES, INDUSTRIES
from . import money
from .models import KINDS, TRANSFER_FORMS, IncomeSplit, InventorShare, TermSheet


def _positive_money(**kw):
    return Money(unit="yuan", **kw)


def _percent(column, error="应在 0–100 之间", min_inclusive=True, **kw):
    """A percentage with no more decimals than `column` keeps (its scale): more is refused, never cut."""
    return Percent(places=column.type.scale, validate=validate.Range(0, 100, min_inclusive=min_inclusive, error=error),
                   **kw)


class MilestoneSchema(InputSchema):
    LABELS = {"name": "里程碑名称", "trigger": "触发条件", "amount": "金额", "due_on": "到期日期"}
    name = Text(100, required=True)
    trigger = Text(200, allow_none=True)
    amount = _positive_money(required=True)
    due_on = LenientDate(allow_none=True)


class TermsSchema(InputSchema):
    LABELS = {"kind": "条款类型", "amount": "金额", "royalty_rate": "提成比例", "royalty_min": "年度最低提成",
              "royalty_cap": "年度提成上限", "report_period": "报告周期", "milestones": "里程碑",
              "instalments": "分期次数", "defer_months": "延期月数", "equity_percent": "股权比例",
              "due_days": "付款期限（天）", "interval_months": "分期间隔（月）"}
    kind = Text(16, required=True, choices=money.TERM_KINDS)
    amount = _positive_money()
    due_days = fields.Integer(validate=validate.Range(0, 3650, error="应为 0–3650 天"), allow_none=True)
    defer_months = fields.Integer(validate=validate.Range(0, 120, error="应为 0–120 个月"), allow_none=True)
    instalments = fields.Integer(validate=validate.Range(1, 120, error="应为 1–120 期"), allow_none=True)
    interval_months = fields.Integer(validate=validate.Range(1, 60, error="应为 1–60 个月"), allow_none=True)
    royalty_rate = _percent(TermSheet.__table__.c.royalty_rate, "应在 0–100（%）之间", allow_none=True)
    royalty_min = _positive_money()
    royalty_cap = _positive_money()
    report_period = Text(8, choices=money.PERIOD_LABELS, allow_none=True)
    equity_percent = _percent(TermSheet.__table__.c.equity_percent, "应在 0–100（%）之间", min_inclusive=False,
                              allow_none=True)
    note = Text(1000, allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), load_default=list)


class ContractSchema(InputSchema):
    LABELS = {"kind": "合同类型", "title": "合同名称", "buyer_org_id": "买方（受让方/委托方）",
              "seller_org_id": "卖方（让与方/受托方）", "amount": "成交额", "signed_on": "签订日期", "city": "所在设区市",
              "industry": "产业领域", "buyer_uscc": "买方统一社会信用代码", "transfer_form": "转让或许可",
              "achievement_id": "科技成果", "demand_id": "技术需求", "introduction_id": "撮合记录",
              "broker_id": "技术经纪人", "terms": "许可条款"}
    kind = Text(8, required=True, choices=KINDS)
    transfer_form = Text(8, choices=TRANSFER_FORMS, allow_none=True)
    title = Text(200, lo=4, required=True)
    seller_org_id = fields.Integer(required=True)
    buyer_org_id = fields.Integer(required=True)
    amount = _positive_money(required=True)
    signed_on = LenientDate(required=True)
    city = Text(16, required=True, choices=CITIES)
    industry = Text(32, required=True, choices=INDUSTRIES)
    achievement_id = fields.Integer(allow_none=True)
    demand_id = fields.Integer(allow_none=True)
    introduction_id = fields.Integer(allow_none=True)
    broker_id = fields.Integer(allow_none=True)
    terms = fields.Nested(TermsSchema, allow_none=True)

    @validates_schema
    def _check(self, data, **kw):
        if data.get("amount") == "negotiable" or (data.get("amount") is not None and data["amount"] <= 0):
            raise ValidationError("成交额应为大于 0 的金额（元）", "amount")
        if data.get("kind") == "技术转让" and not data.get("transfer_form"):
            raise ValidationError("技术转让合同请注明是转让还是许可", "transfer_form")
        if data.get("seller_org_id") is not None and data.get("seller_org_id") == data.get("buyer_org_id"):
            raise ValidationError("买卖双方不能是同一单位", "buyer_org_id")


class ReportSchema(InputSchema):
    LABELS = {"period_start": "报告期开始", "period_end": "报告期结束", "net_sales": "净销售额"}
    period_start = LenientDate(required=True)
    period_end = LenientDate(required=True)
    net_sales = _positive_money(required=True)


class PaymentSchema(InputSchema):
    LABELS = {"amount": "到账金额", "received_on": "到账日期"}
    amount = _positive_money(required=True)
    received_on = LenientDate(required=True)
    note = Text(200, allow_none=True)


class MilestoneReachedSchema(InputSchema):
    LABELS = {"reached_on": "达成日期", "evidence": "证明材料"}
    reached_on = LenientDate(required=True)
    evidence = Text(1000, lo=4, required=True)


class InventorSchema(InputSchema):
    LABELS = {"name": "完成人姓名", "percent": "份额"}
    name = Text(50, required=True)
    percent = _percent(InventorShare.__table__.c.percent, required=True)


class SplitSchema(InputSchema):
    LABELS = {"net_income": "净收入", "team_percent": "研发团队比例", "institution_percent": "单位比例",
              "broker_percent": "技术经纪人比例", "inventors": "完成人份额",
              "confirm_low_team_share": "确认研发团队比例低于规定"}
    net_income = _positive_money(required=True)
    team_percent = _percent(IncomeSplit.__table__.c.team_percent, required=True)
    institution_percent = _percent(IncomeSplit.__table__.c.institution_percent, required=True)
    broker_percent = _percent(IncomeSplit.__table__.c.broker_percent, load_default=Decimal(0))
    inventors = fields.List(fields.Nested(InventorSchema), load_default=list)
    confirm_low_team_share = Bool(load_default=False)


class DecisionSchema(InputSchema):
    LABELS = {"reason": "理由", "registration_no": "登记编号"}
    reason = Text(1000, allow_none=True)
    registration_no = Text(40, allow_none=True)

