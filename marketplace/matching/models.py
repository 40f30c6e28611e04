"""Two-way push (双向互推), feedback on matches, and the next step chosen when nothing fits."""
from ..core.models import utcnow
from ..extensions import db


class MatchPush(db.Model):
    """A (demand, achievement) pair already pushed to both sides: never pushed twice."""
    __tablename__ = "match_pushes"
    id = db.Column(db.Integer, primary_key=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False)
    score = db.Column(db.Integer, nullable=False)
    band = db.Column(db.String(4), nullable=False)
    pushed_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("demand_id", "achievement_id", name="uq_match_pushes_pair"),)


class PushQueue(db.Model):
    """Records published (or changed) whose matches are still to be pushed, written with the change."""
    __tablename__ = "match_push_queue"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(16), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)


class MatchFeedback(db.Model):
    """感兴趣 / 不相关 from one side of a pair; 不相关 keeps the pair out of that side's list and pushes."""
    __tablename__ = "match_feedback"
    id = db.Column(db.Integer, primary_key=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False)
    side = db.Column(db.String(12), nullable=False)  # demand | achievement
    verdict = db.Column(db.String(12), nullable=False)  # interested | irrelevant
    reason = db.Column(db.String(20))
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("demand_id", "achievement_id", "side", name="uq_match_feedback_pair_side"),)


class NextStep(db.Model):
    """What was done with a demand the engine found nothing for: 人工撮合, 揭榜挂帅 or 需求推送."""
    __tablename__ = "match_next_steps"
    id = db.Column(db.Integer, primary_key=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False, index=True)
    step = db.Column(db.String(12), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
