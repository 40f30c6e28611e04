"""The backend for deployments that outgrow one machine: Elasticsearch through the official client.

Text arrives segmented by search.analysis (the same jieba segmentation and dictionary as the Whoosh backend),
so the server needs no Chinese plugin: a whitespace tokenizer splits the position groups and a
pattern_capture filter emits a group's sub-words ("稀土永磁|稀土|永磁") at the same position, exactly as the
Whoosh analyzer does. Queries use the same term expansion (synonyms) and the same AND-then-relaxed rule.

Client and server versions (the client's compatibility table): clients are forward compatible, so the 8.x
client setup.cfg pins works with 8.x and 9.x servers; a 9.x client does NOT work with an 8.x server (it sends
`compatible-with=9`). Upgrade the server first, then, if wanted, the client.

Index lifecycle: the first writer creates the fixed index `<alias>-000001` and points the alias at it ("already
exists" counts as success, so two workers starting together end with one index and one alias). `rebuild()`
fills a new concrete index, moves the alias in one update_aliases call, and keeps the index it replaced (a
search that resolved the alias just before the switch can still finish); indices older than that are deleted
at the next rebuild. A failed rebuild deletes its half-filled index.

Writes carry `version_type: external` with the record's `updated_at` (microseconds): an older read of a record
can never overwrite a newer one (the cluster answers 409, which counts as success — the newer state is there).

Errors: a connection failure or timeout raises search.base.SearchUnavailable (the site answers 503); pages
beyond `index.max_result_window` (10,000 hits) come back empty with the right total, as on Whoosh.
"""
import time

from . import analysis
from .base import (FIELD_WEIGHTS, MULTI_FACETS, PRICE_RANGES, SINGLE_FACETS, SearchBackend, SearchQuery, SearchResult,
                   SearchUnavailable)
from .whoosh_backend import TEXT_FIELDS  # the same text fields on both backends

MAX_RESULT_WINDOW = 10_000   # the cluster's default index.max_result_window: from + size beyond it is refused
FACET_SIZE = 10_000          # facet values returned per field (Whoosh returns them all; below search.max_buckets)
FIRST_INDEX_SUFFIX = "000001"

SETTINGS = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {"subwords": {"type": "pattern_capture", "preserve_original": False, "patterns": ["([^|]+)"]}},
        "analyzer": {"presegmented": {"type": "custom", "tokenizer": "whitespace",
                                      "filter": ["subwords", "lowercase"]}},
    },
}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"}, "digest": {"type": "keyword"}, "version": {"type": "long"},
        "owner_org": {"type": "long"}, "published_at": {"type": "long"}, "price_fen": {"type": "long"},
        "price_range": {"type": "keyword"},
        **{name: {"type": "text", "analyzer": "presegmented"} for name in TEXT_FIELDS},
        **{name: {"type": "keyword"} for name in SINGLE_FACETS + MULTI_FACETS},
    },
}
FIELDS = [f"{name}^{weight}" for name, weight in FIELD_WEIGHTS.items()]


def es_document(doc: dict) -> dict:
    from .base import price_range_key
    price = doc.get("price")
    body = {"id": doc["id"], "digest": doc.get("digest"), "version": int(doc.get("version") or 0),
            "owner_org": int(doc.get("owner_org") or 0),
            "published_at": int(doc.get("published_at") or 0),
            "price_fen": round(float(price) * 100) if price is not None else None,
            "price_range": price_range_key(None if price is None else float(price))}
    for name in TEXT_FIELDS:
        body[name] = analysis.segment(doc.get(name) or "")
    for name in SINGLE_FACETS:
        body[name] = doc.get(name) or None
    for name in MULTI_FACETS:
        body[name] = list(doc.get(name) or [])
    return body


def _connection_errors():
    from elastic_transport import ConnectionError as TransportConnectionError, ConnectionTimeout
    return (TransportConnectionError, ConnectionTimeout)


