"""Stored matches: each published demand's and achievement's top 50, kept current in the background and read
by the detail pages, the API, the pushes and the broker workbench instead of being computed per request.

- A change to a demand or an achievement (insert, a change of a field the engine reads, delete) writes a row
  to `match_refresh_queue` in the same transaction (SQLAlchemy flush events, like the search outbox), and
  after the commit a Huey task (matching.jobs) recomputes it: its own list (matching.service, which the
  quality work owns) and the rows of the other side's lists that point at it (the pair's score is symmetric).
  A record no longer published loses its list and every row pointing at it.
- Readers get the stored rows (one indexed query) with the reader's own verdicts applied at once (a pair the
  record's side marked 不相关 leaves its list); a record without a stored list yet is computed and stored on
  first read.
- Each list carries the fingerprint of the dictionary and weights it was computed with; when they change,
  the lists are marked stale and a rebuild is scheduled (`flask match rebuild`, matching.jobs).
"""
import hashlib
import logging
import os
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, case, delete, event, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import uow
from ..core.pgcopy import insert_all
from ..core.models import utcnow
from ..extensions import db
from .models import MatchFeedback, MatchList, MatchRefresh, StoredMatch

log = logging.getLogger(__name__)

LIMIT = 50          # stored per record and direction
REFILL_CAP = 200    # lists that lost a row to a change are recomputed, at most this many per change
OTHER = {"demand": "achievement", "achievement": "demand"}
COLUMN = {"demand": "demand_id", "achievement": "achievement_id"}
# The fields the engine reads: a change to any of them (or to the status) recomputes the record's matches.
RELEVANT = {
    "demand": ("status", "title", "description", "indicators", "industry", "city", "budget", "budget_negotiable",
               "cooperation", "owner_org_id"),
    "achievement": ("status", "title", "summary", "keywords", "industry", "category", "maturity", "transfer_modes",
                    "asking_price", "price_negotiable", "owner_org_id"),
}


def model(entity_type: str):
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    return {"demand": Demand, "achievement": Achievement}[entity_type]


def _col(entity_type: str):
    return getattr(StoredMatch, COLUMN[entity_type])


# The dictionary and weights' fingerprint -----------------------------------------------------------------

FINGERPRINT_CHECK_SECONDS = 30.0
_fp: dict = {"value": None, "stamp": None, "at": 0.0, "seen": None}


def _fingerprint_files() -> list[Path]:
    """What the scores are made of, besides the records: the matching data (concepts, generic words, the
    knowledge graph files), the search dictionary, synonyms and stopwords, the engine's code (the weights in
    scoring.py; service.py's word lists and text handling, the graph and the learning: a deploy that changes
    them marks the lists stale), and an administrator's extra files. Not the folders' READMEs (*.md): editing
    a description must not mark every stored list stale and schedule a full rebuild."""
    import search
    here = Path(__file__).parent
    files = []
    for folder in (here / "data", Path(search.__file__).parent / "data"):
        files += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md")
    files += [here / name for name in ("scoring.py", "service.py", "knowledge.py", "learning.py", "semantic.py")]
    files.append(Path(search.__file__).parent / "analysis.py")  # how every text is cut into words
    for var in ("MATCH_CONCEPTS_FILE", "SEARCH_DICT_FILE", "SEARCH_SYNONYMS_FILE", "SEARCH_STOPWORDS_FILE"):
        extra = os.environ.get(var) or current_app.config.get(var)
        if extra and Path(extra).is_file():
            files.append(Path(extra))
    return files


def _config_items() -> list:
    return sorted((k, repr(v)) for k, v in current_app.config.items()
                  if k.startswith("MATCH_") and k != "MATCH_PUSH_DAILY_CAP")


def _extra_parts() -> list[str]:
    """Versions the engine may expose for what lives in the database (e.g. knowledge-graph links edited in the
    site): any callable `fingerprint_part()` of matching.service, .knowledge or .learning."""
    import importlib
    parts = []
    for name in ("service", "knowledge", "learning", "semantic"):
        try:
            mod = importlib.import_module(f"{__package__}.{name}")
        except ImportError:
            continue
        fn = getattr(mod, "fingerprint_part", None)
        if callable(fn):
            parts.append(f"{name}:{fn()}")
    return parts


