"""Match scores and their explanations: pure functions, no database, no Flask (unit-tested directly).

A score is a weighted sum of parts in [0, 1], scaled to 0–100; the weights are configuration
(MATCH_WEIGHTS) and sum to 1. The text part carries most of the weight: structured fields re-rank
candidates that are about the right thing, they never make an unrelated one look good.
"""
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DEFAULT_WEIGHTS = {"text": 0.72, "industry": 0.06, "maturity": 0.08, "price": 0.06, "mode": 0.05, "region": 0.03}
BANDS = ((70, "强"), (50, "中"), (0, "弱"))
MATURITY_ORDER = ["实验室", "小试", "中试", "工业化"]
# What a cooperation mode needs of an achievement's maturity: buying a licence needs something that works.
MATURITY_NEEDED = {"技术转让": "中试", "技术许可": "中试", "技术服务": "中试", "合作开发": "实验室",
                   "委托开发": "实验室", "技术咨询": "实验室", "其他": "实验室"}
MODE_FIT = {
    "技术转让": {"转让": 1.0, "许可": 0.6, "作价入股": 0.5, "合作开发": 0.3},
    "技术许可": {"许可": 1.0, "转让": 0.7, "作价入股": 0.4, "合作开发": 0.3},
    "合作开发": {"合作开发": 1.0, "许可": 0.5, "转让": 0.5, "作价入股": 0.6},
    "委托开发": {"合作开发": 1.0, "许可": 0.4, "转让": 0.4, "作价入股": 0.3},
    "技术咨询": {"合作开发": 0.8, "许可": 0.5, "转让": 0.5, "作价入股": 0.3},
    "技术服务": {"合作开发": 0.8, "许可": 0.6, "转让": 0.5, "作价入股": 0.3},
}
# A run of Latin letters is a word of its own: "in" is not in "min", "ii" is not in "iii", "na" not in "china".
# Texts and forms are both written with every such run between two marks (bounded), so that a form is found in a
# text only as whole runs, by the same substring tests as the Chinese words. (Digits are left as they were: bounding
# them too moves nearly every score, and the abstention's bars were fitted on those scores.)
EDGE = "\x1f"
_LATIN_RUN = re.compile(r"[a-z]+")


def bounded(lower: str) -> str:
    """A lower-cased text (or a form looked for in one) with each run of Latin letters marked off:
    bounded("m/min") == "\x1fm\x1f/\x1fmin\x1f"; Chinese is unchanged."""
    return _LATIN_RUN.sub(EDGE + r"\g<0>" + EDGE, lower)


# a word of letters alone (or ending a phrase: micro-led), never a unit after a number (5mm) or a short word (ph)
_PLURAL = re.compile(r"(?<![a-z0-9])[a-z]{3,}s$")   # vocs, leds, mofs (not gas, not class)
_SINGULAR = re.compile(r"(?<![a-z0-9])[a-z]{3,}$")


def written(lower: str) -> tuple:
    """The forms a lower-cased word (or phrase) is looked for under, bounded: itself, and a Latin word ending it
    also with or without a plural s, as Chinese texts write both (VOC and VOCs, LED and LEDs)."""
    if _PLURAL.search(lower) and not lower.endswith("ss"):
        return bounded(lower), bounded(lower[:-1])
    if _SINGULAR.search(lower) and not lower.endswith("s"):
        return bounded(lower), bounded(lower + "s")
    return (bounded(lower),)


_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]{3,}(?![a-z])")


def _other_number(m) -> str:
    w = m.group(0)
    if len(w) >= 4 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w if w.endswith("s") else w + "s"


def other_number(lower: str) -> str:
    """A lower-cased phrase with each Latin word of three letters or more (not a unit after a number) in its other
    number, the plural s added or dropped as `written` does for a word ending a phrase: "voc治理" → "vocs治理",
    "mofs吸附" → "mof吸附"; a phrase without such a word is returned unchanged."""
    return _LATIN_WORD.sub(_other_number, lower)


def unbounded(text: str) -> str:
    """The lower-cased text `bounded` was given."""
    return text.replace(EDGE, "")


# The first round's rule (should_abstain): silent unless the best candidate shares at least two key terms and
# reaches a solid 中 (60). The engine now decides with confidence() below; the score bar still reads as 弱/中.
ABSTAIN_BELOW_SHARED = 2
ABSTAIN_BELOW_SCORE = 60


