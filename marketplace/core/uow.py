"""Unit of work: operations registered while a request (or a job) works, run once its commit succeeded.

Services flush and never commit; what must only happen after the data is durable (apply the search
outbox, process match pushes, enqueue a background job) is registered with `after_commit`. The request
pipeline (core.web.Pipeline) calls `commit()` once at the end of a successful request, `rollback()`
otherwise; work outside a request (a CLI command, a task) may do the same.
"""
from flask import current_app

from ..extensions import db

_KEY = "after_commit"


def _ops(session=None) -> list:
    return (session if session is not None else db.session).info.setdefault(_KEY, [])


def after_commit(fn, key=None, order: int = 50, session=None) -> None:
    """Run `fn()` after the next successful commit. Operations with the same `key` are registered once;
    they run by `order` (lower first), then in registration order."""
    ops = _ops(session)
    if key is not None and any(k == key for _, k, _ in ops):
        return
    ops.append((order, key, fn))


def mark() -> int:
    """A position in the registered operations, for `forget_since` (a savepoint that is rolled back)."""
    return len(_ops())


def forget_since(position: int) -> None:
    del _ops()[position:]


def discard() -> None:
    """Forget every registered operation (a new request, or a rollback)."""
    db.session.info.pop(_KEY, None)


def run_after_commit() -> None:
    """Run (and forget) the registered operations. An operation that fails is logged: the commit stands,
    and the durable outbox tables let a later run catch up."""
    for _, _, fn in sorted(db.session.info.pop(_KEY, None) or [], key=lambda op: op[0]):
        try:
            fn()
        except Exception:  # noqa: BLE001
            db.session.rollback()  # the failed operation's own writes only; the unit of work is committed
            current_app.logger.exception("after-commit operation %r failed", fn)


def commit() -> None:
    """The one commit of a unit of work, then its after-commit operations."""
    db.session.commit()
    run_after_commit()


def rollback() -> None:
    db.session.rollback()
    discard()