def compute_fingerprint() -> str:
    h = hashlib.sha256()
    for path in _fingerprint_files():
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(repr(_config_items()).encode())
    h.update(repr(_extra_parts()).encode())
    return h.hexdigest()[:32]


def _stamp():
    return (tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in _fingerprint_files()),
            tuple(_config_items()), tuple(_extra_parts()))


def fingerprint(fresh: bool = False) -> str:
    """The current fingerprint, recomputed when a file or a setting changed (looked at every 30 s at most, or now
    when `fresh`)."""
    now = time.monotonic()
    if fresh or _fp["value"] is None or now - _fp["at"] > FINGERPRINT_CHECK_SECONDS:
        stamp = _stamp()
        if stamp != _fp["stamp"] or _fp["value"] is None:
            _fp["value"], _fp["stamp"] = compute_fingerprint(), stamp
        _fp["at"] = now
    return _fp["value"]


def reset_fingerprint_cache() -> None:
    _fp.update(value=None, stamp=None, at=0.0, seen=None)


def check_fingerprint() -> bool:
    """Once per new fingerprint and process: lists computed with another one are marked stale and a rebuild is
    scheduled (after the commit). True when it found any."""
    fp = fingerprint()
    if _fp["seen"] == fp:
        return False
    outdated = db.session.execute(select(MatchList.id).where(MatchList.fingerprint != fp,
                                                            MatchList.stale.is_(False)).limit(1)).first()
    if outdated is not None:
        db.session.execute(update(MatchList).where(MatchList.fingerprint != fp).values(stale=True)
                           .execution_options(synchronize_session=False))
        from . import jobs
        jobs.schedule_rebuild(reason="fingerprint")
    _fp["seen"] = fp
    return outdated is not None


# A link of the knowledge graph edited in the site: only the lists it can change are recomputed -------------

# Above this share of the published records (or GRAPH_EDIT_MIN records) a link is left to the full rebuild that the
# fingerprint schedules: the queue recomputes one record at a time (≈ 57 ms a record at 100k/10k, 789 lists in 44.8 s)
# where the rebuild's workers take ≈ 10.5 ms a record of wall time, so the two cost the same near a fifth.
GRAPH_EDIT_SHARE = 0.2
GRAPH_EDIT_MIN = 500


def follow_graph_edit(link, before: str) -> int | None:
    """After a link of the graph was added, disabled or enabled in the site (flushed, not committed), with
    `before` the fingerprint read just before the edit: the lists the link can change are marked stale and queued
    for a recompute, and every other list computed with `before` is moved to the new fingerprint (its answer is
    the same under the edited graph), instead of every list going stale and a full rebuild. Which lists a link
    changes (matching/service.py): a demand's whose text fires it (its graph paths and candidate searches), an
    achievement's whose text fires it (its own candidate searches) and, when any demand fires it, an achievement's
    that names one of its technologies (its pairs with those demands); no other pair's score reads the link. Returns
    how many were queued; None when the link reaches too many records (left to the full rebuild)."""
    from . import jobs
    after = fingerprint(fresh=True)
    if after == before:
        return 0
    try:
        with db.session.begin_nested():  # an edit never fails for this: left to the full rebuild instead
            return _follow(link, before, after, jobs)
    except Exception:  # noqa: BLE001
        log.exception("stored matches after the graph edit of %s: left to the full rebuild", link.key)
        return None


def _follow(link, before: str, after: str, jobs) -> int | None:
    touched = _touched_by(link)
    total = jobs._count("all")
    if sum(len(ids) for ids in touched.values()) > max(GRAPH_EDIT_MIN, GRAPH_EDIT_SHARE * total):
        return None
    db.session.execute(update(MatchList).where(MatchList.fingerprint == before).values(fingerprint=after)
                       .execution_options(synchronize_session=False))
    for etype, ids in touched.items():
        ids = sorted(ids)
        for i in range(0, len(ids), 500):
            db.session.execute(update(MatchList).where(MatchList.entity_type == etype,
                                                       MatchList.entity_id.in_(ids[i:i + 500]))
                               .values(stale=True).execution_options(synchronize_session=False))
        enqueue(etype, ids, propagate=False)
    return sum(len(ids) for ids in touched.values())