@dataclass
class Features:
    coverage: float            # weighted share of the demand's telling terms found in the achievement (0..1)
    relevance: float           # symmetric BM25 text similarity (≈0..1; service.pair_evidence)
    shared_terms: list = field(default_factory=list)
    same_industry: bool = False
    maturity: str | None = None          # the achievement's
    cooperation: str | None = None       # the demand's
    price: Decimal | None = None         # the achievement's asking price (None: 面议)
    budget: Decimal | None = None        # the demand's budget (None: 面议)
    transfer_modes: tuple = ()
    same_city: bool | None = None        # None: unknown
    graph: float = 0.0                   # knowledge-graph evidence (0..1): symptom cue → technology found
    learned: float = 0.0                 # evidence learnt from feedback and deals (-1..1)
    paths: list = field(default_factory=list)          # [(cue alternative, Link, technology)]
    learned_notes: list = field(default_factory=list)  # sentences, already worded
    text_d: float = 1.0                  # the demand's own BM25 share found in the achievement (1.0: unknown)
    semantic: float | None = None        # cosine of the two records' sentence vectors (None: either has none)


@dataclass
class Match:
    score: int
    band: str
    reasons: list
    parts: dict
    raw: float = 0.0           # the unrounded score, for ordering


def shown(raw: float) -> int:
    """The 0–100 score shown for an unrounded one (which may pass either end once the semantic term is added;
    the list is still ordered by the unrounded value)."""
    return max(0, min(100, int(round(raw))))


def band_of(score: float) -> str:
    for floor, label in BANDS:
        if score >= floor:
            return label
    return BANDS[-1][1]


# The semantic term (matching/semantic.py): when both records have a sentence vector,
#     SEMANTIC_WEIGHT × (cosine − SEMANTIC_CENTRE) × (100 − the score without it)
# points are added: the model counts where the words do not meet (a factory's complaint, a university's technology)
# and hardly at all where the text evidence is already strong, so that a 强 keeps its meaning (the pushes read it).
# One constant centre, not the list's mean, so that a pair keeps one score whichever side looks. Chosen on the
# tuning halves as the best nDCG@10 that keeps the bands' meaning (docs/notes/matching-quality.md, "The semantic
# term, built"): a plain λ × 100 × (cosine − C) ranks a little better still but fills 强 with wrong answers.
SEMANTIC_WEIGHT = 4.0
SEMANTIC_CENTRE = 0.92
SEMANTIC_SHOWN = 5.0  # from this many points added or taken, the reasons say so


def semantic_part(cosine: float | None, base: float) -> float:
    """Points the cosine of a pair's two sentence vectors adds to (or takes from) its score `base` (0–100,
    without the term); 0 without a cosine."""
    if cosine is None:
        return 0.0
    return SEMANTIC_WEIGHT * (cosine - SEMANTIC_CENTRE) * (100 - min(100.0, max(0.0, base)))


# The text strength: BM25 both ways + the graph + what was learnt, through a soft ceiling (1 − e^(−T/τ)).
GRAPH_WEIGHT = 0.2  # chosen on benchmarks/matching + matching_independent/tune (0.2 > 0.35 > 0.5 on both)
LEARNED_WEIGHT = 0.25
TEXT_TAU = 0.2


# A demand whose title names a technology (says 技术, 工艺, 方法 … of itself and is not written in a factory's words:
# plain_words) follows none of its graph links into a candidate (service._build_profile: no `glinks`): the graph
# bridges a plant's words for a symptom to the technologies that cure it, and a demand that names its technology
# needs no bridge — there a link whose cue words are the demand's objects (锂云母 提锂 in "锂云母提锂渣大掺量蒸压加气混凝土
# 砌块技术") lifted the records of the objects' usual technology (lithium extraction) over the one asked for (blocks
# from the slag). Chosen on the six tuning halves under rules written before each run (docs/notes/matching-quality.md,
# "The graph is for a factory's words"): every title not in a factory's words → technical nDCG@10 0.977 → 0.981 but
# it took the path from complaints under noun-phrase titles (铜杆拉丝老断线); titles that say they are a technology →
# 0.977 → 0.980, factory unchanged (the demo tune half's too), abstention 0.908 → 0.915; held-out halves, run once
# after: technical 0.981 → 0.982, abstention 0.886 → 0.895, the demo's factory demands 0.916 → 0.906. The links still
# bring candidates and show in the answer's graph summary.
NAMES_TECHNOLOGY = re.compile(r"技术|工艺|方法|装置|系统|工艺包")


