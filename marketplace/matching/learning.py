"""Learning from what happens to pairs: which words of a demand go with which words of an achievement.

Evidence, per (demand, achievement) pair:
  registered contract naming both      +4     (contracts, status 已登记)
  broker introduction that reached 签约  +3     (brokers, stage signed)
  感兴趣 mark, by each side              +1 each (match feedback)
  不相关 verdict, by each side           −1.5 each
A pair's evidence decays with a half-life of HALF_LIFE_DAYS from its latest event. It is spread over the
pairs of telling terms of the two records (the demand's PAIR_TERMS best terms × the achievement's); a term
pair counts only once its net evidence reaches FLOOR in absolute value (one registered contract or signed
introduction, or three 感兴趣 marks, not a single click). Words that already appear on both sides are left to
the text score.

The evidence is derived from those durable rows (nothing else is stored), recomputed when they change (a
cheap signature query at most every RECHECK_SECONDS). It is used to add expansion terms when looking for
candidates (`expansion`) and as a part of a pair's score with its reason (`pair_strength`).
"""
import math
import threading
import time
from datetime import UTC, date, datetime

from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

KIND_WEIGHT = {"contract": 4.0, "signed": 3.0, "interested": 1.0, "irrelevant": -1.5}
HALF_LIFE_DAYS = 365.0
FLOOR = 3.0
PAIR_TERMS = 8
RECHECK_SECONDS = 30.0
SCALE = 8.0  # evidence of this size gives a strength of tanh(1) ≈ 0.76
# A pair resembles pairs that went somewhere only when it meets what was learnt on at least MIN_SHARED words
# of each side: one shared word is chance (a copper refiner's 含铅 × a recycling record's 再生, learnt from one
# contract, lifted PET and battery recycling for the refiner's demand; hcj × 扩散 from a magnet licence lifted a
# TOPCon cell for every magnet demand).
MIN_SHARED = 2

