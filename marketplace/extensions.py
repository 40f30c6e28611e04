"""Flask extensions, created unbound here and bound to the app in create_app()."""
import sqlite3

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Named constraints so that Alembic migrations are identical on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


SQLITE_BUSY_MS = 30_000


def batch_bulk_inserts(app) -> None:
    """On PostgreSQL, an INSERT of many rows without RETURNING (`conn.execute(insert(T), rows)`: the search
    outbox, the refresh queue, stored matches, audit rows) goes as SQLAlchemy's "insertmanyvalues", one multi-row
    INSERT per 1,000 rows, as it already does with RETURNING; psycopg 3 would otherwise send one statement per
    row. This is the documented dialect flag that SQLAlchemy's psycopg2 dialect sets itself."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                engine.dialect.use_insertmanyvalues_wo_returning = True


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, _record):
    """SQLite files serve several threads and processes (gunicorn workers, the task worker): write-ahead log
    (readers never block the writer nor the writer the readers; in the default rollback journal a commit waits
    until no reader is left, and every reader waits while a commit is pending), synchronous=NORMAL (safe with
    the WAL: a power cut can lose the last commits, never corrupt the file) and a 30 s busy timeout for the
    one writer at a time. journal_mode is stored in the file; an in-memory database stays "memory"."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # another process holds the file in its old journal mode right now: the next connection switches
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_begins_immediate(conn, _name):
    """A savepoint that opens the transaction (a state change in core.web.in_savepoint that is the request's
    first write) begins it with BEGIN IMMEDIATE: the write lock is taken at once, waiting for another writer
    through the busy timeout. Otherwise SQLite starts a deferred transaction whose first write must upgrade a
    read snapshot, and refuses that at once ("database is locked") while anyone else writes. Transactions that
    pysqlite begins itself (just before the first INSERT/UPDATE/DELETE) already start with the write."""
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")
