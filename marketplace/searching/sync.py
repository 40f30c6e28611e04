"""Applying the outbox to the index, rebuilding it, and checking that it equals the database.

The rule that makes concurrent writers safe: the index is written only while holding the backend's write
lock, and what is written is the record as the database has it *at that moment*, read under the lock. So
whichever process applies last writes the latest state, and an outbox row is deleted only after the index
commit that covered it: a process killed in between leaves the row for the next `flask search sync`.
"""
import time

from flask import current_app
from sqlalchemy import delete, func, select

from search import make_backend

from ..extensions import db
from .documents import MODELS, doc_id, parse_doc_id, to_document
from .models import SearchOutbox


def backend():
    """The process's backend (searchers and caches live as long as the process)."""
    app = current_app._get_current_object()
    be = app.extensions.get("search_backend")
    if be is None:
        cfg = app.config
        be = make_backend(cfg["SEARCH_BACKEND"], index_dir=cfg["SEARCH_INDEX_DIR"],
                          elasticsearch_url=cfg["ELASTICSEARCH_URL"],
                          index_name=cfg.get("ELASTICSEARCH_INDEX", "marketplace"),
                          elasticsearch_options=elasticsearch_options(cfg))
        app.extensions["search_backend"] = be
    return be


def warm() -> float:
    """Open the index and warm it (jieba's dictionaries, the snapshot's arrays, a few postings) now, so that
    a new web worker answers its first search fast (gunicorn.conf.py calls this at worker start). Returns
    the seconds spent; Elasticsearch has nothing to open."""
    be = backend()
    warm_backend = getattr(be, "warm", None)
    return warm_backend() if warm_backend else 0.0


def elasticsearch_options(cfg) -> dict:
    return {"api_key": cfg.get("ELASTICSEARCH_API_KEY", ""), "username": cfg.get("ELASTICSEARCH_USERNAME", ""),
            "password": cfg.get("ELASTICSEARCH_PASSWORD", ""), "ca_certs": cfg.get("ELASTICSEARCH_CA_CERTS", ""),
            "verify_certs": cfg.get("ELASTICSEARCH_VERIFY_CERTS", True)}


def _lock(be, timeout):
    lock = getattr(be, "write_lock", None)
    if lock is None:  # Elasticsearch: no process lock needed; the index API is atomic per document
        from contextlib import nullcontext
        return nullcontext()
    return lock(timeout)


def _load(entity_type: str, ids: list[int]) -> dict[int, object]:
    model = MODELS[entity_type]
    return {o.id: o for o in db.session.scalars(select(model).where(model.id.in_(ids)))}


BULK_LIMIT = 10000  # outbox rows per round once a backlog is found (a bulk import): the backend's bulk path


def apply_pending(limit: int | None = None, lock_timeout: float | None = None, progress=None,
                  bulk_limit: int | None = None, rounds: int | None = None) -> int:
    """Apply pending outbox rows in batches of `limit` (default 500); returns how many rows were applied.
    Without an explicit `limit`, a backlog (more than 500 rows, as a bulk import leaves) goes in rounds of
    BULK_LIMIT (or `bulk_limit`), which the Whoosh backend writes with parallel sub-writers (segmentation on
    every core) instead of one document at a time. `rounds`: stop after that many batches (an import's follower,
    imports.indexing, checks between rounds whether to go on)."""
    be = backend()
    applied = 0
    size = limit or 500
    bulk = bulk_limit or (BULK_LIMIT if limit is None else None)
    if bulk and bulk > size and db.session.scalar(select(func.count()).select_from(
            select(SearchOutbox.id).limit(size + 1).subquery())) > size:
        size = bulk
    while True:
        with _lock(be, lock_timeout):
            rows = db.session.scalars(select(SearchOutbox).order_by(SearchOutbox.id).limit(size)).all()
            if not rows:
                db.session.rollback()
                return applied
            row_ids = [r.id for r in rows]
            wanted: dict[str, set] = {}
            for r in rows:
                wanted.setdefault(r.entity_type, set()).add(r.entity_id)
            docs, gone = [], []
            db.session.expire_all()  # read what is committed now, not what this session cached
            for etype, ids in wanted.items():
                found = _load(etype, sorted(ids))
                for eid in ids:
                    obj = found.get(eid)
                    if obj is None:
                        gone.append(doc_id(etype, eid))
                    else:
                        docs.append(to_document(obj))
            db.session.rollback()  # end the read transaction before the (slow) index write
            try:
                be.index(docs)
                be.delete(gone)
            except Exception as exc:
                db.session.execute(SearchOutbox.__table__.update().where(SearchOutbox.id.in_(row_ids)).values(
                    attempts=SearchOutbox.attempts + 1, last_error=str(exc)[:500]))
                db.session.commit()
                raise
            db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))
            db.session.commit()
        applied += len(rows)
        if progress:
            progress(applied)
        if rounds is not None:
            rounds -= 1
            if rounds <= 0:
                return applied


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def try_apply(lock_timeout: float = 2.0) -> None:
    """After a commit, or before a search: bring the index up to date if no other process is doing it.
    A busy lock or a backend error leaves the rows pending for the next try or `flask search sync`."""
    try:
        apply_pending(lock_timeout=lock_timeout)
    except Exception:  # noqa: BLE001 — the rows stay in the outbox; nothing is lost
        db.session.rollback()
        current_app.logger.warning("search outbox not applied now; rows stay pending", exc_info=True)


