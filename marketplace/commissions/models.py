"""Commission agreements, the append-only commission ledger, invoices recorded on payments, and government
rewards (技术交易奖补): rules, computed lists and their lines. Money: Numeric(14, 2) yuan."""
from ..core.models import TimestampMixin, utcnow
from ..extensions import db

Money = db.Numeric(14, 2)
Rate = db.Numeric(7, 4)
Share = db.Numeric(5, 2)

AGREEMENT_STATUSES = {"draft": "草稿", "proposed": "待确认", "confirmed": "已确认", "declined": "已拒绝"}
ENTRY_KINDS = {"accrual": "计提", "confirmation": "付款方确认", "payment": "已支付", "reversal": "冲销"}
LIST_STATUSES = {"draft": "待审核", "publicity": "公示中", "final": "已定", "withdrawn": "已撤回"}
RECIPIENT_KINDS = {"broker": "技术经纪人", "agency": "技术转移机构", "buyer": "买方（技术吸纳方）",
                   "platform": "平台运营方（登记机构）"}


class CommissionAgreement(TimestampMixin, db.Model):
    """Who pays a broker what for a deal: attached to an introduction (and so to the contract that results)
    or entered on a contract directly by its parties."""
    __tablename__ = "commission_agreements"
    id = db.Column(db.Integer, primary_key=True)
    introduction_id = db.Column(db.Integer, db.ForeignKey("introductions.id"), index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), index=True)
    seller_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    buyer_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    payer = db.Column(db.String(8), nullable=False)           # calc.PAYERS
    seller_share = db.Column(Share)                           # payer "both": the seller's percent
    basis = db.Column(db.String(10), nullable=False)          # calc.BASES
    rate = db.Column(Rate)
    fee = db.Column(Money)
    tiers = db.Column(db.JSON)                                # [{"upto": "100000.00" | null, "rate": "1"}]
    cap = db.Column(Money)
    equity_mode = db.Column(db.String(8))
    equity_shares = db.Column(db.Numeric(18, 4))
    equity_percent = db.Column(Rate)
    status = db.Column(db.String(10), nullable=False, default="draft", index=True)
    seller_confirmed_at = db.Column(db.DateTime)
    buyer_confirmed_at = db.Column(db.DateTime)
    decline_reason = db.Column(db.Text)
    split_note = db.Column(db.Text)  # the seller's explanation when its income split differs
    note = db.Column(db.Text)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)

    seller = db.relationship("Organisation", foreign_keys=[seller_org_id], lazy="joined")
    buyer = db.relationship("Organisation", foreign_keys=[buyer_org_id], lazy="joined")
    contract = db.relationship("Contract", lazy="joined")
    introduction = db.relationship("Introduction")
    brokers = db.relationship("AgreementBroker", cascade="all, delete-orphan", order_by="AgreementBroker.id",
                              lazy="selectin")


class AgreementBroker(db.Model):
    __tablename__ = "commission_agreement_brokers"
    id = db.Column(db.Integer, primary_key=True)
    agreement_id = db.Column(db.Integer, db.ForeignKey("commission_agreements.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    share = db.Column(Share, nullable=False)
    broker = db.relationship("User", lazy="joined")
    __table_args__ = (db.UniqueConstraint("agreement_id", "broker_id", name="uq_commission_agreement_brokers"),)


class CommissionEntry(db.Model):
    """One line of the ledger: written once, never updated or deleted (a correction is a reversing entry).
    `source` names what caused it (payment:12, registration, entry:34), unique per agreement, broker, payer and
    kind, so a repeated signal or a double click never writes twice."""
    __tablename__ = "commission_entries"
    id = db.Column(db.Integer, primary_key=True)
    agreement_id = db.Column(db.Integer, db.ForeignKey("commission_agreements.id"), nullable=False, index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), index=True)
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    payer = db.Column(db.String(8), nullable=False)           # seller | buyer
    kind = db.Column(db.String(12), nullable=False)           # ENTRY_KINDS
    medium = db.Column(db.String(8), nullable=False, default="cash")  # cash | equity (never counted as cash)
    amount = db.Column(Money, nullable=False)                 # reversal: negative
    equity_shares = db.Column(db.Numeric(18, 4))
    equity_percent = db.Column(db.Numeric(12, 6))             # percent of the company
    entry_on = db.Column(db.Date, nullable=False, index=True)  # the day of the event (payment received …)
    source = db.Column(db.String(40), nullable=False)
    reverses_id = db.Column(db.Integer, db.ForeignKey("commission_entries.id"))
    payment_id = db.Column(db.Integer, db.ForeignKey("payments.id"))
    invoice_no = db.Column(db.String(40))
    bank_ref = db.Column(db.String(60))
    note = db.Column(db.String(500))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)

    broker = db.relationship("User", foreign_keys=[broker_id], lazy="joined")
    agreement = db.relationship("CommissionAgreement", lazy="joined")
    reverses = db.relationship("CommissionEntry", remote_side=[id])
    __table_args__ = (db.UniqueConstraint("agreement_id", "broker_id", "payer", "kind", "source",
                                          name="uq_commission_entries_once"),)


