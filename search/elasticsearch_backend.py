"""The backend for deployments that outgrow one machine: Elasticsearch through the official client.

Text arrives segmented by search.analysis (the same jieba segmentation and dictionary as the Whoosh backend),
so the server needs no Chinese plugin: a whitespace tokenizer splits the position groups and a
pattern_capture filter emits a group's sub-words ("稀土永磁|稀土|永磁") at the same position, exactly as the
Whoosh analyzer does. Queries use the same term expansion (synonyms) and the same AND-then-relaxed rule.

The client's major version must equal the server's (an 8.x client for an 8.x server, which setup.cfg pins;
a 9.x server needs `pip install "elasticsearch>=9,<10"`), else requests fail on the media-type header.
`rebuild()` fills a new concrete index and moves the alias to it in one update_aliases call.
"""
import time

from . import analysis
from .base import FIELD_WEIGHTS, MULTI_FACETS, PRICE_RANGES, SINGLE_FACETS, SearchBackend, SearchQuery, SearchResult
from .whoosh_backend import TEXT_FIELDS  # the same text fields on both backends

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
        "id": {"type": "keyword"}, "digest": {"type": "keyword"},
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
    body = {"id": doc["id"], "digest": doc.get("digest"), "owner_org": int(doc.get("owner_org") or 0),
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


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url: str, alias: str = "marketplace", client=None):
        if client is None:
            from elasticsearch import Elasticsearch
            if not url:
                raise ValueError("ELASTICSEARCH_URL is required when SEARCH_BACKEND=elasticsearch")
            client = Elasticsearch(url, request_timeout=30)
        self.es = client
        self.alias = alias

    # -- index management --------------------------------------------------------------------------------

    def _create(self) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self.es.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
        return name

    def _targets(self) -> list[str]:
        from elasticsearch import NotFoundError
        try:
            return list(self.es.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def _ensure(self) -> None:
        if not self._targets():
            name = self._create()
            self.es.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])

    # -- writing -----------------------------------------------------------------------------------------

    def index(self, docs) -> int:
        from elasticsearch import helpers
        self._ensure()
        actions = [{"_op_type": "index", "_index": self.alias, "_id": d["id"], "_source": es_document(d)}
                   for d in docs]
        if not actions:
            return 0
        helpers.bulk(self.es, actions, refresh="wait_for")
        return len(actions)

    def delete(self, ids) -> int:
        from elasticsearch import helpers
        self._ensure()
        actions = [{"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids]
        if not actions:
            return 0
        helpers.bulk(self.es, actions, refresh="wait_for", raise_on_error=False)
        return len(actions)

    def rebuild(self, docs, progress=None) -> int:
        from elasticsearch import helpers
        new = self._create()
        count = 0
        for ok, _ in helpers.streaming_bulk(
                self.es, ({"_op_type": "index", "_index": new, "_id": d["id"], "_source": es_document(d)}
                          for d in docs), chunk_size=500):
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
        self.es.indices.refresh(index=new)
        old = self._targets()
        self.es.indices.update_aliases(actions=[{"remove": {"index": o, "alias": self.alias}} for o in old]
                                       + [{"add": {"index": new, "alias": self.alias}}])
        for o in old:
            self.es.indices.delete(index=o, ignore_unavailable=True)
        return count

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
        alts = []
        for alt in analysis.expand(term):
            alts.append({"bool": {"must": [{"multi_match": {"query": token, "fields": FIELDS,
                                                           "type": "best_fields"}} for token in alt]}})
        return {"bool": {"should": alts, "minimum_should_match": 1}}

    def _body(self, query: SearchQuery, relaxed: bool) -> dict:
        terms, phrases = analysis.parse_query(query.text)
        if query.weighted_terms:
            terms, phrases, relaxed = [], [], False
        clauses = [self._term_clause(t) for t in terms]
        phrase_clauses = [{"multi_match": {"query": " ".join(p), "fields": FIELDS, "type": "phrase"}}
                          for p in phrases]
        if query.weighted_terms:
            weighted = [{"bool": {**self._term_clause(t)["bool"], "boost": float(w)}} for t, w in query.weighted_terms]
            text = {"bool": {"should": weighted, "minimum_should_match": max(1, int(query.min_match))}}
        elif relaxed:
            text = {"bool": {"should": clauses, "minimum_should_match": max(1, (len(clauses) + 1) // 2)}}
        else:
            text = {"bool": {"must": clauses + phrase_clauses}} if clauses or phrase_clauses else {"match_all": {}}
        sort = {"newest": [{"published_at": "desc"}],
                "price_asc": [{"price_fen": {"order": "asc", "missing": "_last"}}, {"published_at": "desc"}],
                "price_desc": [{"price_fen": {"order": "desc", "missing": "_last"}}, {"published_at": "desc"}],
                }.get(query.sort, ["_score", {"published_at": "desc"}])
        aggs = {name: {"terms": {"field": name, "size": 100}} for name in SINGLE_FACETS + MULTI_FACETS
                if name != "status"}
        aggs["price_range"] = {"terms": {"field": "price_range", "size": len(PRICE_RANGES)}}
        return {"query": {"bool": {"must": [text], "filter": self._filters(query)}}, "sort": sort,
                "aggs": aggs if query.facets else {}, "from_": (query.page - 1) * query.per_page,
                "size": query.per_page, "track_total_hits": True, "source": False}

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

    def doc_freq(self, term: str) -> tuple[int, int]:
        self._ensure()
        hits = self.es.count(index=self.alias, query={"multi_match": {"query": term, "fields": FIELDS}})["count"]
        return int(hits), int(self.es.count(index=self.alias)["count"])

    def all_ids(self) -> set:
        from elasticsearch import helpers
        self._ensure()
        return {h["_id"] for h in helpers.scan(self.es, index=self.alias,
                                               query={"query": {"match_all": {}}, "_source": False})}

    def get(self, doc_id: str):
        from elasticsearch import NotFoundError
        self._ensure()
        try:
            src = self.es.get(index=self.alias, id=doc_id)["_source"]
        except NotFoundError:
            return None
        doc = {k: v for k, v in src.items() if k not in TEXT_FIELDS and k not in ("price_fen", "price_range")}
        doc["price"] = src["price_fen"] / 100 if src.get("price_fen") is not None else None
        return doc

    def close(self) -> None:
        self.es.close()