_state: dict = {"sig": None, "at": 0.0, "pairs": {}, "by_demand_term": {}, "by_achievement_term": {}}
_lock = threading.Lock()


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def _as_datetime(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return _now()


def decay(when, now=None) -> float:
    age = max(0.0, ((now or _now()) - _as_datetime(when)).total_seconds() / 86400)
    return 0.5 ** (age / HALF_LIFE_DAYS)


def _signature():
    from ..brokers.models import Introduction
    from ..contracts.models import Contract
    from .models import MatchFeedback
    f = db.session.execute(db.select(db.func.count(MatchFeedback.id), db.func.max(MatchFeedback.id),
                                     db.func.max(MatchFeedback.created_at))).one()
    i = db.session.execute(db.select(db.func.count(Introduction.id), db.func.max(Introduction.updated_at))
                           .where(Introduction.stage == "signed")).one()
    c = db.session.execute(db.select(db.func.count(Contract.id), db.func.max(Contract.registered_on))
                           .where(Contract.status == "registered", Contract.demand_id.isnot(None),
                                  Contract.achievement_id.isnot(None))).one()
    return tuple(f) + tuple(i) + tuple(c)


def pair_events() -> dict:
    """(demand_id, achievement_id) → (net evidence before decay, latest event, strongest positive kind)."""
    from ..brokers.models import Introduction
    from ..contracts.models import Contract
    from .models import MatchFeedback
    pairs: dict = {}

    def add(key, kind, when):
        w, last, best = pairs.get(key, (0.0, None, None))
        w += KIND_WEIGHT[kind]
        when = _as_datetime(when)
        last = when if last is None or when > last else last
        if KIND_WEIGHT[kind] > 0 and (best is None or KIND_WEIGHT[kind] > KIND_WEIGHT[best]):
            best = kind
        pairs[key] = (w, last, best)

    for row in db.session.scalars(db.select(MatchFeedback)):
        add((row.demand_id, row.achievement_id), "interested" if row.verdict == "interested" else "irrelevant",
            row.created_at)
    for row in db.session.scalars(db.select(Introduction).where(Introduction.stage == "signed",
                                                                Introduction.achievement_id.isnot(None))):
        add((row.demand_id, row.achievement_id), "signed", row.updated_at)
    for row in db.session.scalars(db.select(Contract).where(Contract.status == "registered",
                                                            Contract.demand_id.isnot(None),
                                                            Contract.achievement_id.isnot(None))):
        add((row.demand_id, row.achievement_id), "contract", row.registered_on or row.signed_on)
    return pairs


def _deals() -> tuple:
    """What makes a deal on a pair, once for every reader: a registered contract naming both records, or a
    broker introduction that reached 签约 — (model, condition) each."""
    from ..brokers.models import Introduction
    from ..contracts.models import Contract
    return (Contract, Contract.status == "registered"), (Introduction, Introduction.stage == "signed")


def signed_with(entity_type: str, entity_id: int) -> set[int]:
    """The records of the other side this demand or achievement has a deal with (the match panel marks them
    已签约 instead of offering 申请对接; pushes leave them out)."""
    mine, other = ("demand_id", "achievement_id") if entity_type == "demand" else \
        ("achievement_id", "demand_id")
    found: set = set()
    for model, done in _deals():
        found |= set(db.session.scalars(db.select(getattr(model, other)).where(
            getattr(model, mine) == entity_id, done, getattr(model, other).isnot(None))))
    return found


def deal_exists(demand_id, achievement_id):
    """SQL: the pair (columns or values) has a deal, for counts that leave such pairs out."""
    return db.or_(*(db.select(model.id).where(done, model.demand_id == demand_id,
                                              model.achievement_id == achievement_id).exists()
                    for model, done in _deals()))


def _recompute():
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    from . import service
    now = _now()
    terms: dict = {}
    pairs = pair_events()
    demands = {d.id: d for d in db.session.scalars(db.select(Demand).where(
        Demand.id.in_({k[0] for k in pairs})))} if pairs else {}
    achievements = {a.id: a for a in db.session.scalars(db.select(Achievement).where(
        Achievement.id.in_({k[1] for k in pairs})))} if pairs else {}
    for (did, aid), (w, last, best) in pairs.items():
        d, a = demands.get(did), achievements.get(aid)
        if d is None or a is None:
            continue
        value = w * decay(last, now)
        dt = list(service.profile(d, "demand").terms)[:PAIR_TERMS]
        at = list(service.profile(a, "achievement").terms)[:PAIR_TERMS]
        for td in dt:
            for ta in at:
                if td == ta or td in at or ta in dt:
                    continue
                old_w, old_kind, n = terms.get((td, ta), (0.0, None, 0))
                kind = old_kind
                if value > 0 and best and (kind is None or KIND_WEIGHT[best] > KIND_WEIGHT[kind]):
                    kind = best
                terms[(td, ta)] = (old_w + value, kind, n + 1)
    kept = {k: v for k, v in terms.items() if abs(v[0]) >= FLOOR}
    by_d, by_a = {}, {}
    for (td, ta), v in kept.items():
        by_d.setdefault(td, []).append((ta, v))
        by_a.setdefault(ta, []).append((td, v))
    return kept, by_d, by_a


def evidence() -> dict:
    """The term-pair evidence that passed the floor: {(demand term, achievement term): (weight, kind, pairs)}."""
    now = time.monotonic()
    if _state["sig"] is not None and now - _state["at"] < RECHECK_SECONDS:
        return _state
    try:
        sig = _signature()
    except SQLAlchemyError:  # tables missing (an old database): nothing learnt
        db.session.rollback()
        return _state
    if sig != _state["sig"]:
        with _lock:
            kept, by_d, by_a = _recompute()
            _state.update(pairs=kept, by_demand_term=by_d, by_achievement_term=by_a, sig=sig)
    _state["at"] = now
    return _state


def invalidate() -> None:
    _state.update(sig=None, at=0.0)


NOTES = {"contract": "与已签约的类似需求相符（已登记合同）", "signed": "与已签约的类似需求相符",
         "interested": "与其他企业感兴趣的类似配对相符"}


def pair_terms(terms: dict) -> tuple:
    """The terms of one side that pair_strength reads (its first ones, in order)."""
    return tuple(list(terms)[:PAIR_TERMS * 2])


def pair_strength(d_terms: dict, a_terms: dict) -> tuple[float, list]:
    """(strength in −1..1, reasons) of a pair from the term pairs learnt: the same from either side."""
    return pair_strength_of(pair_terms(d_terms), set(pair_terms(a_terms)))


def pair_strength_of(d_keys: tuple, a_set) -> tuple[float, list]:
    """pair_strength from each side's pair_terms (the demand's in order, the achievement's as a set), which the
    matcher keeps with each profile instead of working them out for every pair."""
    state = evidence()
    pairs = state["pairs"]
    if not pairs:
        return 0.0, []
    total, best, best_w = 0.0, None, 0.0
    d_seen, a_seen = set(), set()
    for td in d_keys:
        for ta, (w, kind, n) in state["by_demand_term"].get(td, ()):
            if ta in a_set:
                total += w
                d_seen.add(td)
                a_seen.add(ta)
                if abs(w) > abs(best_w):
                    best, best_w = (td, ta, kind), w
    if not total or len(d_seen) < MIN_SHARED or len(a_seen) < MIN_SHARED:
        return 0.0, []
    strength = math.tanh(total / SCALE)
    td, ta, kind = best
    if total > 0:
        note = f"{NOTES.get(kind or 'interested')}：“{td}”与“{ta}”"
    else:
        note = f"类似配对曾被判定不相关：“{td}”与“{ta}”"
    return strength, [note]


def expansion(terms: dict, side: str, limit: int = 10) -> list:
    """Terms of the other side learnt to go with these ones: [(term, weight 0..1)] for finding candidates."""
    state = evidence()
    if not state["pairs"]:
        return []
    index = state["by_demand_term"] if side == "demand" else state["by_achievement_term"]
    got: dict = {}
    for t in list(terms)[:PAIR_TERMS * 2]:
        for other, (w, kind, n) in index.get(t, ()):
            if w > 0 and other not in terms:
                got[other] = got.get(other, 0.0) + w
    ranked = sorted(got.items(), key=lambda x: -x[1])[:limit]
    return [(t, round(min(1.0, w / SCALE), 3)) for t, w in ranked]