def names_technology(title: str) -> bool:
    """Does this title say it is a technology (…技术, …工艺, …方法, …装置, …系统, …工艺包)?"""
    return bool(NAMES_TECHNOLOGY.search(title or ""))


LEARNED_GATE = 0.2  # learned evidence counts in full only from this direct text relevance up
# A graph path counts in proportion to how much of the demand's own text the candidate holds (text_d), in
# full from GRAPH_AGREE up: two independent signals agreeing (the abstention's strengths read it alike).
# Added alone, a path lifted candidates that merely name a technology a demand's cue points to above the ones
# its text is about (a demand for concrete piles cured without autoclaving got a blast-furnace turbine's
# controller second). Chosen on the tuning sets (benchmarks/matching, matching_independent/tune,
# matching_third/tune): nDCG@10 rises on each as the value grows to 0.4 and is flat from 0.4 to 1.0
# (docs/notes/matching-quality.md, "Graph evidence that agrees with the text").
GRAPH_AGREE = 0.5


def agreement(text_d: float) -> float:
    """How far a graph path counts (0–1) when the candidate holds `text_d` of the demand's own text."""
    return min(1.0, max(0.0, text_d) / GRAPH_AGREE)


def strength(relevance: float, text_d: float, graph: float, learned: float) -> float:
    """A candidate's evidence in one number: the text, plus a graph path as far as the texts agree, plus what
    was learnt from other pairs, which re-ranks candidates that are about the right thing and never makes an
    unrelated one strong (a term pair learnt from one contract, e.g. 原料药 × 机理, would otherwise lift every
    achievement whose title says 机理). The ranking and the abstention read the evidence through it
    alike."""
    gate = min(1.0, max(0.0, relevance) / LEARNED_GATE) if learned > 0 else 1.0
    return max(0.0, relevance + GRAPH_WEIGHT * graph * agreement(text_d) + LEARNED_WEIGHT * learned * gate)


def text_strength(f: Features) -> float:
    return strength(f.relevance, f.text_d, f.graph, f.learned)


def text_part(f: Features) -> float:
    return 1 - math.exp(-text_strength(f) / TEXT_TAU)


@lru_cache(maxsize=4096)  # pure, and the same few values come back in every list
def maturity_part(maturity, cooperation) -> tuple[float, str]:
    if not maturity or maturity not in MATURITY_ORDER:
        return 0.5, "成熟度未知"
    needed = MATURITY_NEEDED.get(cooperation or "其他", "实验室")
    gap = MATURITY_ORDER.index(needed) - MATURITY_ORDER.index(maturity)
    if gap <= 0:
        return 1.0, f"成熟度“{maturity}”满足“{cooperation or '合作'}”的需要"
    if gap == 1:
        return 0.55, f"成熟度“{maturity}”略低于“{cooperation}”通常需要的“{needed}”"
    return 0.2, f"成熟度“{maturity}”不足，“{cooperation}”通常需要“{needed}”以上"


@lru_cache(maxsize=4096)  # pure, and the same few values come back in every list
def price_part(price, budget) -> tuple[float, str]:
    if price is None or budget is None:
        return 0.6, "价格面议" if price is None else "企业预算面议"
    if price <= budget:
        return 1.0, f"意向价格在预算之内（{_wan(price)} ≤ {_wan(budget)}）"
    ratio = float(budget / price) if price else 1.0
    if ratio >= 0.5:
        return 0.5, f"意向价格略超预算（{_wan(price)}，预算{_wan(budget)}），可议价或分期"
    return 0.15, f"意向价格远超预算（{_wan(price)}，预算{_wan(budget)}）"


@lru_cache(maxsize=4096)  # pure, and the same few values come back in every list
def mode_part(modes, cooperation) -> tuple[float, str]:
    if not cooperation or not modes:
        return 0.5, "合作方式待商议"
    table = MODE_FIT.get(cooperation, {})
    best = max(modes, key=lambda m: table.get(m, 0.3))
    value = table.get(best, 0.3)
    if value >= 0.99:
        return 1.0, f"转化方式“{best}”正合“{cooperation}”"
    return value, f"企业希望“{cooperation}”，成果提供“{'、'.join(modes)}”"


