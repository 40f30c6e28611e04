"""The embedded backend: Whoosh stores the index; queries are evaluated and scored with numpy.

Why not Whoosh's own query engine: a plain Whoosh + jieba index with an OR parser answered in 250–350 ms at
only 20,000 documents here. Whoosh keeps what it is good at (segments, atomic commits, merging, deletions,
postings on disk) and our use of it stays narrow: we write documents, and read postings and columns. A
snapshot of the reader's columns (facet codes, owners, statuses, dates, prices, field lengths) is built once
per index generation; each term's postings become two numpy arrays, cached; a query is then a few vector
operations: AND of the terms (each an OR of its synonyms and fields), BM25 with field weights, filters as
masks, facet counts as bincounts.

Writes: one writer at a time, serialised by an flock()ed file with a timeout (Whoosh's own writer lock has a
timeout of 0 and would raise LockError at once), so several web worker processes never see a lock error.
The live index is the directory that `current` (a symlink) points to; `rebuild()` builds a new directory and
swaps the symlink atomically, so searches never stop.
"""
import errno
import fcntl
import os
import shutil
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from whoosh import index as windex
from whoosh.analysis import Composable, Token
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.query import Or, Phrase

from . import analysis
from .base import (FIELD_WEIGHTS, MULTI_FACETS, PRICE_RANGES, SINGLE_FACETS, SearchBackend, SearchQuery,
                   SearchResult, price_range_key)

TEXT_FIELDS = tuple(FIELD_WEIGHTS)
K1, B = 1.2, 0.75
POSTINGS_CACHE = 20000   # (field, term) entries kept per snapshot
REFRESH_SECONDS = 1.0    # how often a searcher checks for a newer index generation
BULK_FROM = 1000         # index() of at least this many documents uses parallel sub-writers
BULK_LIMITMB = 256       # memory per sub-writer's posting pool (2 sub-writers: well under the import's 1 GiB)
BULK_MAX_SEGMENTS = 48   # a bulk commit merges segments only beyond this many (see _bulk_merge)


class IndexLocked(RuntimeError):
    """Another process held the index write lock for longer than the timeout."""


