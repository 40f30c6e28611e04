"""Matching as a service: candidates of the other side from the search engine (recall first), then one score
per pair, the same whichever side looks, with reasons, and a calibrated decision to stay silent.

A record is read once into a `Profile` (its tokens weighted tf·idf, its lower-cased text, the knowledge-graph
links its words fire), cached by id and change time. A pair's evidence (`pair_evidence`) is symmetric:
  - text: BM25 of each side's tokens against the other's text, each normalised by the side's score against
    itself, weighed over the two directions (0.7 the demand's words in the achievement, 0.3 the other way: a
    demand's list keeps the plain BM25 order as its base);
  - graph: links fired by one side (symptom cues) whose technologies occur in the other (knowledge.py);
  - learned: term pairs that went together in 感兴趣 marks, signed introductions and registered contracts,
    or apart in 不相关 verdicts (learning.py);
and scoring.py turns it into 0–100, where structured factors (maturity, price, mode, region, industry) only
re-rank what the text and graph already make relevant.
"""
import math
import os
import re
import sys
import threading
import time
import weakref
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path

import ahocorasick
import numpy as np
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key

from search import SearchQuery
from search.analysis import expand, fold, query_terms, read, token_groups
from search.base import Visibility

from ..core import permissions as perm
from ..core import vocab
from ..extensions import db
from ..searching import sync
from ..searching.documents import parse_doc_id
from . import fastsearch, knowledge, learning, scoring, semantic

KEY_TERMS = 24
PROFILE_TERMS = 40
CANDIDATES = 50
NEXT_STEPS = [
    {"code": "broker", "label": "交给技术经纪人人工撮合"},
    {"code": "challenge", "label": "作为“揭榜挂帅”榜单公开征集"},
    {"code": "push", "label": "推送科技管理部门（需求推送）"},
]
ASCII = re.compile(r"^[a-z0-9][a-z0-9.+/-]*$")
CJK = re.compile(r"^[\u3400-\u9fff]+$")
NUMBER = re.compile(r"^[0-9][0-9.%]*$|^[0-9.]+[a-z]{0,2}$")
# Latin tokens that name a measure, not a technology (units, hardness and roughness scales, particle-size
# and statistics symbols, standards' prefixes): jieba keeps "0.05V", "85%RH", "Ra≤0.8μm", "GB/T 10095" apart
# as v, rh, ra, gb/t — on the demo 2,352 of 18,762 shared terms shown were such tokens or single letters (c,
# a, g, s, n …), as "技术要点相同：led、芯片、衬底、波长、v". A number with one of them ("1.5mpa") is a quantity.
MEASURES = frozenset("""
mm cm nm um μm km m2 m3 kg mg g/l mg/l mg/m mg/kg g/m g/kg ml kpa mpa gpa pa kw kv kva kwh mw ma mah hz
khz mhz ghz db dba ppm ppb rpm min ms ns us μs rh wt vol hra hrc hrb hv hb ra rz rsd cv ee koe oe
d10 d50 d90 m/min m/s mm/s mm/m l/h t/h t/d mv kn kj mj cps r/min fps kgs gs
gb gb/t hg/t jb/t yy/t qb/t sh/t ys/t dl/t ny/t gh/t sn/t fz/t jc/t db36 db36/t iso astm
""".split())
QUANTITY = re.compile(r"^[0-9][0-9.]*([a-zμ/%]+[0-9]?)$")
BM25_K1, BM25_B, AVG_LEN = 1.2, 0.75, 220.0