def _wan(amount: Decimal) -> str:
    wan = (Decimal(amount) / 10000).normalize()
    return f"{wan:f}万元"


def graph_reason(paths) -> str | None:
    """'需求提到“掉色”，可能源于紫外老化…，对应技术：氟碳涂料' — the mechanism as the data file or the editor wrote
    it. (Not "症状“…”": a link's cue words are not always a symptom — 屋顶 光伏, 生产 数据, 在线 监测 are the
    setting the demand describes.)"""
    if not paths:
        return None
    parts = []
    for alt, link, tech in paths[:2]:
        cue = "".join(alt) if len(alt) == 1 else "”“".join(alt)
        if link.mechanism:
            parts.append(f"需求提到“{cue}”，可能源于{link.mechanism.rstrip('。；;')}，对应技术：{tech}")
        else:  # a line of concepts.txt: words that go with the cue's, not a remedy ("断线" → 拉丝)
            parts.append(f"需求提到“{cue}”，相关技术：{tech}")
    return "；".join(parts)


def score(f: Features, weights: dict | None = None, explain: bool = True) -> Match:
    """0–100 = 100 × text part × (1 − s + s × structured part), s = the structured factors' share of the
    weights: an unrelated text scores low whatever its price or place, and among related texts the
    structured factors decide the order only when the text evidence is close. `explain=False`: the same
    score without the reasons (for ranking; the reasons are worded only for the rows shown, by `explained`)."""
    w = weights or DEFAULT_WEIGHTS
    text = text_part(f)
    industry = 1.0 if f.same_industry else 0.4
    maturity = maturity_part(f.maturity, f.cooperation)[0]
    price = price_part(f.price, f.budget)[0]
    mode = mode_part(tuple(f.transfer_modes), f.cooperation)[0]
    region = 0.6 if f.same_city is None else (1.0 if f.same_city else 0.7)
    parts = {"text": text, "industry": industry, "maturity": maturity, "price": price, "mode": mode,
             "region": region}
    total_w = sum(w.values()) or 1.0
    share = 1 - w.get("text", 0) / total_w
    structured = (sum(w[k] * parts[k] for k in w if k != "text") / (total_w - w.get("text", 0))
                  if share > 0 else 1.0)
    raw = 100 * text * (1 - share + share * structured)
    parts["semantic"] = semantic_part(f.semantic, raw)
    raw += parts["semantic"]
    value = shown(raw)
    m = Match(score=value, band=band_of(value), reasons=[], parts=parts, raw=raw)
    return explained(m, f) if explain else m


def explained(m: Match, f: Features) -> Match:
    """`m` (score(f, …, explain=False)) with its reasons worded: the same Match score(f, …) gives."""
    reasons = []
    path_reason = graph_reason(f.paths)
    if path_reason:
        reasons.append(path_reason)
    if f.shared_terms:
        reasons.append("技术要点相同：" + "、".join(f.shared_terms[:8]))
    reasons.extend(f.learned_notes)
    moved = m.parts.get("semantic", 0.0)
    if moved >= SEMANTIC_SHOWN:
        reasons.append("语义相近：用词不同，但语义模型判断所述问题相近（排序已提前）")
    elif moved <= -SEMANTIC_SHOWN:
        reasons.append("语义差别较大：语义模型判断两者所述问题差别较大（排序已靠后）")
    reasons.append("同属一个产业" if f.same_industry else "跨产业应用")
    reasons += [maturity_part(f.maturity, f.cooperation)[1], price_part(f.price, f.budget)[1],
                mode_part(tuple(f.transfer_modes), f.cooperation)[1]]
    if f.same_city:
        reasons.append("同城，便于现场对接")
    return Match(score=m.score, band=m.band, reasons=reasons, parts=m.parts, raw=m.raw)


# Feedback informs the ranking (pure; the service reads the feedback rows and passes them in).
# Pair level: what the two sides said about this very pair.
# The same delta from either side, so that a pair keeps one score whichever side looks.
PAIR_ADJUST = {("own", "interested"): (6, "您已标记“感兴趣”"),
               ("other", "interested"): (6, "对方已表示感兴趣"),
               ("other", "irrelevant"): (-15, "对方认为不相关")}
# Side level: a reason given when this side dismissed other pairs makes that factor count more for the
# rest of its list (each dismissal +50% of the factor's weight, at most ×2.5).
REASON_FACTOR = {"技术不对口": "text", "成熟度不够": "maturity", "价格不合适": "price"}


