"""Full-text search for the marketplace: Chinese analysis, a Whoosh backend and an Elasticsearch backend.

This package knows nothing of Flask or the marketplace's models: callers hand it plain documents
(dicts) and get back ids, totals and facet counts.
"""
from .base import Document, SearchBackend, SearchQuery, SearchResult, SearchUnavailable  # noqa: F401


def make_backend(name: str, *, index_dir: str = "", elasticsearch_url: str = "", index_name: str = "marketplace",
                 elasticsearch_options: dict | None = None):
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend
        return WhooshBackend(index_dir)
    if name == "elasticsearch":
        from .elasticsearch_backend import ElasticsearchBackend
        return ElasticsearchBackend(elasticsearch_url, index_name, **(elasticsearch_options or {}))
    raise ValueError(f"unknown SEARCH_BACKEND {name!r} (whoosh or elasticsearch)")
