"""Figures computed once per version of the facts.

A dashboard draws a dozen breakdowns of the same year; with a million registered contracts each is an
indexed aggregate of 50–100 ms, so a page would take well over half a second. The facts change rarely (a
registration, a payment, an import) and every such write bumps `stats_versions.version` in its own
transaction (SQLAlchemy events below: ORM flushes and bulk insert/update statements alike), so a result
computed for version v stays right until v changes. Each process keeps the latest results in memory; a
request reads the version (one row by primary key) and computes only what it has not seen at that version.
"""
import random
from collections import OrderedDict
from threading import Lock

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from . import cells  # noqa: F401  (contract_cells follow the same writes)
from .models import ContractFact, StatsVersion

MAX_ENTRIES = 2048
_cache: OrderedDict = OrderedDict()
_lock = Lock()


def version() -> int:
    return db.session.scalar(select(StatsVersion.version).where(StatsVersion.id == 1)) or 0


def memo(key: tuple, compute):
    """compute() for `key` at the facts' current version, reused while the version holds."""
    full = (version(), *key)
    with _lock:
        if full in _cache:
            _cache.move_to_end(full)
            return _cache[full]
    value = compute()
    with _lock:
        _cache[full] = value
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _cache.clear()


def _bump(connection) -> None:
    if connection.execute(update(StatsVersion).where(StatsVersion.id == 1)
                          .values(version=StatsVersion.version + 1)).rowcount == 0:
        # The row was lost (emptied tables): start from a random number, so no version seen before comes back.
        connection.execute(StatsVersion.__table__.insert().values(id=1, version=random.getrandbits(62)))


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    if any(isinstance(o, ContractFact) for o in (*session.new, *session.dirty, *session.deleted)):
        _bump(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state):
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and table.name == ContractFact.__tablename__:
            _bump(state.session.connection())
