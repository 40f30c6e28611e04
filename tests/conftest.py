"""Fixtures: the app on SQLite and (when TEST_DATABASE_URL is set, as `make test` does) on PostgreSQL.

The schema is built by the Alembic migrations, not create_all(), so every run also proves that
`flask db upgrade` works on both databases. Tables are emptied after each test that used the app (only those
holding rows or having used a sequence), and the search index is cleared when it was written to.

Speed: users get a cheap password hash (PASSWORD_HASH_METHOD; production keeps scrypt), Hypothesis runs
under the `ci` profile (no deadlines, derandomized), and with pytest-xdist (`-n 2`) each worker has its own
SQLite file, PostgreSQL database (`<name>_gw0`, …), search index and upload folder.
"""
import os
import re
import time

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from marketplace import create_app
from marketplace.extensions import db

from . import factories

# Hypothesis: no per-example deadline (a loaded machine or a busy neighbouring xdist worker made a money test
# fail on its 200 ms deadline), derandomized so that a run is reproducible and never flaky, and no example
# database. `HYPOTHESIS_PROFILE=dev` explores new random examples on each run (still without deadlines).
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# A cheap hash for the many users the tests create (a scrypt hash costs ≈ 80 ms of CPU, at every login too).
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"


def _worker_database(url: str) -> str:
    """Under pytest-xdist, a database of this worker's own (`<name>_gw0`) on the same server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    u = make_url(url)
    name = f"{u.database}_{worker}"
    engine = create_engine(u, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(20):  # CREATE DATABASE copies template1: two at once may find it busy
            try:
                with engine.connect() as conn:
                    found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
                    if not found.scalar():
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                break
            except Exception:
                if attempt == 19:
                    raise
                time.sleep(0.25)
    finally:
        engine.dispose()
    return u.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)  # per xdist worker too (each has its own basetemp)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.db'}"
    else:
        url = _worker_database(os.environ["TEST_DATABASE_URL"])
    os.environ["DATABASE_URL"] = url
    os.environ["SEARCH_INDEX_DIR"] = str(tmp / "search-index")
    os.environ.setdefault("SECRET_KEY", "test-secret")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(tmp / "uploads"),
                      "SERVER_NAME": None, "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH})
    app.config["BACKEND"] = request.param
    with app.app_context():
        if request.param == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        from flask_migrate import upgrade
        upgrade(directory=os.path.join(app.root_path, "..", "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _holding_rows(conn, tables) -> set[str]:
    """One query: the tables that hold a row. Rows written by subprocesses and threads count too, unlike an event
    on our engine."""
    query = "SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {name})" for name in tables)
    return {name for name, held in zip(tables, conn.execute(text(query)).one()) if held}


def _used_sequences(conn) -> list[str]:
    """PostgreSQL: the sequences read since they were last reset (a reset one has no last_value)."""
    return list(conn.execute(text("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences "
                                  "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars())


_NO_DELETE_SQL = """SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND (t.tgtype & 8) <> 0"""
_no_delete: dict = {}  # database URL → tables whose triggers refuse a DELETE (the append-only commission ledger)


def _empty_tables_of(conn, tables, backend) -> None:
    """Delete the rows of the tables that hold some (children first) and, on PostgreSQL, reset the sequences
    used, so that ids start at 1 again as after TRUNCATE … RESTART IDENTITY. Measured on PostgreSQL: a TRUNCATE
    of all 72 tables cost 70–250 ms a test (it cascades through every foreign key), the probe of which tables hold
    rows 3.5–8 ms. Tables that refuse a DELETE (an append-only trigger) are truncated; a DELETE the database still
    refuses falls back to the TRUNCATE of every table."""
    held = _holding_rows(conn, tables)
    postgres = backend == "postgresql"
    sequences = _used_sequences(conn) if postgres else []
    if not held and not sequences:
        return
    if postgres:
        url = str(conn.engine.url)
        if url not in _no_delete:
            _no_delete[url] = set(conn.execute(text(_NO_DELETE_SQL)).scalars())
        protected = held & _no_delete[url]
    else:
        protected = set()

    def delete():
        if protected:
            conn.execute(text("TRUNCATE " + ", ".join(sorted(protected)) + " CASCADE"))
        for name in reversed(tables):
            if name in held and name not in protected:
                conn.execute(text(f"DELETE FROM {name}"))

    if not postgres:
        delete()
        return
    try:
        with conn.begin_nested():
            delete()
    except DBAPIError:
        conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        return
    for name in sequences:
        conn.execute(text("SELECT setval(CAST(:name AS regclass), 1, false)"), {"name": name})


def _index_signature(be):
    """What a Whoosh index looks like on disk (its generation and files); "missing" before the first use;
    None for other backends (always cleared)."""
    current = getattr(be, "current", None)
    if current is None:
        return None
    try:
        path = current.resolve(strict=True)
        return str(path), frozenset(os.listdir(path))
    except OSError:
        return "missing"


def empty_database(app, force_index: bool = False) -> None:
    """Empty every table that holds rows, and the search index if it changed since it was last emptied
    (always with `force_index`)."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            _empty_tables_of(conn, tables, app.config["BACKEND"])
        # what the matcher derived from the rows just removed (learnt pairs, the site's graph links,
        # frequencies, profiles, the fingerprint) is forgotten too: else the next test reads a previous
        # test's until each cache's own recheck, which may fall between two computations that must agree
        from marketplace.matching import knowledge, learning, service, store
        knowledge.invalidate()
        learning.invalidate()
        service.reset_caches()
        store.reset_fingerprint_cache()
        from marketplace.searching.sync import backend
        be = backend()
        sig = _index_signature(be)  # a Whoosh commit always writes a new table of contents: a new file name
        if force_index or sig is None or (sig != "missing" and sig != app.config.get("_TEST_EMPTY_INDEX")):
            be.clear()
            app.config["_TEST_EMPTY_INDEX"] = _index_signature(be)


@pytest.fixture(autouse=True)
def _empty_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    empty_database(request.getfixturevalue("app"))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def f(ctx):
    """Factory helpers bound to the app context."""
    return factories


def login(client, user, password=factories.PASSWORD):
    resp = client.post("/login", data={"email": user.email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


# The browser flows' fixtures (a live server, a headless Chromium), shared by every module with browser tests.
from .test_browser import browser, live  # noqa: E402,F401
