"""Bulk writes on PostgreSQL through `COPY … FROM STDIN` (psycopg 3, rows encoded by its C adapters): the
importer's batches (imports/service.py) and the stored matches' writer (matching/store.py) use `insert_all`.

Why (issue 14): SQLAlchemy's multi-row `INSERT … VALUES (…), (…) RETURNING id` (insertmanyvalues) made psycopg
rewrite ~20,000 `%(name)s` placeholders per 1,000-row statement in Python (`_split_query`, not cached for long
statements: ~40 % of the PostgreSQL rows phase's CPU), and the server parse and plan a 20,000-parameter
statement; an executemany without RETURNING costs one statement per row. COPY sends the rows as data: no
placeholders, no per-row statement.

The rows are written in the session's own connection and transaction (and savepoint: a batch refused by the
database is rolled back to its savepoint and replayed row by row, as before). Columns a row leaves out get the
column's Python default, as a Core INSERT would give them; a psycopg error is raised as SQLAlchemy's
(`DBAPIError.instance`: IntegrityError, DataError …), which the importer's fallback catches.
"""
from contextlib import contextmanager

from sqlalchemy import JSON, insert, text
from sqlalchemy.exc import DBAPIError

from ..config import json_dumps
from ..extensions import db

_NO_DEFAULT = object()


def is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _default(column):
    d = column.default
    if d is None:
        return _NO_DEFAULT
    if d.is_scalar:
        return d.arg
    if d.is_callable:
        return d.arg(None)  # SQLAlchemy wraps a zero-argument function as fn(context)
    return _NO_DEFAULT


def _json(column):
    none_as_null = getattr(column.type, "none_as_null", False)

    def dump(value):
        if value is None:
            return None if none_as_null else "null"  # as Core: None is JSON null unless none_as_null
        return json_dumps(value)  # as the engine's serializer (config.py): Chinese as UTF-8
    return dump


def copy_rows(session, table, rows: list) -> None:
    """COPY `rows` (dicts of column name → value) into `table`. The columns written are those any row names, plus
    those with a Python default (filled for every row that leaves them out); the others are left to the server
    (an id from its sequence when no row gives one)."""
    if not rows:
        return
    present = set()
    for r in rows:
        present.update(r)
    cols, fill, convert = [], [], []
    for c in table.c:
        default = _default(c)
        if c.name not in present and (default is _NO_DEFAULT or c.primary_key):
            continue
        cols.append(c.name)
        fill.append(None if default is _NO_DEFAULT else default)
        convert.append(_json(c) if isinstance(c.type, JSON) else None)
    names = ", ".join(f'"{n}"' for n in cols)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    raw = session.connection().connection.driver_connection  # psycopg.Connection, in the session's transaction
    missing = object()
    with _as_sqlalchemy_errors(statement), raw.cursor() as cur, cur.copy(statement) as copy:
        write = copy.write_row
        if not any(convert) and all(len(r) == len(cols) for r in rows):  # the common case: every column given
            for r in rows:
                write([r[n] for n in cols])
        else:
            for r in rows:
                values = []
                for n, default, conv in zip(cols, fill, convert):
                    v = r.get(n, missing)
                    v = default if v is missing else v
                    values.append(conv(v) if conv is not None else v)
                write(values)


def insert_all(table, rows: list) -> None:
    """A bulk INSERT of `rows` in the session's transaction. On PostgreSQL a COPY: an executemany INSERT is
    one statement per row there, and a multi-row INSERT costs psycopg a Python rewrite of every placeholder
    (measured for the stored matches' writer, 5,000 rows with two JSON columns: 740-795 ms of CPU as a
    multi-row INSERT, 95-127 ms as COPY). SQLite's executemany is a C loop over one prepared statement."""
    if not rows:
        return
    if is_postgresql(db.session):  # COPY: no placeholders to rewrite, no statement per row
        # No flush here: the importer never had one; the matches' writer runs an ORM DELETE first (it flushes).
        copy_rows(db.session, table, rows)
        return
    db.session.execute(insert(table), rows)


def next_ids(session, table, n: int) -> list[int]:
    """`n` new ids from the table's id sequence, in one query (what the inserts would have taken)."""
    if n <= 0:
        return []
    return sorted(session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table.name, "n": n}).scalars())


def update_rows(session, table, keys, rows: list) -> None:
    """UPDATE the columns `keys` of many records in ONE statement: `rows` are (id, {column: value}); every column's
    values go as one array parameter, `unnest` zips them back into rows, joined on the id (an executemany UPDATE is
    one statement per row on PostgreSQL, pipelined but parsed, planned and executed row by row)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    keys = list(keys)
    casts = ["integer"] + [table.c[k].type.compile(dialect=dialect) for k in keys]
    names = ", ".join(["id"] + [f'"{k}"' for k in keys])
    sets = ", ".join(f'"{k}" = v."{k}"' for k in keys)
    arrays = ", ".join(f"%s::{cast}[]" for cast in casts)
    statement = f'UPDATE "{table.name}" AS t SET {sets} FROM unnest({arrays}) AS v({names}) WHERE t.id = v.id'
    params = [[rid for rid, _ in rows]] + [[row[k] for _, row in rows] for k in keys]
    raw = session.connection().connection.driver_connection
    with _as_sqlalchemy_errors(statement), raw.cursor() as cur:
        cur.execute(statement, params)


@contextmanager
def _as_sqlalchemy_errors(statement: str):
    """psycopg's errors raised as SQLAlchemy's (IntegrityError, DataError …): the batch's fallback catches those."""
    import psycopg
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
