"""Term sheets, technology contracts, their payment schedules, royalty reports, payments received and income
distribution. Money columns are Numeric(14, 2): yuan to the fen."""
from ..core.models import TimestampMixin, utcnow
from ..extensions import db
from .money import RATE_PLACES, SHARE_PLACES

KINDS = ["技术开发", "技术转让", "技术咨询", "技术服务"]
TRANSFER_FORMS = ["转让", "许可"]  # a 技术转让 contract assigns the rights or licenses them
STATUSES = {"draft": "草稿", "submitted": "待登记", "registered": "已登记", "returned": "已退回"}
EDITABLE = ("draft", "returned")  # terms may change (money already received stays put: terms.sync_schedule)
Money = db.Numeric(14, 2)
Rate = db.Numeric(7, RATE_PLACES)  # percent; the input schemas take their places from these columns
SharePercent = db.Numeric(5, SHARE_PLACES)


class TermSheet(TimestampMixin, db.Model):
    """Licence terms: an institution's standard offer on a 先用后转 listing, or what a contract agreed."""
    __tablename__ = "term_sheets"
    id = db.Column(db.Integer, primary_key=True)
    owner_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # money.TERM_KINDS
    amount = db.Column(Money, nullable=False, default=0)
    due_days = db.Column(db.Integer, nullable=False, default=30)
    defer_months = db.Column(db.Integer, nullable=False, default=0)
    instalments = db.Column(db.Integer, nullable=False, default=1)
    interval_months = db.Column(db.Integer, nullable=False, default=12)
    royalty_rate = db.Column(Rate, nullable=False, default=0)
    royalty_min = db.Column(Money)
    royalty_cap = db.Column(Money)
    report_period = db.Column(db.String(8), nullable=False, default="quarter")
    equity_percent = db.Column(Rate)
    note = db.Column(db.Text)
    milestones = db.relationship("MilestoneTermRow", cascade="all, delete-orphan", order_by="MilestoneTermRow.seq",
                                 lazy="selectin")


class MilestoneTermRow(db.Model):
    __tablename__ = "term_milestones"
    id = db.Column(db.Integer, primary_key=True)
    term_sheet_id = db.Column(db.Integer, db.ForeignKey("term_sheets.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    seq = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(100), nullable=False)
    trigger = db.Column(db.String(200), nullable=False, default="")
    amount = db.Column(Money, nullable=False)
    due_on = db.Column(db.Date)


class Contract(TimestampMixin, db.Model):
    """A technology contract (技术合同) and its registration (技术合同登记)."""
    __tablename__ = "contracts"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(8), nullable=False, index=True)
    transfer_form = db.Column(db.String(8))  # 技术转让: 转让 | 许可
    title = db.Column(db.String(200), nullable=False)
    seller_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    buyer_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    seller_uscc = db.Column(db.String(18))
    buyer_uscc = db.Column(db.String(18), nullable=False)
    amount = db.Column(Money, nullable=False)  # 成交额
    signed_on = db.Column(db.Date, nullable=False)
    city = db.Column(db.String(16), nullable=False, index=True)
    industry = db.Column(db.String(32), nullable=False)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id"), index=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id"))
    introduction_id = db.Column(db.Integer, db.ForeignKey("introductions.id"))
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    term_sheet_id = db.Column(db.Integer, db.ForeignKey("term_sheets.id"))
    status = db.Column(db.String(12), nullable=False, default="draft", index=True)
    registration_no = db.Column(db.String(40), unique=True)
    registered_on = db.Column(db.Date)
    registrar_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"))
    return_reason = db.Column(db.Text)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)

    seller = db.relationship("Organisation", foreign_keys=[seller_org_id], lazy="joined")
    buyer = db.relationship("Organisation", foreign_keys=[buyer_org_id], lazy="joined")
    broker = db.relationship("User", foreign_keys=[broker_id], lazy="joined")
    terms = db.relationship("TermSheet", lazy="joined")
    achievement = db.relationship("Achievement")
    lines = db.relationship("ScheduleLine", cascade="all, delete-orphan", order_by="ScheduleLine.seq",
                            lazy="selectin", back_populates="contract")
    payments = db.relationship("Payment", cascade="all, delete-orphan", order_by="Payment.received_on",
                               lazy="selectin")
    reports = db.relationship("RoyaltyReport", cascade="all, delete-orphan", order_by="RoyaltyReport.period_start",
                              lazy="selectin")

    @property
    def party_org_ids(self) -> set:
        return {self.seller_org_id, self.buyer_org_id}


class ScheduleLine(db.Model):
    """One amount the licensee owes: an instalment, a milestone, a royalty, a minimum top-up ..."""
    __tablename__ = "schedule_lines"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = db.Column(db.Integer, nullable=False)
    kind = db.Column(db.String(12), nullable=False)
    label = db.Column(db.String(200), nullable=False)
    amount = db.Column(Money, nullable=False)
    due_on = db.Column(db.Date)  # NULL: waits for an event (a milestone not reached yet)
    trigger = db.Column(db.String(200))
    reached_on = db.Column(db.Date)
    evidence = db.Column(db.Text)
    report_id = db.Column(db.Integer, db.ForeignKey("royalty_reports.id", ondelete="CASCADE"))
    contract = db.relationship("Contract", back_populates="lines")


class RoyaltyReport(db.Model):
    __tablename__ = "royalty_reports"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    net_sales = db.Column(Money, nullable=False)
    royalty = db.Column(Money, nullable=False)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    submitted_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("contract_id", "period_start", name="uq_royalty_reports_period"),)


class Payment(db.Model):
    """Money received (到账) on a contract, recorded by the receiving side."""
    __tablename__ = "payments"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    amount = db.Column(Money, nullable=False)
    received_on = db.Column(db.Date, nullable=False)
    note = db.Column(db.String(200))
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    recorded_at = db.Column(db.DateTime, default=utcnow, nullable=False)


class IncomeSplit(TimestampMixin, db.Model):
    """How a contract's net income is distributed: research team, institution, broker; team per inventor."""
    __tablename__ = "income_splits"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, unique=True)
    net_income = db.Column(Money, nullable=False)
    team_percent = db.Column(SharePercent, nullable=False)
    institution_percent = db.Column(SharePercent, nullable=False)
    broker_percent = db.Column(SharePercent, nullable=False)
    team_amount = db.Column(Money, nullable=False)
    institution_amount = db.Column(Money, nullable=False)
    broker_amount = db.Column(Money, nullable=False)
    warning = db.Column(db.String(200))
    shares = db.relationship("InventorShare", cascade="all, delete-orphan", order_by="InventorShare.id",
                             lazy="selectin")


class InventorShare(db.Model):
    __tablename__ = "inventor_shares"
    id = db.Column(db.Integer, primary_key=True)
    split_id = db.Column(db.Integer, db.ForeignKey("income_splits.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(50), nullable=False)
    percent = db.Column(SharePercent, nullable=False)  # of the team's amount
    amount = db.Column(Money, nullable=False)


class Reminder(db.Model):
    """A reminder sent (before or after a due date, or before a trial ends): never sent twice."""
    __tablename__ = "reminders"
    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(20), nullable=False)  # line | trial
    subject_id = db.Column(db.Integer, nullable=False)
    stage = db.Column(db.String(12), nullable=False)  # before | after
    sent_on = db.Column(db.Date, nullable=False)
    __table_args__ = (db.UniqueConstraint("subject", "subject_id", "stage", name="uq_reminders_once"),)
