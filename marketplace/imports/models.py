"""An import job: uploaded file, preview, queue state, progress (with heartbeat) and outcome; and the natural
keys (owner + title) by which a row without 编号 finds the record it updates."""
import re
import unicodedata

from sqlalchemy import delete, event, insert
from sqlalchemy.orm import Session

from ..core.models import ListingMixin, utcnow
from ..extensions import db


class ImportJob(db.Model):
    __tablename__ = "import_jobs"
    id = db.Column(db.Integer, primary_key=True)
    library = db.Column(db.String(16), nullable=False)
    filename = db.Column(db.String(200), nullable=False)
    stored_path = db.Column(db.String(400))  # None once the job ended and the file was removed
    source = db.Column(db.String(64), nullable=False)
    publish = db.Column(db.Boolean, nullable=False, default=False)
    submit = db.Column(db.Boolean, nullable=False, default=False)  # submit for review once imported
    # previewed → queued → running → done | failed, or previewed → expired (see imports.jobs)
    status = db.Column(db.String(16), nullable=False, default="previewed", index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)  # runs started (retries and requeues count)
    total = db.Column(db.Integer, nullable=False, default=0)
    processed = db.Column(db.Integer, nullable=False, default=0)
    created = db.Column(db.Integer, nullable=False, default=0)
    updated = db.Column(db.Integer, nullable=False, default=0)
    rejected = db.Column(db.Integer, nullable=False, default=0)
    errors = db.Column(db.JSON)
    message = db.Column(db.Text)
    skipped = db.Column(db.Integer, nullable=False, default=0)  # the template's sample row
    notes = db.Column(db.JSON)  # variants mapped to the controlled values, each reported ("第5行 成熟度：…")
    errors_path = db.Column(db.String(400))  # the error file (failed rows + 错误原因), kept after the job
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    started_at = db.Column(db.DateTime)  # start of the current (or last) run
    # The heartbeat: every state change and progress write sets it; a running job whose heartbeat is
    # old has lost its worker (see imports.jobs.sweep).
    updated_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    finished_at = db.Column(db.DateTime)

    @property
    def rate(self) -> float | None:
        """Rows per second in the current run, once there is something to measure."""
        if self.status != "running" or not self.processed or not self.started_at:
            return None
        seconds = (self.updated_at - self.started_at).total_seconds()
        return self.processed / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        rate = self.rate
        return round((self.total - self.processed) / rate) if rate else None


KEYED = ("achievement", "demand", "service")


def title_key(title) -> str:
    """The comparable form of a title: NFKC (full-width letters, digits and punctuation as half-width),
    without any whitespace, case-folded. "高强 高导Ｃｕ合金" and "高强高导cu合金" have the same key."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(title or ""))).casefold()[:200]


class ImportKey(db.Model):
    """(entity type, owner organisation, title key) → record: the natural key of a row without 编号
    (institution + title for achievements, company + title for demands, organisation + title for services).
    Written by the importer in bulk and, for records created or renamed elsewhere, by the flush listener
    below; never unique (two records of one owner may share a title: the lowest id is the one updated)."""
    __tablename__ = "import_keys"
    id = db.Column(db.Integer, primary_key=True)
    entity_type = db.Column(db.String(16), nullable=False)
    owner_org_id = db.Column(db.Integer, nullable=False)
    key = db.Column(db.String(200), nullable=False)
    entity_id = db.Column(db.Integer, nullable=False)

    __table_args__ = (db.Index("ix_import_keys_lookup", "entity_type", "owner_org_id", "key"),
                      db.Index("ix_import_keys_entity", "entity_type", "entity_id"))


def _keyed(obj) -> bool:
    return isinstance(obj, ListingMixin) and getattr(obj, "entity_type", None) in KEYED


@event.listens_for(Session, "before_flush")
def _collect_keys(session, flush_context, instances):
    from sqlalchemy import inspect
    touched = session.info.setdefault("import_keys_touched", set())
    for obj in session.new:
        if _keyed(obj):
            touched.add(obj)
    for obj in session.dirty:
        if _keyed(obj):
            state = inspect(obj)
            if state.attrs.title.history.has_changes() or state.attrs.owner_org_id.history.has_changes():
                touched.add(obj)


@event.listens_for(Session, "after_flush")
def _write_keys(session, flush_context):
    touched = session.info.pop("import_keys_touched", set())
    gone = [(o.entity_type, o.id) for o in session.deleted if _keyed(o) and o.id is not None]
    for entity_type in {t for t, _ in gone}:  # a deleted draft's id may be reused: its keys go with it
        session.connection().execute(delete(ImportKey).where(
            ImportKey.entity_type == entity_type, ImportKey.entity_id.in_([i for t, i in gone if t == entity_type])))
    rows = [{"entity_type": o.entity_type, "owner_org_id": o.owner_org_id, "key": title_key(o.title),
             "entity_id": o.id} for o in touched if o.id is not None and o.owner_org_id and o.title
            and o not in session.deleted]
    if rows:
        session.connection().execute(insert(ImportKey), rows)


@event.listens_for(Session, "after_rollback")
def _forget_keys(session):
    session.info.pop("import_keys_touched", None)
