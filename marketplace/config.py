"""Configuration read from environment variables (documented in README.md)."""
import json
import os
import secrets
from functools import partial
from pathlib import Path

# How JSON columns are written (the engine's serializer, and core/pgcopy.py's COPY): Chinese kept as UTF-8.
json_dumps = partial(json.dumps, ensure_ascii=False)


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: str) -> dict:
    ipath = Path(instance_path)
    ipath.mkdir(parents=True, exist_ok=True)
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{ipath / 'marketplace.db'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the psycopg 3 driver named.
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    # JSON columns (a stored match's reasons, audit details, ...) keep Chinese as UTF-8, not as \uXXXX escapes
    # (a stored match row's reasons and terms: 705 bytes escaped, 389 as UTF-8, on the 100,000-achievement bench)
    engine_options = {"pool_pre_ping": True, "json_serializer": json_dumps}
    if db_url.startswith("sqlite"):
        # Several threads of the dev server (and the browser tests) share the file.
        engine_options["connect_args"] = {"timeout": 30}
    return {
        "SECRET_KEY": _secret_key(ipath),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND", "whoosh"),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(ipath / "search-index")),
        "ELASTICSEARCH_URL": os.environ.get("ELASTICSEARCH_URL", ""),
        "ELASTICSEARCH_INDEX": os.environ.get("ELASTICSEARCH_INDEX", "marketplace"),
        # A default 8.x/9.x install has security on: HTTPS with its own CA and an API key or a password.
        "ELASTICSEARCH_API_KEY": os.environ.get("ELASTICSEARCH_API_KEY", ""),
        "ELASTICSEARCH_USERNAME": os.environ.get("ELASTICSEARCH_USERNAME", ""),
        "ELASTICSEARCH_PASSWORD": os.environ.get("ELASTICSEARCH_PASSWORD", ""),
        "ELASTICSEARCH_CA_CERTS": os.environ.get("ELASTICSEARCH_CA_CERTS", ""),
        "ELASTICSEARCH_VERIFY_CERTS": os.environ.get("ELASTICSEARCH_VERIFY_CERTS", "1") not in ("0", "false", "no"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(ipath / "uploads")),
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:5000"),  # links in pushed e-mails
        "MATCH_PUSH_DAILY_CAP": int(os.environ.get("MATCH_PUSH_DAILY_CAP", "20")),
        "USEFIRST_PUBLICITY_DAYS": int(os.environ.get("USEFIRST_PUBLICITY_DAYS", "15")),
        "USEFIRST_TRIAL_MONTHS": int(os.environ.get("USEFIRST_TRIAL_MONTHS", "12")),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # uploads: Excel files of a few thousand rows
        "WTF_CSRF_TIME_LIMIT": None,
        # werkzeug's method string; the tests use "pbkdf2:sha256:1" (a scrypt hash costs ≈ 50-100 ms of CPU).
        "PASSWORD_HASH_METHOD": "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PER_PAGE": 20,
        "JSON_SORT_KEYS": False,
    }
