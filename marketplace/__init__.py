"""The Jiangxi technology-transfer marketplace: application factory."""
from flask import Flask

from .config import load_config
from .extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
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
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import models  # noqa: F401  (registers every table on db.metadata)
    from .searching import outbox  # noqa: F401  (outbox rows written with every indexed change)
    from .matching import push  # noqa: F401  (queues two-way pushes when a record is published)
    from .core import web
    from .accounts import views as accounts_views
    from .achievements import views as achievements_views
    from .demands import views as demands_views
    from .resources import views as resources_views
    from .imports import views as imports_views
    from .admin import views as admin_views
    from .searching import views as searching_views
    from .matching import views as matching_views
    from .brokers import views as brokers_views
    from .usefirst import views as usefirst_views
    from .contracts import views as contracts_views
    from .api import blueprint as api_blueprint
    from .cli import register_cli

    web.init_app(app)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(achievements_views.bp)
    app.register_blueprint(demands_views.bp)
    app.register_blueprint(resources_views.bp)
    app.register_blueprint(imports_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(searching_views.bp)
    app.register_blueprint(matching_views.bp)
    app.register_blueprint(brokers_views.bp)
    app.register_blueprint(usefirst_views.bp)
    app.register_blueprint(contracts_views.bp)
    app.register_blueprint(api_blueprint.bp)
    register_cli(app)
    return app
