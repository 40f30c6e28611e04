"""Fixtures: the app on SQLite and (when TEST_DATABASE_URL is set, as `make test` does) on PostgreSQL.

The schema is built by the Alembic migrations, not create_all(), so every run also proves that
`flask db upgrade` works on both databases. Tables are emptied after each test.
"""
import os
import re

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db

from . import factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.db'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
    os.environ["DATABASE_URL"] = url
    os.environ["SEARCH_INDEX_DIR"] = str(tmp / "search-index")
    os.environ.setdefault("SECRET_KEY", "test-secret")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(tmp / "uploads"),
                      "SERVER_NAME": None})
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


@pytest.fixture(autouse=True)
def _empty_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if app.config["BACKEND"] == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f"DELETE FROM {name}"))
        from marketplace.searching.sync import backend
        backend().clear()


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