def _touched_by(link) -> dict:
    """{"demand": {ids}, "achievement": {ids}} of the published records whose lists `link` can change (see
    follow_graph_edit), read from their text as the engine's profiles read it (service._fields). A cheap
    containment test of the cue words (or their variants) and of the technologies' character pairs skips most
    texts before the engine's own tests (Graph.fired, service._best_tech) decide."""
    from . import jobs, knowledge, scoring, service
    one = knowledge.single(link)
    words = {w: (w.lower(),) + tuple(v for v, pairs in one.variants.items() if (w, link.industry) in pairs)
             for alt in link.cues for w in alt}
    techs = service._link_techs(tuple(link.technologies))
    pieces = {g.replace(scoring.EDGE, "") for _t, low, grams in techs for g in (low,) + grams}

    def fires(raw: str, lower: str) -> bool:
        return any(all(any(f in lower for f in words[w]) for w in alt) for alt in link.cues) and bool(one.fired(raw))

    def names(lower: str) -> bool:
        return any(g in lower for g in pieces) and \
            service._best_tech(techs, scoring.bounded(lower).__contains__)[1] is not None

    out: dict = {"demand": set(), "achievement": set()}
    columns = {"demand": ("title", "indicators", "description"), "achievement": ("title", "keywords", "summary")}
    for etype, cols in columns.items():
        Model = model(etype)
        rows = db.session.execute(select(Model.id, *(getattr(Model, c) for c in cols)).where(jobs._published(etype)))
        for row in rows:
            raw = " ".join(t for t, _ in service._fields(row, etype))
            lower = raw.lower()
            # (an achievement's pairs change only with a demand that fires the link: demands are read first)
            if fires(raw, lower) or (etype == "achievement" and out["demand"] and names(lower)):
                out[etype].add(row.id)
    return out


# The refresh queue, written with the change --------------------------------------------------------------

def enqueue(entity_type: str, ids, propagate: bool = True, kick: bool = True, session=None) -> None:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    session = session if session is not None else db.session
    now = utcnow()
    session.connection().execute(insert(MatchRefresh), [  # multi-row on PostgreSQL (extensions.batch_bulk_inserts)
        {"entity_type": entity_type, "entity_id": i, "propagate": propagate, "created_at": now} for i in ids])
    if kick:
        uow.after_commit(_kick, key="match-store", order=15, session=session)


def _kick() -> None:
    from . import jobs
    jobs.kick()


def _changed(obj, entity_type: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in RELEVANT[entity_type] if name in state.attrs)


def _touched(session) -> set:
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    out = set()
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, (Demand, Achievement)):
            out.add(obj)
    for obj in session.dirty:
        if isinstance(obj, (Demand, Achievement)) and _changed(obj, obj.entity_type):
            out.add(obj)
    return out


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances):
    touched = _touched(session)
    if touched:
        session.info.setdefault("match_touched", set()).update(touched)


@event.listens_for(Session, "after_flush")
def _write(session, flush_context):
    touched = session.info.pop("match_touched", set())
    by_type: dict = {}
    for obj in touched:
        if obj.id is not None:
            by_type.setdefault(obj.entity_type, []).append(obj.id)
    for entity_type, ids in by_type.items():
        enqueue(entity_type, sorted(ids), session=session)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop("match_touched", None)


def pending(entity_type: str, entity_id: int) -> bool:
    return db.session.execute(select(MatchRefresh.id).where(MatchRefresh.entity_type == entity_type,
                                                           MatchRefresh.entity_id == entity_id).limit(1)).first() \
        is not None


# Computing and writing ------------------------------------------------------------------------------------

def compute(obj, limit: int = LIMIT) -> dict:
    from . import service
    return service.match_demand(obj, limit) if obj.entity_type == "demand" else service.match_achievement(obj, limit)


