"""Many rows into one table at once, inside the session's transaction: PostgreSQL's COPY when the database is
PostgreSQL (psycopg 3), else one executemany INSERT.

Why: psycopg converts a statement's placeholders in Python, and SQLAlchemy sends a bulk INSERT as
multi-row statements of up to 1,000 rows; that conversion dominated writing stored matches on PostgreSQL.
Measured on the 20,000 / 2,000 benchmark database (5,000 stored-match rows, two JSON columns, inserted and
rolled back, two runs each): the INSERT 740-795 ms of CPU (1.08-1.24 s wall), COPY 95-127 ms (280-310 ms).

No ORM events fire for these rows (as with any Core INSERT of a table): use it for derived tables that nothing
listens to. Every row gives the same columns; a table column with a Python-side default must be among them
(COPY cannot run Python), else the INSERT is used."""
from sqlalchemy import JSON, insert

from ..config import json_dumps
from ..extensions import db


def _copy_value(column_type, value):
    if isinstance(column_type, JSON):
        return None if value is None and column_type.none_as_null else json_dumps(value)
    return value


def insert_rows(table, rows: list[dict]) -> str:
    """Insert `rows` (dicts of column name → value) into `table`; returns "copy" or "insert" (what was used)."""
    if not rows:
        return "insert"
    session = db.session
    session.flush()  # what the session holds is written first, as session.execute(insert(...)) would
    conn = session.connection()
    keys = list(rows[0])
    defaults = [c.name for c in table.columns if c.default is not None and c.name not in keys]
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg" or defaults:
        conn.execute(insert(table), rows)
        return "insert"
    types = [table.columns[k].type for k in keys]
    quote = conn.dialect.identifier_preparer
    sql = "COPY %s (%s) FROM STDIN" % (quote.format_table(table), ", ".join(quote.quote(k) for k in keys))
    with conn.connection.dbapi_connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            if len(row) != len(keys):
                raise ValueError(f"every row must give the same columns: {sorted(row)} vs {sorted(keys)}")
            copy.write_row([_copy_value(t, row[k]) for t, k in zip(types, keys)])
    return "copy"
