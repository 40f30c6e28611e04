"""The Elasticsearch backend's own logic, without a cluster: the official client talks to an in-memory node
(`FakeCluster`, an elastic_transport node class) that implements the few REST endpoints the backend uses with
the documented answers (status codes and error types of Elasticsearch 8.x). It proves what the backend does
with those answers: one index when two workers start together, stale versioned writes ignored, failed deletes
raised, no orphan after a failed rebuild, the replaced index kept for searches in flight, deep pages within
max_result_window, all facet values, credentials passed to the client, and 503 when the cluster is down.

What a real cluster does with the queries (scores, analysis) is checked by tests/test_search_engine.py's
contract suite, which runs against Elasticsearch when ELASTICSEARCH_URL is set.
"""
import fnmatch
import json
import re

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node._base import NodeApiResponse
from elasticsearch import Elasticsearch

from search.base import SearchQuery, SearchUnavailable
from search.elasticsearch_backend import FACET_SIZE, MAX_RESULT_WINDOW, ElasticsearchBackend


class Cluster:
    """The state of one fake cluster: indices → {docs: {id: (version, source)}}, aliases → set of indices."""

    def __init__(self):
        self.indices: dict[str, dict] = {}
        self.aliases: dict[str, set] = {}
        self.requests: list[tuple[str, str, object]] = []
        self.fail_bulk_status: int | None = None   # answer every bulk item with this status
        self.down = False


CLUSTER = Cluster()


def _error(status: int, kind: str) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "reason": kind}, "status": status}