def _unavailable(fn):
    """A cluster that cannot be reached is SearchUnavailable (503 for the user), not an unhandled error."""
    import functools

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except _connection_errors() as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
    return wrapper


def _write_action(index: str, doc: dict) -> dict:
    action = {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": es_document(doc)}
    if doc.get("version"):
        action.update(version=int(doc["version"]), version_type="external")
    return action


def _check_bulk(results, ok_statuses) -> None:
    """Raise on any item that failed for another reason than an allowed status (404 on delete, 409 on a
    stale versioned write)."""
    failed = []
    for ok, item in results:
        if ok:
            continue
        info = next(iter(item.values()))
        if info.get("status") not in ok_statuses:
            failed.append(info)
    if failed:
        raise RuntimeError(f"{len(failed)} Elasticsearch bulk item(s) failed, first: {failed[0]}")


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url: str, alias: str = "marketplace", client=None, *, api_key: str = "",
                 username: str = "", password: str = "", ca_certs: str = "", verify_certs: bool = True,
                 request_timeout: float = 30):
        if client is None:
            from elasticsearch import Elasticsearch
            if not url:
                raise ValueError("ELASTICSEARCH_URL is required when SEARCH_BACKEND=elasticsearch")
            kwargs = {"request_timeout": request_timeout}
            if api_key:
                kwargs["api_key"] = api_key
            elif username:
                kwargs["basic_auth"] = (username, password)
            if ca_certs:
                kwargs["ca_certs"] = ca_certs
            if not verify_certs:
                kwargs["verify_certs"] = False
            client = Elasticsearch(url, **kwargs)
        self.es = client
        self.alias = alias
        self._ready = False

    # -- index management --------------------------------------------------------------------------------

    def _create(self, name: str | None = None) -> str:
        name = name or f"{self.alias}-{time.time_ns()}"
        # the analysis the index is built under, in the mapping's _meta (kept by Elasticsearch, never interpreted)
        self.es.indices.create(index=name, settings=SETTINGS,
                               mappings={**MAPPINGS, "_meta": {"analysis": analysis.stamp()}})
        return name

    @_unavailable
    def analysis_stamp(self) -> str:
        """The stamp in the _meta of the index the alias points at ("" for one created before stamps were kept)."""
        self._ensure()
        found = self.es.indices.get_mapping(index=self.alias)
        stamps = {((body.get("mappings") or {}).get("_meta") or {}).get("analysis", "") for body in found.values()}
        return stamps.pop() if len(stamps) == 1 else ""

    def _targets(self) -> list[str]:
        from elasticsearch import NotFoundError
        try:
            return list(self.es.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def _ensure(self) -> None:
        """Once per process: make sure the alias points at an index. Safe when several workers race."""
        if self._ready:
            return
        if not self._targets():
            from elasticsearch import BadRequestError
            first = f"{self.alias}-{FIRST_INDEX_SUFFIX}"
            try:
                self._create(first)
            except BadRequestError as exc:
                if getattr(exc, "error", "") != "resource_already_exists_exception":
                    raise
            if not self._targets():  # another worker may have pointed the alias meanwhile (at the same index)
                self.es.indices.update_aliases(actions=[{"add": {"index": first, "alias": self.alias}}])
        self._ready = True

    # -- writing -----------------------------------------------------------------------------------------

    @_unavailable
    def index(self, docs) -> int:
        from elasticsearch import helpers
        self._ensure()
        actions = [_write_action(self.alias, d) for d in docs]
        if not actions:
            return 0
        _check_bulk(helpers.streaming_bulk(self.es, actions, refresh="wait_for", raise_on_error=False,
                                           raise_on_exception=True), ok_statuses={409})
        return len(actions)

    @_unavailable
    def delete(self, ids) -> int:
        from elasticsearch import helpers
        self._ensure()
        actions = [{"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids]
        if not actions:
            return 0
        _check_bulk(helpers.streaming_bulk(self.es, actions, refresh="wait_for", raise_on_error=False,
                                           raise_on_exception=True), ok_statuses={404})
        return len(actions)

    @_unavailable
    def rebuild(self, docs, progress=None) -> int:
        from elasticsearch import helpers
        new = self._create()
        count = 0
        try:
            for ok, item in helpers.streaming_bulk(self.es, (_write_action(new, d) for d in docs), chunk_size=500,
                                                   raise_on_error=False):
                if not ok and next(iter(item.values())).get("status") != 409:
                    raise RuntimeError(f"Elasticsearch rejected a document during rebuild: {item}")
                count += 1
                if progress and count % 1000 == 0:
                    progress(count)
            self.es.indices.refresh(index=new)
            old = self._targets()
            self.es.indices.update_aliases(actions=[{"remove": {"index": o, "alias": self.alias}} for o in old]
                                           + [{"add": {"index": new, "alias": self.alias}}])
        except BaseException:
            self.es.indices.delete(index=new, ignore_unavailable=True)  # no orphan index left behind
            raise
        # Keep the index just replaced (searches in flight may still read it); delete the ones before it.
        keep = set(old) | {new}
        for name in self._concrete_indices():
            if name not in keep:
                self.es.indices.delete(index=name, ignore_unavailable=True)
        self._ready = True
        return count

    def _concrete_indices(self) -> list[str]:
        """Indices this backend created (`<alias>-<digits>`), whichever the alias points at."""
        found = self.es.indices.get(index=f"{self.alias}-*", expand_wildcards="open", allow_no_indices=True)
        prefix = f"{self.alias}-"
        return [n for n in found if n.startswith(prefix) and n[len(prefix):].isdigit()]

    def clear(self) -> None:
        self.rebuild(iter(()))
        for name in self._concrete_indices():  # nothing to keep for in-flight searches of an emptied index
            if name not in self._targets():
                self.es.indices.delete(index=name, ignore_unavailable=True)

    # -- reading -----------------------------------------------------------------------------------------

    def _filters(self, query: SearchQuery) -> list:
        out = []
        vis = query.visibility
        if not vis.everything:
            should = [{"terms": {"status": list(query.statuses)}}] if query.statuses else []
            if vis.org_ids:
                should.append({"terms": {"owner_org": list(vis.org_ids)}})
            out.append({"bool": {"should": should, "minimum_should_match": 1}} if should
                       else {"bool": {"must_not": {"match_all": {}}}})
        if query.types:
            out.append({"terms": {"type": list(query.types)}})
        for name, value in (query.filters or {}).items():
            out.append({"term": {name: value}})
        if query.price_min is not None or query.price_max is not None:
            rng = {}
            if query.price_min is not None:
                rng["gte"] = round(query.price_min * 100)
            if query.price_max is not None:
                rng["lte"] = round(query.price_max * 100)
            out.append({"range": {"price_fen": rng}})
        return out

    @staticmethod
    def _term_clause(term: str) -> dict:
        """One query term as Whoosh scores it: each token's score is summed over the fields (most_fields),
        an alternative spelling needs all its tokens, and of the alternatives (synonyms) the best counts
        (dis_max), not their sum."""
        alts = []
        for alt in analysis.expand(term):
            alts.append({"bool": {"must": [{"multi_match": {"query": token, "fields": FIELDS,
                                                           "type": "most_fields"}} for token in alt]}})
        return alts[0] if len(alts) == 1 else {"dis_max": {"queries": alts, "tie_breaker": 0.0}}

    def _body(self, query: SearchQuery, relaxed: bool) -> dict:
        terms, phrases = analysis.parse_query(query.text)
        if query.weighted_terms:
            terms, phrases, relaxed = [], [], False
        clauses = [self._term_clause(t) for t in terms]
        phrase_clauses = [{"multi_match": {"query": " ".join(p), "fields": FIELDS, "type": "phrase"}}
                          for p in phrases]
        if query.weighted_terms:
            weighted = [{"bool": {"must": [self._term_clause(t)], "boost": float(w)}} for t, w in query.weighted_terms]
            text = {"bool": {"should": weighted, "minimum_should_match": max(1, int(query.min_match))}}
        elif relaxed:
            text = {"bool": {"should": clauses, "minimum_should_match": max(1, (len(clauses) + 1) // 2)}}
        else:
            text = {"bool": {"must": clauses + phrase_clauses}} if clauses or phrase_clauses else {"match_all": {}}
        sort = {"newest": [{"published_at": "desc"}],
                "price_asc": [{"price_fen": {"order": "asc", "missing": "_last"}}, {"published_at": "desc"}],
                "price_desc": [{"price_fen": {"order": "desc", "missing": "_last"}}, {"published_at": "desc"}],
                }.get(query.sort, ["_score", {"published_at": "desc"}])
        aggs = {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in SINGLE_FACETS + MULTI_FACETS
                if name != "status"}
        aggs["price_range"] = {"terms": {"field": "price_range", "size": len(PRICE_RANGES)}}
        start = (query.page - 1) * query.per_page
        beyond = start + query.per_page > MAX_RESULT_WINDOW  # the cluster would answer 400: count only
        return {"query": {"bool": {"must": [text], "filter": self._filters(query)}}, "sort": sort,
                "aggs": aggs if query.facets else {}, "from_": 0 if beyond else start,
                "size": 0 if beyond else query.per_page, "track_total_hits": True, "source": False}

    @_unavailable
    def search(self, query: SearchQuery) -> SearchResult:
        self._ensure()
        terms, phrases = analysis.parse_query(query.text)
        resp = self.es.search(index=self.alias, **self._body(query, relaxed=False))
        relaxed = False
        if resp["hits"]["total"]["value"] == 0 and len(terms) > 1 and not phrases:
            resp = self.es.search(index=self.alias, **self._body(query, relaxed=True))
            relaxed = resp["hits"]["total"]["value"] > 0
        facets = {}
        order = [k for k, *_ in PRICE_RANGES]
        for name, agg in (resp.get("aggregations") or {}).items():
            pairs = [(b["key"], b["doc_count"]) for b in agg["buckets"] if b["key"]]
            facets[name] = sorted(pairs, key=lambda x: order.index(x[0])) if name == "price_range" \
                else sorted(pairs, key=lambda x: (-x[1], x[0]))
        hits = resp["hits"]["hits"]
        return SearchResult(ids=[h["_id"] for h in hits], total=resp["hits"]["total"]["value"], facets=facets,
                            scores=[float(h.get("_score") or 0.0) for h in hits], relaxed=relaxed)

    @_unavailable
    def doc_freq(self, term: str) -> tuple[int, int]:
        self._ensure()
        hits = self.es.count(index=self.alias, query={"multi_match": {"query": term, "fields": FIELDS}})["count"]
        return int(hits), int(self.es.count(index=self.alias)["count"])

    @_unavailable
    def all_ids(self) -> set:
        from elasticsearch import helpers
        self._ensure()
        return {h["_id"] for h in helpers.scan(self.es, index=self.alias,
                                               query={"query": {"match_all": {}}, "_source": False})}

    @_unavailable
    def get(self, doc_id: str):
        from elasticsearch import NotFoundError
        self._ensure()
        try:
            src = self.es.get(index=self.alias, id=doc_id)["_source"]
        except NotFoundError:
            return None
        doc = {k: v for k, v in src.items()
               if k not in TEXT_FIELDS and k not in ("price_fen", "price_range", "version")}
        doc["price"] = src["price_fen"] / 100 if src.get("price_fen") is not None else None
        return doc

    def close(self) -> None:
        self.es.close()