def weights_from_feedback(reasons: dict, base: dict | None = None) -> dict:
    """reasons: {reason: how many of this side's dismissals gave it} → adjusted weights (same keys)."""
    w = dict(base or DEFAULT_WEIGHTS)
    for reason, count in reasons.items():
        factor = REASON_FACTOR.get(reason)
        if factor and count > 0:
            w[factor] = w[factor] * min(2.5, 1 + 0.5 * count)
    return w


def apply_pair_feedback(match: Match, own: str | None, other: str | None, other_reason: str | None = None) -> Match:
    """own/other: the verdict ('interested' | 'irrelevant' | None) each side gave on this pair."""
    delta, notes = 0, []
    for who, verdict in (("own", own), ("other", other)):
        if (who, verdict) in PAIR_ADJUST:
            d, note = PAIR_ADJUST[(who, verdict)]
            if who == "other" and verdict == "irrelevant" and other_reason:
                note += f"（{other_reason}）"
            delta += d
            notes.append(note)
    if not delta:
        return match
    raw = match.raw + delta
    value = shown(raw)
    return Match(score=value, band=band_of(value), reasons=match.reasons + notes, parts=match.parts, raw=raw)


def should_abstain(best_shared: int, best_score: int) -> bool:
    return best_shared < ABSTAIN_BELOW_SHARED or best_score < ABSTAIN_BELOW_SCORE


# Words of speech are not telling terms either, when fairly common in Chinese at large (general idf below
# SPEECH_IDF, service.common_words): a verb, adverb, adjective, numeral, measure word, pronoun, direction or time
# word by jieba's part of speech, or an abstract noun of any report (ABSTRACT; jieba tags them n, like 温度). On the
# demo's lists they were shown as technical points: 不敢, 只能, 考虑, 选择, 一条, 两年, 容易, 清楚, 面临, 判断, 制定,
# 来源, 目标, 方向, 形式 … (155 of the 5,684 terms shown); technical verbs are rarer (萃取, 烧结, 浸出 have an idf
# above 8) and stay telling, so do topic nouns (压力, 汽车, 品种, 反应).
SPEECH_IDF = 6.0
SPEECH_TAGS = frozenset("v vd a ad d m mq q r rr rz f t tg c p u uj ul uz ud ug uv y e o".split())
ABSTRACT = frozenset("形式 来源 建议 重点 目标 实际 方向 状态 人员 专家 手段 特征 策略 空间 报告 情况 方面 作用 效果 过程 "
                     "内容 方式 措施 条件 水平 能力 要求 基础 环节 因素 原因 结果 特点 途径 领域 范围 程度 阶段 趋势 意见 "
                     "经验 办法 思路 部分 方案 地方 事情 东西 时候 时间 工作 项目 单位 人们 大家 原则 任务 关系 机会 "
                     "条款 目的 概念 理念 观点 角度 层面 模式 形势 局面 规模 前景 价值 意义 成果 优势 特色 需要 计划".split())


# Units written in Chinese, and amounts counted in words (两家, 万件, 一个月, 百万吨): a measure, not a technique.
# (Not 元: 三元 is a battery chemistry; not 级: 多级 is a process.)
UNITS = frozenset("立方米 平方米 立方 平方 公斤 千克 毫克 毫米 厘米 微米 公里 千米 千瓦 千瓦时 兆瓦 毫升 公顷 万元 亿元 摄氏度".split())
COUNTED = re.compile(r"^[一二两三四五六七八九十百千万亿几多每余数首]+(?:个月|[个家座台件片套批次日天周年月只条根张块种类款项半吨])$")