def write_list(obj, result: dict, now=None, fp: str | None = None) -> None:
    """Replace the record's own stored list with `result` (the engine's answer)."""
    write_many(obj.entity_type, [(obj.id, result)], now, fp)


def _rows_of(etype: str, oid: int, result: dict, now) -> list[dict]:
    other = OTHER[etype]
    items = list({item["id"]: item for item in result["items"]}.values())[:LIMIT]
    return [{"direction": etype, COLUMN[etype]: oid, COLUMN[other]: item["id"], "score": int(item["score"]),
             "band": item["band"], "reasons": list(item.get("reasons") or []),
             "shared_terms": list(item.get("shared_terms") or []), "coverage": float(item.get("coverage") or 0.0),
             "computed_at": now} for item in items]


def decision_of(result: dict) -> dict | None:
    """What a list keeps of the engine's abstention: its confidence and the signals it was decided on (the page
    words them for those who see the reasons: scoring.describe_decision)."""
    if result.get("signals") is None and result.get("confidence") is None:
        return None
    return {"confidence": result.get("confidence"), "signals": dict(result.get("signals") or {})}


def write_many(etype: str, results: list, now=None, fp: str | None = None) -> None:
    """Replace the stored lists of records of one type — [(record id, result)] — in a handful of statements
    (the rebuild's writer, and write_list for one): their rows replaced, their MatchList rows updated or
    inserted."""
    if not results:
        return
    now, fp = now or utcnow(), fp or fingerprint()
    ids = [oid for oid, _ in results]
    db.session.execute(delete(StoredMatch).where(StoredMatch.direction == etype, _col(etype).in_(ids))
                       .execution_options(synchronize_session=False))
    rows, lists = [], []
    for oid, result in results:
        mine = _rows_of(etype, oid, result, now)
        rows += mine
        lists.append({"entity_type": etype, "entity_id": oid, "abstained": bool(result["abstained"]),
                      "terms": list(result.get("terms") or []), "size": len(mine), "fingerprint": fp,
                      "stale": False, "decision": decision_of(result), "computed_at": now})
    insert_all(StoredMatch.__table__, rows)  # COPY on PostgreSQL (core/pgcopy.py)
    existing = dict(db.session.execute(select(MatchList.entity_id, MatchList.id).where(
        MatchList.entity_type == etype, MatchList.entity_id.in_(ids))).all())
    fresh = [v for v in lists if v["entity_id"] not in existing]
    old = [dict(v, b_id=existing[v["entity_id"]]) for v in lists if v["entity_id"] in existing]
    if old:
        stmt = (update(MatchList.__table__).where(MatchList.__table__.c.id == bindparam("b_id"))
                .values(abstained=bindparam("abstained"), terms=bindparam("terms"), size=bindparam("size"),
                        fingerprint=bindparam("fingerprint"), stale=bindparam("stale"),
                        decision=bindparam("decision"), computed_at=bindparam("computed_at")))
        db.session.connection().execute(stmt, [{k: v[k] for k in ("b_id", "abstained", "terms", "size",
                                                                   "fingerprint", "stale", "decision",
                                                                   "computed_at")}
                                               for v in old])
    insert_all(MatchList.__table__, fresh)


def remove(entity_type: str, entity_id: int) -> list[int]:
    """A record no longer published: its list and every row pointing at it go. Returns the other side's
    records whose lists lost a row."""
    other = OTHER[entity_type]
    db.session.execute(delete(StoredMatch).where(StoredMatch.direction == entity_type,
                                                 _col(entity_type) == entity_id)
                       .execution_options(synchronize_session=False))
    holders = list(db.session.scalars(select(_col(other)).where(StoredMatch.direction == other,
                                                               _col(entity_type) == entity_id)))
    if holders:
        db.session.execute(delete(StoredMatch).where(StoredMatch.direction == other, _col(entity_type) == entity_id)
                           .execution_options(synchronize_session=False))
    db.session.execute(delete(MatchList).where(MatchList.entity_type == entity_type,
                                               MatchList.entity_id == entity_id)
                       .execution_options(synchronize_session=False))
    return holders