def all_documents(batch: int = 1000):
    """Every indexed record as a document, read in id order in batches (bounded memory)."""
    for etype, model in MODELS.items():
        last = 0
        while True:
            objs = db.session.scalars(select(model).where(model.id > last).order_by(model.id).limit(batch)).all()
            if not objs:
                break
            for obj in objs:
                yield to_document(obj)
            last = objs[-1].id
            db.session.expire_all()


def reindex(progress=None) -> dict:
    """Rebuild from the database into a new index and switch to it; searches go on meanwhile.

    Records changed while the new index was being built went to the old one; afterwards every record
    changed since the start is applied again and ids that no longer exist are removed.
    """
    started = time.time()
    from ..core.models import utcnow
    since = utcnow()
    be = backend()
    count = be.rebuild(all_documents(), progress=progress)
    # Catch up on what changed during the build.
    redo = []
    for etype, model in MODELS.items():
        for obj in db.session.scalars(select(model).where(model.updated_at >= since)):
            redo.append(to_document(obj))
    be.index(redo)
    db_ids = {doc_id(t, i) for t, m in MODELS.items() for i in db.session.scalars(select(m.id))}
    extra = be.all_ids() - db_ids
    be.delete(extra)
    db.session.rollback()
    return {"indexed": count, "caught_up": len(redo), "removed": len(extra),
            "seconds": round(time.time() - started, 1)}


def reindex_if_outdated(progress=None) -> dict | None:
    """Rebuild the index when it was built under another analysis (`search.analysis.stamp`: a deploy changed how
    text is cut — its rules, the dictionary or the stopwords — so its queries no longer meet its words): reindex()'s
    figures, or None when the index is current or the backend keeps no stamp (SearchBackend.analysis_stamp)."""
    from search import analysis
    have = backend().analysis_stamp()
    if have is None or have == analysis.stamp():
        return None
    current_app.logger.info("search index built under analysis %r, now %r: rebuilding", have or "(none)",
                            analysis.stamp())
    return reindex(progress)


def check() -> dict:
    """Compare the index with the database: missing, extra, and stale documents."""
    be = backend()
    if hasattr(be, "refresh"):
        be.refresh()
    index_ids = be.all_ids()
    missing, stale, db_ids = [], [], set()
    for doc in all_documents():
        db_ids.add(doc["id"])
        got = be.get(doc["id"])
        if got is None:
            missing.append(doc["id"])
        elif got.get("digest") != doc["digest"]:
            stale.append(doc["id"])
    db.session.rollback()
    return {"documents": len(db_ids), "indexed": len(index_ids), "missing": missing,
            "extra": sorted(index_ids - db_ids), "stale": stale}


def entity_for(value: str):
    etype, eid = parse_doc_id(value)
    return db.session.get(MODELS[etype], eid)