@lru_cache(maxsize=1)
def unshown_words() -> frozenset:
    """data/unshown.txt: words of business, scale and administration, not shown as technical points."""
    text = (Path(__file__).parent / "data" / "unshown.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


def shown_term(term: str) -> bool:
    """Whether a shared telling term may be shown as "技术要点相同": not a word of business or administration
    (unshown_words), not a unit or a counted amount. Only the wording: the evidence keeps the term."""
    return not (term in unshown_words() or term in UNITS or COUNTED.match(term))


def shown_terms(terms: list, whole=None) -> list:
    """The shared telling terms worded as "技术要点相同", in their order: those that may be shown (shown_term) and
    that both records write as words (`whole(term)`, when given: service._whole), and of a word and a longer one
    holding it only the longer (催化剂, not also 催化; 离子型稀土, not also 稀土)."""
    kept = [t for t in terms if shown_term(t) and (whole is None or whole(t))]
    return [t for t in kept if not any(t != u and t in u for u in kept)]


def honest_terms(terms: list) -> list:
    """Shared terms as returned: the service already kept only telling terms (not generic, not frequent, not a
    measure, not common in Chinese at large — service.specific) and of those the ones that may be shown
    (shown_terms); at most 12."""
    return list(terms[:12])


# Calibrated abstention: see confidence() and decide_abstention().
def confidence(ranked: list, title_cover=None, plain: bool | None = None) -> dict:
    """ranked: [(text, text_d, graph, learned, coverage, n_shared)] in rank order → {"value", "abstain", "signals"}.
    Evidence that generalises: the best candidate's strength against the background of this demand's own
    candidates (a scale-free ratio), where a graph path counts as far as the texts also agree (`agreement`:
    two independent signals). For a demand, also what a broker looks at first: does the strongest candidate
    or the list's first hold what the demand's title names (`title_cover(i)`: the idf-weighted share of the
    title's telling terms found in candidate i), and is the demand written in a factory's words (`plain`) or
    does it name a technology.
    "value" is a confidence in 0–1, 0.5 at the decision boundary."""
    if not ranked:
        return {"value": 0.0, "abstain": True, "signals": {}}
    # the evidence read as the ranking reads it (`strength`): a graph path as far as the texts also agree (two
    # independent signals), what was learnt only where the pair's own text agrees
    strengths = [strength(r[0], r[1], r[2], r[3]) for r in ranked]
    i = max(range(len(ranked)), key=lambda k: strengths[k])
    _, text_d, graph, _, cov, shared = ranked[i]
    rest = sorted(strengths[:i] + strengths[i + 1:], reverse=True)
    background = rest[len(rest) // 2] if rest else 0.0
    ratio = strengths[i] / (background + RATIO_FLOOR)
    signals = {"best": round(strengths[i], 3), "margin": round(strengths[i] - background, 3),
               "ratio": round(ratio, 2), "text_d": round(text_d, 3),
               "graph": round(graph, 3), "coverage": round(cov, 3), "shared": shared}
    # what the title names, looked for in the strongest candidate and in the list's first (what a broker reads
    # first): on the demo a learnt term pair made a copper-alloy wire the strongest candidate of a copper-rod
    # demand whose title only the list's first holds, and the demand went silent
    tcov = max(map(title_cover, {i, 0})) if title_cover is not None else None  # (each looked up once)
    if tcov is not None:
        signals.update(title_cover=round(tcov, 3), plain=bool(plain))
    # decided on the values as shown (rounded), so that the signals returned with a list give its decision back
    # (a title cover of 0.4996, shown as 0.5, was silent while the signals said "answer")
    abstain, p = decide_abstention(signals["ratio"], signals.get("title_cover"), plain)
    return {"value": round(p, 3), "abstain": abstain, "signals": signals}


# The text's two directions: the share of the achievement → demand direction (how much of the
# achievement's own words the demand holds) in a pair's symmetric text score (service._evidence). 0.5
# until 2026-12-01; 0.3 since, chosen on the four tuning sets under a rule written first (0.3 / 0.5 /
# 0.7 → pooled nDCG@10 0.947 / 0.941 / 0.921, factory 0.926 / 0.917 / 0.884, top-1 factory 0.949 /
# 0.924 / 0.861; better on each set): an achievement sheet's many words find their way into a long
# complaint by chance more than a demand's into a sheet (docs/notes/matching-quality.md, "The two
# directions of the text").
REVERSE = 0.3

# Words common in any Chinese text (得到, 一次, 超过, 完成, 直接, 出现 …) are not telling terms: jieba's
# general-corpus idf (its shipped jieba/analyse/idf.txt, 270,000 words) below COMMON_IDF
# (service.common_words: 419 words; 984 with the words of speech above). Our own document frequencies cannot
# tell them apart in a small or one-sided library, and they showed up as "技术要点相同" (the fourth set: 仲钨酸铵、超标、得到). 5.0
# was read off the shared terms shown on the four tuning sets: below it only filler (148 of 3,949
# shown); from 5.0 to 5.5 topic words begin (标准, 汽车, 环境, 压力). No ranking or abstention figure of
# the 171 tuning demands moved.
COMMON_IDF = 5.0

# What a broker does not offer as an answer: a record that detects, monitors or estimates a fault,
# for a demand that wants the fault gone (and asks for no detection or diagnosis of its own). Every
# evaluation set grades such a record 1 ("a detection or monitoring tool where a cure is needed"). In
# the abstention only, such a candidate's text evidence counts DETECT_DISCOUNT of itself; the ranking
# still shows it where its text puts it (discounting it there too lowered nDCG@10 on the tuning sets:
# 0.941 → 0.935 at 0.7, the text's directions then weighed 0.5 / 0.5). Chosen on the four tuning sets
# (docs/notes/matching-quality.md, "Detection is not a cure").
DETECT_DISCOUNT = 0.7
DETECTION_WORDS = ("检测", "监测", "识别", "诊断", "预警", "估计", "评价", "测定", "检验", "探伤", "传感")
# what a demand says when it asks for detection itself: the same words but 估计/评价, more ways of measuring and
# telling, and asking what a fault is ("弄清楚是什么病" asks for a diagnosis)
DETECTION_ASKED = tuple(w for w in DETECTION_WORDS if w not in ("估计", "评价")) + (
    "测量", "判断", "鉴别", "检查", "看不出", "查不出", "测不准",
    "弄清", "搞清", "查明", "查清", "确诊", "什么病", "啥病", "什么原因", "啥原因", "找出原因", "找原因")


def detects(title: str) -> bool:
    """Does an achievement's title name detection, monitoring or estimation (rather than a cure)?"""
    return any(w in (title or "") for w in DETECTION_WORDS)


def asks_detection(text: str) -> bool:
    """Does a demand's text ask to detect, measure or tell something (so a detection record may answer it)?"""
    return any(w in (text or "") for w in DETECTION_ASKED)


def as_answer(row: tuple, detection_only: bool) -> tuple:
    """A candidate's evidence row (text, text_d, graph, learned, coverage, n_shared) as the abstention reads
    it."""
    if not detection_only or DETECT_DISCOUNT >= 1.0:
        return row
    return (row[0] * DETECT_DISCOUNT, row[1] * DETECT_DISCOUNT) + tuple(row[2:])


RATIO_FLOOR = 0.02       # added to the background so that a near-empty background does not explode the ratio
# Without title information (an achievement's list of demands): a one-feature logistic regression on
# ratio = best / (median of the other candidates + 0.02), fitted with balanced class weights on the 87 demands
# of benchmarks/matching + matching_independent/tune; silent below ratio ≈ 3.34 (docs/notes/matching-quality.md,
# "Abstention, second round"; fitted when a path counted in full from text_d 0.08, not refitted since: no
# set judges an achievement's list of demands).
ABSTAIN_LOGIT_A = 1.03
ABSTAIN_LOGIT_B = -3.43
ABSTAIN_RATIO = -ABSTAIN_LOGIT_B / ABSTAIN_LOGIT_A
ABSTAIN_MARGIN = 0.075   # kept as a signal shown in "signals"; no longer part of the decision (see the notes)
# A demand's list (third round, docs/notes/matching-quality.md "Abstention, third round"; the cover's part
# changed in "The demo library labelled", 2026-12-01), the way a broker reads — the best candidate must stand
# out from this demand's own background of candidates (ratio), by how much depending on what the title says:
# - in a factory's words (symptoms; `plain_words`): ratio ≥ 1.95 (RATIO_PLAIN, the one value fitted on the
#   three tuning sets' 123 demands, leave-one-demand-out 0.930; "Graph evidence that agrees with the text");
# - naming a technology, with a best candidate that holds at least half of what the title names (idf-weighted
#   telling terms, synonyms counted): ratio ≥ 3.15 (RATIO_COVERED). Until 2026-12-01 such a cover answered by
#   itself; on six tuning sets every demand answered that way below a ratio of 3.38 had no answer (a
#   look-alike naming the same product: 2.45, 2.84, 2.88) and every answerable one was above it. The middle
#   of the best interval (2.90–3.35) on the six sets pooled; leave-one-set-out 0.915 against the old rule's
#   0.894;
# - naming a technology none of the candidates names: ratio ≥ 4 (RATIO_NAMED, set between the tuning sets'
#   extremes, not fitted).
TITLE_COVER = 0.5
RATIO_PLAIN = 1.95
RATIO_COVERED = 3.15
RATIO_NAMED = 4.0


def fit_probability(ratio: float, threshold: float | None = None) -> float:
    """A confidence in 0–1 from the ratio: the fitted logistic curve, moved so that it is 0.5 at `threshold`."""
    shift = 0.0 if threshold is None else ABSTAIN_RATIO - threshold
    z = ABSTAIN_LOGIT_A * (ratio + shift) + ABSTAIN_LOGIT_B
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def ratio_bar(title_cover: float | None, plain: bool | None, plain_bar: float = RATIO_PLAIN) -> float:
    """The ratio a list's best candidate must reach to be offered (decide_abstention's bar)."""
    if title_cover is None:
        return ABSTAIN_RATIO
    return plain_bar if plain else RATIO_COVERED if title_cover >= TITLE_COVER else RATIO_NAMED


def describe_decision(signals: dict | None, abstained: bool, other: str = "成果") -> str | None:
    """Why a list is silent (or answered), in the words a broker reads it: how far the strongest candidate
    stands out from this record's other candidates, against which bar and why that bar. None without signals
    (a list stored before they were kept)."""
    if not signals:
        return "没有找到与之有共同技术要点的候选" + other if abstained and signals == {} else None
    ratio, cover, plain = signals.get("ratio"), signals.get("title_cover"), signals.get("plain")
    if ratio is None:
        return None
    bar = ratio_bar(cover, plain)
    stands = f"最突出的候选{other}比其余候选的中位水平强 {ratio:.2f} 倍"
    if cover is None:
        why = ""
    elif plain:
        why = "需求标题是企业口语（描述现象），"
    elif cover >= TITLE_COVER:
        why = f"最接近的{other}含标题所说技术要点的 {cover:.0%}，"
    else:
        why = f"标题所说的技术要点没有哪条{other}含一半以上（最多 {cover:.0%}），"
    if abstained:
        return f"{stands}；{why}需达到 {bar:.2f} 倍才推荐"
    return f"{stands}；{why}推荐线为 {bar:.2f} 倍"


def decide_abstention(ratio: float, title_cover: float | None = None, plain: bool | None = None,
                      plain_bar: float = RATIO_PLAIN) -> tuple[bool, float]:
    """(stay silent?, confidence that something fits).
    Without title information: silent when the best candidate does not stand out clearly from this demand's
    own background of candidates (ratio < ABSTAIN_RATIO). With it: the ratio must reach `plain_bar` for a
    demand in a factory's words (RATIO_PLAIN, refitted only by the evaluation's cross-validation),
    RATIO_COVERED for a technical title the best candidate holds (title_cover ≥ TITLE_COVER), RATIO_NAMED
    otherwise. An answered list whose title is held has at least the confidence the cover gives."""
    if title_cover is None:
        p = fit_probability(ratio)
        return p < 0.5, p
    covered = title_cover >= TITLE_COVER
    threshold = ratio_bar(title_cover, plain, plain_bar)
    p = fit_probability(ratio, threshold)
    if ratio < threshold:  # (the bar itself answers: decided on the ratio, not on p's last bits)
        return True, min(p, 0.5)
    if covered:
        p = max(p, 0.5 + 0.5 * (title_cover - TITLE_COVER) / (1 - TITLE_COVER))
    return False, p


# Words of speech, not of a specification: a title holding one of them (or written as a sentence, with commas)
# is a factory's description of a symptom rather than the name of a technology. (Not 老 alone: 老果园, 老窖 are old.)
SPOKEN = frozenset("就 老有 太 都 还 了 又 也 很 越来越 一直 怎么 没 没有 不行 不了 老是 总是 总 经常 天天 想 不想 "
                   "能不能 有没有 咋 啥 怎么办 一年比一年 好几 特别".split())
SENTENCE = ("，", ",", "、", "；", ";", "！", "!", "？", "?")


def plain_words(title: str) -> bool:
    """Is this title written in a factory's words (a sentence about a symptom) rather than a technology's name?"""
    import jieba
    title = title or ""
    if any(mark in title for mark in SENTENCE):
        return True
    return any(w in SPOKEN for w in jieba.lcut(title))


def should_abstain_signals(s: dict) -> bool:
    """Silent when the best candidate does not stand out from this demand's own background."""
    return decide_abstention(s["ratio"], s.get("title_cover"), s.get("plain"))[0]
