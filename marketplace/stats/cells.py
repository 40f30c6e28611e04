"""contract_cells kept equal to a GROUP BY over contract_facts, in the transaction of every write to the facts.

The writes to the facts, and how each reaches the cells (SQLAlchemy events, like the version counter of
cache.py):
- ORM flushes (the site's registrations and payments, receivers.py): before the flush the old figures of the
  facts to be deleted or changed are read (one SELECT by primary key; an attribute set on an expired object
  keeps no old value in its history); after it, a new fact adds its figures to its cell, a deleted one
  subtracts its old ones, a changed one subtracts the old and adds the new;
- bulk ORM statements through Session.execute (the import, imports.py; the demo and benchmark loaders):
  `insert(F)` with a list of rows adds them; `update(F)` with a list of rows by primary key reads the old
  rows first, subtracts them and adds the merged new ones; an UPDATE or DELETE with a WHERE clause reads the
  rows it matches before it runs (and, for an UPDATE, again after). A statement of another shape (INSERT …
  SELECT, an INSERT whose values are in the statement) rebuilds the cells from the facts: correct, slow, and
  used by nothing in the project.

Deltas are summed per cell in Python and written with one INSERT … ON CONFLICT DO UPDATE (SQLite and
PostgreSQL). A cell whose count falls to 0 stays (with zero sums); readers never see it as a row of its own.
"""
from collections import defaultdict

from sqlalchemy import delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from .models import ContractCell as C
from .models import ContractFact as F

KEY = ("year", "city", "month", "kind", "industry", "field", "seller_type")
SUMS = ("amount_fen", "tech_amount_fen", "received_fen")
COLUMNS = KEY + SUMS
CHUNK = 5_000


def _key(values) -> tuple:
    return tuple(values.get(k) if k != "city" else (values.get("city") or "") for k in KEY)


def _sums(values) -> tuple:
    return tuple(int(values.get(s) or 0) for s in SUMS)


class Deltas:
    def __init__(self):
        self.cells = defaultdict(lambda: [0, 0, 0, 0])

    def add(self, values: dict, sign: int = 1) -> None:
        cell = self.cells[_key(values)]
        cell[0] += sign
        for i, v in enumerate(_sums(values), start=1):
            cell[i] += sign * v

    def apply(self, connection) -> None:
        rows = [
            dict(zip(KEY, key), count=c, amount_fen=a, tech_amount_fen=t, received_fen=r)
            for key, (c, a, t, r) in self.cells.items()
            if c or a or t or r
        ]
        self.cells.clear()
        if not rows:
            return
        dialect = connection.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        stmt = upsert(C.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(KEY),
            set_={n: C.__table__.c[n] + stmt.excluded[n] for n in ("count", *SUMS)},
        )
        for i in range(0, len(rows), CHUNK):
            connection.execute(stmt, rows[i : i + CHUNK])


def rebuild(connection) -> None:
    """The cells recomputed from the facts (the migration's fill, and the fallback of odd statements)."""
    connection.execute(delete(C.__table__))
    connection.execute(insert(C.__table__).from_select([*KEY, "count", *SUMS], grouped_facts()))


def grouped_facts():
    """The cells as a GROUP BY over contract_facts (what the table must always equal)."""
    city = func.coalesce(F.city, "")
    cols = [F.year, city, F.month, F.kind, F.industry, F.field, F.seller_type]
    return select(
        *cols,
        func.count(),
        func.sum(F.amount_fen),
        func.sum(F.tech_amount_fen),
        func.sum(F.received_fen),
    ).group_by(*cols)


# ORM flushes ---------------------------------------------------------------------------------------------