class FakeNode(BaseNode):
    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
        from elastic_transport import ConnectionError as TransportConnectionError
        c = CLUSTER
        if c.down:
            raise TransportConnectionError("connection refused")
        from urllib.parse import unquote
        path, _, query = target.partition("?")
        path = unquote(path)
        payload = None
        if body:
            text = body.decode()
            payload = [json.loads(line) for line in text.splitlines() if line.strip()] if path.endswith("_bulk") \
                else json.loads(text)
        c.requests.append((method, path, payload))
        status, data = self._route(c, method, path, query, payload)
        meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(
            {"x-elastic-product": "Elasticsearch", "content-type": "application/json"}), duration=0.0,
            node=self.config)
        return NodeApiResponse(meta, json.dumps(data).encode())

    @staticmethod
    def _resolve(c, name) -> list[str]:
        if name in c.aliases:
            return sorted(c.aliases[name])
        return [name] if name in c.indices else []

    def _route(self, c, method, path, query, payload):
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["_search", "scroll"]:  # helpers.scan: everything came in the first page
            return 200, {"_scroll_id": "s1", "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                         "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
        if parts == ["_aliases"]:
            for action in payload["actions"]:
                (op, spec), = action.items()
                group = c.aliases.setdefault(spec["alias"], set())
                if op == "add":
                    group.add(spec["index"])
                else:
                    group.discard(spec["index"])
            return 200, {"acknowledged": True}
        if len(parts) == 2 and parts[0] == "_alias":
            found = c.aliases.get(parts[1]) or set()
            if not found:
                return _error(404, "aliases_not_found_exception")
            return 200, {i: {"aliases": {parts[1]: {}}} for i in found}
        if parts and parts[-1] == "_bulk":
            return 200, self._bulk(c, payload)
        if len(parts) == 1 and method == "PUT":
            if parts[0] in c.indices:
                return _error(400, "resource_already_exists_exception")
            c.indices[parts[0]] = {"docs": {}, "mappings": (payload or {}).get("mappings") or {}}
            return 200, {"acknowledged": True, "index": parts[0]}
        if len(parts) == 2 and parts[1] == "_mapping" and method == "GET":
            return 200, {n: {"mappings": c.indices[n]["mappings"]} for n in self._resolve(c, parts[0])}
        if len(parts) == 1 and method == "DELETE":
            for name in parts[0].split(","):
                c.indices.pop(name, None)
                for group in c.aliases.values():
                    group.discard(name)
            return 200, {"acknowledged": True}
        if len(parts) == 1 and method == "GET":
            names = [n for n in c.indices if fnmatch.fnmatch(n, parts[0])]
            return 200, {n: {} for n in names}
        if len(parts) == 2 and parts[1] == "_refresh":
            return 200, {}
        if len(parts) == 2 and parts[1] in ("_search", "_count"):
            docs = {}
            for name in self._resolve(c, parts[0]):
                docs.update(c.indices[name]["docs"])
            if parts[1] == "_count":
                return 200, {"count": len(docs)}
            size, start = payload.get("size", 10), payload.get("from", 0)
            ids = sorted(docs)
            hits = [{"_id": i, "_score": 1.0} for i in ids[start:start + size]]
            aggs = {name: {"buckets": [{"key": f"v{n}", "doc_count": 1} for n in range(min(spec["terms"]["size"], 150))]}
                    for name, spec in (payload.get("aggs") or {}).items() if name != "price_range"}
            return 200, {"_scroll_id": "s1", "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                         "hits": {"total": {"value": len(docs), "relation": "eq"}, "hits": hits},
                         "aggregations": aggs}
        if len(parts) == 3 and parts[1] == "_doc":
            for name in self._resolve(c, parts[0]):
                if parts[2] in c.indices[name]["docs"]:
                    return 200, {"_id": parts[2], "_source": c.indices[name]["docs"][parts[2]][1]}
            return 404, {"found": False}
        return _error(400, f"unsupported {method} {path}")

    @staticmethod
    def _bulk(c, lines):
        items = []
        i = 0
        while i < len(lines):
            (op, meta), = lines[i].items()
            source = lines[i + 1] if op == "index" else None
            i += 2 if op == "index" else 1
            targets = FakeNode._resolve(c, meta["_index"])
            if c.fail_bulk_status:
                items.append({op: {"_id": meta["_id"], "status": c.fail_bulk_status,
                                   "error": {"type": "es_rejected_execution_exception"}}})
                continue
            if len(targets) != 1:
                items.append({op: {"_id": meta["_id"], "status": 400,
                                   "error": {"type": "illegal_argument_exception",
                                             "reason": "alias has more than one index"}}})
                continue
            docs = c.indices[targets[0]]["docs"]
            if op == "delete":
                status = 200 if docs.pop(meta["_id"], None) is not None else 404
                items.append({op: {"_id": meta["_id"], "status": status}})
                continue
            version = meta.get("version")
            if meta.get("version_type") == "external" and meta["_id"] in docs and docs[meta["_id"]][0] >= version:
                items.append({op: {"_id": meta["_id"], "status": 409,
                                   "error": {"type": "version_conflict_engine_exception"}}})
                continue
            docs[meta["_id"]] = (version or 0, source)
            items.append({op: {"_id": meta["_id"], "status": 201}})
        return {"errors": any(next(iter(x.values()))["status"] >= 300 for x in items), "items": items}


@pytest.fixture
def cluster():
    global CLUSTER
    CLUSTER = Cluster()
    return CLUSTER


def backend(alias="mk"):
    client = Elasticsearch("http://fake:9200", node_class=FakeNode)
    return ElasticsearchBackend("http://fake:9200", alias, client=client)


def doc(n, version=1, title="稀土永磁"):
    return {"id": f"achievement:{n}", "type": "achievement", "title": title, "keywords": "", "body": "",
            "status": "published", "owner_org": 1, "published_at": 1, "price": None, "version": version,
            "transfer_modes": [], "ip_types": []}


def test_two_workers_starting_together_share_one_index_and_one_alias(cluster):
    a, b = backend(), backend()
    # Both looked before either created: b's first look finds no alias although a has just made it.
    real = b._targets
    looks = iter([[]])
    b._targets = lambda: next(looks, None) or real()
    a._ensure()
    b._ensure()  # its create answers "resource_already_exists_exception": success, and no second alias
    assert list(cluster.indices) == ["mk-000001"]
    assert cluster.aliases["mk"] == {"mk-000001"}
    a.index([doc(1)])
    b.index([doc(2)])  # writes through the alias work from both (an alias on two indices would refuse them)
    assert b.get("achievement:1")["id"] == "achievement:1"
    assert set(cluster.indices["mk-000001"]["docs"]) == {"achievement:1", "achievement:2"}


def test_each_index_keeps_the_analysis_it_was_built_under(cluster, monkeypatch):
    from search import analysis
    be = backend()
    assert be.analysis_stamp() == analysis.stamp()  # the first index, created on first use
    monkeypatch.setattr(analysis, "stamp", lambda: "rules-of-the-next-deploy")
    assert be.analysis_stamp() != "rules-of-the-next-deploy"  # (reindex_if_outdated would rebuild it)
    be.rebuild(iter([doc(1)]))
    assert be.analysis_stamp() == "rules-of-the-next-deploy"
    assert ("GET", "/mk/_mapping", None) in cluster.requests  # the documented endpoint, through the alias
    for name in cluster.indices:  # an index created before stamps were kept
        cluster.indices[name]["mappings"].pop("_meta", None)
    assert be.analysis_stamp() == ""


def test_ensure_runs_once_per_process(cluster):
    be = backend()
    be.index([doc(1)])
    before = len(cluster.requests)
    be.index([doc(2)])
    alias_lookups = [r for r in cluster.requests[before:] if r[1].startswith("/_alias")]
    assert alias_lookups == []


def test_an_older_read_never_overwrites_a_newer_document(cluster):
    be = backend()
    be.index([doc(1, version=200, title="新标题")])
    assert be.index([doc(1, version=100, title="旧标题")]) == 1  # 409 from the cluster counts as success
    stored = cluster.indices["mk-000001"]["docs"]["achievement:1"]
    assert stored[0] == 200 and "新标题" in stored[1]["title"].replace(" ", "")
    sent = [line for m, p, body in cluster.requests if p.endswith("_bulk") for line in body if "index" in line]
    assert all(line["index"]["version_type"] == "external" for line in sent)


def test_a_failed_write_is_raised_not_swallowed(cluster):
    be = backend()
    be.index([doc(1)])
    cluster.fail_bulk_status = 429
    with pytest.raises(RuntimeError, match="failed"):
        be.index([doc(2)])
    with pytest.raises(RuntimeError, match="failed"):
        be.delete(["achievement:1"])


def test_deleting_a_missing_document_is_fine(cluster):
    be = backend()
    be.index([doc(1)])
    assert be.delete(["achievement:1", "achievement:99"]) == 2
    assert cluster.indices["mk-000001"]["docs"] == {}


def test_rebuild_keeps_the_replaced_index_for_searches_in_flight_and_drops_older_ones(cluster):
    be = backend()
    be.index([doc(1)])
    be.rebuild(iter([doc(1), doc(2)]))
    first_rebuild = sorted(cluster.aliases["mk"])
    assert len(first_rebuild) == 1 and first_rebuild != ["mk-000001"]
    assert "mk-000001" in cluster.indices  # the replaced index is still there
    be.rebuild(iter([doc(3)]))
    assert "mk-000001" not in cluster.indices  # two generations back: deleted
    assert set(cluster.indices) == {first_rebuild[0]} | cluster.aliases["mk"]
    assert be.all_ids() == {"achievement:3"}


def test_a_failed_rebuild_leaves_no_orphan_index_and_the_alias_unchanged(cluster):
    be = backend()
    be.index([doc(1)])

    def docs():
        yield doc(2)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        be.rebuild(docs())
    assert set(cluster.indices) == {"mk-000001"}
    assert cluster.aliases["mk"] == {"mk-000001"}


def test_pages_beyond_the_result_window_are_empty_with_the_total(cluster):
    be = backend()
    be.index([doc(n) for n in range(1, 31)])
    per_page = 20
    deep_page = MAX_RESULT_WINDOW // per_page + 1
    result = be.search(SearchQuery(page=deep_page, per_page=per_page))
    assert result.ids == [] and result.total == 30
    body = cluster.requests[-1][2]
    assert body["from"] + body["size"] <= MAX_RESULT_WINDOW
    last_allowed = be.search(SearchQuery(page=1, per_page=per_page))
    assert len(last_allowed.ids) == 20


def test_facets_are_not_cut_at_a_hundred_values(cluster):
    be = backend()
    be.index([doc(1)])
    result = be.search(SearchQuery(facets=True))
    body = cluster.requests[-1][2]
    assert body["aggs"]["institution"]["terms"]["size"] == FACET_SIZE
    assert len(result.facets["institution"]) == 150


def test_synonyms_take_the_best_alternative_and_fields_add_up():
    clause = ElasticsearchBackend._term_clause("锂电池")
    text = json.dumps(clause, ensure_ascii=False)
    assert '"most_fields"' in text and '"best_fields"' not in text
    from search import analysis
    if len(analysis.expand("锂电池")) > 1:
        assert "dis_max" in clause


def test_an_unreachable_cluster_is_search_unavailable(cluster):
    be = backend()
    be.index([doc(1)])
    cluster.down = True
    with pytest.raises(SearchUnavailable):
        be.search(SearchQuery(text="稀土"))
    with pytest.raises(SearchUnavailable):
        be.index([doc(2)])


def test_credentials_and_ca_reach_the_client(monkeypatch, tmp_path):
    seen = {}

    class Recorder:
        def __init__(self, url, **kwargs):
            seen.update(kwargs, url=url)

    monkeypatch.setattr("elasticsearch.Elasticsearch", Recorder)
    ElasticsearchBackend("https://es.example:9200", "mk", api_key="abc", ca_certs=str(tmp_path / "ca.crt"))
    assert seen["api_key"] == "abc" and seen["ca_certs"].endswith("ca.crt") and "basic_auth" not in seen
    seen.clear()
    ElasticsearchBackend("https://es.example:9200", "mk", username="elastic", password="pw")
    assert seen["basic_auth"] == ("elastic", "pw")


def test_the_site_answers_503_when_search_is_down(client, monkeypatch):
    from marketplace.searching import sync

    class Down:
        def search(self, query):
            raise SearchUnavailable("down")

        def __getattr__(self, name):
            raise SearchUnavailable("down")

    monkeypatch.setattr(sync, "backend", lambda: Down())
    resp = client.get("/api/v1/search?q=稀土")
    assert resp.status_code == 503
    assert re.search("检索服务暂时不可用", resp.get_json()["error"]["message"])
