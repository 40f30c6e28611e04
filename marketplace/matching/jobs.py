"""Background work of the stored matches on the Huey queue: the refresh queue (records changed) and rebuilds
(everything again, after a dictionary or weights change or on `flask match rebuild`), resumable from a cursor.

A rebuild run is a row of `match_rebuilds`: queued → running → done | failed. Whoever runs it (the worker, or
the command in the foreground) claims it with a conditional update, then works in batches, each committed
with the cursor (the last type and id done), the count and the time spent, so a killed run resumes where it
stopped. A run that stops sending heartbeats for STALE_MINUTES may be taken over.

Speed (docs/notes/matching-store.md, "Rebuild speed"): with several workers (rebuild_workers()), every record's
profile is first built once by forked workers and kept here; workers forked after that compute the batches in
order with the engine's own answer (exactly the live path's), and this process writes them in bulk.
"""
import gc
import logging
import multiprocessing as mp
import os
import time
from datetime import timedelta

from flask import current_app
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
    from . import knowledge
    # the graph and the fingerprint as they are now (a graph edit of a moment ago queued these records), not a
    # copy read up to 2 s / 30 s ago: a list computed with the old graph, or written with the old fingerprint,
    # would pass for current, or make every list look outdated
    knowledge.recheck()
    store.fingerprint(fresh=True)
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


def rebuild_workers() -> int:
    """How many processes compute a rebuild: MATCHING_REBUILD_WORKERS (setting or environment), else 2 on a
    machine with 2 cores or more (1 in tests); always 1 where processes cannot be forked or the database lives
    in this process's memory."""
    value = _setting("MATCHING_REBUILD_WORKERS", 1 if current_app.testing else min(2, os.cpu_count() or 1))
    url = str(db.engine.url)
    if "fork" not in mp.get_all_start_methods() or (url.startswith("sqlite") and ":memory:" in url) \
            or url in ("sqlite://", "sqlite:///"):
        return 1
    return max(1, int(value))


def _plan(types, etype: str, cursor: int, batch: int) -> list:
    """[(type, [ids])] still to do from the cursor, in the order the cursor moves: one query per type."""
    tasks = []
    for t in types[types.index(etype):]:
        Model = store.model(t)
        ids = list(db.session.scalars(select(Model.id).where(_published(t), Model.id > (cursor if t == etype else 0))
                                      .order_by(Model.id)))
        tasks += [(t, ids[i:i + batch]) for i in range(0, len(ids), batch)]
    return tasks


def _slim(result: dict) -> dict:
    """What the writer stores of an answer (less to send between processes)."""
    return {"items": result["items"][:store.LIMIT], "abstained": result["abstained"], "terms": result.get("terms"),
            "confidence": result.get("confidence"), "signals": result.get("signals")}


def compute_batch(task) -> list:
    """[(id, answer)] for a batch of one type (one query for the records; the engine's own answer for each,
    exactly what the live path gives). Records gone since the plan was made are skipped (the final cleanup
    removes their lists)."""
    etype, ids = task
    Model = store.model(etype)
    from . import service
    objs = {o.id: o for o in db.session.scalars(select(Model).options(*service.light(Model))
                                                 .where(Model.id.in_(ids))
                                                 .execution_options(populate_existing=True))}  # fresh if held
    with service.holding(), service.feedback_ahead(etype, list(objs)):
        return [(oid, _slim(store.compute(objs[oid], store.LIMIT))) for oid in ids if oid in objs]


_child: dict = {}


def _child_start(app) -> None:
    """In a forked worker: its own application context, database connections and index readers (a forked
    process must not share the parent's sockets or file offsets)."""
    ctx = app.app_context()
    ctx.push()
    _child["ctx"] = ctx
    db.engine.dispose(close=False)
    app.extensions.pop("search_backend", None)  # opened again here (the profiles and frequencies are kept)
    import threading

    from . import fastsearch, knowledge, learning
    for mod in (fastsearch, knowledge, learning):  # a lock another thread held at the fork would never be freed
        if hasattr(mod, "_lock"):
            mod._lock = threading.Lock()


# A worker keeps the candidates it has read across its batches (the 10,000 demands of a 100,000-achievement
# library were read again for every batch of 100 achievements: ≈ 50 rows a record), for at most HOLD_SECONDS and
# HOLD_MAX records; then it lets them go and reads them afresh. A candidate changed meanwhile is matched as it
# was when read (the batch's own records are always read afresh); its change reaches the stored lists through
# the refresh queue, as a change made just after the rebuild computed them would.
HOLD_SECONDS = 60.0
HOLD_MAX = 30000


