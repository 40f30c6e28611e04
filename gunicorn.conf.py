"""Production serving: `gunicorn -c gunicorn.conf.py wsgi:app` (see docs/notes/serving.md).

Workers × threads were chosen by measurement on the 2-core machine (benchmarks/serving_bench.py): the work
is mostly Python (templates, SQLAlchemy), so one worker process per core, and 8 threads
each to overlap database and index I/O. Override with WEB_WORKERS / WEB_THREADS.

The app is preloaded in the master (imports, templates, jieba's dictionaries: shared copy-on-write by the
workers), but the search index is opened by each worker after the fork (Whoosh readers hold file positions
that must not be shared between processes) and warmed before the worker takes its first request, so a new
or recycled worker answers its first search and match page at once. Writers of the index (the outbox
applied after a commit, the task worker, imports) take the index's flock: one writer at a time, readers in
every worker see the new generation within a second.
"""
import os

bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
worker_class = "gthread"
preload_app = os.environ.get("WEB_PRELOAD", "1") not in ("0", "false", "no")
# Recycle workers now and then (bounded memory); the warm-up makes the replacement's first request fast.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")


def _app(worker):
    app = getattr(worker, "wsgi", None)
    return app if hasattr(app, "app_context") else None


def on_starting(server):
    """In the master, before the app is loaded: jieba's dictionaries once, shared by every worker."""
    if os.environ.get("WEB_WARM", "1") not in ("0", "false", "no"):
        from search import analysis
        analysis.tokenizer()


def when_ready(server):
    """In the master, once, before the workers are forked: fresh query-planner statistics on SQLite
    (WEB_ANALYZE=0: not). PostgreSQL's autovacuum keeps its own."""
    if os.environ.get("WEB_ANALYZE", "1") in ("0", "false", "no") or not server.cfg.preload_app:
        return
    try:
        app = server.app.wsgi()
        if hasattr(app, "app_context") and analyze_sqlite(app):
            server.log.info("SQLite planner statistics refreshed (ANALYZE)")
    except Exception:  # the site serves without statistics, only some queries are slower
        server.log.exception("ANALYZE failed")


def analyze_sqlite(app) -> bool:
    """SQLite plans joins from sqlite_stat1; without it (nobody ran ANALYZE: a new or freshly imported
    database) it guesses, e.g. the workbench's count of unanswered strong matches scanned every stored match
    of one direction (12 ms on the demo data) instead of starting from the organisation's records (0.2 ms).
    analysis_limit keeps it to a few tens of milliseconds however large the tables. Answers change nothing,
    only plans. The master's connection is closed afterwards (nothing inherited by the workers)."""
    from marketplace.extensions import db
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return False
        try:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        finally:
            db.engine.dispose()
    return True


def post_worker_init(worker):
    """Before this worker's first request: drop database connections inherited from the master, then open and
    warm its search index and the matching dictionaries (WEB_WARM=0: not, to measure the difference)."""
    import time
    app = _app(worker)
    if app is None:
        return
    from marketplace.extensions import db
    with app.app_context():
        db.engine.dispose(close=False)  # connections opened in the master (preload) stay the master's
    if os.environ.get("WEB_WARM", "1") in ("0", "false", "no"):
        return
    started = time.perf_counter()
    try:
        with app.app_context():
            from marketplace.searching import sync
            search_s = sync.warm()
            from marketplace.matching import knowledge, service
            service.generic_words()
            knowledge.graph()
            from marketplace.extensions import db
            db.session.remove()
        pages = _warm_pages(app)
        worker.log.info("worker %s warm in %.2fs (search index %.2fs, %d pages)", worker.pid,
                        time.perf_counter() - started, search_s, pages)
    except Exception:  # noqa: BLE001 — a worker that could not warm up still serves (slower first request)
        worker.log.exception("warm-up failed; the first request will open the index")


WARM_PAGES = ("/", "/search?q=%E6%8A%80%E6%9C%AF", "/achievements/", "/demands/", "/services/")


def _warm_pages(app) -> int:
    """Render the common pages once through the whole pipeline (templates compiled, SQL statements cached,
    first-use imports done) so that the first visitor does not pay for it. Read-only pages, no session."""
    done = 0
    client = app.test_client()
    paths = list(WARM_PAGES)
    for library in ("demands", "achievements"):
        resp = client.get(f"/api/v1/{library}?per_page=1")
        items = (resp.get_json(silent=True) or {}).get("items") or []
        if items:
            paths += [f"/{library}/{items[0]['id']}", f"/api/v1/{library}/{items[0]['id']}/matches"]
    for path in paths:
        done += client.get(path).status_code == 200
    return done
