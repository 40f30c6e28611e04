"""匹配效果: the evaluation sets' questions asked of the site's own records — how the demands' stored lists fare
with what people then did. Read by administrators and brokers (/matching/knowledge/outcomes, `flask match outcomes`).

- By band (强 / 中 / 弱) of the rows in the demands' lists: how many pairs either side then marked 感兴趣, asked to
  be introduced (申请对接), marked 不相关, or closed a deal on (a registered contract naming both records, or a
  broker introduction that reached 签约 — `learning._deals`). Bands are read from the scores as stored now; the
  pair feedback itself moves a stored score (感兴趣 +6, the other side's 不相关 −15).
- The first row of each answered list: did it draw a positive step, or a 不相关?
- The deals: was the pair in the demand's list (first 10, first 50), was that list silent, or is there no list any
  more (a demand no longer published has none)? This is recall measured on real outcomes.
- The silent lists: how many of those demands closed a deal all the same (a silence the engine may have got
  wrong), and how many had a next step chosen (人工撮合 / 揭榜挂帅 / 需求推送).
"""
from collections import Counter, defaultdict

from ..extensions import db
from . import learning
from .models import MatchFeedback, MatchList, MatchRequest, NextStep, StoredMatch

BANDS = ("强", "中", "弱")
SHOWN = 10  # a list's first page


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def report() -> dict:
    liked, disliked, asked = set(), set(), set()
    for d, a, verdict in db.session.execute(db.select(MatchFeedback.demand_id, MatchFeedback.achievement_id,
                                                      MatchFeedback.verdict)):
        (liked if verdict == "interested" else disliked).add((d, a))
    for d, a in db.session.execute(db.select(MatchRequest.demand_id, MatchRequest.achievement_id)):
        asked.add((d, a))
    deals = set()
    for model, done in learning._deals():  # (what makes a deal, as the learning reads it)
        deals |= set(db.session.execute(db.select(model.demand_id, model.achievement_id).where(
            done, model.demand_id.isnot(None), model.achievement_id.isnot(None))).tuples())
    positive = liked | asked | deals

    # where each pair something happened to stands in its demand's stored list: only those demands' lists are
    # read (≤ 50 rows each), each in the order the pages show it (store.read: score, coverage, then id)
    placed = _placed(liked | disliked | positive)
    bands = {b: Counter() for b in BANDS}
    for (d, a), (band, _rank) in placed.items():
        c = bands.setdefault(band, Counter())
        for name, pairs in (("interested", liked), ("requested", asked), ("irrelevant", disliked), ("deal", deals)):
            c[name] += (d, a) in pairs
        c["positive"] += (d, a) in positive
        c["judged"] += (d, a) in positive or (d, a) in disliked
    for band, n in db.session.execute(db.select(StoredMatch.band, db.func.count()).where(
            StoredMatch.direction == "demand").group_by(StoredMatch.band)):
        bands.setdefault(band, Counter())["shown"] = n
    rank = {pair: r for pair, (_band, r) in placed.items()}
    silent = {d for (d,) in db.session.execute(db.select(MatchList.entity_id).where(
        MatchList.entity_type == "demand", MatchList.abstained.is_(True)))}
    listed = {d for (d,) in db.session.execute(db.select(MatchList.entity_id).where(
        MatchList.entity_type == "demand"))}
    answered = {d for (d,) in db.session.execute(db.select(MatchList.entity_id).where(
        MatchList.entity_type == "demand", MatchList.abstained.is_(False), MatchList.size > 0))}
    heads = {pair for pair, r in rank.items() if r == 1 and pair[0] in answered}
    firsts = {"lists": len(answered), "positive": len(heads & positive), "irrelevant": len(heads & disliked)}
    firsts["positive_share"] = _share(firsts["positive"], firsts["lists"])

    found = Counter()
    for d, a in deals:
        if d not in listed:
            found["no_list"] += 1
        elif (d, a) not in rank:
            found["not_listed"] += 1
        elif rank[(d, a)] <= SHOWN:
            found["silent_top10" if d in silent else "top10"] += 1
        else:
            found["silent_top50" if d in silent else "top50"] += 1
    measurable = len(deals) - found["no_list"]
    found.update(total=len(deals), measurable=measurable)
    recall = {"deals": dict(found), "top10_share": _share(found["top10"] + found["silent_top10"], measurable),
              "listed_share": _share(measurable - found["not_listed"], measurable)}

    stepped = {d for (d,) in db.session.execute(db.select(NextStep.demand_id).distinct())}
    dealt = {d for d, _a in deals}
    silences = {"lists": len(silent), "with_deal": len(silent & dealt), "with_next_step": len(silent & stepped)}

    counts = ("shown", "interested", "requested", "irrelevant", "deal", "positive", "judged")
    for c in bands.values():
        for k in counts:
            c[k] = c[k]  # every count present, 0 included (a Counter reads a missing key as 0)
        c["positive_share"] = _share(c["positive"], c["judged"])
    return {"bands": {b: dict(c) for b, c in bands.items()}, "first": firsts, "recall": recall,
            "silent": silences, "lists": len(listed)}


def _placed(pairs: set) -> dict:
    """{(demand, achievement): (band, rank in the demand's stored list)} for the pairs that are in one."""
    wanted = defaultdict(set)
    for d, a in pairs:
        wanted[d].add(a)
    out: dict = {}
    demands = sorted(wanted)
    for i in range(0, len(demands), 500):
        lists = defaultdict(list)
        for d, a, score, band, coverage in db.session.execute(
                db.select(StoredMatch.demand_id, StoredMatch.achievement_id, StoredMatch.score, StoredMatch.band,
                          StoredMatch.coverage).where(StoredMatch.direction == "demand",
                                                      StoredMatch.demand_id.in_(demands[i:i + 500]))):
            lists[d].append((-score, -coverage, a, band))
        for d, rows in lists.items():
            for r, (_s, _c, a, band) in enumerate(sorted(rows), 1):
                if a in wanted[d]:
                    out[(d, a)] = (band, r)
    return out
