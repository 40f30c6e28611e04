"""Model mixins shared by the libraries, and the audit trail."""
from datetime import datetime, timezone

from sqlalchemy.orm import declared_attr

from ..extensions import db


def utcnow() -> datetime:
    # Stored naive in UTC: SQLite has no time zones and PostgreSQL columns are "timestamp without time zone".
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    updated_at = db.Column(db.DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ListingMixin(TimestampMixin):
    """What achievements, demands and service resources share: owner, workflow state, external ref."""

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    reject_reason = db.Column(db.Text)
    # `ref` is the record's number in its source (a spreadsheet, another platform); unique per source,
    # so re-importing a file updates instead of duplicating.
    source = db.Column(db.String(64), nullable=False, default="local")
    ref = db.Column(db.String(64))
    submitted_at = db.Column(db.DateTime)
    published_at = db.Column(db.DateTime, index=True)
    contact_name = db.Column(db.String(50))
    contact_phone = db.Column(db.String(30))
    contact_email = db.Column(db.String(120))

    @declared_attr
    def owner_org_id(cls):
        return db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)

    @declared_attr
    def created_by_id(cls):
        return db.Column(db.Integer, db.ForeignKey("users.id"))

    @declared_attr
    def owner_org(cls):
        return db.relationship("Organisation", foreign_keys=[cls.owner_org_id], lazy="joined")

    @declared_attr
    def __table_args__(cls):
        return (db.UniqueConstraint("source", "ref", name=f"uq_{cls.__tablename__}_source_ref"),)


class AuditLog(db.Model):
    """Every change of state of a record: who, when, from → to, why."""

    __tablename__ = "audit_log"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(32), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)
    action = db.Column(db.String(32), nullable=False)
    from_state = db.Column(db.String(32))
    to_state = db.Column(db.String(32))
    reason = db.Column(db.Text)
    details = db.Column(db.JSON)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    at = db.Column(db.DateTime, default=utcnow, nullable=False)
    actor = db.relationship("User", lazy="joined")

    __table_args__ = (db.Index("ix_audit_log_entity", "entity_type", "entity_id"),)


def record_audit(actor, entity_type: str, entity_id: int, action: str, from_state=None, to_state=None,
                 reason=None, details=None) -> AuditLog:
    entry = AuditLog(entity_type=entity_type, entity_id=entity_id, action=action, from_state=from_state,
                     to_state=to_state, reason=reason, details=details,
                     actor_id=getattr(actor, "id", None))
    db.session.add(entry)
    return entry


def audit_trail(entity_type: str, entity_id: int) -> list[AuditLog]:
    return (AuditLog.query.filter_by(entity_type=entity_type, entity_id=entity_id)
            .order_by(AuditLog.at, AuditLog.id).all())
