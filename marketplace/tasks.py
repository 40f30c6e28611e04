"""Background work on a Huey task queue: import jobs and the periodic sweep of stuck or stale jobs.

Huey keeps its queue in SQLite (instance/huey.db) with no server to run, or in Redis when the site spans
machines (HUEY_BACKEND=redis, REDIS_URL). A consumer runs the tasks: `flask imports worker` (what
`make run` starts) or `huey_consumer marketplace.tasks.huey -w 2`. Tasks receive ids only and read
everything else from the database; each consumer process creates the Flask app once.
In tests (app.testing) Huey runs in immediate mode: a task runs synchronously when it is enqueued,
through the same code path, and nothing is left in a queue or a thread.
"""
import os
import threading

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

STORAGES = {"sqlite": SqliteStorage, "redis": RedisStorage, "memory": MemoryStorage}


def default_config(instance_path: str) -> dict:
    return {
        "HUEY_BACKEND": os.environ.get("HUEY_BACKEND", "sqlite"),
        "HUEY_SQLITE_FILE": os.environ.get("HUEY_SQLITE_FILE") or os.path.join(instance_path, "huey.db"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
    }


def configure(config) -> None:
    """Point the queue at the configured storage (the consumer and the web process must agree)."""
    backend = config["HUEY_BACKEND"]
    if backend not in STORAGES:
        raise ValueError(f"HUEY_BACKEND must be one of {', '.join(STORAGES)}, not {backend!r}")
    kwargs = {}
    if backend == "sqlite":
        os.makedirs(os.path.dirname(os.path.abspath(config["HUEY_SQLITE_FILE"])), exist_ok=True)
        kwargs = {"filename": config["HUEY_SQLITE_FILE"]}
    elif backend == "redis":
        kwargs = {"url": config["REDIS_URL"]}
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    if (huey.storage_class, huey.storage_kwargs, huey.immediate) == (STORAGES[backend], kwargs, immediate):
        return
    huey.storage_class, huey.storage_kwargs = STORAGES[backend], kwargs
    if huey.immediate != immediate:
        huey.immediate = immediate  # the setter rebuilds the storage (in memory when immediate)
    else:
        huey.storage = huey.create_storage()


# Built from the environment at import, so that `huey_consumer marketplace.tasks.huey` finds the same
# queue as the web process (whose create_app() calls init_app below with the same settings).
huey = Huey("marketplace", results=False, storage_class=MemoryStorage)
configure(default_config(Flask("marketplace").instance_path))

_app = None
_app_lock = threading.Lock()


def init_app(app) -> None:
    for key, value in default_config(app.instance_path).items():
        app.config.setdefault(key, value)
    app.config.setdefault("HUEY_IMMEDIATE", app.testing)
    configure(app.config)


def use_app(app) -> None:
    """The app the tasks of this process run in (the `flask imports worker` command passes its own)."""
    global _app
    _app = app


def _task_app():
    """The current app when a task runs inside one (immediate mode), else the process's app, made once."""
    global _app
    if has_app_context():
        return current_app._get_current_object()
    with _app_lock:
        if _app is None:
            from . import create_app
            _app = create_app()
    return _app


# Crash retries: a retried run re-imports the file, and rows are matched by (source, ref), so nothing is
# duplicated. imports.jobs decides per failure whether a retry makes sense (an unreadable file does not).
@huey.task(retries=2, retry_delay=30, context=True)
def run_import(job_id: int, task=None):
    from .imports import jobs
    with _task_app().app_context():
        jobs.run(job_id, last_try=task is None or not task.retries)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_imports():
    from .imports import jobs
    with _task_app().app_context():
        jobs.sweep()