class PaymentInvoice(db.Model):
    """The invoice the seller issued for a payment (到账), with the contract number it names: the reward
    condition "invoice matching the contract number" is checked on these rows."""
    __tablename__ = "payment_invoices"
    id = db.Column(db.Integer, primary_key=True)
    payment_id = db.Column(db.Integer, db.ForeignKey("payments.id", ondelete="CASCADE"), nullable=False, unique=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    invoice_no = db.Column(db.String(40), nullable=False)
    contract_no = db.Column(db.String(40), nullable=False)  # the contract number printed on the invoice
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    recorded_at = db.Column(db.DateTime, default=utcnow, nullable=False)


class RewardRule(TimestampMixin, db.Model):
    """A government reward (技术交易奖补) rule, entered by an administrator in scope: data, not code."""
    __tablename__ = "reward_rules"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    year = db.Column(db.Integer, nullable=False)
    centre_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    city = db.Column(db.String(16))                          # None: the whole province
    recipient_kind = db.Column(db.String(10), nullable=False)  # RECIPIENT_KINDS
    method = db.Column(db.String(16), nullable=False)        # calc.REWARD_METHODS
    tiers = db.Column(db.JSON)
    base = db.Column(Money)
    permille = db.Column(db.Numeric(8, 4))
    annual_cap = db.Column(Money)
    require_payment = db.Column(db.Boolean, nullable=False, default=True)
    require_invoice = db.Column(db.Boolean, nullable=False, default=False)
    contract_kinds = db.Column(db.JSON)                      # None: every kind
    note = db.Column(db.Text)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    centre = db.relationship("Organisation", lazy="joined")


class RewardList(TimestampMixin, db.Model):
    """The list computed for a rule and its year (免申即享): reviewed, published for publicity (公示), then final."""
    __tablename__ = "reward_lists"
    id = db.Column(db.Integer, primary_key=True)
    rule_id = db.Column(db.Integer, db.ForeignKey("reward_rules.id"), nullable=False, index=True)
    status = db.Column(db.String(10), nullable=False, default="draft", index=True)
    computed_on = db.Column(db.Date, nullable=False)
    publicity_starts_on = db.Column(db.Date)
    publicity_ends_on = db.Column(db.Date)
    total = db.Column(Money, nullable=False, default=0)
    rule = db.relationship("RewardRule", lazy="joined")
    lines = db.relationship("RewardLine", cascade="all, delete-orphan", order_by="RewardLine.id", lazy="selectin")


class RewardLine(db.Model):
    """One recipient of a list: the amount after the annual cap, and the evidence (contracts, payments,
    invoices) it was computed from."""
    __tablename__ = "reward_lines"
    id = db.Column(db.Integer, primary_key=True)
    list_id = db.Column(db.Integer, db.ForeignKey("reward_lists.id", ondelete="CASCADE"), nullable=False, index=True)
    recipient_user_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    recipient_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"))
    recipient_name = db.Column(db.String(120), nullable=False)
    contracts_amount = db.Column(Money, nullable=False)
    computed = db.Column(Money, nullable=False)   # before the annual cap
    amount = db.Column(Money, nullable=False)     # after it
    evidence = db.Column(db.JSON, nullable=False)
    disbursed_on = db.Column(db.Date)
    disbursement_ref = db.Column(db.String(60))
