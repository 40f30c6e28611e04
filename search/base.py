"""The search interface both backends implement, and the plain data that crosses it."""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable, Iterator

# A document is a plain dict:
#   id            "achievement:12" (type:number), unique across the index
#   type          achievement | demand | service
#   title, keywords, body          plain text (segmented by the backend via search.analysis)
#   status        draft | submitted | published | ...
#   owner_org     int, the owning organisation (permission filter)
#   published_at  int (unix seconds, 0 when never published)
#   price         float yuan or None (面议 / unknown); exact amounts stay in the database
#   version       int, the record's updated_at in microseconds (Elasticsearch refuses an older write)
#   facet fields  industry, city, institution, maturity, funding_source, kind (str or None),
#                 transfer_modes, ip_types (lists of str)
Document = dict

SINGLE_FACETS = ("type", "industry", "city", "institution", "maturity", "funding_source", "kind", "status")
MULTI_FACETS = ("transfer_modes", "ip_types")
FACETS = SINGLE_FACETS[:-1] + MULTI_FACETS + ("price_range",)

# Price ranges in yuan: (key, label, low inclusive, high exclusive).
PRICE_RANGES = [
    ("lt10w", "10万元以下", 0, 100_000),
    ("10w-50w", "10–50万元", 100_000, 500_000),
    ("50w-100w", "50–100万元", 500_000, 1_000_000),
    ("100w-500w", "100–500万元", 1_000_000, 5_000_000),
    ("gte500w", "500万元以上", 5_000_000, float("inf")),
    ("negotiable", "面议", None, None),
]

# Field weights: title and keywords above the body text.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.5, "body": 1.0}
SORTS = ("relevance", "newest", "price_asc", "price_desc")


@dataclass
class Visibility:
    """Who is asking: the public sees published documents; members and administrators also see the
    documents of `org_ids` in every status; `everything` is the provincial administrator's view."""
    org_ids: tuple = ()
    everything: bool = False


@dataclass
class SearchQuery:
    text: str = ""
    types: tuple = ()                      # empty: every type
    filters: dict = field(default_factory=dict)   # facet field → value (str); price_range → key
    price_min: float | None = None
    price_max: float | None = None
    statuses: tuple = ("published",)       # what the public may see
    visibility: Visibility = field(default_factory=Visibility)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True
    # Matching: instead of `text`, (term, weight) pairs of which at least `min_match` must occur.
    weighted_terms: tuple = ()
    min_match: int = 1


@dataclass
class SearchResult:
    ids: list                              # document ids of this page, in order
    total: int
    facets: dict = field(default_factory=dict)   # facet → [(value, count), ...] by count
    scores: list = field(default_factory=list)
    relaxed: bool = False                  # no document had every term; partial matches shown


class SearchUnavailable(Exception):
    """The search service cannot be reached (a cluster down or timing out): the site answers 503."""


class SearchBackend(ABC):
    name = "abstract"

    @abstractmethod
    def index(self, docs: Iterable[Document]) -> int:
        """Add or replace documents (by id); returns how many."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id (missing ids are ignored)."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        ...

    @abstractmethod
    def rebuild(self, docs: Iterator[Document], progress=None) -> int:
        """Build a new index from `docs`, then switch to it: searches keep working meanwhile."""

    @abstractmethod
    def all_ids(self) -> set:
        """Every document id in the index (consistency checks)."""

    @abstractmethod
    def get(self, doc_id: str) -> dict | None:
        """The indexed fields of one document (without its text), or None."""

    @abstractmethod
    def doc_freq(self, term: str) -> tuple[int, int]:
        """(documents containing the term in any text field, documents in the index)."""

    def clear(self) -> None:
        self.rebuild(iter(()))

    def analysis_stamp(self) -> str | None:
        """The `search.analysis.stamp()` the current index was built under ("" for an index built before stamps
        were kept), or None when this backend keeps none (it is then never rebuilt for that reason)."""
        return None

    def close(self) -> None:
        pass


def price_range_key(price: float | None) -> str:
    if price is None:
        return "negotiable"
    for key, _label, lo, hi in PRICE_RANGES:
        if lo is not None and lo <= price < hi:
            return key
    return "negotiable"
