"""Background work on a Huey task queue, run by the worker process (`flask imports worker`, which `make run`
starts), never by threads of the web process:

- imports (run_import) and the sweep of stuck or stale import jobs every 5 minutes;
- match pushes (push_matches): a published record's strong matches told to both sides;
- e-mails (deliver_emails): the stored outbox sent over SMTP when MAIL_SERVER is set, and every minute the
  rows a lost message left;
- the daily jobs, as periodic tasks (no crontab to remember): payment and trial reminders (`flask transfer
  remind`), the 先用后转 scan (`flask transfer scan`) and the expiry of overdue demands (`flask demands
  expire`); their times are Beijing time (see `beijing()`), the queue itself counts in UTC;
- the stored matches' tasks (marketplace/matching/tasks.py) on this same queue, and the search index rebuilt in the
  background after a deploy that changed how text is cut (marketplace/searching/tasks.py).

Huey keeps its queue in SQLite (instance/huey.db) with no server to run, or in Redis when the site spans
machines (HUEY_BACKEND=redis, REDIS_URL). A consumer runs the tasks: `flask imports worker` or
`huey_consumer marketplace.tasks.huey -w 2`. Tasks receive ids only and read everything else from the
database; each consumer process creates the Flask app once. The web process only enqueues (after its commit)
and never waits for a result.
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
        # Outgoing mail (the e-mail outbox): nothing is sent, and rows stay stored, while MAIL_SERVER is empty.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0") in ("1", "true", "yes"),
        "MAIL_USE_SSL": os.environ.get("MAIL_USE_SSL", "0") in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "noreply@localhost"),
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


def beijing(hour: int, minute: int = 0):
    """A daily crontab at this Beijing time (UTC+8, no daylight saving); Huey's clock is UTC."""
    return crontab(minute=str(minute), hour=str((hour - 8) % 24))


def _in_app(fn):
    """Run fn() in the task's app context; a failure rolls the session back and is raised (Huey retries)."""
    from .extensions import db
    with _task_app().app_context():
        try:
            return fn()
        except Exception:
            db.session.rollback()
            raise


# Match pushes -------------------------------------------------------------------------------------------

@huey.task(retries=2, retry_delay=60)
def push_matches():
    """Push the strong matches of the records queued in match_push_queue (each pair once; daily caps)."""
    from .matching.push import process_queue
    return _in_app(lambda: process_queue(limit=500))


def enqueue_push() -> None:
    """After a commit that queued a published record (matching.push.enqueue): hand the push to the worker."""
    push_matches()


# E-mails ------------------------------------------------------------------------------------------------

def deliver_outbox(limit: int = 200) -> int:
    """Send the unsent rows of email_outbox over SMTP (MAIL_SERVER); returns how many went out.

    Each row is claimed with a conditional update (sent_at set where it is still empty) so two consumers
    never send one message twice; a message the server refuses gets its claim back for the next run."""
    import smtplib
    from email.message import EmailMessage as Mail
    from email.utils import make_msgid

    from .extensions import db
    from .notifications.models import EmailMessage
    from .core.models import utcnow
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return 0
    ids = db.session.scalars(db.select(EmailMessage.id).where(EmailMessage.sent_at.is_(None))
                             .order_by(EmailMessage.id).limit(limit)).all()
    db.session.rollback()
    if not ids:
        return 0
    smtp_class = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    sent = 0
    with smtp_class(cfg["MAIL_SERVER"], cfg.get("MAIL_PORT", 25), timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
        for mid in ids:
            claimed = db.session.execute(db.update(EmailMessage).where(
                EmailMessage.id == mid, EmailMessage.sent_at.is_(None)).values(sent_at=utcnow())).rowcount
            db.session.commit()
            if not claimed:
                continue  # another consumer has it
            row = db.session.get(EmailMessage, mid)
            mail = Mail()
            mail["From"], mail["To"], mail["Subject"] = cfg["MAIL_FROM"], row.to_email, row.subject
            mail["Message-ID"] = make_msgid()
            mail.set_content(row.body)
            try:
                smtp.send_message(mail)
            except Exception:
                db.session.rollback()
                db.session.execute(db.update(EmailMessage).where(EmailMessage.id == mid).values(sent_at=None))
                db.session.commit()
                raise
            sent += 1
    return sent


@huey.task(retries=3, retry_delay=120)
def deliver_emails():
    return _in_app(deliver_outbox)


@huey.periodic_task(crontab(minute="*"))
def deliver_emails_periodic():
    """Every minute: what a lost message or an SMTP failure left in the outbox."""
    return _in_app(deliver_outbox)


def enqueue_emails() -> None:
    """After a commit that stored e-mails: have the worker send them (only when a mail server is set)."""
    if current_app.config.get("MAIL_SERVER"):
        deliver_emails()


# The daily jobs -----------------------------------------------------------------------------------------

def _today():
    """Today in Beijing (the jobs run at Beijing times on servers that may keep UTC)."""
    from datetime import datetime, timedelta, timezone
    return datetime.now(timezone(timedelta(hours=8))).date()


@huey.periodic_task(beijing(8, 30))
def transfer_remind():
    """`flask transfer remind`: payment reminders before and after due dates, trial-end reminders."""
    from .contracts.services import send_reminders
    from .core import uow
    from .usefirst.services import remind_trials

    def run():
        day = _today()
        sent = send_reminders(day)
        trials = remind_trials(day)
        uow.commit()
        return {**sent, "trials": trials}
    return _in_app(run)


@huey.periodic_task(beijing(2, 10))
def transfer_scan():
    """`flask transfer scan`: the achievements that must go on the 先用后转 list."""
    from .core import uow
    from .usefirst.services import scan

    def run():
        out = scan(_today())
        uow.commit()
        return {"candidates": len(out["candidates"]), "new": out["new"]}
    return _in_app(run)


@huey.periodic_task(beijing(0, 5))
def demands_expire():
    """`flask demands expire`: published demands past their deadline become expired."""
    from .core import uow
    from .core.listings import LIBRARIES, expire_overdue
    from .searching.sync import try_apply

    def run():
        n = expire_overdue(LIBRARIES["demands"], _today())
        uow.commit()
        try_apply(lock_timeout=60)
        return n
    return _in_app(run)


@huey.periodic_task(beijing(0, 10))
def challenges_close_due():
    """`flask challenges close-due`: published 揭榜挂帅 challenges past their deadline stop taking applications."""
    from .challenges.services import close_due
    from .core import uow

    def run():
        n = close_due(_today())
        uow.commit()
        return n
    return _in_app(run)


# The schedule of the periodic tasks, as documented (tests check the tasks keep it).
SCHEDULE = {"sweep_imports": "every 5 minutes", "sweep_matches": "every 5 minutes",
            "deliver_emails_periodic": "every minute", "transfer_remind": "daily 08:30 Beijing time",
            "transfer_scan": "daily 02:10 Beijing time", "demands_expire": "daily 00:05 Beijing time",
            "challenges_close_due": "daily 00:10 Beijing time", "reindex_when_outdated": "every 5 minutes"}


from .matching import tasks as _matching_tasks  # noqa: E402,F401  (stored matches' tasks, on this same queue)
from .searching import tasks as _searching_tasks  # noqa: E402,F401  (the index rebuilt after an analysis change)