def _child_batch(task) -> list:
    from . import service
    held = _child.setdefault("held", [])
    session = db.session()
    session.expire_on_commit = False  # ending the read transaction must not unload the held records
    ok = False
    try:
        with service.holding(held):
            out = compute_batch(task)
        ok = True
        return out
    finally:
        now = time.monotonic()
        if ok:
            db.session.commit()  # nothing written: ends the read transaction (a fresh snapshot for the next batch)
        if not ok or len(held) > HOLD_MAX or now - _child.setdefault("since", now) > HOLD_SECONDS:
            held.clear()
            _child["since"] = now
            db.session.remove()  # keeps the identity map from growing over the run


PREBUILD_SHARE = 0.2   # profiles are built up front (in parallel) when the run has this share of the records to do
# ... and the library is no larger than this: a profile holds ≈ 48 KB, so 100,000 of them took 5.3 GB in the
# parent (≈ 13 GB with the forked workers' copies); above it the workers build profiles as they need them, in
# their bounded caches. MATCHING_REBUILD_PREBUILD_MAX (setting or environment) changes it.
PREBUILD_MAX = 25000


def _setting(name: str, default: int) -> int:
    """An integer setting from the environment or the configuration; a value that is not a whole number is
    reported in the log and the default used (a typo must not stop a rebuild)."""
    value = os.environ.get(name) or current_app.config.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        log.warning("%s=%r is not a whole number: %s used", name, value, default)
        return default


def prebuild_max() -> int:
    return _setting("MATCHING_REBUILD_PREBUILD_MAX", PREBUILD_MAX)


# A worker that builds profiles as it needs them keeps them all when memory allows: with the live path's bound
# (service.PROFILE_CACHE, 50,000) a worker of a 110,000-record rebuild let go of profiles it built during the
# demands' phase and built them again as its own batches came (2.9 ms each). PROFILE_BYTES: what one profile holds,
# with a margin (≈ 30 KB by tracemalloc; a parent holding all 109,995 profiles of the 100k benchmark: 3,137 MiB RSS).
PROFILE_BYTES = 48 * 1024