@lru_cache(maxsize=1)
def generic_words() -> frozenset:
    """data/generic.txt and the province's cities (places are not technical points: region is a factor)."""
    text = (Path(__file__).parent / "data" / "generic.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split()) \
        | frozenset(vocab.CITIES)


def concepts():
    """The concept dictionary as (cue words, terms) — kept for callers of the first version."""
    return [(link.cues[0], link.technologies) for link in knowledge.file_links() if link.origin == "concepts"]


# --- document frequencies (cached a few minutes: weights, not counts) ----------------------------------

_df_cache: dict = {}   # term → (df, n) of the current generation
_idf_cache: dict = {}  # term → idf of the current generation
_df_gen: dict = {"backend": None, "at": 0.0}
DF_TTL = 300.0


def _df_generation() -> None:
    """Frequencies are kept for DF_TTL seconds (one generation, all terms at once) and for one backend; looked
    at once per record computed rather than once per term."""
    be = sync.backend()
    now = time.monotonic()
    # The index generation (Whoosh: the current snapshot, refreshed after a write): frequencies read from an
    # older generation are dropped at once, not after DF_TTL.
    snap = be.snapshot() if hasattr(be, "snapshot") else None
    seen = _df_gen.get("snap")
    if _df_gen["backend"] is not be or (seen() if seen else None) is not snap or now - _df_gen["at"] >= DF_TTL \
            or len(_df_cache) > 200000:
        _df_cache.clear()
        _idf_cache.clear()
        _df_gen.update(backend=be, at=now, snap=weakref.ref(snap) if snap is not None else None, token=_token())


def _token() -> tuple:
    """A name for a generation of frequencies, unique across the processes a rebuild forks (profiles travel)."""
    _df_gen["serial"] = _df_gen.get("serial", 0) + 1
    return os.getpid(), _df_gen["serial"]


def doc_freq(term: str) -> tuple[int, int]:
    hit = _df_cache.get(term)
    if hit is not None and _df_gen["backend"] is not None:
        return hit
    _df_generation()
    value = _df_gen["backend"].doc_freq(term)
    _df_cache[term] = value
    return value


def reset_caches() -> None:
    """Forget cached frequencies and profiles (tests, or after a bulk change)."""
    _df_cache.clear()
    _idf_cache.clear()
    _df_gen.update(backend=None, at=0.0, snap=None, token=_token())
    _profiles.clear()
    semantic.reset_cache()


def idf(term: str) -> float:
    value = _idf_cache.get(term)
    if value is None:
        df, n = doc_freq(term)
        value = _idf_cache[term] = math.log(1 + (n - df + 0.5) / (df + 0.5)) if n else 1.0
    return value


@lru_cache(maxsize=1)
def common_words() -> frozenset:
    """Words common in any Chinese text, which tell no two records apart (jieba's general idf, its shipped
    jieba/analyse/idf.txt): every word below scoring.COMMON_IDF (得到, 一次, 超过 …), and below scoring.SPEECH_IDF the
    words of speech — a verb, adverb, adjective, numeral, measure word, pronoun, direction or time word by jieba's
    part of speech (jieba/dict.txt), or an abstract noun of any report (scoring.ABSTRACT): 不敢, 只能, 一条, 来源."""
    import jieba  # (not jieba.analyse: importing it loads the whole file into a dict of its own)
    root = Path(jieba.__file__).parent
    try:
        idf = {w: float(v) for w, _, v in (line.partition(" ") for line in
                                           (root / "analyse" / "idf.txt").read_text(encoding="utf-8").splitlines())
               if v and float(v) < scoring.SPEECH_IDF}
        speech = set()
        with open(root / "dict.txt", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3 and parts[0] in idf and (parts[2] in scoring.SPEECH_TAGS
                                                            or parts[0] in scoring.ABSTRACT):
                    speech.add(parts[0])
    except OSError:  # pragma: no cover — jieba without its data files: our own frequencies only
        return frozenset()
    return frozenset(w for w, v in idf.items() if v < scoring.COMMON_IDF) | speech


def _measure(term: str) -> bool:
    if term in MEASURES:
        return True
    quantity = QUANTITY.match(term) if term[0].isdigit() else None
    return bool(quantity and quantity.group(1) in MEASURES)


def specific(term: str) -> bool:
    """A term that can tell records apart: not a filler word, not common in Chinese at large, not in a large
    share of the documents."""
    if len(term) < 2 or term in generic_words() or term in common_words() or NUMBER.match(term) \
            or _measure(term):
        return False
    df, n = doc_freq(term)
    if n >= 30 and df / n > 0.12:
        return False
    return not (n >= 1000 and df / n > 0.05)


# --- profiles -----------------------------------------------------------------------------------------

@dataclass
class Profile:
    kind: str
    id: int
    text: str                                  # lower-cased, for containment tests
    terms: dict                                # term → weight (tf·idf, field-boosted), the telling ones
    tokens: tuple                              # every specific token once (the BM25 query of this side)
    links: list | None = field(default_factory=list)  # [(Link, cue alternative)] fired by this text (own_links)
    self_bm25: float = 1.0
    # Precomputed once per profile (speed only; the same numbers as computing them per pair):
    norm: float = 1.0                          # BM25 length normalisation of this text
    tok: tuple = ()                            # ((surface forms, term), ...) of `tokens`, in order
    tok_flat: tuple = ()                       # every form of `tok`, flattened (counted in C with map)
    tok_owner: tuple = ()                      # index in `tok` of each flattened form
    term_list: tuple = ()                      # ((term, weight, forms), ...) of `terms`, best first
    term_flat: tuple = ()                      # every form of `term_list`, flattened
    term_owner: tuple = ()                     # index in `term_list` of each flattened form
    terms_total: float = 1.0                   # sum of the terms' weights (or 1)
    glinks: tuple = ()                         # ((Link, alternative, ((tech, lower, bigrams), ...)), ...)
    title_terms: tuple = ()                    # ((weight, forms), ...) of the title's telling terms (abstention)
    plain: bool = False                        # the title is in a factory's words, not a technology's name
    tok_start: tuple = ()                      # index in `tok_flat` of each token's first form
    tok_long: tuple = ()                       # indices in `tok_flat` of forms longer than SHORT (see _Counts)
    term_long: tuple = ()                      # indices in `term_flat` of forms longer than SHORT
    gindex: dict = field(default_factory=dict) # form of `glinks` → indices of the links holding it (a demand's)
    tok_idf: tuple = ()                        # (generation of frequencies, idf of each token as an array)
    tok_sizes: object = None                   # how many forms each token has (a numpy array)
    learn_terms: tuple = ()                    # the terms learning.pair_strength reads of this side, in order
    learn_set: frozenset = frozenset()         # the same as a set
    fired_by: object = None                    # the graph that will fire `links` when first asked (own_links)
    edges: bytes = b""                         # 1 at each offset of the lower-cased text where a word of jieba's
    #                                            cut or a sub-word begins or ends (only the reasons' wording: _whole)


def _fields(obj, kind):
    if kind == "demand":
        return [(obj.title, 2.0), (obj.indicators or "", 1.2), (obj.description or "", 1.0)]
    return [(obj.title, 2.0), ((obj.keywords or "").replace("、", " "), 1.5), (obj.summary or "", 1.0)]


def _build_profile(kind, oid, fields) -> Profile:
    fields = [(read(t), w) for t, w in fields]  # ＬＥＤ as LED, 正极材\n料 as 正极材料 throughout (search.analysis.read)
    raw = " ".join(t for t, _ in fields)
    tf: Counter = Counter()
    edges = bytearray(len(raw) + 1)  # 1 where a word of the cut or a sub-word begins or ends (_whole)
    at = 0
    for text, weight in fields:
        spans: list = []
        for group in token_groups(text, spans):
            tf[sys.intern(group[0])] += weight  # one copy of each word for all the profiles kept
        for start, end in spans:
            edges[at + start] = edges[at + end] = 1
        at += len(text) + 1
    weighted = {t: (1 + math.log(c)) * idf(t) for t, c in tf.items() if specific(t)}
    top = dict(sorted(weighted.items(), key=lambda x: -x[1])[:PROFILE_TERMS])
    tokens = tuple(t for t in tf if not _very_common(t))  # BM25 over every word, as the plain baseline
    lower = raw.lower()
    text = scoring.bounded(lower)  # forms are found in it as whole Latin words (_forms are bounded alike)
    # an achievement's links are read only when it is the record matched (its searches, the summary), not when it is
    # one of a demand's candidates (only the demand's links are followed): fired when first asked (own_links)
    graph = knowledge.graph()
    p = Profile(kind, oid, text, top, tokens, links=graph.fired(raw) if kind == "demand" else None,
                fired_by=None if kind == "demand" else graph)
    p.norm = _norm(lower)
    p.edges = bytes(edges) if len(lower) == len(raw) else b""  # (a letter whose lower case is longer: none kept)
    p.tok = tuple((_forms(t), t) for t in tokens)
    p.tok_flat, p.tok_owner = _flatten(forms for forms, _ in p.tok)
    first: dict = {}
    for j, k in enumerate(p.tok_owner):
        first.setdefault(k, j)
    p.tok_start = tuple(first.get(k, 0) for k in range(len(p.tok)))
    p.tok_long = tuple(j for j, form in enumerate(p.tok_flat) if len(form) > SHORT)
    p.term_list = tuple((t, w, _forms(t)) for t, w in sorted(top.items(), key=lambda x: -x[1]))
    p.term_flat, p.term_owner = _flatten(forms for _, _, forms in p.term_list)
    p.term_long = tuple(j for j, form in enumerate(p.term_flat) if len(form) > SHORT)
    p.terms_total = sum(top.values()) or 1.0
    if kind == "demand":  # what the title names and how it is written (the abstention reads them too)
        title = fields[0][0] or ""
        p.title_terms = tuple((weighted[t], _forms(t)) for t in dict.fromkeys(query_terms(title)) if t in weighted)
        p.plain = scoring.plain_words(title)
    # only a demand's links are followed (_graph: its symptoms, the other's technologies), and not those of a demand
    # whose title names its technology (scoring.names_technology): its links still search candidates (own_links)
    if kind == "demand" and (p.plain or not scoring.names_technology(fields[0][0] or "")):
        p.glinks = tuple((link, alt, _link_techs(link.technologies)) for link, alt in p.links)
    if kind == "demand":
        index: dict = {}
        for i, (_l, _a, techs) in enumerate(p.glinks):
            for _t, low, grams in techs:
                for f in (low,) + grams:
                    index.setdefault(f, set()).add(i)
        p.gindex = {f: tuple(sorted(ix)) for f, ix in index.items()}
    p.learn_terms = learning.pair_terms(top)
    p.learn_set = frozenset(p.learn_terms)
    p.tok_sizes = np.array([len(forms) for forms, _ in p.tok], dtype=np.intp)
    p.self_bm25 = _bm25(p.tok, text, p.norm) or 1.0
    return p


def own_links(p: Profile) -> list:
    """[(Link, cue alternative)] fired by p's text in the graph it was built with (fired once, then kept)."""
    if p.links is None:
        p.links = p.fired_by.fired(scoring.unbounded(p.text))  # (the raw text lower-cased, as for a demand)
    p.fired_by = None
    return p.links


@lru_cache(maxsize=20000)
def _link_techs(technologies: tuple) -> tuple:
    """((technology, lower-cased, character pairs), ...) of a link: one tuple shared by every profile firing it.
    A technology with a Latin word is there twice, also with the word in its other number (VOC治理 is named by a
    text that writes VOCs治理), as the terms' forms are (scoring.written)."""
    out = []
    for tech in technologies:
        low = tech.lower()
        for form in dict.fromkeys((low, scoring.other_number(low))):
            out.append((tech, scoring.bounded(form), _bigrams(form)))
    return tuple(out)


def title_cover(p: Profile, text: str) -> float:
    """The idf-weighted share of what `p`'s title names (its telling terms, synonyms counted) found in `text`."""
    total = sum(w for w, _ in p.title_terms)
    if not total:
        return 0.0
    return sum(w for w, forms in p.title_terms if any(f in text for f in forms)) / total


_profiles: OrderedDict = OrderedDict()
PROFILE_CACHE = 50000


def profile(obj, kind: str) -> Profile:
    return profiles([obj], kind)[0]


def profiles(objs, kind: str) -> list:
    """The profiles of records of one kind, from the cache when the record (its change time and text) and the
    knowledge graph are the ones it was built from."""
    _df_generation()
    graph_id = id(knowledge.graph())
    out = []
    for obj in objs:
        fields = _fields(obj, kind)
        stamp = (getattr(obj, "updated_at", None), hash(tuple(t for t, _ in fields)), graph_id)
        key = (kind, obj.id)
        hit = _profiles.get(key)
        if hit is not None and hit[0] == stamp:
            _profiles.move_to_end(key)
            out.append(hit[1])
            continue
        p = _build_profile(kind, obj.id, fields)
        _profiles[key] = (stamp, p)
        if len(_profiles) > PROFILE_CACHE:
            _profiles.popitem(last=False)
        out.append(p)
    return out


@lru_cache(maxsize=50000)
def _forms(term: str) -> tuple:
    """The surface forms of a term and its synonyms, as they would appear in a text."""
    out = []
    for alt in expand(term):
        form = "".join(alt) if all(CJK.match(t) for t in alt) else " ".join(alt)
        for form in scoring.written(form.lower()) if form else ():
            if form not in out:
                out.append(form)
    return tuple(out)


def _tf(term: str, text: str) -> int:
    return max(text.count(f) for f in _forms(term))


def _flatten(groups) -> tuple[tuple, tuple]:
    flat, owner = [], []
    for k, forms in enumerate(groups):
        flat += forms
        owner += [k] * len(forms)
    return tuple(flat), tuple(owner)


def _norm(text: str) -> float:
    return BM25_K1 * (1 - BM25_B + BM25_B * len(text) / AVG_LEN)


def bm25(tokens, text: str) -> float:
    return _bm25(tuple((_forms(t), t) for t in tokens), text, _norm(text))


def _bm25(tok, text: str, norm: float) -> float:
    """BM25 of precomputed ((forms, term), ...) against a text (the same sum, in the same order, as bm25)."""
    total = 0.0
    count = text.count
    idfs = _idf_cache
    for forms, term in tok:
        c = count(forms[0]) if len(forms) == 1 else max(map(count, forms))
        if c:
            w = idfs.get(term)
            total += (w if w is not None else idf(term)) * c * (BM25_K1 + 1) / (c + norm)
    return total


def _bm25p(p: "Profile", text: str, norm: float) -> float:
    """_bm25(p.tok, text, norm), faster: every form is counted in one C-level pass (map), and only the tokens
    that occur are summed, in the same order (so the same float)."""
    return _bm25v(p, list(map(text.count, p.tok_flat)), norm)


def _present(flat: tuple, owner: tuple, text: str) -> list:
    """Indices (in order, once each) of the groups that have a form occurring in `text`."""
    return _present_v(owner, list(map(text.__contains__, flat)))


@lru_cache(maxsize=20000)
def _tech_terms(tech: str) -> tuple:
    """A technology's words, for looking for candidates (its character pairs decide whether it matches)."""
    terms = tuple(t for t in query_terms(tech) if t not in generic_words() and (len(t) >= 2 or ASCII.match(t)))
    return terms or (tech.lower(),)


@lru_cache(maxsize=20000)
def _bigrams(tech: str) -> tuple:
    out = []
    for run in re.findall(r"[\u3400-\u9fff]+|[a-z0-9]+(?:[-.+/][a-z0-9]+)*", tech.lower()):
        if CJK.match(run):
            out += [run[i:i + 2] for i in range(len(run) - 1)] or [run]
        else:
            out.append(scoring.bounded(run))
    return tuple(dict.fromkeys(out))


# --- pair evidence (symmetric) ------------------------------------------------------------------------

@dataclass
class Evidence:
    text: float
    text_d: float                # share of the demand's own BM25 found in the achievement
    graph: float
    learned: float
    shared_terms: list
    coverage: float
    paths: list                  # [(cue alternative, Link, technology)]
    learned_notes: list


GRAPH_LINK_WEIGHT = 0.45


def _graph(src: Profile, other_text: str, has=None, links=None) -> list:
    """The graph paths from `src`'s links to the technologies `other_text` names (_best_tech). `has`:
    another way to tell whether a form occurs in `other_text` (the counts of evidence_many); `links`: the
    indices of the only links that can match (those with a form in the text), in order."""
    paths = []
    has = has or other_text.__contains__
    for link, alt, techs in (src.glinks if links is None else map(src.glinks.__getitem__, links)):
        best, best_tech = _best_tech(techs, has)
        if best_tech is not None:
            paths.append((best, alt, link, best_tech))
    return paths


def _best_tech(techs: tuple, has) -> tuple:
    """(how much, which) of a link's technologies (precomputed by _link_techs) the text names best: 1 for the
    whole phrase; else the share of the phrase's character pairs it holds (jieba cuts unknown technical words into
    single characters, so pairs are the sturdier unit), counted from 0.75 up; (0.0, None) when none."""
    best, best_tech = 0.0, None
    for tech, low, grams in techs:
        if has(low):
            m = 1.0
        elif len(grams) < 2:
            continue
        else:
            share = sum(map(has, grams)) / len(grams)
            if share < 0.75:
                continue
            m = share
        if m > best:
            best, best_tech = m, tech
    return best, best_tech


def pair_evidence(d: Profile, a: Profile) -> Evidence:
    """Everything the score of a (demand, achievement) pair rests on: the same whichever side asks."""
    return _evidence(d, a, _bm25p(d, a.text, a.norm), _bm25p(a, d.text, d.norm), _graph(d, a.text),
                     _present(d.term_flat, d.term_owner, a.text), _present(a.term_flat, a.term_owner, d.text))


def _evidence(d: Profile, a: Profile, bm_da: float, bm_ad: float, paths: list, d_in_a: list, a_in_d: list) \
        -> Evidence:
    """The pair's evidence from what was found of each side in the other's text: BM25 sums both ways, the
    demand's graph paths in the achievement, the indices of each side's telling terms present in the other."""
    da = bm_da / d.self_bm25
    ad = bm_ad / a.self_bm25
    text = (1 - scoring.REVERSE) * da + scoring.REVERSE * ad
    paths.sort(key=lambda p: (-p[0], p[2].key))
    # each link counts once (its best technology); several links pointing at the same thing add up
    seen, product = set(), 1.0
    for strength, alt, link, tech in paths:
        if link.key in seen:
            continue
        seen.add(link.key)
        product *= 1 - GRAPH_LINK_WEIGHT * strength
    graph = 1 - product
    shared = []
    total_d = d.terms_total
    got_d = 0.0
    d_list, a_list = d.term_list, a.term_list
    for k in d_in_a:
        t, w = d_list[k][0], d_list[k][1]
        got_d += w
        shared.append(t)
    seen_terms = set(shared)
    for k in a_in_d:
        t = a_list[k][0]
        if t not in seen_terms:
            shared.append(t)
            seen_terms.add(t)
    learned, notes = learning.pair_strength_of(d.learn_terms, a.learn_set)
    return Evidence(text=text, text_d=da, graph=graph, learned=learned, shared_terms=shared,
                    coverage=min(1.0, got_d / total_d), paths=[(alt, link, tech) for s, alt, link, tech in paths
                                                               if s >= 0.99][:3] or
                    [(alt, link, tech) for s, alt, link, tech in paths][:2], learned_notes=notes)


# --- the evidence of one record against all its candidates at once -------------------------------------
# pair_evidence looks for each side's forms in the other's text with str.count / `in`: ~300 searches of a
# ~500-character text per pair, most of a rebuild's time. evidence_many finds the same numbers with two
# structures built once per record: an Aho-Corasick automaton of the record's own forms, run once over each
# candidate's text into a matrix of counts (a row per candidate), and a table of the record's own text's
# substrings (up to SHORT characters), in which the candidates' forms are looked up. Counts are str.count's
# (non-overlapping: a form that can overlap itself is recounted). The BM25 sums run in numpy in the same order
# as the pair-by-pair code, so every number equals pair_evidence's (tests/test_matching_evidence.py).

SHORT = 8
_second = itemgetter(1)


class _Counts:
    """form → how many times str.count finds it in `text`, for every substring of at most SHORT characters (longer
    forms are counted in `text` itself when asked)."""
    __slots__ = ("text", "table", "checked")

    def __init__(self, text: str, table: dict):
        self.text, self.table, self.checked = text, table, set()

    @classmethod
    def substrings(cls, text: str) -> "_Counts":
        n = len(text)
        table = Counter(text[i:i + k] for k in range(1, SHORT + 1) for i in range(n - k + 1))
        for form in [f for f, c in table.items() if c > 1 and len(f) > 1]:
            table[form] = text.count(form)  # overlapping occurrences (哈哈 in 哈哈哈) count once
        return cls(text, table)

    def values(self, flat: tuple, longs: tuple) -> list:
        """Counts aligned with `flat` (None where absent); `longs`: the indices of its forms longer than SHORT."""
        vals = list(map(self.table.get, flat))
        count = self.text.count
        for j in longs:
            vals[j] = count(flat[j]) or None
        return vals

    def has_all(self, longs: tuple):
        """A test `form in text` (a C function) for short forms and for `longs`, the long ones that will be
        asked (they are looked up in the text once and added to the table)."""
        for form in longs:
            if form not in self.checked:
                self.checked.add(form)
                if form in self.text:
                    self.table[form] = self.text.count(form)
        return self.table.__contains__


def _border(form: str) -> bool:
    """Whether two occurrences of `form` can overlap (a proper prefix of it is also a suffix, as in 哈哈 or 1.1):
    only then can the automaton's count (every occurrence) differ from str.count's (non-overlapping ones)."""
    return any(form[:k] == form[-k:] for k in range(1, len(form)))


class _Scanner:
    """An Aho-Corasick automaton of a profile's own forms (its tokens', its telling terms' and, for a demand,
    its graph links' technologies and their character pairs): `matrix(texts)` → how many times str.count finds
    each form in each text, one row per text, one column per form (`forms`, then a column of zeros)."""

    def __init__(self, p: Profile, with_graph: bool):
        forms = dict.fromkeys(p.tok_flat)
        forms.update(dict.fromkeys(p.term_flat))
        if with_graph:
            for _link, _alt, techs in p.glinks:
                for _tech, low, grams in techs:
                    forms[low] = None
                    forms.update(dict.fromkeys(grams))
        forms.pop("", None)
        self.forms = tuple(forms)
        self.size = len(self.forms) + 1  # the last column: a form never looked for (always 0)
        index = {f: i for i, f in enumerate(self.forms)}
        self.tok_cols = np.array([index.get(f, self.size - 1) for f in p.tok_flat], dtype=np.intp)
        self.term_cols = np.array([index.get(f, self.size - 1) for f in p.term_flat], dtype=np.intp)
        self.border = tuple(i for i, f in enumerate(self.forms) if len(f) > 1 and _border(f))
        # each column's graph links (a demand's gindex by column): the links a candidate can fire, from its row
        self.col_links = [p.gindex.get(f, ()) for f in self.forms] + [()] if with_graph else None
        self.empty = not self.forms
        self.auto = ahocorasick.Automaton()
        for i, form in enumerate(self.forms):
            self.auto.add_word(form, i)
        if not self.empty:
            self.auto.make_automaton()

    def matrix(self, texts: list) -> np.ndarray:
        rows = len(texts)
        if self.empty or not rows:
            return np.zeros((rows, self.size), dtype=np.int64)
        found, lengths = [], []
        scan = self.auto.iter
        for text in texts:  # every occurrence of every form (the automaton's values are the columns)
            before = len(found)
            found.extend(map(_second, scan(text)))
            lengths.append(len(found) - before)
        cells = np.array(found, dtype=np.intp) + np.repeat(np.arange(rows, dtype=np.intp) * self.size, lengths)
        counts = np.bincount(cells, minlength=rows * self.size).reshape(rows, self.size)
        for i in self.border:  # overlapping occurrences (哈哈 in 哈哈哈) count once, as str.count counts them
            for r in np.flatnonzero(counts[:, i] > 1).tolist():
                counts[r, i] = texts[r].count(self.forms[i])
        return counts

    def graph(self, d: Profile, row: np.ndarray, text: str) -> list:
        """_graph_in(d, text, counts) from a row of `matrix` (d: the demand this scanner was built for): the links
        holding a form found in the text, followed in order, forms looked up among those found."""
        cols = np.flatnonzero(row).tolist()
        col_links = self.col_links
        hit = [col_links[i] for i in cols if col_links[i]]
        if not hit:
            return []
        present = set(map(self.forms.__getitem__, cols))
        return _graph(d, text, present.__contains__, sorted(set().union(*hit)))


def _bm25v(p: Profile, vals: list, norm: float) -> float:
    """_bm25p from counts aligned with p.tok_flat (the same sum, in the same order)."""
    total = 0.0
    owner, tok, start, idfs = p.tok_owner, p.tok, p.tok_start, _idf_cache
    last = -1
    for j in compress(range(len(vals)), vals):
        k = owner[j]
        if k == last:
            continue
        last = k
        forms, term = tok[k]
        if len(forms) == 1:
            c = vals[j]
        else:
            c = max(v or 0 for v in vals[start[k]:start[k] + len(forms)])
        w = idfs.get(term)
        total += (w if w is not None else idf(term)) * c * (BM25_K1 + 1) / (c + norm)
    return total


def _present_v(owner: tuple, vals: list) -> list:
    """Indices (in order, once each) of the groups of which a form has a count (or is True) in `vals`."""
    out, last = [], -1
    for j in compress(range(len(vals)), vals):
        k = owner[j]
        if k != last:
            out.append(k)
            last = k
    return out


def _bm25_rows(p: Profile, counts: np.ndarray, norms: np.ndarray) -> list:
    """_bm25v of p's tokens for each row of `counts` (columns aligned with p.tok_flat; `norms`: each row's
    text's normalisation): numpy adds the tokens column after column, in p's order, so each row's float is the
    one _bm25v sums (a token absent from a row adds 0.0 there, which changes nothing)."""
    total = np.zeros(counts.shape[0])
    if not counts.size:
        return total.tolist()
    owner, tok, start, idfs = p.tok_owner, p.tok, p.tok_start, _idf_cache
    last = -1
    for j in np.flatnonzero(counts.any(axis=0)).tolist():
        k = owner[j]
        if k == last:
            continue
        last = k
        forms, term = tok[k]
        c = counts[:, j] if len(forms) == 1 else counts[:, start[k]:start[k] + len(forms)].max(axis=1)
        w = idfs.get(term)
        total += (w if w is not None else idf(term)) * c * (BM25_K1 + 1) / (c + norms)
    return total.tolist()


def _idfs(p: Profile) -> np.ndarray:
    """The idf of each of p's tokens in the current generation of frequencies (the values _bm25v looks up)."""
    gen = _df_gen.get("token")
    if not p.tok_idf or p.tok_idf[0] != gen or gen is None:
        idfs = _idf_cache
        values = []
        for _forms_, term in p.tok:
            w = idfs.get(term)
            values.append(w if w is not None else idf(term))
        p.tok_idf = (_df_gen.get("token"), np.array(values, dtype=np.float64))
    return p.tok_idf[1]


def _bm25_in(others: list, counts: _Counts, norm: float) -> list:
    """_bm25v of each profile of `others` (their tokens counted in one text's substring table `counts`, normalised
    by `norm`), all at once: each token's count (the best of its forms), weight and term in numpy, then every row
    summed token after token from the left (add.accumulate), so each float is the one _bm25v sums (an absent
    token adds 0.0)."""
    flat, longs, sizes, idfs, lengths = [], [], [], [], []
    for o in others:  # every token's forms follow each other in tok_flat, tokens in order
        base = len(flat)
        flat += o.tok_flat
        longs += [base + j for j in o.tok_long]
        sizes.append(o.tok_sizes)
        idfs.append(_idfs(o))
        lengths.append(len(o.tok))
    rows, width = len(others), max(lengths, default=0)
    if not flat or not width:
        return [0.0] * rows
    vals = np.fromiter(map(counts.table.get, flat, repeat(0)), dtype=np.int64, count=len(flat))
    for j in longs:
        vals[j] = counts.text.count(flat[j])
    sizes = np.concatenate(sizes)
    some = sizes > 0  # (a token without a form counts 0)
    c = np.zeros(sizes.size, dtype=np.int64)
    c[some] = np.maximum.reduceat(vals, (np.cumsum(sizes) - sizes)[some])
    w = np.concatenate(idfs)
    part = w * c * (BM25_K1 + 1) / (c + norm)
    table = np.zeros((rows, width))
    lengths = np.array(lengths, dtype=np.intp)
    row = np.repeat(np.arange(rows, dtype=np.intp), lengths)
    col = np.arange(row.size, dtype=np.intp) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    table[row, col] = part
    return np.add.accumulate(table, axis=1)[:, -1].tolist()


def _graph_in(d: Profile, counts: _Counts, memo: dict) -> list:
    """_graph(d, counts.text) for the demands met by one text: what a link's technologies name in the text is
    worked out once for all of them (`memo`: id of a link's technologies → (them, strength, technology); the
    ≈ 120 candidates of an achievement hold ≈ 700 links but only ≈ 110 different ones). Every link is followed,
    in order, so the paths are _graph's."""
    paths = []
    for link, alt, techs in d.glinks:
        hit = memo.get(id(techs))
        if hit is None:  # long forms looked up in the text once; the short ones are all in the table
            has = counts.has_all([f for _t, low, grams in techs for f in (low,) + grams if len(f) > SHORT])
            hit = memo[id(techs)] = (techs,) + _best_tech(techs, has)  # (the tuple kept alive: its id stays its own)
        if hit[2] is not None:
            paths.append((hit[1], alt, link, hit[2]))
    return paths


def evidence_many(own: Profile, own_kind: str, others: list) -> list:
    """[pair_evidence of (own, other)] for every profile of `others` (the other side), the same numbers."""
    if not others:
        return []
    scanner = _Scanner(own, with_graph=own_kind == "demand")
    mine = _Counts.substrings(own.text)
    counts = scanner.matrix([o.text for o in others])   # own forms in each other's text
    own_bm = _bm25_rows(own, counts[:, scanner.tok_cols], np.array([o.norm for o in others], dtype=np.float64))
    own_terms = [_present_v(own.term_owner, row) for row in (counts[:, scanner.term_cols] > 0).tolist()]
    their_bm = _bm25_in(others, mine, own.norm)   # the others' tokens in own text
    out = []
    memo: dict = {}
    for r, o in enumerate(others):
        o_terms = _present_v(o.term_owner, mine.values(o.term_flat, o.term_long))
        if own_kind == "demand":
            paths = scanner.graph(own, counts[r], o.text) if own.gindex else []
            ev = _evidence(own, o, own_bm[r], their_bm[r], paths, own_terms[r], o_terms)
        else:
            ev = _evidence(o, own, their_bm[r], own_bm[r], _graph_in(o, mine, memo), o_terms, own_terms[r])
        out.append(ev)
    return out


# --- candidates (recall first) ------------------------------------------------------------------------

def _search(weighted, entity_type, min_match, per_page=CANDIDATES) -> dict[int, float]:
    if not weighted:
        return {}
    be = sync.backend()
    fast = fastsearch.search(be, tuple(weighted), entity_type, min_match, per_page)  # same answer, sparse
    if fast is not None:
        return {parse_doc_id(i)[1]: s for i, s in fast}
    result = be.search(SearchQuery(weighted_terms=tuple(weighted), min_match=min_match,
                                               types=(entity_type,), visibility=Visibility(), per_page=per_page,
                                               facets=False))
    return {parse_doc_id(i)[1]: s for i, s in zip(result.ids, result.scores)}


def _very_common(term: str) -> bool:
    """Said by most documents of a real corpus: no evidence either way."""
    df, n = doc_freq(term)
    return n >= 50 and df / n > 0.25


def _common(term: str) -> bool:
    df, n = doc_freq(term)
    return n >= 1000 and df / n > 0.05


_held = threading.local()  # .objects: the list a rebuild's batch keeps its candidates in (this thread only);
# .feedback: the verdicts read ahead for a batch (feedback_ahead)


@lru_cache(maxsize=None)
def light(model) -> tuple:
    """Loader options for reading records to match: collections loaded eagerly for pages (an achievement's IP
    items) are left to load on access, the matcher never reads them."""
    return tuple(lazyload(getattr(model, rel.key)) for rel in sa_inspect(model).relationships
                 if rel.uselist and rel.lazy == "selectin")


@contextmanager
def holding(objects: list | None = None):
    """Keep the candidates read inside the block alive (the session's identity map holds records weakly), so that
    later records of a rebuild's batch take them from the session instead of reading them again: in `objects`,
    else in the enclosing block's list (a rebuild worker holds them across its batches), else in a new one."""
    outer = getattr(_held, "objects", None)
    _held.objects = objects if objects is not None else (outer if outer is not None else [])
    try:
        yield
    finally:
        _held.objects = outer


def _candidates(src: Profile, entity_type: str, exclude_org: int | None):
    """The union of (a) plain BM25 over every specific token, (b) the telling terms weighted, (c) the
    technologies of the graph links this text fires, (d) terms learnt from what happened to similar pairs."""
    ids: list = []
    plain = _search([(t, 1.0) for t in src.tokens if not _common(t)], entity_type, 1)
    ids += list(plain)
    top = sorted(src.terms.items(), key=lambda x: -x[1])[:KEY_TERMS]
    peak = top[0][1] if top else 1.0
    keyed = [(t, round(w / peak, 3)) for t, w in top]
    ids += list(_search(keyed, entity_type, 2 if len(keyed) >= 4 else 1))
    graph_terms: dict = {}
    for link, _alt in own_links(src):
        for tech in link.technologies:
            for t in _tech_terms(tech):
                if t not in src.terms:
                    graph_terms[t] = max(graph_terms.get(t, 0.0), 0.8)
    if graph_terms:
        ids += list(_search(sorted(graph_terms.items())[:120], entity_type, 1))
    side = "demand" if src.kind == "demand" else "achievement"
    extra = learning.expansion(src.terms, side)
    if extra:
        ids += list(_search(extra, entity_type, 1, per_page=20))
    ids = list(dict.fromkeys(ids))
    model = {"achievement": "achievements", "demand": "demands"}[entity_type]
    from ..core.listings import LIBRARIES
    lib = LIBRARIES[model]
    # records this session already holds are taken from its identity map (a rebuild's batch meets the same
    # candidates again and again), the others read in one query
    held = db.session.identity_map
    cls, _pk, token = identity_key(lib.model, 0)  # the map's key of record i is (cls, (i,), token)
    found = {}
    for i in ids:
        obj = held.get((cls, (i,), token))
        if obj is not None and not instance_state(obj).expired_attributes:  # an expired one is read again
            found[i] = obj
    missing = [i for i in ids if i not in found]
    if missing:
        loaded = list(db.session.scalars(db.select(lib.model).options(*light(lib.model))
                                         .where(lib.model.id.in_(missing))))
        found.update((o.id, o) for o in loaded)
        keep = getattr(_held, "objects", None)
        if keep is not None:
            keep.extend(loaded)
    return [found[i] for i in ids if i in found and found[i].status == "published"
            and found[i].owner_org_id != exclude_org]


def _facts(obj, kind: str) -> tuple:
    """What the structured factors read of a record: (industry, city, cooperation, budget) of a demand,
    (industry, city, maturity, price, transfer modes) of an achievement (None for 面议)."""
    if kind == "demand":
        return obj.industry, obj.city, obj.cooperation, None if obj.budget_negotiable else obj.budget
    org = obj.owner_org
    return (obj.industry, org.city if org else None, obj.maturity,
            None if obj.price_negotiable else obj.asking_price, tuple(obj.transfer_mode_list))


def _features(demand, achievement, ev: Evidence, d_facts=None, a_facts=None, cosine=None) -> scoring.Features:
    industry_d, city_d, cooperation, budget = d_facts or _facts(demand, "demand")
    industry_a, ach_city, maturity, price, modes = a_facts or _facts(achievement, "achievement")
    return scoring.Features(
        coverage=ev.coverage, relevance=ev.text, shared_terms=ev.shared_terms,
        same_industry=industry_d == industry_a, maturity=maturity, cooperation=cooperation, price=price,
        budget=budget, transfer_modes=modes, same_city=None if not ach_city else ach_city == city_d,
        graph=ev.graph, learned=ev.learned, paths=ev.paths, learned_notes=ev.learned_notes, text_d=ev.text_d,
        semantic=cosine)


def _cosines(own, own_kind: str, others: list) -> list:
    """Each other record's cosine with `own` (semantic.py; None where a vector is missing or the term is off)."""
    if not others or not semantic.enabled():
        return [None] * len(others)
    own_vec = semantic.vectors(own_kind, [own]).get(own.id)
    if own_vec is None:
        return [None] * len(others)
    other_kind = "achievement" if own_kind == "demand" else "demand"
    return semantic.cosines(own_vec, semantic.vectors(other_kind, others), [o.id for o in others])


def score_pair(demand, achievement) -> dict:
    """One pair's score, band and reasons, without feedback (the same from either side)."""
    d, a = profile(demand, "demand"), profile(achievement, "achievement")
    ev = pair_evidence(d, a)
    m = scoring.score(_features(demand, achievement, ev, cosine=_cosines(demand, "demand", [achievement])[0]))
    return {"score": m.score, "band": m.band, "reasons": m.reasons, "parts": m.parts}


def _feedback_rows(side: str, ids) -> list:
    from .models import MatchFeedback
    col = MatchFeedback.demand_id if side == "demand" else MatchFeedback.achievement_id
    return db.session.scalars(db.select(MatchFeedback).where(col.in_(ids))).all()


@contextmanager
def feedback_ahead(side: str, ids: list):
    """Inside the block, _feedback reads the verdicts on these records' pairs from one query made here (a rebuild's
    batch: one query instead of one per record; a pair has at most one row per side, so the order is immaterial)."""
    by_id: dict = {i: [] for i in ids}
    for row in _feedback_rows(side, ids):
        by_id[row.demand_id if side == "demand" else row.achievement_id].append(row)
    outer = getattr(_held, "feedback", None)
    _held.feedback = (side, by_id)
    try:
        yield
    finally:
        _held.feedback = outer


def _feedback(side: str, own_id: int) -> dict:
    """The verdicts on this record's pairs from both sides, and the reasons this side gave when dismissing."""
    ahead = getattr(_held, "feedback", None)
    if ahead is not None and ahead[0] == side and own_id in ahead[1]:
        rows = ahead[1][own_id]
    else:
        rows = _feedback_rows(side, [own_id])
    pairs: dict[int, dict] = {}
    reasons: Counter = Counter()
    for row in rows:
        other_id = row.achievement_id if side == "demand" else row.demand_id
        who = "own" if row.side == side else "other"
        pairs.setdefault(other_id, {})[who] = (row.verdict, row.reason)
        if who == "own" and row.verdict == "irrelevant" and row.reason:
            reasons[row.reason] += 1
    return {"pairs": pairs, "weights": scoring.weights_from_feedback(reasons) if reasons else None}


def _rank(src_kind, own, cands, limit, feedback, own_profile=None):
    scored = []
    own_p = own_profile or profile(own, src_kind)
    other_kind = "achievement" if src_kind == "demand" else "demand"
    weights = feedback["weights"]
    own_facts = _facts(own, src_kind)
    kept = [obj for obj in cands if feedback["pairs"].get(obj.id, {}).get("own", (None,))[0] != "irrelevant"]
    kept_p = profiles(kept, other_kind)
    evidence = evidence_many(own_p, src_kind, kept_p)
    other_p = {obj.id: q for obj, q in zip(kept, kept_p)}
    sims = _cosines(own, src_kind, kept)
    for obj, ev, cos in zip(kept, evidence, sims):
        said = feedback["pairs"].get(obj.id, {})
        verdicts = (said.get("own", (None, None))[0], *said.get("other", (None, None)))
        if src_kind == "demand":
            f = _features(own, obj, ev, own_facts, None, cos)
        else:
            f = _features(obj, own, ev, None, own_facts, cos)
        base = scoring.score(f, weights, explain=False)
        scored.append((scoring.apply_pair_feedback(base, *verdicts).raw, obj, f, ev, verdicts, base))
    scored.sort(key=lambda x: (-x[0], x[1].id))

    def title_in(i):  # what the demand's title names, looked for in candidate i (a demand's abstention only)
        return title_cover(own_p, profile(scored[i][1], other_kind).text)
    cover = title_in if src_kind == "demand" else None
    # a demand that wants a fault gone is not answered by a record that only detects it (DETECT_DISCOUNT)
    cure = src_kind == "demand" and not scoring.asks_detection(own_p.text)
    conf = scoring.confidence([scoring.as_answer((ev.text, ev.text_d, ev.graph, ev.learned, ev.coverage,
                                                  len(ev.shared_terms)), cure and scoring.detects(fold(obj.title)))
                               for _, obj, _, ev, _, _ in scored], cover, own_p.plain)
    abstained = conf["abstain"]
    items = []
    own_raw = None
    for _raw, obj, f, ev, verdicts, base in scored[:limit]:  # the same score, with its reasons worded
        q = other_p[obj.id]  # what is worded (the score is kept): words both records write as words
        told = scoring.shown_terms(f.shared_terms, lambda t: _whole(t, own_p) and _whole(t, q))
        if told != f.shared_terms:
            f = replace(f, shared_terms=told)
        shown = f.shared_terms + [w for alt, _l, _t in f.paths for w in alt]
        if any(map(_LATIN.search, shown)):  # as the records write them (VOCs, pH, PID), not lower-cased
            own_raw = own_raw if own_raw is not None else _raw_text(own, src_kind)
            written = _as_written(shown, own_raw + " " + _raw_text(obj, other_kind))
            f = replace(f, shared_terms=[written[t] for t in f.shared_terms],
                        paths=[(tuple(written[w] for w in alt), link, tech) for alt, link, tech in f.paths])
        m = scoring.apply_pair_feedback(scoring.explained(base, f), *verdicts)
        items.append({"id": obj.id, "ref": obj.ref, "title": obj.title, "score": m.score, "band": m.band,
                      "reasons": m.reasons, "shared_terms": scoring.honest_terms(f.shared_terms),
                      "coverage": round(f.coverage, 2),
                      "evidence": {"text": round(ev.text, 3), "graph": round(ev.graph, 3),
                                   "learned": round(ev.learned, 3)}})
    return items, abstained, conf


_LATIN = re.compile(r"[a-z]")


def _whole(term: str, p: Profile) -> bool:
    """Does p's text write `term` (or a synonym of it) as a word, not as the end of one word and the start of the
    next? The evidence finds a term as a substring of the other text (fast, and a word jieba cut differently is
    still found), so 合成 was found in 综合/成本, 配方 in 分配/方式, 通信 in 交通/信号灯, 高温 in 最高/温度: no evidence
    of anything, and shown as "技术要点相同". An occurrence counts when it begins and ends where a word of jieba's
    cut or one of its sub-words (the dictionary words inside a longer one, as the search index reads them) begins
    or ends: 汽车 in 新能源汽车, 回收率 in 溶剂回收(溶剂|回收)/率, 稀土矿 in 离子型稀土(稀土)/矿. Latin terms are
    whole words already (scoring.bounded)."""
    edges = p.edges
    if not edges or _LATIN.search(term):
        return True
    low = None
    for form in _forms(term):
        if scoring.EDGE in form:  # a Latin synonym: found as the evidence finds it, a whole word
            if form in p.text:
                return True
            continue
        if low is None:
            low = scoring.unbounded(p.text)
        i = low.find(form)
        while i >= 0:
            j = i + len(form)
            if edges[i] and edges[j]:
                return True
            i = low.find(form, i + 1)
    return False


def _raw_text(obj, kind: str) -> str:
    return " ".join(t for t, _w in _fields(obj, kind) if t)


def _as_written(terms: list, raw: str) -> dict:
    """{term: as `raw` (the two records' text) first writes it} for lower-cased terms (pcb → PCB, vocs → VOCs,
    ph → pH), looked for as the engine found it: a whole Latin word (scoring.bounded), maybe with a plural s — led
    is not the "led" of "Controlled"; a term without Latin letters, or not found, stays as it is."""
    out = {}
    folded = fold(raw)  # (ＥＲＰ found too, and shown as written: fold keeps every offset)
    for t in terms:
        if t in out or not _LATIN.search(t):
            out.setdefault(t, t)
            continue
        head = r"(?<![a-z])" if _LATIN.match(t[0]) else ""
        tail = r"(?=s?(?![a-z]))" if _LATIN.match(t[-1]) else ""
        m = re.search(head + re.escape(t) + tail, folded, re.IGNORECASE)
        out[t] = raw[m.start():m.end()] if m else t
    return out


def match_demand(demand, limit: int = 10) -> dict:
    src = profile(demand, "demand")
    cands = _candidates(src, "achievement", exclude_org=None)
    items, abstained, conf = _rank("demand", demand, cands, limit, _feedback("demand", demand.id), src)
    return {"items": items, "abstained": abstained, "terms": list(src.terms)[:KEY_TERMS],
            "next_steps": NEXT_STEPS if abstained else [], "confidence": conf["value"], "signals": conf["signals"],
            "graph": _graph_summary(src)}


def match_achievement(achievement, limit: int = 10) -> dict:
    src = profile(achievement, "achievement")
    cands = _candidates(src, "demand", exclude_org=None)
    items, abstained, conf = _rank("achievement", achievement, cands, limit, _feedback("achievement", achievement.id),
                                   src)
    return {"items": items, "abstained": abstained, "terms": list(src.terms)[:KEY_TERMS], "next_steps": [],
            "confidence": conf["value"], "signals": conf["signals"], "graph": _graph_summary(src)}


def _graph_summary(src: Profile) -> list:
    return [{"cue": " ".join(alt), "mechanism": link.mechanism, "technologies": list(link.technologies[:6]),
             "industry": link.industry} for link, alt in own_links(src)[:8]]


def can_see_reasons(actor, record) -> bool:
    """The owner, brokers and administrators see why; others see the list without the explanations."""
    return perm.is_owner(actor, record) or perm.is_admin(actor) or (
        perm.is_authenticated(actor) and actor.role == "broker")
