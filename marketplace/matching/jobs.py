"""Background work of the stored matches on the Huey queue: the refresh queue (records changed) and rebuilds
(everything again, after a dictionary or weights change or on `flask match rebuild`), resumable from a cursor.

A rebuild run is a row of `match_rebuilds`: queued → running → done | failed. Whoever runs it (the worker, or
the command in the foreground) claims it with a conditional update, then works in batches, each committed
with the cursor (the last type and id done), the count and the time spent, so a killed run resumes where it
stopped. A run that stops sending heartbeats for STALE_MINUTES may be taken over.
"""
import logging
import time
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core import uow
from ..core.models import utcnow
from ..extensions import db
from . import store
from .models import MatchList, MatchRebuild, MatchRefresh, StoredMatch

log = logging.getLogger(__name__)

TYPES = ("demand", "achievement")
STALE_MINUTES = 10
SNAPSHOT = 500


# The refresh queue -------------------------------------------------------------------------------------

def kick() -> None:
    """Have the queue processed: a Huey task (immediate in tests, the worker otherwise)."""
    from .tasks import refresh_matches
    refresh_matches()


def process_queue(max_records: int | None = None) -> int:
    """Recompute the queued records, each in its own transaction (the queue rows go with the result). A
    record whose computation fails keeps its rows for the next run. Returns how many were done."""
    done, failed = 0, set()
    while max_records is None or done < max_records:
        rows = db.session.execute(select(MatchRefresh.id, MatchRefresh.entity_type, MatchRefresh.entity_id,
                                         MatchRefresh.propagate).order_by(MatchRefresh.id).limit(SNAPSHOT)).all()
        groups: dict = {}
        for rid, etype, eid, propagate in rows:
            if (etype, eid) in failed:
                continue
            ids, prop = groups.get((etype, eid), ([], False))
            groups[(etype, eid)] = (ids + [rid], prop or propagate)
        if not groups:
            break
        for (etype, eid), (ids, propagate) in groups.items():
            try:
                store.refresh(etype, eid, propagate=propagate, kick=False)
                db.session.execute(delete(MatchRefresh).where(MatchRefresh.id.in_(ids))
                                   .execution_options(synchronize_session=False))
                db.session.commit()
                uow.discard()
                done += 1
            except IntegrityError:  # another worker wrote the same list at the same time: it stands
                db.session.rollback()
                uow.discard()
                db.session.execute(delete(MatchRefresh).where(MatchRefresh.id.in_(ids)))
                db.session.commit()
            except Exception:  # noqa: BLE001 — kept for the next run
                db.session.rollback()
                uow.discard()
                failed.add((etype, eid))
                log.warning("stored matches of %s %s not computed now", etype, eid, exc_info=True)
            if max_records is not None and done >= max_records:
                break
    return done


# Rebuilds ------------------------------------------------------------------------------------------------

def _published(etype: str):
    return store.model(etype).status == "published"


def _count(scope: str) -> int:
    return sum(db.session.scalar(select(func.count()).select_from(store.model(t)).where(_published(t)))
               for t in _types(scope))


def _types(scope: str) -> tuple:
    return TYPES if scope == "all" else (scope,)


def active_run(scope: str | None = None) -> MatchRebuild | None:
    stmt = select(MatchRebuild).where(MatchRebuild.status.in_(("queued", "running")))
    if scope:
        stmt = stmt.where(MatchRebuild.scope == scope)
    return db.session.execute(stmt.order_by(MatchRebuild.id.desc()).limit(1)).scalar()


def new_run(scope: str = "all", batch: int = 100, reason: str = "command") -> MatchRebuild:
    run = MatchRebuild(scope=scope, batch=batch, reason=reason, fingerprint=store.fingerprint(), status="queued",
                       total=_count(scope), cursor_type=_types(scope)[0], cursor_id=0)
    db.session.add(run)
    db.session.flush()
    return run


def schedule_rebuild(reason: str = "fingerprint", scope: str = "all", batch: int = 100) -> MatchRebuild:
    """A rebuild in the background (after the commit), unless one is already queued or running."""
    run = active_run("all") or active_run(scope)
    if run is None:
        run = new_run(scope, batch, reason)
    run_id = run.id
    uow.after_commit(lambda: enqueue_rebuild(run_id), key=f"match-rebuild-{run_id}", order=60)
    return run


def enqueue_rebuild(run_id: int) -> None:
    from .tasks import rebuild_matches
    rebuild_matches(run_id)


