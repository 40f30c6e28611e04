"""Matching as a service: key terms of one side, candidates of the other from the search engine (same
analyzer, dictionary and synonyms), then scores and reasons from matching.scoring."""
import math
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from search import SearchQuery
from search.analysis import expand, query_terms
from search.base import Visibility

from ..core import permissions as perm
from ..extensions import db
from ..searching import sync
from ..searching.documents import parse_doc_id
from . import scoring

CONCEPTS = Path(__file__).parent / "data" / "concepts.txt"
KEY_TERMS = 24
EXPANSION_WEIGHT = 0.8  # concept-dictionary terms: they help find candidates, and count less in coverage
CANDIDATES = 50
NEXT_STEPS = [
    {"code": "broker", "label": "交给技术经纪人人工撮合"},
    {"code": "challenge", "label": "作为“揭榜挂帅”榜单公开征集"},
    {"code": "push", "label": "推送科技管理部门（需求推送）"},
]
ASCII = re.compile(r"^[a-z0-9][a-z0-9.+/-]*$")


@lru_cache(maxsize=1)
def generic_words() -> frozenset:
    text = (Path(__file__).parent / "data" / "generic.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def concepts() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    files = [CONCEPTS]
    extra = os.environ.get("MATCH_CONCEPTS_FILE")
    if extra and Path(extra).is_file():
        files.append(Path(extra))
    out = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if "=>" not in line:
                continue
            left, right = line.split("=>", 1)
            out.append((tuple(left.split()), tuple(right.split())))
    return out


def key_terms(fields: list[tuple[str, float]], limit: int = KEY_TERMS) -> list[tuple[str, float, bool]]:
    """The most telling terms of a text (tf × idf over the index) as (term, weight, False), plus
    concept-dictionary expansions as (term, EXPANSION_WEIGHT, True)."""
    be = sync.backend()
    tf: Counter = Counter()
    raw = " ".join(text for text, _ in fields)
    generic = generic_words()
    for text, weight in fields:
        for term in query_terms(text):
            if (len(term) >= 2 or ASCII.match(term)) and term not in generic:
                tf[term] += weight
    scored = []
    for term, count in tf.items():
        df, n = be.doc_freq(term)
        if n >= 50 and df / n > 0.25:
            continue  # words most documents contain say nothing about this one (judged on a real corpus)
        idf = math.log(1 + (n + 1) / (df + 1)) if n else 1.0
        scored.append((term, (1 + math.log(count)) * idf))
    scored.sort(key=lambda x: -x[1])
    top = scored[:limit]
    if not top:
        return []
    peak = top[0][1]
    terms = [(t, round(w / peak, 3), False) for t, w in top]
    have = {t for t, *_ in terms}
    for left, right in concepts():
        if all(word in raw for word in left):
            for term in right:
                if term not in have:
                    terms.append((term, EXPANSION_WEIGHT, True))
                    have.add(term)
    return terms


class _Text:
    """`term in _Text(text)`: whether the text contains the term. A substring test on the lower-cased text
    stands in for segmenting every candidate (which cost ≈3 ms each, most of a match's time): key terms are
    the index's own tokens, and a token of a text is always a substring of it."""
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text.lower()

    def __contains__(self, term: str) -> bool:
        return term in self.text


def coverage(terms: list[tuple[str, float, bool]], tokens) -> tuple[float, list[str]]:
    """Weighted share of the text's own key terms found in `tokens` (synonyms count); each concept-dictionary
    term found adds a little. Returns (coverage 0..1, shared terms)."""
    total = sum(w for _, w, expanded in terms if not expanded) or 1.0
    got, bonus, shared = 0.0, 0.0, []
    for term, weight, expanded in terms:
        if any(all(t in tokens for t in alt) for alt in _expanded(term)):
            shared.append(term)
            if expanded:
                bonus += 0.08
            else:
                got += weight
    return min(1.0, got / total + bonus), shared


@lru_cache(maxsize=20000)
def _expanded(term: str) -> tuple:
    return tuple(tuple(alt) for alt in expand(term))


def _search(weighted, entity_type, min_match) -> dict[int, float]:
    result = sync.backend().search(SearchQuery(weighted_terms=weighted, min_match=min_match, types=(entity_type,),
                                               visibility=Visibility(), per_page=CANDIDATES, facets=False))
    return {parse_doc_id(i)[1]: s for i, s in zip(result.ids, result.scores)}


COMMON_SHARE, COMMON_MIN_DOCS = 0.05, 1000


def _common(term: str) -> bool:
    """In a large index, a term in more than 5% of the documents adds little to a ranking (idf < 3) and
    costs the most to read (the longest postings): the plain search leaves it out."""
    df, n = sync.backend().doc_freq(term)
    return n >= COMMON_MIN_DOCS and df / n > COMMON_SHARE


def _candidates(terms, full_text: str, entity_type: str, exclude_org: int | None):
    """Candidates with their relevance: the union of (a) the key terms (+ concept expansions), at least two
    of them shared, and (b) plain BM25 over every token of the text; relevance is (b)'s score, so the
    structured re-ranking starts from the baseline's order and can only add evidence to it."""
    weighted = tuple((t, w) for t, w, _ in terms)
    keyed = _search(weighted, entity_type, 2 if len(terms) >= 4 else 1) if weighted else {}
    tokens = tuple(dict.fromkeys(t for t in query_terms(full_text) if t not in generic_words() and not _common(t)))
    plain = _search(tuple((t, 1.0) for t in tokens), entity_type, 1) if tokens else {}
    ids = list(dict.fromkeys(list(plain) + list(keyed)))
    model = {"achievement": "achievements", "demand": "demands"}[entity_type]
    from ..core.listings import LIBRARIES
    lib = LIBRARIES[model]
    found = {o.id: o for o in db.session.scalars(db.select(lib.model).where(lib.model.id.in_(ids)))} if ids else {}
    top = max(plain.values(), default=0.0) or 1.0
    out = []
    for oid in ids:
        obj = found.get(oid)
        if obj is not None and obj.status == "published" and obj.owner_org_id != exclude_org:
            out.append((obj, plain.get(oid, 0.0) / top))
    return out


def _achievement_text(a) -> str:
    return " ".join([a.title, a.keywords.replace("、", " "), a.summary])


def _demand_text(d) -> str:
    return " ".join([d.title, d.indicators or "", d.description])


def _features(demand, achievement, terms, relevance, other_text) -> scoring.Features:
    cov, shared = coverage(terms, _Text(other_text))
    ach_city = achievement.owner_org.city
    return scoring.Features(
        coverage=cov, relevance=relevance, shared_terms=shared,
        same_industry=demand.industry == achievement.industry, maturity=achievement.maturity,
        cooperation=demand.cooperation, price=None if achievement.price_negotiable else achievement.asking_price,
        budget=None if demand.budget_negotiable else demand.budget,
        transfer_modes=tuple(achievement.transfer_mode_list),
        same_city=None if not ach_city else ach_city == demand.city)


def _feedback(side: str, own_id: int) -> dict:
    """What is known from feedback for one record's list: the verdicts on its pairs from both sides, and
    the reasons this side gave when dismissing (they re-weight the factors)."""
    from .models import MatchFeedback
    col = MatchFeedback.demand_id if side == "demand" else MatchFeedback.achievement_id
    rows = db.session.scalars(db.select(MatchFeedback).where(col == own_id)).all()
    pairs: dict[int, dict] = {}
    reasons: Counter = Counter()
    for row in rows:
        other_id = row.achievement_id if side == "demand" else row.demand_id
        who = "own" if row.side == side else "other"
        pairs.setdefault(other_id, {})[who] = (row.verdict, row.reason)
        if who == "own" and row.verdict == "irrelevant" and row.reason:
            reasons[row.reason] += 1
    return {"pairs": pairs, "weights": scoring.weights_from_feedback(reasons)}


def _rank(pairs, limit, feedback=None):
    """pairs: [(obj, features)] → the top `limit` items and whether to abstain. Pairs this side dismissed
    stay out; the other verdicts move a pair's score (scoring.apply_pair_feedback)."""
    feedback = feedback or {"pairs": {}, "weights": None}
    scored = []
    for obj, f in pairs:
        said = feedback["pairs"].get(obj.id, {})
        own, other = said.get("own", (None, None)), said.get("other", (None, None))
        if own[0] == "irrelevant":
            continue
        m = scoring.apply_pair_feedback(scoring.score(f, feedback["weights"]), own[0], other[0], other[1])
        scored.append((m.score, f.coverage, obj, m, f))
    scored.sort(key=lambda x: (-x[0], -x[1], x[2].id))
    best = scored[0] if scored else None
    abstained = best is None or scoring.should_abstain(len(best[4].shared_terms), best[0])
    items = []
    for value, cov, obj, m, f in scored[:limit]:
        items.append({"id": obj.id, "ref": obj.ref, "title": obj.title, "score": value, "band": m.band,
                      "reasons": m.reasons, "shared_terms": f.shared_terms, "coverage": round(f.coverage, 2)})
    return items, abstained


def match_demand(demand, limit: int = 10) -> dict:
    terms = key_terms([(demand.title, 2.0), (demand.indicators or "", 1.2), (demand.description, 1.0)])
    cands = _candidates(terms, _demand_text(demand), "achievement", exclude_org=None)
    pairs = [(a, _features(demand, a, terms, rel, _achievement_text(a))) for a, rel in cands]
    items, abstained = _rank(pairs, limit, _feedback("demand", demand.id))
    return {"items": items, "abstained": abstained, "terms": [t for t, *_ in terms],
            "next_steps": NEXT_STEPS if abstained else []}


def match_achievement(achievement, limit: int = 10) -> dict:
    terms = key_terms([(achievement.title, 2.0), (achievement.keywords.replace("、", " "), 1.5),
                       (achievement.summary, 1.0)])
    cands = _candidates(terms, _achievement_text(achievement), "demand", exclude_org=None)
    pairs = [(d, _features(d, achievement, terms, rel, _demand_text(d))) for d, rel in cands]
    items, abstained = _rank(pairs, limit, _feedback("achievement", achievement.id))
    return {"items": items, "abstained": abstained, "terms": [t for t, *_ in terms], "next_steps": []}


def can_see_reasons(actor, record) -> bool:
    """The owner, brokers and administrators see why; others see the list without the explanations."""
    return perm.is_owner(actor, record) or perm.is_admin(actor) or (
        perm.is_authenticated(actor) and actor.role == "broker")