def _propagate(obj, result: dict, now) -> list[int]:
    """The other side's lists after `obj` changed: rows the new answer supports are updated or inserted (a
    full list keeps its best 50); rows it no longer supports are dropped. Returns the other side's records
    to recompute (lists that lost a row, pairs with feedback, whose score differs by side, and abstained
    lists that just got a better row)."""
    etype, other = obj.entity_type, OTHER[obj.entity_type]
    mine, theirs = _col(etype), _col(other)
    existing = dict(db.session.execute(select(theirs, StoredMatch.id).where(StoredMatch.direction == other,
                                                                          mine == obj.id)).all())
    new = {item["id"]: item for item in result["items"][:LIMIT]}
    refill = [oid for oid in existing if oid not in new]
    if refill:
        db.session.execute(delete(StoredMatch).where(StoredMatch.id.in_([existing[o] for o in refill]))
                           .execution_options(synchronize_session=False))
    if not new:
        return refill
    fb_col = MatchFeedback.achievement_id if etype == "demand" else MatchFeedback.demand_id
    own_fb = MatchFeedback.demand_id if etype == "demand" else MatchFeedback.achievement_id
    with_feedback = set(db.session.scalars(select(fb_col).where(own_fb == obj.id)))
    lists = dict(db.session.execute(select(MatchList.entity_id, MatchList.abstained).where(
        MatchList.entity_type == other, MatchList.entity_id.in_(list(new)))).all())
    stats = {oid: (n, low, high) for oid, n, low, high in db.session.execute(
        select(theirs, func.count(), func.min(StoredMatch.score), func.max(StoredMatch.score))
        .where(StoredMatch.direction == other, theirs.in_(list(new))).group_by(theirs)).all()}
    for oid, item in new.items():
        if oid in with_feedback:
            refill.append(oid)
            continue
        if oid not in lists:
            continue  # never computed: it will be, in full, when first read or rebuilt
        n, low, high = stats.get(oid, (0, None, None))
        score = int(item["score"])
        values = {"score": score, "band": item["band"], "reasons": list(item.get("reasons") or []),
                  "shared_terms": list(item.get("shared_terms") or []),
                  "coverage": float(item.get("coverage") or 0.0), "computed_at": now}
        if oid in existing:
            db.session.execute(update(StoredMatch).where(StoredMatch.id == existing[oid]).values(**values)
                               .execution_options(synchronize_session=False))
        elif n < LIMIT or score > low:
            db.session.execute(insert(StoredMatch).values(direction=other, **{mine.key: obj.id, theirs.key: oid},
                                                          **values))
            if n >= LIMIT:
                lowest = db.session.execute(
                    select(StoredMatch.id).where(StoredMatch.direction == other, theirs == oid, mine != obj.id)
                    .order_by(StoredMatch.score, StoredMatch.coverage, StoredMatch.id.desc()).limit(1)).scalar()
                db.session.execute(delete(StoredMatch).where(StoredMatch.id == lowest)
                                   .execution_options(synchronize_session=False))
        else:
            continue
        if lists[oid] and (high is None or score > high):
            refill.append(oid)  # its best row changed: whether to abstain is the engine's call
    return refill


def refresh(entity_type: str, entity_id: int, propagate: bool = True, kick: bool = True) -> str:
    """Recompute one record's stored matches (in the current transaction; the caller commits).
    Returns what was done: "stored", "removed" or "missing"."""
    obj = db.session.get(model(entity_type), entity_id)
    if obj is None or obj.status != "published":
        if obj is None:
            from . import semantic
            semantic.forget(entity_type, entity_id)
        holders = remove(entity_type, entity_id)
        if propagate:
            enqueue(OTHER[entity_type], holders[:REFILL_CAP], propagate=False, kick=kick)
        return "missing" if obj is None else "removed"
    from . import semantic
    semantic.ensure(entity_type, [obj])  # its sentence vector first (≈ 0.1 s; the queue's worker, after the commit)
    store_result(obj, compute(obj, LIMIT), propagate, kick)
    return "stored"


