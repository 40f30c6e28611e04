"""Writes outbox rows in the same transaction as any change to an indexed record (SQLAlchemy events)."""
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from ..achievements.models import AchievementIP
from ..core import uow
from ..core.models import utcnow
from .documents import MODELS
from .models import SearchOutbox

INDEXED = tuple(MODELS.values())


def _touched(session) -> set[tuple[str, int]]:
    out = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, INDEXED):
            out.add((obj.entity_type, obj))
        elif isinstance(obj, AchievementIP) and obj.achievement is not None:
            out.add(("achievement", obj.achievement))
    return out


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances):
    pending = session.info.setdefault("search_touched", set())
    pending.update(_touched(session))


@event.listens_for(Session, "after_flush")
def _write(session, flush_context):
    touched = session.info.pop("search_touched", set())
    rows = {(etype, obj.id) for etype, obj in touched if obj.id is not None}
    if rows:
        now = utcnow()
        session.connection().execute(insert(SearchOutbox), [
            {"entity_type": etype, "entity_id": eid, "created_at": now, "attempts": 0} for etype, eid in rows])
        uow.after_commit(_apply, key="search-outbox", order=10, session=session)


def _apply():
    # Bring the index up to date now when its lock is free; else the rows wait for the next request,
    # a search, or `flask search sync`.
    from .sync import try_apply
    try_apply(lock_timeout=2.0)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop("search_touched", None)


def enqueue_many(session, entity_type: str, ids, insert_rows=None) -> None:
    """Outbox rows for records written in bulk with Core statements (the importer), which the flush events
    above never see: one multi-row INSERT, in the same transaction as the records. `insert_rows(table, rows)`:
    the caller's own bulk insert (the importer's COPY on PostgreSQL)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    now = utcnow()
    rows = [{"entity_type": entity_type, "entity_id": i, "created_at": now, "attempts": 0} for i in ids]
    if insert_rows is not None:
        insert_rows(SearchOutbox.__table__, rows)
    else:  # one multi-row INSERT per 1,000 ids on PostgreSQL too (extensions.batch_bulk_inserts)
        session.connection().execute(insert(SearchOutbox), rows)
    uow.after_commit(_apply, key="search-outbox", order=10, session=session)
