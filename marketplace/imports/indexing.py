"""Bringing the search index up to date WHILE an import writes its rows (issue 14).

The rows phase runs on one core (the importer in Python, plus the database server); the index phase (jieba in
the Whoosh backend's two sub-writer processes) used to start only once every row was written, so an import took
rows + index. `IndexFollower` forks a child process when the import starts; the child applies the search outbox
(`searching.sync.apply_pending`, the same code as `flask search sync`) in rounds as the importer commits its
batches, so the two phases overlap and the end-to-end time approaches max(rows, index) on two cores.

Consistency is the outbox's: the importer writes a record's outbox row in the record's own transaction, the
child only ever sees committed rows (it reads them, and the records, in transactions of its own, under the index
write lock), and an outbox row is deleted only after the index commit that covered it. A batch rolled back never
reaches the index; a child that fails or is stopped leaves its rows pending for the caller's final
`apply_pending` (or `flask search sync`).

`stop()` asks the child to finish the round it is in and waits for it; the caller then applies what is left
(with its own progress line). Forked, not spawned: the child inherits the app, jieba's dictionaries and the
imported modules; it forgets the parent's database connections (never closing them) and opens its own.
"""
import logging
import multiprocessing
import os
import resource
import time

log = logging.getLogger(__name__)

MIN_ROUND = 2000      # outbox rows pending before the child starts a round (fewer, larger rounds: fewer segments)
ROUND_LIMIT = 10000   # outbox rows per round at most (sync.BULK_LIMIT)
POLL_SECONDS = 0.25


def _child(app, stop, applied, cpu, min_round: int, round_limit: int, parent: int) -> None:  # pragma: no cover
    from sqlalchemy import func, select

    from ..extensions import db
    from ..searching import sync
    from ..searching.models import SearchOutbox
    code = 0
    try:
        app.extensions.pop("search_backend", None)  # our own backend object (locks, searchers), not the parent's
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)  # the parent's connections stay the parent's
            while not stop.is_set() and os.getppid() == parent:
                pending = db.session.scalar(select(func.count()).select_from(
                    select(SearchOutbox.id).limit(min_round).subquery()))
                db.session.rollback()
                if pending < min_round:
                    time.sleep(POLL_SECONDS)
                    continue
                n = sync.apply_pending(lock_timeout=60, bulk_limit=round_limit, rounds=1)
                with applied.get_lock():
                    applied.value += n
            db.session.remove()
    except BaseException:  # the rows stay in the outbox; the caller applies them
        log.exception("search index follower failed; the outbox rows stay pending")
        code = 1
    finally:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.value = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
        logging.shutdown()
        os._exit(code)  # no atexit handlers, no finalisers of objects inherited from the parent


class IndexFollower:
    """A child process applying the search outbox while the import runs (see the module's docstring)."""

    def __init__(self, app, min_round: int = MIN_ROUND, round_limit: int = ROUND_LIMIT):
        self.app, self.min_round, self.round_limit = app, min_round, round_limit
        self.proc = None
        self.exitcode = None
        ctx = multiprocessing.get_context("fork")
        self._ctx = ctx
        self._stop = ctx.Event()
        self._applied = ctx.Value("q", 0)
        self._cpu = ctx.Value("d", 0.0)

    @property
    def applied(self) -> int:
        """Outbox rows the child has applied (and deleted) so far."""
        return self._applied.value

    @property
    def cpu_seconds(self) -> float:
        """CPU (user + system) of the child and its sub-writers, once it has stopped (for the benchmark)."""
        return self._cpu.value

    def start(self) -> "IndexFollower":
        from search import analysis
        try:
            analysis.tokenizer()  # jieba's dictionaries loaded once, here: the child and its sub-writers inherit them
        except Exception:  # the child loads them itself
            log.debug("jieba not preloaded", exc_info=True)
        self.proc = self._ctx.Process(target=_child, args=(self.app, self._stop, self._applied, self._cpu, self.min_round,
                                                           self.round_limit, os.getpid()))
        # not a daemon: daemonic processes may not have children (the index's sub-writers); it stops when told
        # to, when the parent is gone (it checks), or with the parent's process group (Ctrl-C)
        self.proc.start()
        return self

    def stop(self, timeout: float | None = None) -> int:
        """Let the child finish its current round, wait for it; returns the rows it applied. What is still pending
        is the caller's to apply."""
        if self.proc is None:
            return 0
        self._stop.set()
        self.proc.join(timeout)
        if self.proc.is_alive():  # only with a timeout (an interrupted import): do not wait for the round
            self.proc.terminate()
            self.proc.join()
        self.exitcode = self.proc.exitcode
        self.proc = None
        return self.applied

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop(None if exc_type is None else 60)
        return False


def follow(app=None, **kw) -> IndexFollower:
    """An IndexFollower for the current app, started."""
    if app is None:
        from flask import current_app
        app = current_app._get_current_object()
    return IndexFollower(app, **kw).start()
