"""Candidate searches of the matching engine on the embedded (Whoosh) index, evaluated sparsely.

`search.whoosh_backend.Snapshot.run` scores a weighted-terms query with dense arrays the size of the whole
index: one zeroed array per token, per synonym alternative and per term (≈ 100 tokens for the plain BM25
candidate search). At 110,000 documents that is most of a record's matching time. Here the same query is
evaluated on the documents the terms actually occur in (their postings), with **the same arithmetic, element
by element, in the same dtypes and the same order** (BM25 per field summed into a float32, AND of an
alternative's tokens, max over the alternatives, the weighted sum over terms in query order), then the same
filter (live, published, of the type asked, at least `min_match` terms) and the same ordering code
(argpartition over the same array, then score and publication date). So the candidates and their scores are
identical to the backend's answer (tests/test_matching_rebuild.py compares them on random queries), only
faster; and each term's scores are cached per index generation (a snapshot), which a rebuild, where the same
words come back in thousands of queries, uses heavily.

Used by `service._search` for both the live path and the rebuild. Any other backend (Elasticsearch), or a
Whoosh backend whose snapshot does not look as expected, is searched the ordinary way (`None` here).
"""
import threading
import weakref

import numpy as np

from search import analysis

try:  # the same constants the backend scores with
    from search.base import FIELD_WEIGHTS
    from search.whoosh_backend import K1, B
except ImportError:  # pragma: no cover — Whoosh not installed
    FIELD_WEIGHTS, K1, B = None, None, None

GROUP_CACHE = 240000         # entries kept per snapshot: a term's (ids, float32 scores) in each type (≈ 60,000 terms)
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.Lock()
NEEDED = ("postings", "lengths", "avgdl", "n_live", "live", "codes", "values", "published_at", "ids", "n")


def usable(snap) -> bool:
    return FIELD_WEIGHTS is not None and all(hasattr(snap, name) for name in NEEDED)


def _cache(snap) -> dict:
    with _lock:
        cache = _caches.get(snap)
        if cache is None:
            cache = _caches[snap] = {}
        return cache


def _token(snap, token: str):
    """Snapshot._term_scores of one token, on its postings only: (sorted doc numbers, float32 scores)."""
    parts = []
    for field, weight in FIELD_WEIGHTS.items():
        ids, tfs = snap.postings(field, token)
        if ids.size:
            parts.append((field, weight, ids, tfs))
    if not parts:
        return _EMPTY
    union = parts[0][2] if len(parts) == 1 else np.unique(np.concatenate([p[2] for p in parts]))
    vals = np.zeros(union.size, dtype=np.float32)
    for field, weight, ids, tfs in parts:
        df = ids.size
        idf = np.log1p((snap.n_live - df + 0.5) / (df + 0.5))
        dl = snap.lengths[field][ids]
        norm = K1 * (1 - B + B * dl / snap.avgdl[field])
        pos = np.searchsorted(union, ids)
        vals[pos] += weight * idf * tfs * (K1 + 1) / (tfs + norm)
    return union, vals


def _alternative(snap, tokens):
    """All tokens required (their scores added where every one occurs), as Snapshot._term_scores."""
    ids, vals = _token(snap, tokens[0])
    for token in tokens[1:]:
        ids2, vals2 = _token(snap, token)
        common, i1, i2 = np.intersect1d(ids, ids2, assume_unique=True, return_indices=True)
        both = (vals[i1] > 0) & (vals2[i2] > 0)
        ids, vals = common[both], (vals[i1] + vals2[i2])[both]
    return ids, vals


def _group(snap, term: str):
    """Snapshot.text_scores of one term: the best of its alternatives (itself and its synonyms)."""
    alts = [_alternative(snap, alt) for alt in analysis.expand(term) if alt]
    alts = [(ids, vals) for ids, vals in alts if ids.size]
    if not alts:
        hit = _EMPTY
    elif len(alts) == 1:
        hit = alts[0]
    else:
        union = np.unique(np.concatenate([ids for ids, _ in alts]))
        best = np.zeros(union.size, dtype=np.float32)
        for ids, vals in alts:
            pos = np.searchsorted(union, ids)
            best[pos] = np.maximum(best[pos], vals)
        hit = (union, best)
    return hit


def _kind(snap, cache: dict, entity_type: str):
    """The documents of one type: (their numbers in the index, ascending; each document's place among them,
    -1 for the others)."""
    key = ("type", entity_type)
    hit = cache.get(key)
    if hit is None:
        docs = np.flatnonzero(snap.codes["type"] == _code(snap, "type", entity_type))
        place = np.full(snap.n, -1, dtype=np.int64)
        place[docs] = np.arange(docs.size)
        hit = cache[key] = (docs, place)
    return hit


def _typed_group(snap, cache: dict, term: str, entity_type: str):
    """_group of a term restricted to the documents of one type, numbered by their place among them (a search
    for demands no longer scatters the achievements' scores). The term's scores are worked out once and cached
    for every type."""
    hit = cache.get((entity_type, term))
    if hit is not None:
        return hit
    ids, vals = _group(snap, term)
    if len(cache) >= GROUP_CACHE:
        kinds = {k: v for k, v in cache.items() if k[0] == "type"}
        cache.clear()
        cache.update(kinds)
    for name in snap.values["type"]:
        _docs, place = _kind(snap, cache, name)
        local = place[ids]
        mine = local >= 0
        cache[(name, term)] = (local[mine], vals[mine]) if ids.size else _EMPTY
    return cache.get((entity_type, term), _EMPTY)


def _code(snap, name, value) -> int:
    try:
        return snap.values[name].index(value)
    except ValueError:
        return -1


def run(snap, weighted, entity_type: str, min_match: int, per_page: int) -> list[tuple[str, float]]:
    """Snapshot.run of SearchQuery(weighted_terms=weighted, min_match=min_match, types=(entity_type,),
    visibility=Visibility(), per_page=per_page, facets=False): [(document id, score)] of the first page."""
    if snap.n == 0 or not weighted:
        return []
    cache = _cache(snap)
    kind_docs, _place = _kind(snap, cache, entity_type)
    # Scores and counts over the documents of the asked type only, in the index's order (the same elements, the
    # same additions in the same order as over the whole index, so the same floats).
    scores = np.zeros(kind_docs.size, dtype=np.float32)
    hits = np.zeros(kind_docs.size, dtype=np.int32)
    for term, weight in weighted:
        ids, vals = _typed_group(snap, cache, term, entity_type)
        if ids.size:
            scores[ids] += np.float32(weight) * vals
            hits[ids] += 1
    local = np.flatnonzero(hits >= max(1, int(min_match)))  # ascending, as the backend's flatnonzero(mask)
    docs = kind_docs[local]
    keep = snap.live[docs]
    keep &= snap.codes["status"][docs] == _code(snap, "status", "published")
    docs, local = docs[keep], local[keep]
    s = scores[local]
    if per_page < docs.size:
        top = np.argpartition(-s, per_page)[:per_page]
        order = top[np.lexsort((-snap.published_at[docs[top]], -s[top]))]
    else:
        order = np.lexsort((-snap.published_at[docs], -s))
    page = docs[order][:per_page]
    return [(str(snap.ids[d]), float(s_)) for d, s_ in zip(page, s[order][:per_page])]


def search(backend, weighted, entity_type: str, min_match: int, per_page: int):
    """The candidates of a weighted-terms query, or None when this backend is not one this module reads."""
    reading = getattr(backend, "reading", None)
    if reading is None:
        return None
    with reading() as snap:
        if not usable(snap):
            return None
        return run(snap, weighted, entity_type, min_match, per_page)