def _memory_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_profile_cache(records: int, workers: int) -> int:
    """How many profiles each rebuild worker keeps: MATCHING_REBUILD_PROFILE_CACHE (setting or environment), else
    every record's if half of the memory available holds them in all the workers, else as many as that half
    holds; never fewer than the live path's bound."""
    from . import service
    value = _setting("MATCHING_REBUILD_PROFILE_CACHE", 0)
    if value > 0:
        return value
    available = _memory_available()
    if available is None:
        return service.PROFILE_CACHE
    return max(service.PROFILE_CACHE, min(records + 1000, available // 2 // (max(1, workers) * PROFILE_BYTES)))


def _profile_batch(task) -> list:
    """In a forked worker: the profiles of a batch of records, sent to the parent (and dropped here)."""
    from . import service
    etype, ids = task
    Model = store.model(etype)
    out = []
    try:
        for obj in db.session.scalars(select(Model).where(Model.id.in_(ids))):
            service.own_links(service.profile(obj, etype))  # fired here (the parent's copy holds no graph)
            out.append(((etype, obj.id), service._profiles.pop((etype, obj.id))))
        return out
    finally:
        db.session.remove()


def _prebuild_profiles(workers: int) -> int:
    """Every published record's profile (either side is the other's candidate), built by `workers` forked
    processes and kept in this process's profile cache, so that the workers forked next share them instead of
    each building most of them again. Returns how many."""
    from . import knowledge, service
    tasks = _plan(TYPES, TYPES[0], 0, 500)
    n = sum(len(ids) for _, ids in tasks)
    service.PROFILE_CACHE = max(service.PROFILE_CACHE, n + len(service._profiles) + 1000)
    knowledge.graph()  # loaded before the fork: the profiles' stamps name this graph
    service._df_generation()
    db.session.commit()  # no transaction open while forking
    own = {link.key: link for link in knowledge.graph().links}
    with mp.get_context("fork").Pool(workers, initializer=_child_start,
                                     initargs=(current_app._get_current_object(),)) as pool:
        for out in pool.imap_unordered(_profile_batch, tasks):
            for key, entry in out:
                _share_links(entry[1], own)
                service._profiles[key] = entry
    return n


def _share_links(p, own: dict) -> None:
    """A profile received from a worker carries copies of the graph's links: point it at this process's own
    (the same links, by key) so that 100,000 profiles do not hold 100,000 copies of them."""
    def mine(link):
        return own.get(getattr(link, "key", None), link)
    links = getattr(p, "links", None)
    if links and all(isinstance(x, tuple) and len(x) >= 2 for x in links):
        p.links = [(mine(x[0]),) + tuple(x[1:]) for x in links]
    glinks = getattr(p, "glinks", None)
    if glinks and all(isinstance(x, tuple) and len(x) >= 2 for x in glinks):
        p.glinks = tuple((mine(x[0]),) + tuple(x[1:]) for x in glinks)


def run_rebuild(run_id: int, on_progress=None, claim: bool = True, workers: int | None = None, echo=None) \
        -> MatchRebuild | None:
    """Work through the run from its cursor, in batches, committing each (its rows, the cursor, the count and
    the time spent) so that an interrupted run resumes where it stopped. With `workers` > 1 (default:
    rebuild_workers()), that many forked processes compute the batches, in order, while this one writes."""
    if claim and not _claim(run_id):
        return None  # someone else has it, or it is finished
    run = db.session.get(MatchRebuild, run_id)
    fp = store.fingerprint(fresh=True)  # not the 30 s cache: an edit of a moment ago is in this run
    if run.fingerprint != fp:
        run.fingerprint = fp
    types = _types(run.scope)
    etype = run.cursor_type if run.cursor_type in types else types[0]
    tasks = _plan(types, etype, run.cursor_id or 0, run.batch)
    workers = rebuild_workers() if workers is None else workers
    run.updated_at = utcnow()
    db.session.commit()
    pool, frozen, follow = None, False, None
    from . import service
    cache_size = service.PROFILE_CACHE
    mark = time.perf_counter()
    try:
        if workers > 1 and len(tasks) > 1:
            todo, total = sum(len(ids) for _, ids in tasks), _count("all")
            if todo >= PREBUILD_SHARE * total and total <= prebuild_max():
                started = time.perf_counter()
                built = _prebuild_profiles(workers)
                took = time.perf_counter() - started
                log.info("rebuild #%s: %s profiles in %.1f s", run_id, built, took)
                if echo:
                    echo(f"重建 #{run_id}：{workers} 个进程已读入 {built} 条记录（{took:.0f} 秒），开始计算匹配")
            else:
                service.PROFILE_CACHE = worker_profile_cache(total, workers)  # the workers' bound (restored below)
            from . import semantic
            if semantic.enabled():  # every stored vector read once here, shared with the workers
                semantic.preload("demand")
                semantic.preload("achievement")
            db.session.commit()  # no transaction open (nor connection checked out) while forking
            # The profiles and caches (millions of objects) are kept out of the collector's full passes, here
            # and in the workers: each pass would walk them all (it halved the writer's speed), and in a forked
            # worker it would also touch, and so copy, the pages they share with this process.
            gc.freeze()
            frozen = True
            pool = mp.get_context("fork").Pool(min(workers, len(tasks)), initializer=_child_start,
                                               initargs=(current_app._get_current_object(),))
            answers = pool.imap(_child_batch, tasks)
            run = db.session.get(MatchRebuild, run_id)
        else:
            answers = map(compute_batch, tasks)
        for (t, ids), results in zip(tasks, answers):
            store.write_many(t, results, fp=fp)
            run.cursor_type, run.cursor_id = t, ids[-1]
            run.done += len(ids)
            run.total = max(run.total, run.done)
            now = time.perf_counter()
            run.seconds += now - mark
            mark = now
            run.updated_at = utcnow()
            db.session.commit()
            if on_progress:
                on_progress(progress(run))
        _cleanup(types)
        run.status, run.finished_at, run.updated_at = "done", utcnow(), utcnow()
        run.total = run.done
        follow = _changed_meanwhile(run, fp)
        db.session.commit()
    except BaseException as exc:
        if pool is not None:
            pool.terminate()
            pool.join()
            pool = None
        db.session.rollback()
        run = db.session.get(MatchRebuild, run_id)
        run.status, run.message, run.updated_at = "failed", f"{exc.__class__.__name__}: {exc}"[:500], utcnow()
        db.session.commit()
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if frozen:
            gc.unfreeze()
        service.PROFILE_CACHE = cache_size
        while len(service._profiles) > cache_size:
            service._profiles.popitem(last=False)
        from . import semantic
        semantic.reset_cache()  # the preload's "no vector here means none" ends with the run
    if on_progress:
        on_progress(progress(run))
    if follow is not None:
        enqueue_rebuild(follow)  # (the worker's; in the foreground command's process when tasks run immediately)
    return run


def _changed_meanwhile(run: MatchRebuild, fp: str) -> int | None:
    """The dictionary, graph or weights changed while the run worked (a link edited in the site, a deploy): the
    lists it wrote carry the fingerprint it started with, and the edit's own check, made while it ran, found the
    run already going and queued nothing. Those lists are marked stale and another run is queued (its id)."""
    now = store.fingerprint(fresh=True)
    if now == fp:
        return None
    db.session.execute(update(MatchList).where(MatchList.fingerprint != now).values(stale=True)
                       .execution_options(synchronize_session=False))
    follow = new_run(run.scope, run.batch, reason="fingerprint")
    run.message = f"运行期间词典、知识图谱或权重又有修改，已排队重建 #{follow.id}"
    return follow.id


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
        return run_rebuild(run_id, on_progress=lambda p: echo(describe(p)), echo=echo)
    except Exception:  # noqa: BLE001 — recorded on the run (failed, with the message); run again to resume
        log.warning("match rebuild #%s stopped", run_id, exc_info=True)
        db.session.rollback()
        return db.session.get(MatchRebuild, run_id)
