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


# Stored matches (top 50 per record, both directions), read by pages, the API, pushes and the workbench -----

class StoredMatch(db.Model):
    """One row of a record's stored list: `direction` is the side whose list it is ("demand": the demand's
    achievements; "achievement": the achievement's demands). The pair's score is the same from both sides."""
    __tablename__ = "stored_matches"
    id = db.Column(db.Integer, primary_key=True)
    direction = db.Column(db.String(12), nullable=False)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False)
    score = db.Column(db.Integer, nullable=False)
    band = db.Column(db.String(4), nullable=False)
    reasons = db.Column(db.JSON, nullable=False)
    shared_terms = db.Column(db.JSON, nullable=False)
    coverage = db.Column(db.Float, nullable=False, default=0.0)
    computed_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (
        # (direction, demand_id, …) serves a demand's list and the rows pointing at a demand
        db.UniqueConstraint("direction", "demand_id", "achievement_id", name="uq_stored_matches_pair"),
        db.Index("ix_stored_matches_achievement", "achievement_id", "direction"),
    )


class MatchList(db.Model):
    """A record's stored list as a whole: whether the engine abstained, its key terms, when and with which
    dictionary and weights (fingerprint) it was computed; `stale` once those changed (a rebuild is due)."""
    __tablename__ = "match_lists"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(12), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    abstained = db.Column(db.Boolean, nullable=False, default=False)
    terms = db.Column(db.JSON, nullable=False)
    size = db.Column(db.Integer, nullable=False, default=0)
    fingerprint = db.Column(db.String(64), nullable=False)
    stale = db.Column(db.Boolean, nullable=False, default=False)
    # {"confidence", "signals"} of the abstention as the engine decided it (None: a list written before 0023)
    decision = db.Column(db.JSON)
    computed_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("entity_type", "entity_id", name="uq_match_lists_entity"),)


class MatchRefresh(db.Model):
    """Records whose stored matches are to be recomputed, written in the transaction that changed them (so a
    committed change cannot be missed); `propagate`: also refresh the other side's lists (a content change,
    not a feedback or a refill)."""
    __tablename__ = "match_refresh_queue"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(12), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    propagate = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.Index("ix_match_refresh_queue_entity", "entity_type", "entity_id"),)


class MatchRebuild(db.Model):
    """A run of `flask match rebuild` (or one scheduled by a dictionary/weights change): resumable from its
    cursor (the last type and id done), with its progress."""
    __tablename__ = "match_rebuilds"
    id = db.Column(db.Integer, primary_key=True)
    scope = db.Column(db.String(12), nullable=False, default="all")  # all | demand | achievement
    status = db.Column(db.String(12), nullable=False, default="queued")  # queued | running | done | failed
    reason = db.Column(db.String(20), nullable=False, default="command")  # command | fingerprint | vectors
    fingerprint = db.Column(db.String(64), nullable=False)
    batch = db.Column(db.Integer, nullable=False, default=100)
    total = db.Column(db.Integer, nullable=False, default=0)
    done = db.Column(db.Integer, nullable=False, default=0)
    cursor_type = db.Column(db.String(12))
    cursor_id = db.Column(db.Integer, nullable=False, default=0)
    seconds = db.Column(db.Float, nullable=False, default=0.0)  # time spent computing (over all attempts)
    message = db.Column(db.Text)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    updated_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    finished_at = db.Column(db.DateTime)


class MatchRequest(db.Model):
    """申请对接: one side of a pair asks for an introduction to the other (told to the other organisation;
    brokers see the requests)."""
    __tablename__ = "match_requests"
    id = db.Column(db.Integer, primary_key=True)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id", ondelete="CASCADE"), nullable=False)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False)
    side = db.Column(db.String(12), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("demand_id", "achievement_id", "side", name="uq_match_requests_pair_side"),)


class MatchVector(db.Model):
    """A record's sentence vector (matching/semantic.py): 384 float32 of multilingual-e5-small, a demand's embedded
    as a query and an achievement's as a passage, for the text named by `digest` (model, kind and text). Written in
    the background after a change (never inside a request); the matcher reads it only while the digest still names
    the record's text. No foreign key: the record's type is in `entity_type` (a deleted record's row goes when the
    refresh queue learns of the deletion, store.refresh)."""
    __tablename__ = "match_vectors"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(12), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    digest = db.Column(db.String(40), nullable=False)
    vector = db.Column(db.LargeBinary, nullable=False)
    computed_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    __table_args__ = (db.UniqueConstraint("entity_type", "entity_id", name="uq_match_vectors_entity"),)