def store_result(obj, result: dict, propagate: bool = True, kick: bool = True) -> None:
    now = utcnow()
    write_list(obj, result, now)
    if propagate:
        refill = _propagate(obj, result, now)
        enqueue(OTHER[obj.entity_type], refill[:REFILL_CAP], propagate=False, kick=kick)


# Reading ---------------------------------------------------------------------------------------------------

def verdicts(entity_type: str, entity_id: int) -> dict:
    """This record's side's feedback on its pairs: {other_id: (verdict, reason)}."""
    own = _col(entity_type)
    other = MatchFeedback.achievement_id if entity_type == "demand" else MatchFeedback.demand_id
    rows = db.session.execute(select(other, MatchFeedback.verdict, MatchFeedback.reason)
                              .where(getattr(MatchFeedback, own.key) == entity_id,
                                     MatchFeedback.side == entity_type)).all()
    return {oid: (verdict, reason) for oid, verdict, reason in rows}


def _list(entity_type: str, entity_id: int):
    return db.session.execute(select(MatchList).where(MatchList.entity_type == entity_type,
                                                     MatchList.entity_id == entity_id)).scalar()


def _store_now(obj) -> None:
    """Compute and store on a read (no stored list yet, or a change still queued): in a savepoint, so a
    concurrent writer of the same list costs this reader nothing but the stored copy."""
    result = compute(obj, LIMIT)  # outside the savepoint: a search may commit the index outbox it applied
    try:
        with db.session.begin_nested():
            store_result(obj, result, propagate=True)
            db.session.execute(delete(MatchRefresh).where(MatchRefresh.entity_type == obj.entity_type,
                                                          MatchRefresh.entity_id == obj.id)
                               .execution_options(synchronize_session=False))
    except IntegrityError:
        log.info("stored matches of %s %s written concurrently", obj.entity_type, obj.id)


def read(obj, limit: int = 10, fresh: bool = False) -> dict:
    """The record's matches, best first: {"items", "abstained", "terms", "next_steps", "computed_at",
    "stale", "decision"}; the items as matching.service gives them (id, ref, title, score, band, reasons, shared_terms,
    coverage). Pairs this record's side marked 不相关 are left out. `fresh`: recompute first if a change of the
    record is still queued (pushes read this way)."""
    from . import service
    etype = obj.entity_type
    if obj.status != "published":
        return compute(obj, limit)  # an owner looking at a draft: nothing stored for it
    check_fingerprint()
    row = _list(etype, obj.id)
    if row is None or (fresh and pending(etype, obj.id)):
        _store_now(obj)
        row = _list(etype, obj.id)
        if row is None:
            return compute(obj, limit)
    Other = model(OTHER[etype])
    said = verdicts(etype, obj.id)
    dismissed = [oid for oid, (verdict, _r) in said.items() if verdict == "irrelevant"]
    stmt = (select(StoredMatch, Other.ref, Other.title)
            .join(Other, Other.id == _col(OTHER[etype]))
            .where(StoredMatch.direction == etype, _col(etype) == obj.id, Other.status == "published")
            .order_by(StoredMatch.score.desc(), StoredMatch.coverage.desc(), Other.id)
            .limit(limit))
    if dismissed:
        stmt = stmt.where(_col(OTHER[etype]).not_in(dismissed))
    items = []
    for m, ref, title in db.session.execute(stmt).all():
        items.append({"id": getattr(m, COLUMN[OTHER[etype]]), "ref": ref, "title": title, "score": m.score,
                      "band": m.band, "reasons": list(m.reasons), "shared_terms": list(m.shared_terms),
                      "coverage": m.coverage})
    abstained = bool(row.abstained)
    return {"items": items, "abstained": abstained, "terms": list(row.terms),
            "next_steps": list(service.NEXT_STEPS) if abstained and etype == "demand" else [],
            "computed_at": row.computed_at.isoformat(timespec="seconds"), "stale": bool(row.stale),
            "decision": row.decision}