def _moved(obj) -> bool:
    """Whether a change of a fact may move a figure of the cells (not only its title, names, batch …)."""
    return any(get_history(obj, n, passive=PASSIVE_NO_INITIALIZE).added for n in COLUMNS)


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    # The old figures of the facts about to be deleted or changed, read while their rows still hold them (an
    # attribute set on an expired object has no old value in its history).
    ids = {inspect(o).identity[0] for o in session.deleted if isinstance(o, F) and inspect(o).identity}
    ids |= {
        inspect(o).identity[0]
        for o in session.dirty
        if isinstance(o, F) and inspect(o).identity and o not in session.deleted and _moved(o)
    }
    with session.no_autoflush:
        session.info["_cells_old"] = _fetch_ids(session.connection(), ids) if ids else {}


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    old = session.info.pop("_cells_old", None) or {}
    deltas = Deltas()
    for obj in session.new:
        if isinstance(obj, F):
            deltas.add({n: getattr(obj, n) for n in COLUMNS})
    for obj in session.deleted:
        if isinstance(obj, F) and obj.id in old:
            deltas.add(old[obj.id], -1)
    for obj in session.dirty:
        if isinstance(obj, F) and obj not in session.deleted and obj.id in old:
            new = {n: getattr(obj, n) for n in COLUMNS}
            if _key(new) != _key(old[obj.id]) or _sums(new) != _sums(old[obj.id]):
                deltas.add(old[obj.id], -1)
                deltas.add(new)
    deltas.apply(session.connection())


# Bulk statements ---------------------------------------------------------------------------------------


def _table_of(statement):
    table = getattr(statement, "table", None)
    return table if table is not None and getattr(table, "name", None) == F.__tablename__ else None


def _touches_cells(values) -> bool:
    return any(k in COLUMNS for k in values)


def _fetch(connection, where) -> dict:
    stmt = select(F.id, *(F.__table__.c[n] for n in COLUMNS)).where(where)
    return {r[0]: dict(zip(COLUMNS, r[1:])) for r in connection.execute(stmt)}


def _fetch_ids(connection, ids) -> dict:
    out = {}
    ids = list(ids)
    for i in range(0, len(ids), 500):
        out.update(_fetch(connection, F.id.in_(ids[i : i + 500])))
    return out


def _statement_values(statement) -> dict | None:
    values = getattr(statement, "_values", None)
    if not values:
        return {}
    out = {}
    for col, val in values.items():
        name = getattr(col, "key", col)
        out[name] = val
    return out


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    statement = state.statement
    if _table_of(statement) is None:
        return None
    connection = state.session.connection()
    params = state.parameters
    rows = params if isinstance(params, list) else ([params] if params else [])
    deltas = Deltas()
    inline = _statement_values(statement)
    if state.is_insert:
        if rows and not inline and getattr(statement, "select", None) is None:
            result = state.invoke_statement()
            for r in rows:
                deltas.add(r)
            deltas.apply(connection)
            return result
        result = state.invoke_statement()
        rebuild(connection)
        return result
    where = getattr(statement, "whereclause", None)
    if state.is_update and rows and not inline and where is None:  # ORM bulk UPDATE by primary key
        changed = [r for r in rows if _touches_cells(r)]
        old = _fetch_ids(connection, (r["id"] for r in changed))
        result = state.invoke_statement()
        for r in changed:
            before = old.get(r["id"])
            if before is not None:
                deltas.add(before, -1)
                deltas.add({**before, **{k: v for k, v in r.items() if k in COLUMNS}})
        deltas.apply(connection)
        return result
    if state.is_update and not rows and not _touches_cells(inline):
        return None  # e.g. linking sellers to organisations: no figure of a cell moves
    if not rows:  # UPDATE / DELETE … WHERE
        old = _fetch(connection, where if where is not None else text("1 = 1"))
        result = state.invoke_statement()
        for before in old.values():
            deltas.add(before, -1)
        if state.is_update:
            for after in _fetch_ids(connection, old).values():
                deltas.add(after)
        deltas.apply(connection)
        return result
    result = state.invoke_statement()
    rebuild(connection)
    return result