class JiebaTokenizer(Composable):
    """Segments raw text with search.analysis (jieba + domain dictionary + code regex), emitting each
    token at its word position and its sub-words at the same position: the same tokens the Elasticsearch
    backend receives pre-segmented. Segmenting inside the analyzer lets Whoosh's sub-writer processes
    do it in parallel during a rebuild."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, group in enumerate(analysis.token_groups(value), start=start_pos):
            for text in group:
                t.text, t.boost, t.stopped = text, 1.0, False
                if keeporiginal:
                    t.original = text
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char, start_char + len(text)
                yield t


def make_schema() -> Schema:
    """Text fields are indexed (with positions, for phrases); everything else is a column only, read by the
    numpy snapshot. (Indexing those as ID fields would also cost a file stat per posting at commit: whoosh
    2.7.5 looks for a length column that non-scorable fields never have, for every posting.)"""
    text = dict(analyzer=JiebaTokenizer(), phrase=True, stored=False)
    strings = {name: COLUMN(VarBytesColumn()) for name in SINGLE_FACETS + MULTI_FACETS + ("digest",)}
    numbers = {name: COLUMN(NumericColumn("q", default=0)) for name in ("owner_org", "published_at", "price_fen")}
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),  # indexed: update_document and delete_by_term need it
        title=TEXT(**text), keywords=TEXT(**text), body=TEXT(**text),
        **strings, **numbers,
    )


def prepare(doc: dict) -> dict:
    """A document as Whoosh fields: lists joined, None made explicit (text is segmented by the analyzer)."""
    fields = {"id": doc["id"], "digest": str(doc.get("digest") or "").encode(),
              "owner_org": int(doc.get("owner_org") or 0),
              "published_at": int(doc.get("published_at") or 0),
              "price_fen": round(float(doc["price"]) * 100) if doc.get("price") is not None else -1}
    for name in TEXT_FIELDS:
        fields[name] = doc.get(name) or ""
    for name in SINGLE_FACETS:
        fields[name] = str(doc.get(name) or "").encode()
    for name in MULTI_FACETS:
        fields[name] = ",".join(v.replace(",", " ") for v in (doc.get(name) or [])).encode()
    return fields


def _posting_arrays(matcher):
    """All (docnum, term frequency) of a term in one segment, read block by block.

    Uses the block attributes of whoosh 2.7.5's W3LeafMatcher (whoosh-reloaded is pinned to 2.7.5); any other
    matcher goes through the public per-posting API.
    """
    ids, tfs = [], []
    try:
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids[matcher._i:])
            tfs.extend(matcher._weights[matcher._i:])
            matcher._next_block()
    except AttributeError:
        while matcher.is_active():
            ids.append(matcher.id())
            tfs.append(matcher.weight())
            matcher.next()
    return ids, tfs


RANGE_KEYS = [key for key, *_ in PRICE_RANGES]


class SegmentData:
    """The column arrays and a postings cache of one Whoosh segment. Segments never change once written
    (only their deletions do), so this is read once per segment and kept across index generations: after a
    web write adds a small segment, the next search reads just that one."""

    def __init__(self, leaf):
        self.n = n = leaf.doc_count_all()

        def column(name):
            if n == 0:
                return []
            return [v.decode() if isinstance(v, bytes) else v for v in leaf.column_reader(name)]

        self.ids = np.array(column("id"), dtype=object)
        self.values, self.codes = {}, {}
        for name in SINGLE_FACETS:
            raw = column(name)
            vocab = sorted(set(raw))
            index = {v: i for i, v in enumerate(vocab)}
            self.values[name] = vocab
            self.codes[name] = np.array([index[v] for v in raw], dtype=np.int32)
        self.multi_values, self.multi = {}, {}
        for name in MULTI_FACETS:
            rows = [v.split(",") if v else [] for v in column(name)]
            vocab = sorted({x for r in rows for x in r})
            index = {v: i for i, v in enumerate(vocab)}
            matrix = np.zeros((n, len(vocab)), dtype=bool)
            for d, r in enumerate(rows):
                for x in r:
                    matrix[d, index[x]] = True
            self.multi_values[name], self.multi[name] = vocab, matrix
        self.owner_org = np.array(column("owner_org"), dtype=np.int64)
        self.published_at = np.array(column("published_at"), dtype=np.int64)
        price = np.array(column("price_fen"), dtype=np.float64) / 100
        self.price = np.where(price < 0, np.nan, price)
        self.price_range = np.array([RANGE_KEYS.index(price_range_key(None if p < 0 else p)) for p in price],
                                    dtype=np.int8)
        self.lengths = {name: np.array([leaf.doc_field_length(d, name, 0) or 0 for d in range(n)],
                                       dtype=np.float32) for name in TEXT_FIELDS}
        self._postings: OrderedDict = OrderedDict()

    def postings(self, leaf, field, term):
        key = (field, term)
        hit = self._postings.get(key)
        if hit is None:
            if (field, term) in leaf:
                ids, tfs = _posting_arrays(leaf.postings(field, term))
                hit = (np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float32))
            else:
                hit = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
            self._postings[key] = hit
            _trim(self._postings)
        else:
            _touch(self._postings, key)
        return hit


_segments: dict = {}  # (index path, segment id) → SegmentData, for the segments of the live generation


def _touch(cache: OrderedDict, key) -> None:
    """LRU bookkeeping that tolerates another thread having evicted the key meanwhile."""
    try:
        cache.move_to_end(key)
    except KeyError:
        pass


def _trim(cache: OrderedDict) -> None:
    while len(cache) > POSTINGS_CACHE:
        try:
            cache.popitem(last=False)
        except KeyError:
            break


def _concat(parts, dtype):
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


class Snapshot:
    """One index generation as numpy arrays, assembled from the cached arrays of its segments."""

    def __init__(self, searcher, path: str = ""):
        self.searcher = searcher
        # Threads of one worker share a snapshot: Whoosh's readers seek and read shared files, so every read
        # through them holds `io`; the snapshot's searcher is closed only once it is retired (a newer one
        # replaced it) AND its last user released it (WhooshBackend.reading).
        self.io = threading.RLock()
        self._users = 0
        self._retired = self._closed = False
        self._guard = threading.Lock()
        reader = searcher.reader()
        self.leaves = reader.leaf_readers()
        keep, self.segs = set(), []
        for leaf, base in self.leaves:
            if not leaf.doc_count_all():
                continue  # an empty index has a reader without a segment
            key = (path, leaf.segment().segment_id())
            keep.add(key)
            if key not in _segments:
                _segments[key] = SegmentData(leaf)
            self.segs.append((_segments[key], leaf, base))
        for key in [k for k in _segments if k not in keep]:
            del _segments[key]  # segments merged away, or of an older generation directory
        self.n = n = reader.doc_count_all()
        self.live = np.ones(n, dtype=bool)
        for seg, leaf, base in self.segs:
            if leaf.has_deletions():
                gone = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)  # a cached_property in 2.7.5
                self.live[gone + base] = False
        self.n_live = int(self.live.sum())
        self.ids = _concat([seg.ids for seg, _, _ in self.segs], object)
        self.values, self.codes = {}, {}
        for name in SINGLE_FACETS:
            vocab = sorted({v for seg, _, _ in self.segs for v in seg.values[name]})
            index = {v: i for i, v in enumerate(vocab)}
            parts = [np.array([index[v] for v in seg.values[name]], dtype=np.int32)[seg.codes[name]]
                     if seg.n else np.zeros(0, dtype=np.int32) for seg, _, _ in self.segs]
            self.values[name], self.codes[name] = vocab, _concat(parts, np.int32)
        self.multi_values, self.multi = {}, {}
        for name in MULTI_FACETS:
            vocab = sorted({v for seg, _, _ in self.segs for v in seg.multi_values[name]})
            index = {v: i for i, v in enumerate(vocab)}
            matrix = np.zeros((n, len(vocab)), dtype=bool)
            for seg, _, base in self.segs:
                cols = [index[v] for v in seg.multi_values[name]]
                if cols:
                    matrix[base:base + seg.n][:, cols] = seg.multi[name]
            self.multi_values[name], self.multi[name] = vocab, matrix
        self.owner_org = _concat([seg.owner_org for seg, _, _ in self.segs], np.int64)
        self.published_at = _concat([seg.published_at for seg, _, _ in self.segs], np.int64)
        self.price = _concat([seg.price for seg, _, _ in self.segs], np.float64)
        self.range_keys = RANGE_KEYS
        self.price_range = _concat([seg.price_range for seg, _, _ in self.segs], np.int8)
        self.lengths, self.avgdl = {}, {}
        for name in TEXT_FIELDS:
            lengths = _concat([seg.lengths[name] for seg, _, _ in self.segs], np.float32)
            self.lengths[name] = lengths
            # A field empty in every document (keywords, often) must not divide by zero.
            self.avgdl[name] = max(float(lengths[self.live].mean()), 1.0) if self.n_live else 1.0
        self._postings: OrderedDict = OrderedDict()

    # -- sharing between threads ---------------------------------------------------------------------------

    def acquire(self) -> "Snapshot":
        with self._guard:
            if self._closed:
                raise RuntimeError("snapshot already closed")
            self._users += 1
        return self

    def release(self) -> None:
        with self._guard:
            self._users -= 1
            last = self._retired and self._users == 0
        if last:
            self._close()

    def retire(self) -> None:
        """A newer snapshot replaced this one: close the searcher now, or when its last user releases it."""
        with self._guard:
            self._retired = True
            idle = self._users == 0
        if idle:
            self._close()

    @property
    def users(self) -> int:
        return self._users

    @property
    def closed(self) -> bool:
        return self._closed

    def _close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
        with self.io:
            self.searcher.close()

    def position(self, doc_id: str):
        """The live docnum of a document id (a dict built on first use)."""
        if not hasattr(self, "_positions"):
            self._positions = {str(self.ids[d]): int(d) for d in np.flatnonzero(self.live)}
        return self._positions.get(doc_id)

    def postings(self, field, term):
        """Live (docnum, tf) arrays of a term across the segments (each segment's part cached there)."""
        key = (field, term)
        hit = self._postings.get(key)
        if hit is not None:
            _touch(self._postings, key)
            return hit
        ids, tfs = [], []
        with self.io:  # decoding postings reads the segment files through this snapshot's readers
            parts = [(seg.postings(leaf, field, term), base) for seg, leaf, base in self.segs]
        for (sids, stfs), base in parts:
            if sids.size:
                ids.append(sids + base)
                tfs.append(stfs)
        arr_ids, arr_tfs = _concat(ids, np.int64), _concat(tfs, np.float32)
        if arr_ids.size:
            keep = self.live[arr_ids]
            arr_ids, arr_tfs = arr_ids[keep], arr_tfs[keep]
        self._postings[key] = (arr_ids, arr_tfs)
        _trim(self._postings)
        return arr_ids, arr_tfs

    # -- query evaluation --------------------------------------------------------------------------------

    def _term_scores(self, tokens: list[str]):
        """Scores of one alternative (a token sequence, all required) summed over the weighted fields."""
        total = None
        for token in tokens:
            per_token = np.zeros(self.n, dtype=np.float32)
            for field, weight in FIELD_WEIGHTS.items():
                ids, tfs = self.postings(field, token)
                if not ids.size:
                    continue
                df = ids.size
                idf = np.log1p((self.n_live - df + 0.5) / (df + 0.5))
                dl = self.lengths[field][ids]
                norm = K1 * (1 - B + B * dl / self.avgdl[field])
                per_token[ids] += weight * idf * tfs * (K1 + 1) / (tfs + norm)
            total = per_token if total is None else np.where((total > 0) & (per_token > 0),
                                                              total + per_token, 0)
        return total

    def text_scores(self, terms: list[str]):
        """(scores, matched) per document for the AND of terms; each term an OR of its synonyms."""
        groups = []
        for term in terms:
            best = np.zeros(self.n, dtype=np.float32)
            for alt in analysis.expand(term):
                np.maximum(best, self._term_scores(alt), out=best)
            groups.append(best)
        return groups

    def phrase_docs(self, tokens: list[str], candidates: np.ndarray) -> np.ndarray:
        """Documents among `candidates` where the tokens appear adjacent, verified by Whoosh's Phrase."""
        if len(tokens) == 1:
            return candidates
        q = Or([Phrase(f, tokens) for f in TEXT_FIELDS])
        allowed = {int(d) for d in np.flatnonzero(candidates)}
        found = np.zeros(self.n, dtype=bool)
        with self.io:
            for hit in self.searcher.search(q, filter=allowed, limit=None, scored=False):
                found[hit.docnum] = True
        return found

    def mask_for(self, query: SearchQuery) -> np.ndarray:
        mask = self.live.copy()
        vis = query.visibility
        if not vis.everything:
            allowed = np.isin(self.codes["status"], [self._code("status", s) for s in query.statuses])
            if vis.org_ids:
                allowed |= np.isin(self.owner_org, np.array(vis.org_ids, dtype=np.int64))
            mask &= allowed
        if query.types:
            mask &= np.isin(self.codes["type"], [self._code("type", t) for t in query.types])
        for name, value in (query.filters or {}).items():
            if name in self.codes:
                mask &= self.codes[name] == self._code(name, value)
            elif name in self.multi:
                vocab = self.multi_values[name]
                mask &= self.multi[name][:, vocab.index(value)] if value in vocab else False
            elif name == "price_range":
                mask &= self.price_range == (self.range_keys.index(value) if value in self.range_keys else -1)
        if query.price_min is not None:
            mask &= self.price >= query.price_min
        if query.price_max is not None:
            mask &= self.price <= query.price_max
        return mask

    def _code(self, name, value):
        try:
            return self.values[name].index(value)
        except ValueError:
            return -1

    def facet_counts(self, mask: np.ndarray) -> dict:
        out = {}
        for name in SINGLE_FACETS:
            if name == "status":
                continue
            counts = np.bincount(self.codes[name][mask], minlength=len(self.values[name]))
            out[name] = sorted(((v, int(c)) for v, c in zip(self.values[name], counts) if c and v),
                               key=lambda x: (-x[1], x[0]))
        for name in MULTI_FACETS:
            counts = self.multi[name][mask].sum(axis=0) if self.multi_values[name] else []
            out[name] = sorted(((v, int(c)) for v, c in zip(self.multi_values[name], counts) if c),
                               key=lambda x: (-x[1], x[0]))
        counts = np.bincount(self.price_range[mask], minlength=len(self.range_keys))
        out["price_range"] = [(key, int(c)) for key, c in zip(self.range_keys, counts) if c]
        return out

    def run(self, query: SearchQuery) -> SearchResult:
        if self.n == 0:
            return SearchResult(ids=[], total=0, facets={})
        mask = self.mask_for(query)
        terms, phrases = analysis.parse_query(query.text)
        relaxed = False
        scores = np.zeros(self.n, dtype=np.float32)
        if query.weighted_terms:
            # "Any" mode (matching): weighted terms, each an OR of its synonyms; a document must contain
            # at least `min_match` of them; the score is the weighted sum.
            wanted = [t for t, _ in query.weighted_terms]
            groups = self.text_scores(wanted)
            hits = np.zeros(self.n, dtype=np.int32)
            for g, (_, weight) in zip(groups, query.weighted_terms):
                scores += np.float32(weight) * g
                hits += g > 0
            mask &= hits >= max(1, int(query.min_match))
            terms = wanted
        elif terms or phrases:
            groups = self.text_scores(terms + [t for p in phrases for t in p])
            matched = np.ones(self.n, dtype=bool)
            for g in groups:
                matched &= g > 0
            for p in phrases:
                matched &= self.phrase_docs(p, matched & mask)
            if not (matched & mask).any() and len(groups) > 1 and not phrases:
                # No document has every term: show those with most of them, and say so.
                hits = sum((g > 0).astype(np.int32) for g in groups)
                matched = hits >= max(1, (len(groups) + 1) // 2)
                relaxed = bool((matched & mask).any())
            for g in groups:
                scores += g
            mask &= matched
        total = int(mask.sum())
        facets = self.facet_counts(mask) if query.facets else {}
        start = (query.page - 1) * query.per_page
        docs = np.flatnonzero(mask)
        if query.sort == "newest" or (query.sort == "relevance" and not (terms or phrases)):
            order = np.lexsort((-docs, -self.published_at[docs]))
        elif query.sort in ("price_asc", "price_desc"):
            price = self.price[docs]
            key = np.where(np.isnan(price), np.inf, price if query.sort == "price_asc" else -price)
            order = np.lexsort((-self.published_at[docs], key))
        else:
            s = scores[docs]
            if start + query.per_page < docs.size:
                top = np.argpartition(-s, start + query.per_page)[:start + query.per_page]
                order = top[np.lexsort((-self.published_at[docs[top]], -s[top]))]
            else:
                order = np.lexsort((-self.published_at[docs], -s))
        page = docs[order][start:start + query.per_page]
        return SearchResult(ids=[str(self.ids[d]) for d in page], total=total, facets=facets,
                            scores=[float(scores[d]) for d in page], relaxed=relaxed)


class IndexIncompatible(RuntimeError):
    """The index on disk was written by another version of this code: run `flask search reindex`."""


def _open(path):
    """Open an index without mmap: mapped index files would count in every worker's resident memory."""
    from whoosh.filedb.filestore import FileStorage
    try:
        return FileStorage(str(path), supports_mmap=False).open_index()
    except (AttributeError, ImportError, ModuleNotFoundError) as exc:  # the pickled schema names old classes
        raise IndexIncompatible(f"search index at {path} was written by another version: "
                                f"run `flask search reindex` ({exc})") from None


def _docnums_of(searcher, ids: set) -> list[int]:
    """The live docnums of `ids` in one pass over each segment's `id` column (the writer's own searcher, so
    these are its docnums). One term lookup per id and segment, as Whoosh's delete_by_term does, costs
    ~0.1 ms each and grows with the number of segments (2.4 ms per replaced document at 100,000); reading the
    column costs ~1 µs per stored document and a set lookup, whatever the number of segments."""
    found = []
    for reader, offset in searcher.reader().leaf_readers():
        if not reader.doc_count_all() or not reader.doc_count():
            continue
        deleted = reader.is_deleted if reader.has_deletions() else None
        for docnum, value in enumerate(reader.column_reader("id")):
            if isinstance(value, bytes):
                value = value.decode()
            if value in ids and not (deleted and deleted(docnum)):
                found.append(offset + docnum)
    return found


def _drop_emptied_segments(writer) -> None:
    """Segments whose every document is now deleted (a re-import replaces whole segments) are left out of
    the new generation rather than kept forever as dead weight for readers: Whoosh only drops them when a
    merge happens to pick them. Their files are removed by the commit, as a merge's are."""
    writer.segments = [seg for seg in writer.segments if seg.doc_count_all() == 0 or seg.doc_count() > 0]


def _bulk_merge(writer, segments):
    """The merge policy of a bulk commit (an import's rounds): no merge while the index has at most
    BULK_MAX_SEGMENTS segments, Whoosh's MERGE_SMALL beyond. MERGE_SMALL at every commit merged, once an index had
    ~22 segments of ~5,000 documents (11 rounds of 10,000: a 100,000-row import), nearly all of them into one, in
    the committing process while the sub-writers waited (issue 14: index CPU 1.18 ms/doc at 60,000 rows, 1.80 at
    100,000). Each round adds two segments; a re-import's replaced segments are dropped (_drop_emptied_segments);
    `flask search reindex` rebuilds into two."""
    from whoosh.writing import MERGE_SMALL, NO_MERGE
    return (NO_MERGE if len(segments) <= BULK_MAX_SEGMENTS else MERGE_SMALL)(writer, segments)


# A generation's analysis stamp (search.analysis.stamp): written with the index, read by reindex_if_outdated.
STAMP_FILE = "analysis.stamp"


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, base_dir: str, lock_timeout: float = 30.0):
        self.base = Path(base_dir)
        self.base.mkdir(parents=True, exist_ok=True)
        self.lock_timeout = lock_timeout
        self._snapshot = None
        self._checked_at = 0.0
        self._path = None
        self._held = threading.local()
        self._thread_lock = threading.Lock()  # flock() does not exclude threads of one process
        self._swap_lock = threading.Lock()    # taking a snapshot for use vs replacing it (reading())
        self._build_lock = threading.Lock()   # one thread of the process checks for and opens a new generation

    # -- layout and locking ------------------------------------------------------------------------------

    @property
    def current(self) -> Path:
        return self.base / "current"

    def _ensure_index(self) -> Path:
        if not self.current.exists():
            with self.write_lock():
                if not self.current.exists():
                    gen = self._new_generation()
                    windex.create_in(str(gen), make_schema())
                    (gen / STAMP_FILE).write_text(analysis.stamp(), encoding="ascii")
                    self._switch(gen)
        return self.current.resolve()

    def analysis_stamp(self) -> str:
        path = self._ensure_index() / STAMP_FILE
        return path.read_text(encoding="ascii").strip() if path.exists() else ""

    def _new_generation(self) -> Path:
        gen = self.base / f"gen-{time.time_ns()}"
        gen.mkdir()
        return gen

    def _switch(self, gen: Path) -> None:
        tmp = self.base / f".current-{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(gen.name)
        os.replace(tmp, self.current)  # atomic: a reader sees the old or the new index, never none

    def _cleanup(self, keep: Path) -> None:
        """Remove generations older than the previous one (open searchers may still read the previous)."""
        gens = sorted(p for p in self.base.glob("gen-*") if p.is_dir())
        for old in gens[:-2]:
            if old.resolve() != keep.resolve():
                shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def write_lock(self, timeout: float | None = None):
        """Exclusive across processes and threads; waits up to `timeout` seconds, then raises IndexLocked.
        Re-entrant within one thread (the outbox holds it around reads and index writes)."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        timeout = self.lock_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=max(timeout, 0.001)):
            raise IndexLocked(f"search index busy for more than {timeout:.0f}s")
        try:
            with self._flock(deadline, timeout):
                self._held.depth = 1
                try:
                    yield
                finally:
                    self._held.depth = 0
        finally:
            self._thread_lock.release()

    @contextmanager
    def _flock(self, deadline: float, timeout: float):
        fd = os.open(self.base / "write.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise IndexLocked(f"search index busy for more than {timeout:.0f}s") from None
                    time.sleep(0.05)
            yield
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    @contextmanager
    def _writing(self):
        """A Whoosh writer under our lock: committed on success, cancelled on any error."""
        with self.write_lock():
            # Our flock already serialises writers; Whoosh's own lock is then free, but give it time anyway.
            writer = _open(self._ensure_index()).writer(timeout=self.lock_timeout)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
        self._checked_at = 0.0  # our own write is visible to our next search

    # -- writing -----------------------------------------------------------------------------------------

    def index(self, docs) -> int:
        prepared = [prepare(d) for d in docs]
        if len(prepared) >= BULK_FROM and min(2, os.cpu_count() or 1) > 1:
            return self._index_bulk(prepared)
        if prepared:
            with self._writing() as writer:
                for fields in prepared:
                    writer.update_document(**fields)
        return len(prepared)

    def _index_bulk(self, prepared: list, workers: int | None = None) -> int:
        """Many documents at once (an import's outbox): the rebuild's mechanism on the live index — sub-writers
        in `workers` processes segment and write their own segments in parallel (no final merge) — after the
        old versions of the documents are deleted through one searcher. Same lock, same atomic commit."""
        workers = workers or min(2, os.cpu_count() or 1)
        unique = list({f["id"]: f for f in prepared}.values())  # the last version of a document wins
        analysis.tokenizer()  # load the dictionaries here, once: the forked sub-writers inherit them
        with self.write_lock():
            ix = _open(self._ensure_index())
            writer = ix.writer(procs=workers, multisegment=True, limitmb=BULK_LIMITMB, timeout=self.lock_timeout)
            try:
                for docnum in _docnums_of(writer.searcher(), {f["id"] for f in unique}):
                    writer.delete_document(docnum)
                _drop_emptied_segments(writer)
                for fields in unique:
                    writer.add_document(**fields)
                writer.commit(mergetype=_bulk_merge)
            except BaseException:
                writer.cancel()
                raise
        self._checked_at = 0.0
        return len(prepared)

    def delete(self, ids) -> int:
        ids = list(ids)
        if ids:
            with self._writing() as writer:
                for doc_id in ids:
                    writer.delete_by_term("id", doc_id)
        return len(ids)

    def rebuild(self, docs, workers: int | None = None, progress=None) -> int:
        workers = workers or min(2, os.cpu_count() or 1)
        gen = self._new_generation()
        ix = windex.create_in(str(gen), make_schema())
        # Sub-writers in `workers` processes add and commit their own segments in parallel (no final merge:
        # the query engine reads several segments as easily as one).
        writer = ix.writer(procs=workers, multisegment=True, limitmb=1024) if workers > 1 else ix.writer(limitmb=512)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**prepare(doc))
                count += 1
                if progress and count % 1000 == 0:
                    progress(count)
            writer.commit()
            (gen / STAMP_FILE).write_text(analysis.stamp(), encoding="ascii")
        except BaseException:
            writer.cancel()
            shutil.rmtree(gen, ignore_errors=True)
            raise
        with self.write_lock():
            self._switch(gen)
        self._cleanup(gen)
        self._checked_at = 0.0
        return count

    # -- reading -----------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The snapshot of the newest index generation (checked at most every REFRESH_SECONDS). Threads
        that use it across a refresh take it with `reading()`, which keeps it open until they are done."""
        snap = self._snapshot
        if snap is not None and time.monotonic() - self._checked_at < REFRESH_SECONDS:
            return snap
        # One thread checks and opens; the others go on with the snapshot they have (or wait for the first).
        if not self._build_lock.acquire(blocking=snap is None):
            return snap
        try:
            snap = self._snapshot
            if snap is not None and time.monotonic() - self._checked_at < REFRESH_SECONDS:
                return snap
            self._checked_at = time.monotonic()
            path = self._ensure_index()
            # A new searcher rather than Searcher.refresh(): refresh() reuses the readers of unchanged
            # segments, and deletions in them were not seen (whoosh 2.7.5; see tests/test_search_engine.py).
            if snap is None or path != self._path or not self._up_to_date(snap):
                new = self._open_snapshot(path)
                with self._swap_lock:
                    old, self._snapshot, self._path = self._snapshot, new, path
                if old is not None:
                    old.retire()  # closed now, or by the last thread still reading it
            return self._snapshot
        finally:
            self._build_lock.release()

    OPEN_ATTEMPTS = 5

    @classmethod
    def _open_snapshot(cls, path) -> Snapshot:
        """A snapshot of the newest generation. Opening reads the newest table of contents, then its
        segments' files; a commit in another thread or process between the two may replace that generation
        and delete its files (FileNotFoundError; seen once in the full suite's threads-while-writing test):
        read the newest one again, a few times."""
        for attempt in range(cls.OPEN_ATTEMPTS):
            try:
                return Snapshot(_open(path).searcher(), str(path))
            except FileNotFoundError:
                if attempt == cls.OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))

    @staticmethod
    def _up_to_date(snap: Snapshot) -> bool:
        with snap.io:
            return snap.searcher.up_to_date()

    @contextmanager
    def reading(self):
        """The current snapshot, held open for the duration of the block even if another thread replaces it."""
        self.snapshot()
        with self._swap_lock:
            snap = self._snapshot.acquire()
        try:
            yield snap
        finally:
            snap.release()

    def warm(self, queries=("技术", "新材料 工艺")) -> float:
        """Open the index and decode a few postings now (at worker start) rather than in a user's first
        request; returns the seconds it took."""
        started = time.perf_counter()
        analysis.tokenizer()  # jieba's dictionaries
        for text in queries:
            self.search(SearchQuery(text=text, per_page=5))
        return time.perf_counter() - started

    def refresh(self) -> None:
        self._checked_at = 0.0

    def search(self, query: SearchQuery) -> SearchResult:
        with self.reading() as snap:
            return snap.run(query)

    def doc_freq(self, term: str) -> tuple[int, int]:
        """(documents containing `term`, live documents). Read from the term dictionary (no postings are
        decoded): the largest of the per-field document frequencies, deleted documents included until a
        merge drops them — an estimate, good for weighting terms, not for counting results."""
        with self.reading() as snap, snap.io:
            reader = snap.searcher.reader()
            df = 0
            for f in TEXT_FIELDS:
                try:
                    df = max(df, reader.doc_frequency(f, term))
                except (KeyError, ValueError):
                    continue
            return min(df, snap.n_live), snap.n_live

    def all_ids(self) -> set:
        with self.reading() as snap:
            return {str(i) for i in snap.ids[snap.live]}

    def get(self, doc_id: str):
        with self.reading() as snap:
            return self._get(snap, doc_id)

    @staticmethod
    def _get(snap: Snapshot, doc_id: str):
        d = snap.position(doc_id)
        if d is None:
            return None
        with snap.io:
            digest = snap.searcher.reader().column_reader("digest")[d].decode()
        doc = {"id": doc_id, "digest": digest or None, "owner_org": int(snap.owner_org[d]),
               "published_at": int(snap.published_at[d]),
               "price": None if np.isnan(snap.price[d]) else float(snap.price[d])}
        for name in SINGLE_FACETS:
            doc[name] = snap.values[name][snap.codes[name][d]] or None
        for name in MULTI_FACETS:
            doc[name] = [v for j, v in enumerate(snap.multi_values[name]) if snap.multi[name][d, j]]
        return doc

    def close(self) -> None:
        with self._swap_lock:
            snap, self._snapshot, self._path = self._snapshot, None, None
        if snap is not None:
            snap.retire()
