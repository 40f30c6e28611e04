"""Input and output schemas of agreements, ledger entries, invoices, reward rules and lists (Chinese
messages). Inputs are shared by the pages and the API; outputs are what the API answers."""
from marshmallow import Schema, fields, validate

from ..contracts.models import KINDS
from ..core.schema import Bool, InputSchema, LenientDate, Money, Percent, Text
from ..core.vocab import CITIES
from . import calc
from .models import (AGREEMENT_STATUSES, ENTRY_KINDS, LIST_STATUSES, RECIPIENT_KINDS)


def _percent(places=4, **kw):
    return Percent(places=places, validate=validate.Range(0, 100, error="应在 0–100（%）之间"), **kw)


class CommissionTierSchema(InputSchema):
    LABELS = {"upto": "分段上限", "rate": "比例"}
    upto = Money(allow_none=True)   # yuan; empty: no upper bound (the last bracket)
    rate = _percent(required=True)


class CommissionBrokerShareSchema(InputSchema):
    LABELS = {"broker_id": "技术经纪人", "share": "份额"}
    broker_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1, error="应为有效的编号"))
    share = _percent(2, required=True)


class AgreementSchema(InputSchema):
    LABELS = {"payer": "支付方", "seller_share": "卖方份额", "basis": "计算方式", "rate": "佣金比例", "fee": "固定金额",
              "tiers": "分段比例", "cap": "佣金上限", "equity_mode": "股权方式", "equity_shares": "股数",
              "equity_percent": "股权比例", "brokers": "技术经纪人", "introduction_id": "撮合记录",
              "contract_id": "技术合同", "propose": "提交付款方确认"}
    introduction_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**31 - 1, error="应为有效的编号"))
    contract_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**31 - 1, error="应为有效的编号"))
    payer = Text(8, required=True, choices=calc.PAYERS)
    seller_share = _percent(2, allow_none=True)
    basis = Text(10, required=True, choices=calc.BASES)
    rate = _percent(allow_none=True)
    fee = Money(allow_none=True)
    tiers = fields.List(fields.Nested(CommissionTierSchema), load_default=list, validate=validate.Length(max=10, error="最多10段"))
    cap = Money(allow_none=True)
    equity_mode = Text(8, choices=calc.EQUITY_MODES, allow_none=True)
    equity_shares = Percent(places=4, allow_none=True, validate=validate.Range(0, 10**13, error="股数超出范围"))
    equity_percent = _percent(allow_none=True)
    brokers = fields.List(fields.Nested(CommissionBrokerShareSchema), load_default=list,
                          validate=validate.Length(max=10, error="最多10名技术经纪人"))
    note = Text(1000, allow_none=True)
    propose = Bool(load_default=False)


class ReasonSchema(InputSchema):
    reason = Text(1000, lo=4, required=True)


class PaidSchema(InputSchema):
    LABELS = {"invoice_no": "发票号码", "bank_ref": "银行回单号", "paid_on": "支付日期"}
    invoice_no = Text(40, lo=2, required=True)
    bank_ref = Text(60, lo=2, required=True)
    paid_on = LenientDate(required=True)
    note = Text(500, allow_none=True)


class SplitNoteSchema(InputSchema):
    LABELS = {"split_note": "收益分配差异说明"}
    split_note = Text(1000, lo=4, required=True)


class InvoiceSchema(InputSchema):
    LABELS = {"invoice_no": "发票号码", "contract_no": "发票所载合同编号"}
    invoice_no = Text(40, lo=2, required=True)
    contract_no = Text(40, lo=2, required=True)


class RewardRuleSchema(InputSchema):
    LABELS = {"name": "名称", "year": "年度", "city": "设区市", "recipient_kind": "奖补对象", "method": "计算方式",
              "tiers": "分段比例", "base": "基数", "permille": "千分比", "annual_cap": "年度上限",
              "require_payment": "须有到账", "require_invoice": "须有发票", "contract_kinds": "合同类型"}
    name = Text(120, lo=4, required=True)
    year = fields.Integer(required=True, validate=validate.Range(2000, 2999, error="应为 2000–2999"))
    city = Text(16, choices=CITIES, allow_none=True)
    recipient_kind = Text(10, required=True, choices=RECIPIENT_KINDS)
    method = Text(16, required=True, choices=calc.REWARD_METHODS)
    tiers = fields.List(fields.Nested(CommissionTierSchema), load_default=list, validate=validate.Length(max=10, error="最多10段"))
    base = Money(allow_none=True)
    permille = Percent(places=4, allow_none=True, validate=validate.Range(0, 1000, error="应在 0–1000 之间"))
    annual_cap = Money(allow_none=True)
    require_payment = Bool(load_default=True)
    require_invoice = Bool(load_default=False)
    contract_kinds = fields.List(Text(8, choices=KINDS), allow_none=True, load_default=None)
    note = Text(1000, allow_none=True)


