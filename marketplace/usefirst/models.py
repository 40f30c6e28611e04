"""先用后转: the items a scan found, the institution's decision, the public listing, applications and trials."""
from ..core.models import TimestampMixin
from ..extensions import db

ITEM_STATUSES = {"candidate": "待确认", "listed": "已挂牌", "kept_off": "不列入（正当理由）", "void": "已不符合条件",
                 "closed": "已转化"}
JUSTIFIED_REASONS = ["正在实施转化（已有实施计划或在谈合同）", "涉及国家安全或保密", "作为后续研究的基础正在使用",
                     "权利存在争议或处于无效程序", "其他正当理由"]
APPLICATION_STATUSES = {"applied": "已申请", "accepted": "已接受", "declined": "未接受", "withdrawn": "已撤回"}
TRIAL_STATUSES = {"active": "试用中", "converted": "已转化", "terminated": "已终止"}


class UseFirstItem(TimestampMixin, db.Model):
    __tablename__ = "usefirst_items"
    id = db.Column(db.Integer, primary_key=True)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False,
                               unique=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    status = db.Column(db.String(12), nullable=False, default="candidate", index=True)
    ip_granted_on = db.Column(db.Date, nullable=False)
    found_on = db.Column(db.Date, nullable=False)
    reason = db.Column(db.String(40))
    evidence = db.Column(db.Text)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(db.DateTime)
    challenge = db.Column(db.Text)
    challenged_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    challenged_at = db.Column(db.DateTime)
    listed_on = db.Column(db.Date)
    publicity_ends_on = db.Column(db.Date)
    exclusive = db.Column(db.Boolean, nullable=False, default=False)
    trial_months = db.Column(db.Integer, nullable=False, default=12)
    term_sheet_id = db.Column(db.Integer, db.ForeignKey("term_sheets.id"))

    achievement = db.relationship("Achievement", lazy="joined")
    org = db.relationship("Organisation", lazy="joined")
    terms = db.relationship("TermSheet", lazy="joined")


class TrialApplication(TimestampMixin, db.Model):
    __tablename__ = "usefirst_applications"
    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.Integer, db.ForeignKey("usefirst_items.id", ondelete="CASCADE"), nullable=False, index=True)
    company_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    applicant_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    plan = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="applied")
    decision_note = db.Column(db.Text)
    item = db.relationship("UseFirstItem", lazy="joined")
    company = db.relationship("Organisation", lazy="joined")
    __table_args__ = (db.UniqueConstraint("item_id", "company_org_id", name="uq_usefirst_applications_company"),)


class Trial(TimestampMixin, db.Model):
    """A trial agreement (试用协议): the period, what is paid meanwhile, the terms after it."""
    __tablename__ = "usefirst_trials"
    id = db.Column(db.Integer, primary_key=True)
    application_id = db.Column(db.Integer, db.ForeignKey("usefirst_applications.id"), nullable=False, unique=True)
    item_id = db.Column(db.Integer, db.ForeignKey("usefirst_items.id", ondelete="CASCADE"), nullable=False, index=True)
    company_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    starts_on = db.Column(db.Date, nullable=False)
    months = db.Column(db.Integer, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    trial_fee = db.Column(db.Numeric(14, 2), nullable=False, default=0)
    exclusive = db.Column(db.Boolean, nullable=False, default=False)
    after_terms = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="active", index=True)
    end_reason = db.Column(db.Text)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"))

    item = db.relationship("UseFirstItem", lazy="joined")
    company = db.relationship("Organisation", lazy="joined")