def _claim(run_id: int) -> bool:
    """queued → running, or take over a running run whose heartbeat stopped."""
    stale = utcnow() - timedelta(minutes=STALE_MINUTES)
    ok = db.session.execute(
        update(MatchRebuild).where(MatchRebuild.id == run_id, or_(
            MatchRebuild.status == "queued",
            (MatchRebuild.status == "running") & (MatchRebuild.updated_at < stale)))
        .values(status="running", updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return ok


def progress(run: MatchRebuild) -> dict:
    rate = run.done / run.seconds if run.seconds > 0 else 0.0
    left = (run.total - run.done) / rate if rate > 0 else None
    return {"id": run.id, "status": run.status, "scope": run.scope, "done": run.done, "total": run.total,
            "rate": round(rate, 1), "seconds_left": None if left is None else round(max(left, 0.0)),
            "seconds": round(run.seconds, 1)}


def describe(p: dict) -> str:
    left = p["seconds_left"]
    left_text = "—" if left is None else (f"{left // 60}分{left % 60:02d}秒" if left >= 60 else f"{left}秒")
    status = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}.get(p["status"], p["status"])
    return (f"重建 #{p['id']} {status}：{p['done']}/{p['total']} 条，{p['rate']} 条/秒，"
            f"预计剩余 {left_text}")


def run_rebuild(run_id: int, on_progress=None, claim: bool = True) -> MatchRebuild | None:
    """Work through the run from its cursor, in batches, committing each with its progress."""
    if claim and not _claim(run_id):
        return None  # someone else has it, or it is finished
    run = db.session.get(MatchRebuild, run_id)
    fp = store.fingerprint()
    if run.fingerprint != fp:
        run.fingerprint = fp
    types = _types(run.scope)
    etype = run.cursor_type if run.cursor_type in types else types[0]
    cursor = run.cursor_id or 0
    try:
        while True:
            Model = store.model(etype)
            ids = list(db.session.scalars(select(Model.id).where(_published(etype), Model.id > cursor)
                                          .order_by(Model.id).limit(run.batch)))
            if not ids:
                nxt = types.index(etype) + 1
                if nxt >= len(types):
                    break
                etype, cursor = types[nxt], 0
                run.cursor_type, run.cursor_id = etype, 0
                db.session.commit()
                continue
            started = time.perf_counter()
            objs = {o.id: o for o in db.session.scalars(select(Model).where(Model.id.in_(ids)))}  # one query
            for oid in ids:
                obj = objs.get(oid)
                if obj is not None:  # gone since the ids were read: the cleanup at the end handles it
                    store.write_list(obj, store.compute(obj, store.LIMIT), fp=fp)
            cursor = ids[-1]
            run.cursor_type, run.cursor_id = etype, cursor
            run.done += len(ids)
            run.total = max(run.total, run.done)
            run.seconds += time.perf_counter() - started
            run.updated_at = utcnow()
            db.session.commit()
            if on_progress:
                on_progress(progress(run))
        _cleanup(types)
        run.status, run.finished_at, run.updated_at = "done", utcnow(), utcnow()
        run.total = run.done
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        run = db.session.get(MatchRebuild, run_id)
        run.status, run.message, run.updated_at = "failed", f"{exc.__class__.__name__}: {exc}"[:500], utcnow()
        db.session.commit()
        raise
    if on_progress:
        on_progress(progress(run))
    return run


def resume_stalled() -> int:
    """Queue again the runs whose worker stopped (no heartbeat for STALE_MINUTES) or whose message was lost."""
    stale = utcnow() - timedelta(minutes=STALE_MINUTES)
    runs = list(db.session.scalars(select(MatchRebuild.id).where(MatchRebuild.status.in_(("queued", "running")),
                                                                MatchRebuild.updated_at < stale)))
    for run_id in runs:
        enqueue_rebuild(run_id)
    return len(runs)


def _cleanup(types) -> None:
    """Lists and rows of records no longer published (a change whose refresh was lost)."""
    for etype in types:
        Model = store.model(etype)
        live = select(Model.id).where(_published(etype))
        db.session.execute(delete(MatchList).where(MatchList.entity_type == etype, MatchList.entity_id.not_in(live))
                           .execution_options(synchronize_session=False))
        db.session.execute(delete(StoredMatch).where(StoredMatch.direction == etype,
                                                     store._col(etype).not_in(live))
                           .execution_options(synchronize_session=False))


# `flask match rebuild` ---------------------------------------------------------------------------------

def latest(scope: str | None = None) -> MatchRebuild | None:
    stmt = select(MatchRebuild)
    if scope:
        stmt = stmt.where(MatchRebuild.scope == scope)
    return db.session.execute(stmt.order_by(MatchRebuild.id.desc()).limit(1)).scalar()


def rebuild_command(scope: str, batch: int, background: bool, restart: bool, echo) -> MatchRebuild:
    """Resume the last unfinished run of this scope (unless `restart`), else start one; run it here with
    progress lines, or hand it to the worker (`background`)."""
    run = latest(scope)
    if run is not None and run.status == "running" and not restart \
            and run.updated_at >= utcnow() - timedelta(minutes=STALE_MINUTES):
        echo("已有重建正在进行（其他进程）：" + describe(progress(run)))
        return run
    if restart or run is None or run.status == "done":
        if run is not None and run.status in ("queued", "running", "failed"):
            run.status, run.message = "failed", "已由新的重建取代"
        run = new_run(scope, batch, "command")
        echo(f"开始重建 #{run.id}：共 {run.total} 条记录（{'全部' if scope == 'all' else scope}），每批 {batch} 条")
    else:
        echo(f"继续未完成的重建 #{run.id}：已完成 {run.done}/{run.total} 条")
        run.status, run.message = "queued", None
    run.batch = batch
    run.updated_at = utcnow()
    db.session.commit()
    if background:
        enqueue_rebuild(run.id)
        echo(f"已交给后台任务队列：重建 #{run.id}（`flask match rebuild --status` 查看进度）")
        return run
    run_id = run.id
    try:
        return run_rebuild(run_id, on_progress=lambda p: echo(describe(p)))
    except Exception:  # noqa: BLE001 — recorded on the run (failed, with the message); run again to resume
        log.warning("match rebuild #%s stopped", run_id, exc_info=True)
        db.session.rollback()
        return db.session.get(MatchRebuild, run_id)
