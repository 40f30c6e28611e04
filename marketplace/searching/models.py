"""The search outbox: one row per record whose index entry must be refreshed, written in the record's own
transaction, so a committed change can never be missed by the index."""
from ..core.models import utcnow
from ..extensions import db


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(16), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)

    __table_args__ = (db.Index("ix_search_outbox_entity", "entity_type", "entity_id"),)
