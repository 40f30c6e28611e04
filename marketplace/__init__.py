"""The Jiangxi technology-transfer marketplace: application factory."""
from flask import Flask

from .config import load_config
from .core.web import Pipeline
from .extensions import batch_bulk_inserts, csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Pipeline(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)
    batch_bulk_inserts(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from .core import security
    security.init_app(app)  # login throttling, security headers and cookies

    from . import models  # noqa: F401  (registers every table on db.metadata)
    from .searching import outbox  # noqa: F401  (outbox rows written with every indexed change)
    from .matching import push  # noqa: F401  (queues two-way pushes when a record is published)
    from .core import web
    from .accounts import auth  # noqa: F401  (session and API-token user loaders)
    from .api import blueprint as api_blueprint
    from .cli import register_cli

    web.init_app(app)
    # Each domain's views module has `bp` (its pages) and may have `api` (its JSON endpoints, nested
    # under /api/v1 so that they pass the API's checks). A new domain is added to DOMAINS.
    for module in _domain_views():
        app.register_blueprint(module.bp)
        child = getattr(module, "api", None)
        if child is not None and child.name not in {b.name for b, _ in api_blueprint.bp._blueprints}:
            api_blueprint.bp.register_blueprint(child)
    app.register_blueprint(api_blueprint.bp)
    register_cli(app)
    return app


DOMAINS = ("accounts", "achievements", "demands", "resources", "imports", "admin", "searching", "matching",
           "brokers", "usefirst", "contracts", "notifications", "stats",
           "commissions", "challenges", "events", "bookings", "site", "home")


def _domain_views():
    """Each domain's views module; importing a domain's `receivers` module (if any) connects its signal
    receivers (how 先用后转 hears that a licence was registered)."""
    from importlib import import_module
    from importlib.util import find_spec
    for name in DOMAINS:
        if find_spec(f"{__name__}.{name}.receivers") is not None:
            import_module(f".{name}.receivers", __name__)
    return [import_module(f".{name}.views", __name__) for name in DOMAINS]
