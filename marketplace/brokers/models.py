"""Broker records: introductions (撮合), broker profiles and their filing (备案) with a centre, training hours,
ratings the parties give after a registered deal, and each party's consent to show a deal's exact amount."""
from ..core.models import TimestampMixin, utcnow
from ..extensions import db

LEVELS = ["初级技术经纪人", "中级技术经纪人", "高级技术经理人"]
# draft → submitted → active | rejected; rejected → submitted; active → suspended → active.
PROFILE_STATUSES = {"draft": "草稿", "submitted": "待备案审核", "active": "已备案", "rejected": "已驳回",
                    "suspended": "已暂停"}


class Introduction(TimestampMixin, db.Model):
    """An introduction (撮合): one broker, one demand, and (once introduced) one achievement."""
    __tablename__ = "introductions"
    id = db.Column(db.Integer, primary_key=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False, index=True)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"))
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    stage = db.Column(db.String(16), nullable=False, default="claimed")
    note = db.Column(db.Text)

    demand = db.relationship("Demand", lazy="joined")
    achievement = db.relationship("Achievement", lazy="joined")
    broker = db.relationship("User", lazy="joined")
    __table_args__ = (db.Index("ix_introductions_stage_demand", "stage", "demand_id"),)


class BrokerProfile(TimestampMixin, db.Model):
    """A technology broker (a user with the broker role) and the agency it practises for: one at a time."""
    __tablename__ = "broker_profiles"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, unique=True)
    real_name = db.Column(db.String(50), nullable=False)
    agency_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    level = db.Column(db.String(16), nullable=False)  # LEVELS
    certificate_no = db.Column(db.String(64))
    certificate_issuer = db.Column(db.String(120))
    specialties = db.Column(db.String(400), nullable=False, default="")  # industries, "、"-joined
    cities = db.Column(db.String(200), nullable=False, default="")  # cities served, "、"-joined
    bio = db.Column(db.Text)
    filed_with_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), index=True)  # administering centre
    filed_on = db.Column(db.Date)
    submitted_at = db.Column(db.DateTime)
    status = db.Column(db.String(12), nullable=False, default="draft", index=True)  # PROFILE_STATUSES
    review_note = db.Column(db.Text)

    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    agency = db.relationship("Organisation", foreign_keys=[agency_org_id], lazy="joined")
    filed_with = db.relationship("Organisation", foreign_keys=[filed_with_org_id], lazy="joined")
    training = db.relationship("BrokerTraining", cascade="all, delete-orphan", order_by="BrokerTraining.year.desc()",
                               lazy="selectin")

    @property
    def specialty_list(self) -> list[str]:
        return [s for s in (self.specialties or "").split("、") if s]

    @property
    def city_list(self) -> list[str]:
        return [c for c in (self.cities or "").split("、") if c]

    @property
    def status_label(self) -> str:
        return PROFILE_STATUSES.get(self.status, self.status)

    @property
    def public(self) -> bool:
        """Shown in the public directory: filed and in good standing."""
        return self.status == "active"


class BrokerTraining(db.Model):
    """Continuing-education hours a broker completed in a year (the certificate requires them)."""
    __tablename__ = "broker_training"
    id = db.Column(db.Integer, primary_key=True)
    profile_id = db.Column(db.Integer, db.ForeignKey("broker_profiles.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    year = db.Column(db.Integer, nullable=False)
    hours = db.Column(db.Numeric(6, 1), nullable=False)
    __table_args__ = (db.UniqueConstraint("profile_id", "year", name="uq_broker_training_year"),)


class BrokerRating(db.Model):
    """A party's rating (1–5) of the broker of a registered contract: once per party per deal."""
    __tablename__ = "broker_ratings"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    rater_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    rater_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    score = db.Column(db.Integer, nullable=False)
    comment = db.Column(db.Text)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)

    rater_org = db.relationship("Organisation", lazy="joined")
    __table_args__ = (db.UniqueConstraint("contract_id", "rater_org_id", name="uq_broker_ratings_once"),
                      db.CheckConstraint("score >= 1 AND score <= 5", name="score_range"))


class DealDisclosure(db.Model):
    """A party's consent to show the exact amount of its registered contract on the broker's public profile.
    The amount is shown only when both parties consent; otherwise a band (e.g. 100万–500万)."""
    __tablename__ = "deal_disclosures"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    allow_amount = db.Column(db.Boolean, nullable=False, default=False)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    decided_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("contract_id", "org_id", name="uq_deal_disclosures_party"),)