class PublishSchema(InputSchema):
    LABELS = {"publicity_days": "公示期（天）"}
    publicity_days = fields.Integer(load_default=7, validate=validate.Range(5, 30, error="公示期应为 5–30 天"))


class DisburseSchema(InputSchema):
    LABELS = {"disbursed_on": "拨付日期", "disbursement_ref": "拨付凭证号"}
    disbursed_on = LenientDate(required=True)
    disbursement_ref = Text(60, lo=2, required=True)


# Output --------------------------------------------------------------------------------------------------

def yuan(value):
    return None if value is None else f"{calc.fen(value):.2f}"


class YuanField(fields.Field):
    def _serialize(self, value, attr, obj, **kw):
        return yuan(value)


class DecimalText(fields.Field):
    def _serialize(self, value, attr, obj, **kw):
        return None if value is None else format(value.normalize() if value != 0 else value, "f")


class BrokerShareOut(Schema):
    broker_id = fields.Integer()
    name = fields.Function(lambda b: b.broker.name)
    share = DecimalText()


class AgreementOut(Schema):
    id = fields.Integer()
    introduction_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    seller = fields.Function(lambda a: {"id": a.seller.id, "name": a.seller.name})
    buyer = fields.Function(lambda a: {"id": a.buyer.id, "name": a.buyer.name})
    payer = fields.String()
    payer_label = fields.Function(lambda a: calc.PAYERS[a.payer])
    seller_share = DecimalText(allow_none=True)
    basis = fields.String()
    basis_label = fields.Function(lambda a: calc.BASES[a.basis])
    rate = DecimalText(allow_none=True)
    fee = YuanField(allow_none=True)
    tiers = fields.Raw(allow_none=True)
    cap = YuanField(allow_none=True)
    equity_mode = fields.String(allow_none=True)
    equity_shares = DecimalText(allow_none=True)
    equity_percent = DecimalText(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda a: AGREEMENT_STATUSES[a.status])
    seller_confirmed = fields.Function(lambda a: a.seller_confirmed_at is not None)
    buyer_confirmed = fields.Function(lambda a: a.buyer_confirmed_at is not None)
    decline_reason = fields.String(allow_none=True)
    split_note = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    brokers = fields.List(fields.Nested(BrokerShareOut))


class EntryOut(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    contract_id = fields.Integer(allow_none=True)
    broker_id = fields.Integer()
    broker = fields.Function(lambda e: e.broker.name)
    payer = fields.String()
    kind = fields.String()
    kind_label = fields.Function(lambda e: ENTRY_KINDS[e.kind])
    medium = fields.String()
    amount = YuanField()
    equity_shares = DecimalText(allow_none=True)
    equity_percent = DecimalText(allow_none=True)
    entry_on = fields.Date()
    source = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    payment_id = fields.Integer(allow_none=True)
    invoice_no = fields.String(allow_none=True)
    bank_ref = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class RuleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    city = fields.String(allow_none=True)
    centre = fields.Function(lambda r: r.centre.name)
    recipient_kind = fields.String()
    recipient_label = fields.Function(lambda r: RECIPIENT_KINDS[r.recipient_kind])
    method = fields.String()
    tiers = fields.Raw(allow_none=True)
    base = YuanField(allow_none=True)
    permille = DecimalText(allow_none=True)
    annual_cap = YuanField(allow_none=True)
    require_payment = fields.Boolean()
    require_invoice = fields.Boolean()
    contract_kinds = fields.Raw(allow_none=True)
    note = fields.String(allow_none=True)


class LineOut(Schema):
    id = fields.Integer()
    recipient_name = fields.String()
    recipient_user_id = fields.Integer(allow_none=True)
    recipient_org_id = fields.Integer(allow_none=True)
    contracts_amount = YuanField()
    computed = YuanField()
    amount = YuanField()
    evidence = fields.Raw()
    disbursed_on = fields.Date(allow_none=True)
    disbursement_ref = fields.String(allow_none=True)


class ListOut(Schema):
    id = fields.Integer()
    rule_id = fields.Integer()
    rule = fields.Function(lambda x: x.rule.name)
    year = fields.Function(lambda x: x.rule.year)
    status = fields.String()
    status_label = fields.Function(lambda x: LIST_STATUSES[x.status])
    computed_on = fields.Date()
    publicity_starts_on = fields.Date(allow_none=True)
    publicity_ends_on = fields.Date(allow_none=True)
    total = YuanField()
    lines = fields.List(fields.Nested(LineOut))
