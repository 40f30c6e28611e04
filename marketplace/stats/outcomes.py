"""The outcomes of 揭榜挂帅 challenges, roadshows / matchmaking events and bookings of service resources, counted
from those domains' tables for the administrators' dashboard (per year, by city), and the count targets they
are measured against (促成落地30项, 签约超260项: indicator 活动促成签约项数).

Read-only queries over the other domains' tables (imported lazily: each domain is optional for the statistics);
the definitions are theirs, so the dashboard and each domain's own pages cannot disagree:
- challenges (challenges.services.stats): counted in the year of publication (published_at) in the challenge's
  city: posted (every challenge an administrator published, ended ones too), bounty offered (面议 not counted),
  applications (withdrawn ones not counted), solved (accepted, 验收通过);
- events: held (status 已举办 or 已结束) in the year of their start, in their city — an online event in its
  organising centre's city (none for the provincial centre: row 省级/线上); attendees (checked in), interests,
  introductions (interests turned into broker introductions), contracts signed from them and their value as
  events.services.outcome_contracts links them (a contract that came of two events counts once, for the first);
- bookings: in the year of the booked time (local), in the service resource's city: booked hours (slots of
  confirmed and used bookings), used hours (recorded), customers served (organisations with a recorded use;
  the total counts each once), income (recorded fees).

Money is summed as Decimal in Python from the rows (SQLite keeps NUMERIC as a float), exact to the fen.
The figures are computed per request without a cache: with the demo data the whole set takes a few
milliseconds (docs/notes/stats-outcomes.md), and every count reads the live rows, so nothing can be stale.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from ..core.errors import BadRequest, Forbidden
from ..core.vocab import CITIES
from ..extensions import db
from . import permissions as policy

ZERO = Decimal("0.00")
NO_CITY = ""  # the row of what has no city (the provincial centre's online events)
NO_CITY_LABEL = "省级/线上"
EVENTS_HELD = ("held", "closed")


def scope_of(actor, city: str | None = None) -> tuple[policy.View, str | None]:
    """(view, city filter): the provincial centre sees every city or one; a city centre its own city only;
    nobody else sees these figures (an institution's own outcomes are on the domains' pages)."""
    view = policy.view_of(actor)
    if view.level not in ("province", "city"):
        raise Forbidden("揭榜挂帅、路演活动和服务预约的统计仅对省级中心和设区市中心管理员开放")
    if city and city not in CITIES:
        raise BadRequest("city 应为设区市名称，如 鹰潭", {"city": "未知的设区市"})
    if view.level == "city":
        if city and city != view.city:
            raise Forbidden("只能查看本市的统计")
        return view, view.city
    return view, city or None


def _year_range(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


# Challenges ---------------------------------------------------------------------------------------------------

def challenge_figures(year: int, city: str | None) -> dict:
    """{city: {"posted", "bounty", "applications", "solved"}} for the challenges published in `year`."""
    try:
        from ..challenges.models import PUBLIC_STATES, Challenge, ChallengeApplication as A
    except ImportError:  # pragma: no cover - optional domain
        return {}
    lo, hi = _year_range(year)
    apps = (select(func.count(A.id)).where(A.challenge_id == Challenge.id, A.status != "withdrawn")
            .correlate(Challenge).scalar_subquery())
    stmt = select(Challenge.city, Challenge.status, Challenge.bounty, apps).where(
        Challenge.status.in_(PUBLIC_STATES), Challenge.published_at >= lo, Challenge.published_at < hi)
    if city:
        stmt = stmt.where(Challenge.city == city)
    out: dict = {}
    for c, status, bounty, n in db.session.execute(stmt):
        r = out.setdefault(c or NO_CITY, {"posted": 0, "bounty": ZERO, "applications": 0, "solved": 0})
        r["posted"] += 1
        r["bounty"] += Decimal(bounty or 0)
        r["applications"] += int(n or 0)
        r["solved"] += status == "accepted"
    return out


# Events -------------------------------------------------------------------------------------------------------

def _held_events(year: int, city: str | None):
    from ..accounts.models import Organisation
    from ..events.models import Event
    lo, hi = _year_range(year)
    place = func.coalesce(Event.city, Organisation.city)
    stmt = (select(Event.id, place).join(Organisation, Organisation.id == Event.organiser_org_id)
            .where(Event.status.in_(EVENTS_HELD), Event.starts_at >= lo, Event.starts_at < hi)
            .order_by(Event.starts_at, Event.id))
    if city:
        stmt = stmt.where(place == city)
    return [(i, c or NO_CITY) for i, c in db.session.execute(stmt)]


def event_figures(year: int, city: str | None) -> dict:
    """{city: {"held", "attendees", "interests", "introductions", "contracts", "contract_value"}}."""
    try:
        from ..events import services as events
        from ..events.models import Interest, Registration
    except ImportError:  # pragma: no cover - optional domain
        return {}
    held = _held_events(year, city)
    if not held:
        return {}
    ids = [i for i, _ in held]
    where_city = dict(held)
    attended = dict(db.session.execute(
        select(Registration.event_id, func.count(Registration.id)).where(
            Registration.event_id.in_(ids), Registration.checked_in_at.is_not(None))
        .group_by(Registration.event_id)).all())
    interests = {e: (int(n), int(k)) for e, n, k in db.session.execute(
        select(Interest.event_id, func.count(Interest.id), func.count(Interest.introduction_id))
        .where(Interest.event_id.in_(ids)).group_by(Interest.event_id))}
    contracts = events.outcome_contracts(ids)
    out: dict = {}
    seen: set = set()
    for event_id in ids:  # in order of the start, so a contract counts for the first event it came of
        r = out.setdefault(where_city[event_id], {"held": 0, "attendees": 0, "interests": 0, "introductions": 0,
                                                   "contracts": 0, "contract_value": ZERO})
        r["held"] += 1
        r["attendees"] += int(attended.get(event_id, 0))
        n, k = interests.get(event_id, (0, 0))
        r["interests"] += n
        r["introductions"] += k
        for c in contracts.get(event_id, []):
            if c.id in seen:
                continue
            seen.add(c.id)
            r["contracts"] += 1
            r["contract_value"] += Decimal(c.amount)
    return out


def events_held(year: int, city: str | None = None) -> int:
    """举办活动: events held in the year (in a city, or all)."""
    try:
        return len(_held_events(year, city))
    except ImportError:  # pragma: no cover - optional domain
        return 0


# Bookings -----------------------------------------------------------------------------------------------------

def booking_figures(year: int, city: str | None) -> tuple[dict, int]:
    """({city: {"booked_hours", "used_hours", "customers", "uses", "income"}}, customers served in all, each
    organisation once)."""
    try:
        from ..bookings.models import BookableService as S, Booking as B, BookingSlot as Slot
        from ..resources.models import ServiceResource as R
    except ImportError:  # pragma: no cover - optional domain
        return {}, 0
    lo, hi = _year_range(year)
    out: dict = {}

    def row(c):
        return out.setdefault(c or NO_CITY, {"booked_hours": ZERO, "used_hours": ZERO, "customers": set(),
                                             "uses": 0, "income": ZERO})
    booked = (select(R.city, S.slot_minutes, func.count(Slot.id))
              .select_from(Slot).join(B, B.id == Slot.booking_id).join(S, S.id == Slot.service_id)
              .join(R, R.id == S.resource_id)
              .where(B.status.in_(("approved", "used")), Slot.slot_start >= lo, Slot.slot_start < hi)
              .group_by(R.city, S.slot_minutes))
    used = (select(R.city, B.customer_org_id, B.used_hours, B.fee)
            .select_from(B).join(S, S.id == B.service_id).join(R, R.id == S.resource_id)
            .where(B.status == "used", B.starts_at >= lo, B.starts_at < hi))
    if city:
        booked, used = booked.where(R.city == city), used.where(R.city == city)
    for c, minutes, n in db.session.execute(booked):
        row(c)["booked_hours"] += (Decimal(int(n) * int(minutes)) / 60).quantize(ZERO)
    everyone = set()
    for c, org_id, hours, fee in db.session.execute(used):
        r = row(c)
        r["used_hours"] += Decimal(hours or 0).quantize(ZERO)
        r["income"] += Decimal(fee or 0).quantize(ZERO)
        r["uses"] += 1
        r["customers"].add(org_id)
        everyone.add(org_id)
    for r in out.values():
        r["customers"] = len(r["customers"])
    return out, len(everyone)


# Together -----------------------------------------------------------------------------------------------------

def _cities(view, city) -> list[str]:
    return [city] if city else list(CITIES)


def _table(found: dict, keys: tuple, cities: list[str], with_no_city: bool) -> dict:
    """Rows by city (every city of the scope, zeros included; the 省级/线上 row when it has figures) and the total
    (the sum of the rows)."""
    def zero():
        return {k: ZERO if k in ("bounty", "contract_value", "booked_hours", "used_hours", "income") else 0
                for k in keys}
    rows = [{"city": c, "label": c, **zero(), **found.get(c, {})} for c in cities]
    if with_no_city and NO_CITY in found:
        rows.append({"city": NO_CITY, "label": NO_CITY_LABEL, **zero(), **found[NO_CITY]})
    total = zero()
    for r in rows:
        for k in keys:
            total[k] += r[k]
    return {"rows": rows, "total": total}


def figures(actor, year: int, city: str | None = None) -> dict:
    """Everything the dashboard shows of the three domains for `year` in the actor's scope (Decimal money)."""
    view, city = scope_of(actor, city)
    cities = _cities(view, city)
    whole = view.level == "province" and not city
    ch = _table(challenge_figures(year, city), ("posted", "bounty", "applications", "solved"), cities, whole)
    ev = _table(event_figures(year, city),
                ("held", "attendees", "interests", "introductions", "contracts", "contract_value"), cities, whole)
    found, customers = booking_figures(year, city)
    bk = _table(found, ("booked_hours", "used_hours", "uses", "customers", "income"), cities, whole)
    bk["total"]["customers"] = customers  # each organisation once, though it may be served in two cities
    return {"year": year, "city": city, "level": view.level, "challenges": ch, "events": ev, "bookings": bk,
            "target": event_target(year, city or (None if view.level == "province" else view.city)),
            }


def event_target(year: int, scope_city: str | None) -> dict | None:
    """The current 活动促成签约项数 target of the year (province, or the city), if one is set."""
    from .models import EVENT_CONTRACTS, PROVINCE
    from .service import current_target, target_dict
    return target_dict(current_target(year, scope_city or PROVINCE, EVENT_CONTRACTS))


def plain(value):
    """JSON form: Decimal as strings with two places."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