def read_one(obj, other_id: int) -> dict | None:
    """One stored row of the record's list (the match panel re-renders a row after an action), whatever the
    feedback; None when the pair is not in the list."""
    etype = obj.entity_type
    Other = model(OTHER[etype])
    found = db.session.execute(
        select(StoredMatch, Other.ref, Other.title).join(Other, Other.id == _col(OTHER[etype]))
        .where(StoredMatch.direction == etype, _col(etype) == obj.id, _col(OTHER[etype]) == other_id)).first()
    if found is None:
        return None
    m, ref, title = found
    return {"id": other_id, "ref": ref, "title": title, "score": m.score, "band": m.band,
            "reasons": list(m.reasons), "shared_terms": list(m.shared_terms), "coverage": m.coverage}


def summary(entity_type: str, ids) -> dict:
    """Each record's stored list in figures, for its owner's list page: {id: {"强": n, "中": n, "unhandled": strong
    rows this side has not marked and has no deal with, "abstained": bool}} — rows this side dismissed (不相关)
    and unpublished other records left out, as `read` leaves them out. Two queries whatever the number of
    records."""
    ids = list(ids)
    if not ids:
        return {}
    own, other = _col(entity_type), _col(OTHER[entity_type])
    Other = model(OTHER[entity_type])
    said = select(MatchFeedback.verdict).where(MatchFeedback.side == entity_type,
                                               MatchFeedback.demand_id == StoredMatch.demand_id,
                                               MatchFeedback.achievement_id == StoredMatch.achievement_id)
    dismissed = said.where(MatchFeedback.verdict == "irrelevant").exists()
    from .learning import deal_exists
    handled = said.exists() | deal_exists(StoredMatch.demand_id, StoredMatch.achievement_id)
    unmarked = func.sum(case((handled, 0), else_=1))
    out: dict = {}
    for oid, abstained in db.session.execute(select(MatchList.entity_id, MatchList.abstained).where(
            MatchList.entity_type == entity_type, MatchList.entity_id.in_(ids))):
        out[oid] = {"强": 0, "中": 0, "unhandled": 0, "abstained": bool(abstained)}
    for oid, band, n, fresh in db.session.execute(
            select(own, StoredMatch.band, func.count(), unmarked)
            .join(Other, (Other.id == other) & (Other.status == "published"))
            .where(StoredMatch.direction == entity_type, own.in_(ids), StoredMatch.band.in_(("强", "中")),
                   ~dismissed)
            .group_by(own, StoredMatch.band)):
        row = out.setdefault(oid, {"强": 0, "中": 0, "unhandled": 0, "abstained": False})
        row[band] = n
        if band == "强":
            row["unhandled"] = int(fresh or 0)
    return out


def silent(entity_type: str, ids) -> set:
    """Which of these records' stored lists are silent (the engine found nothing that fits well enough)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(MatchList.entity_id).where(
        MatchList.entity_type == entity_type, MatchList.entity_id.in_(ids), MatchList.abstained.is_(True))))


def suggestions(demand_ids, per_demand: int = 3) -> dict:
    """The broker workbench's top stored achievements for these demands, in one query:
    {demand_id: [{"id", "title", "score", "band"}]}."""
    from ..achievements.models import Achievement
    out = {i: [] for i in demand_ids}
    if not out:
        return out
    ranked = (select(StoredMatch.demand_id, StoredMatch.achievement_id, StoredMatch.score, StoredMatch.band,
                     func.row_number().over(partition_by=StoredMatch.demand_id,
                                            order_by=(StoredMatch.score.desc(), StoredMatch.achievement_id))
                     .label("rank"))
              .join(Achievement, Achievement.id == StoredMatch.achievement_id)
              .where(StoredMatch.direction == "demand", StoredMatch.demand_id.in_(list(out)),
                     Achievement.status == "published")).subquery()
    rows = db.session.execute(
        select(ranked.c.demand_id, ranked.c.achievement_id, Achievement.title, ranked.c.score, ranked.c.band)
        .join(Achievement, Achievement.id == ranked.c.achievement_id)
        .where(ranked.c.rank <= per_demand).order_by(ranked.c.demand_id, ranked.c.rank)).all()
    for demand_id, ach_id, title, score, band in rows:
        out[demand_id].append({"id": ach_id, "title": title, "score": score, "band": band})
    return out
