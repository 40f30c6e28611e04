"""揭榜挂帅: challenges (榜单) with their milestones, rubric and panel, the applications (揭榜方案) and the scores."""
from ..core.models import TimestampMixin, utcnow
from ..extensions import db

Money = db.Numeric(14, 2)

KINDS = {"company": "企业榜", "government": "政府榜"}
STATES = {
    "draft": "草稿", "submitted": "待审核", "rejected": "已驳回", "withdrawn": "已撤榜",
    "published": "征集中", "closed": "征集截止", "reviewing": "评审中", "unawarded": "流榜",
    "awarded": "已确定揭榜方", "in_progress": "攻关中", "accepted": "已验收", "failed": "验收未通过",
}
# What the public sees: everything an administrator has published, until it ends (not a withdrawn one).
PUBLIC_STATES = ("published", "closed", "reviewing", "unawarded", "awarded", "in_progress", "accepted", "failed")
EDITABLE_STATES = ("draft", "rejected", "withdrawn")
DECIDED_STATES = ("unawarded", "awarded", "in_progress", "accepted", "failed")
RATINGS = ("优秀", "良好", "合格", "不合格")
APPLICATION_STATES = {"submitted": "已提交", "withdrawn": "已撤回", "awarded": "揭榜成功", "not_awarded": "未入选"}
MILESTONE_STATES = {"pending": "待验收", "accepted": "已验收"}


class Challenge(TimestampMixin, db.Model):
    """A 榜单: a company's (企业榜) or an administrator's (政府榜) problem with a bounty, open to applications."""
    __tablename__ = "challenges"
    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(20), unique=True)  # JX-BANG-0001, given when the draft is created
    kind = db.Column(db.String(12), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    problem = db.Column(db.Text, nullable=False)
    indicators = db.Column(db.Text)
    industry = db.Column(db.String(32), nullable=False, index=True)
    city = db.Column(db.String(16), nullable=False, index=True)
    bounty = db.Column(Money)  # yuan; NULL = 面议
    enterprise_funding = db.Column(Money)  # 企业投入
    fiscal_funding = db.Column(Money)  # 财政资助
    deadline = db.Column(db.Date, nullable=False)  # applications accepted through this day
    ip_terms = db.Column(db.Text)
    anonymous = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    reject_reason = db.Column(db.Text)
    owner_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    # The company that signs the development contract (委托方): the poster of a 企业榜, chosen on a 政府榜.
    company_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"))
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id"), index=True)
    submitted_at = db.Column(db.DateTime)
    published_at = db.Column(db.DateTime, index=True)
    decided_at = db.Column(db.DateTime)
    awarded_application_id = db.Column(db.Integer)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"))
    rating = db.Column(db.String(8))
    rating_note = db.Column(db.Text)
    rated_at = db.Column(db.DateTime)

    owner_org = db.relationship("Organisation", foreign_keys=[owner_org_id], lazy="joined")
    company_org = db.relationship("Organisation", foreign_keys=[company_org_id])
    demand = db.relationship("Demand")
    milestones = db.relationship("ChallengeMilestone", cascade="all, delete-orphan", order_by="ChallengeMilestone.seq",
                                 lazy="selectin", back_populates="challenge")
    criteria = db.relationship("ChallengeCriterion", cascade="all, delete-orphan", order_by="ChallengeCriterion.seq",
                               lazy="selectin", back_populates="challenge")
    panel = db.relationship("PanelMember", cascade="all, delete-orphan", order_by="PanelMember.id",
                            back_populates="challenge")

    @property
    def bounty_negotiable(self) -> bool:
        return self.bounty is None


class ChallengeMilestone(db.Model):
    """A stage of the work: its acceptance criteria, its share of the bounty and, later, its acceptance."""
    __tablename__ = "challenge_milestones"
    id = db.Column(db.Integer, primary_key=True)
    challenge_id = db.Column(db.Integer, db.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    seq = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(100), nullable=False)
    criteria = db.Column(db.Text, nullable=False)  # 验收标准
    share = db.Column(db.Numeric(5, 2), nullable=False)  # percent of the bounty; all add up to 100.00
    due_on = db.Column(db.Date)
    status = db.Column(db.String(12), nullable=False, default="pending")
    accepted_on = db.Column(db.Date)
    evidence = db.Column(db.Text)
    accepted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    challenge = db.relationship("Challenge", back_populates="milestones")


class ChallengeCriterion(db.Model):
    """One criterion of the rubric published with the challenge; weights add up to 100."""
    __tablename__ = "challenge_criteria"
    id = db.Column(db.Integer, primary_key=True)
    challenge_id = db.Column(db.Integer, db.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    seq = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(100), nullable=False)
    weight = db.Column(db.Integer, nullable=False)
    description = db.Column(db.String(500))
    challenge = db.relationship("Challenge", back_populates="criteria")


class PanelMember(db.Model):
    """An expert an administrator invited to score a challenge's applications."""
    __tablename__ = "challenge_panel"
    id = db.Column(db.Integer, primary_key=True)
    challenge_id = db.Column(db.Integer, db.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    invited_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    challenge = db.relationship("Challenge", back_populates="panel")
    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    __table_args__ = (db.UniqueConstraint("challenge_id", "user_id", name="uq_challenge_panel_member"),)


class ChallengeApplication(TimestampMixin, db.Model):
    """A 揭榜方案: the team, plan, budget and schedule an organisation proposes, with its declaration of conflicts."""
    __tablename__ = "challenge_applications"
    id = db.Column(db.Integer, primary_key=True)
    challenge_id = db.Column(db.Integer, db.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    applicant_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    team = db.Column(db.Text, nullable=False)
    plan = db.Column(db.Text, nullable=False)
    budget = db.Column(Money, nullable=False)
    schedule = db.Column(db.Text, nullable=False)
    attachments = db.Column(db.Text)  # file names or links, one a line
    no_conflict = db.Column(db.Boolean, nullable=False, default=False)
    conflicts = db.Column(db.Text)  # declared conflicts of interest
    status = db.Column(db.String(12), nullable=False, default="submitted", index=True)
    total_score = db.Column(db.Numeric(6, 2))  # weighted, averaged over the panel, set at the decision
    decision_note = db.Column(db.Text)

    challenge = db.relationship("Challenge", lazy="joined")
    org = db.relationship("Organisation", lazy="joined")
    applicant = db.relationship("User")
    __table_args__ = (db.UniqueConstraint("challenge_id", "org_id", name="uq_challenge_applications_org"),)


class ChallengeScore(TimestampMixin, db.Model):
    """A panel member's score (0–100) of one application on one criterion, with a comment."""
    __tablename__ = "challenge_scores"
    id = db.Column(db.Integer, primary_key=True)
    application_id = db.Column(db.Integer, db.ForeignKey("challenge_applications.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    criterion_id = db.Column(db.Integer, db.ForeignKey("challenge_criteria.id", ondelete="CASCADE"), nullable=False)
    score = db.Column(db.Integer, nullable=False)
    comment = db.Column(db.Text)
    criterion = db.relationship("ChallengeCriterion", lazy="joined")
    __table_args__ = (db.UniqueConstraint("application_id", "user_id", "criterion_id", name="uq_challenge_scores_once"),)
