"""SQLite under several threads and processes (gunicorn workers, the task worker): every connection opened by
SQLAlchemy is in write-ahead-log mode with synchronous=NORMAL and a busy timeout, so that a reader never holds
up a commit (in the default rollback journal the commit waits for every reader to finish: the mark-read POST
waited seconds at saturation in benchmarks/serving_bench.py)."""
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from marketplace.extensions import SQLITE_BUSY_MS, db


def test_the_apps_sqlite_connections_use_the_write_ahead_log(app, ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_MS


def test_an_in_memory_database_still_opens():
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()


def test_a_reader_in_a_transaction_does_not_hold_up_a_commit(tmp_path):
    """A reads inside an open transaction (as a long page render does); meanwhile B updates and commits. With
    the rollback journal B's commit waits for A's shared lock (up to the busy timeout); with the WAL it goes
    through at once and A keeps reading its snapshot."""
    engine = create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, read INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO notes (id, read) VALUES (1, 0), (2, 0)"))
    reader = engine.raw_connection()
    done, errors = threading.Event(), []
    try:
        cur = reader.cursor()
        cur.execute("BEGIN")
        assert cur.execute("SELECT count(*) FROM notes WHERE read = 0").fetchone()[0] == 2  # shared lock held

        def write():
            try:
                with engine.begin() as conn:
                    conn.execute(text("UPDATE notes SET read = 1 WHERE id = 1"))
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
            done.set()

        started = time.perf_counter()
        threading.Thread(target=write, daemon=True).start()
        committed = done.wait(5)
        elapsed = time.perf_counter() - started
        # The reader's snapshot is unchanged while its transaction lasts.
        assert cur.execute("SELECT count(*) FROM notes WHERE read = 0").fetchone()[0] == 2
    finally:
        reader.rollback()
        reader.close()
    assert committed and not errors, (elapsed, errors)  # not held until the reader ended (it never did in 5 s)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT read FROM notes WHERE id = 1")).scalar() == 1
    engine.dispose()


def test_a_savepoint_that_starts_the_transaction_waits_for_the_writer_instead_of_failing(tmp_path):
    """A state change runs in a savepoint (core.web.in_savepoint). When the savepoint is the request's first
    write, SQLite started a *deferred* transaction there: its reads took a snapshot, and its first write then
    had to upgrade it — which SQLite refuses at once ("database is locked", no busy wait) while another
    connection writes: a 503 for the user. The savepoint now begins the transaction with BEGIN IMMEDIATE,
    which waits for the other writer (busy timeout) and then reads and writes the latest data."""
    engine = create_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, read INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO notes (id, read) VALUES (1, 0), (2, 0)"))
    other = engine.raw_connection()
    other.cursor().execute("BEGIN IMMEDIATE")  # another worker's write transaction, committed 0.5 s later
    other.cursor().execute("UPDATE notes SET read = 1 WHERE id = 2")
    timer = threading.Timer(0.5, other.commit)
    timer.start()
    try:
        with engine.connect() as conn, conn.begin(), conn.begin_nested():
            unread = conn.execute(text("SELECT count(*) FROM notes WHERE read = 0")).scalar()
            conn.execute(text("UPDATE notes SET read = 1 WHERE id = 1"))
    finally:
        timer.join()
        other.close()
    assert unread == 1  # read after the other writer's commit: the latest data
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes WHERE read = 1")).scalar() == 2
    engine.dispose()
