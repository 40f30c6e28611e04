"""An introduction (撮合): one broker, one demand, and (once introduced) one achievement."""
from ..core.models import TimestampMixin
from ..extensions import db


class Introduction(TimestampMixin, db.Model):
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
