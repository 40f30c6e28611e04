"""路演与对接会: create and run events, registrations with a quota and a waiting list, check-in, interests that
become leads and broker introductions, and each event's outcomes counted from the data.

Seats: every change of an event's roster first bumps `events.roster_version` with an UPDATE. That write is
the lock: PostgreSQL holds the event's row until the transaction ends, SQLite takes its single writer lock; a
second registration for the same event waits there, then counts the seats taken (in the database, inside its
own transaction) after the first has committed. Exactly one of two people gets the last seat; the other is
put on the waiting list. Cancelling a seat promotes the first on the waiting list in the same transaction.
Who may do what: permissions.py.
"""
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy import update as sql_update

from ..achievements.models import Achievement
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.money import FEN
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from . import permissions as policy
from .models import KINDS, STATUSES, AgendaItem, Event, EventItem, Interest, Registration
from .schemas import CST, EventIn, InterestIn, IntroduceIn, RegisterIn, parse_local

OPEN_FOR_REGISTRATION = ("published",)
RUNNING = ("published", "registration_closed", "held")  # check-in possible
INTEREST_STATES = ("published", "registration_closed", "held", "closed")
EDITABLE = ("draft", "published", "registration_closed")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from a badge
SIGNED = ("submitted", "registered")  # contract states that count as signed


def now_local():
    """Now, as a wall-clock time in Jiangxi (what event times are stored as)."""
    return utcnow() + timedelta(hours=8)


def to_utc(local):
    return local - timedelta(hours=8)


FLOW = Workflow.of("event", [
    Transition("publish", frozenset({"draft"}), "published", "发布活动", "organiser"),
    Transition("close-registration", frozenset({"published"}), "registration_closed", "截止报名", "organiser"),
    Transition("hold", frozenset({"published", "registration_closed"}), "held", "标记为已举办", "organiser"),
    Transition("close", frozenset({"held"}), "closed", "结束活动", "organiser"),
    Transition("cancel", frozenset({"draft", "published", "registration_closed"}), "cancelled", "取消活动",
               "organiser", needs_reason=True, min_reason=4),
], {"organiser": policy.is_organiser}, state_labels=STATUSES, can_view=policy.can_view,
    not_found="没有找到该活动")
ACTIONS = list(FLOW.transitions)
action_labels({"register": "报名", "waitlist": "候补报名", "promote": "候补转正", "cancel-registration": "取消报名",
               "check-in": "签到", "interest": "登记对接意向", "lead-introduced": "线索转为撮合"})


# Reading ------------------------------------------------------------------------------------------------------

def get(actor, event_id) -> Event:
    event = db.session.get(Event, event_id) if isinstance(event_id, int) else None
    if event is None or not policy.can_view(actor, event):
        raise NotFound("没有找到该活动")
    return event


def list_query(actor, when: str | None = None, kind: str | None = None, city: str | None = None,
               mine: bool = False):
    """Events the actor may see: `when` upcoming (not ended yet, soonest first) or past (latest first)."""
    stmt = select(Event).where(policy.visible_condition(actor))
    if mine:
        stmt = stmt.where(Event.organiser_org_id == (actor.org_id if perm.is_admin(actor) else -1))
    else:  # the public lists: a cancelled event stays readable (its registrants were sent its page), not listed
        stmt = stmt.where(Event.status != "cancelled")
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if city:
        stmt = stmt.where(Event.city == city)
    now = now_local()
    if when == "past":
        return stmt.where(or_(Event.ends_at < now, Event.status.in_(("held", "closed")))) \
            .order_by(Event.starts_at.desc(), Event.id.desc())
    if when == "upcoming":
        stmt = stmt.where(Event.ends_at >= now, Event.status.not_in(("held", "closed")))
    return stmt.order_by(Event.starts_at.asc(), Event.id.asc())


def feed_events(limit: int = 200) -> list[Event]:
    """The iCalendar feed: published events (not drafts), from 90 days ago on, soonest first."""
    since = now_local() - timedelta(days=90)
    return db.session.scalars(select(Event).where(policy.visible_condition(None), Event.ends_at >= since)
                              .order_by(Event.starts_at, Event.id).limit(limit)).all()


def counts(event) -> dict:
    rows = db.session.execute(select(Registration.status, func.count(), func.count(Registration.checked_in_at))
                              .where(Registration.event_id == event.id).group_by(Registration.status)).all()
    out = {"registered": 0, "waitlisted": 0, "cancelled": 0, "attended": 0}
    for status, n, attended in rows:
        out[status] = n
        out["attended"] += attended
    out["free"] = max(event.capacity - out["registered"], 0)
    return out


def registration_open(event, now=None) -> bool:
    return event.status in OPEN_FOR_REGISTRATION and (now or now_local()) < event.registration_deadline


def started(event, now=None) -> bool:
    return (now or now_local()) >= event.starts_at


# Creating and editing --------------------------------------------------------------------------------------

def _check_times(values: dict) -> None:
    s, e, d = values.get("starts_at"), values.get("ends_at"), values.get("registration_deadline")
    if s and e and e <= s:
        raise ValidationFailed("结束时间应晚于开始时间", {"ends_at": "应晚于开始时间"})
    if e and d and d > e:
        raise ValidationFailed("报名截止时间不能晚于活动结束时间", {"registration_deadline": "不能晚于结束时间"})
    if s and e and e - s > timedelta(days=60):
        raise ValidationFailed("活动时长不能超过60天", {"ends_at": "活动时长不能超过60天"})


def _check_place(event) -> None:
    if not event.venue and not event.online_url:
        raise ValidationFailed("请填写举办地点或线上链接", {"venue": "地点与线上链接至少填写一项"})
    if event.venue and not event.city:
        raise ValidationFailed("线下活动请选择举办城市", {"city": "请选择举办城市"})


def _items(event, achievement_ids, challenge_ids) -> None:
    if achievement_ids is not None:
        ids = list(dict.fromkeys(achievement_ids))
        found = {a.id: a for a in db.session.scalars(select(Achievement).where(Achievement.id.in_(ids)))} if ids \
            else {}
        missing = [i for i in ids if i not in found or found[i].status != "published"]
        if missing:
            raise ValidationFailed(f"路演成果须为已发布的成果：编号 {missing[0]} 不存在或未发布",
                                   {"achievement_ids": f"编号 {missing[0]} 不存在或未发布"})
        keep = {i.achievement_id: i for i in event.items if i.achievement_id}
        for item in list(event.items):
            if item.achievement_id and item.achievement_id not in found:
                used = db.session.scalar(select(func.count()).select_from(Interest).where(
                    Interest.event_id == event.id, Interest.achievement_id == item.achievement_id)) if event.id else 0
                if used:
                    raise Conflict(f"成果“{item.achievement.title}”已有对接意向，不能从活动中移除")
                event.items.remove(item)
        for seq, i in enumerate(ids):
            item = keep.get(i) or EventItem(achievement_id=i, achievement=found[i])
            item.seq = seq
            if item not in event.items:
                event.items.append(item)
    if challenge_ids is not None:
        _check_challenges(list(dict.fromkeys(challenge_ids)))
        for item in [i for i in event.items if i.challenge_id]:
            event.items.remove(item)
        for seq, c in enumerate(dict.fromkeys(challenge_ids)):
            event.items.append(EventItem(challenge_id=c, seq=100 + seq))


def _check_challenges(ids) -> None:
    """Challenges presented must exist and be public (a draft's id would be published as a link)."""
    if not ids:
        return
    try:
        from ..challenges.models import PUBLIC_STATES as CH_PUBLIC
        from ..challenges.models import Challenge
    except ImportError:  # the challenges domain is optional
        return
    found = set(db.session.scalars(select(Challenge.id).where(Challenge.id.in_(ids),
                                                              Challenge.status.in_(CH_PUBLIC))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"发布榜单须为已公开的榜单：编号 {missing[0]} 不存在或未公开",
                               {"challenge_ids": f"编号 {missing[0]} 不存在或未公开"})


def _brokers(event, broker_ids) -> None:
    from ..accounts.models import User
    if broker_ids is None:
        return
    ids = list(dict.fromkeys(broker_ids))
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    ok = {u.id: u for u in users if u.role == "broker" and u.active}
    bad = [i for i in ids if i not in ok]
    if bad:
        raise ValidationFailed(f"对接经纪人：编号 {bad[0]} 不是技术经纪人", {"broker_ids": f"编号 {bad[0]} 不是技术经纪人"})
    event.brokers = [ok[i] for i in ids]


def _agenda(event, agenda) -> None:
    if agenda is None:
        return
    event.agenda.clear()
    db.session.flush()
    for seq, line in enumerate(agenda):
        if line.get("ends_at") and line["ends_at"] <= line["starts_at"]:
            raise ValidationFailed(f"日程第{seq + 1}项：结束时间应晚于开始时间", {f"agenda.{seq}.ends_at": "应晚于开始时间"})
        event.agenda.append(AgendaItem(seq=seq, starts_at=line["starts_at"], ends_at=line.get("ends_at"),
                                       title=line["title"], speaker=line.get("speaker")))


SIMPLE = ("title", "kind", "summary", "starts_at", "ends_at", "registration_deadline", "city", "venue", "online_url")


def create(actor, data: dict) -> Event:
    if not policy.may_create(actor):
        raise Forbidden("只有省级或设区市科技成果转化中心的管理员可以举办活动")
    values = EventIn().validate_dict(data or {})
    _check_times(values)
    event = Event(organiser_org_id=actor.org_id, created_by_id=actor.id, status="draft",
                  capacity=values["capacity"], **{k: values.get(k) for k in SIMPLE},
                  industries="、".join(values.get("industries") or []),
                  audience_cities="、".join(values.get("audience_cities") or []))
    _check_place(event)
    db.session.add(event)
    _items(event, values.get("achievement_ids") or [], values.get("challenge_ids") or [])
    _brokers(event, values.get("broker_ids") or [])
    _agenda(event, values.get("agenda") or [])
    db.session.flush()
    event.ref = f"JX-EVT-{event.id:04d}"
    record_audit(actor, "event", event.id, "create", None, "draft")
    return event


def update(actor, event, data: dict) -> Event:
    if not policy.is_organiser(actor, event):
        if not policy.can_view(actor, event):
            raise NotFound("没有找到该活动")
        raise Forbidden("只有主办单位可以修改活动")
    if event.status not in EDITABLE:
        raise Conflict(f"活动{STATUSES[event.status]}，不能再修改")
    values = EventIn().validate_dict(data or {}, partial=True)
    for key in ("title", "kind", "starts_at", "ends_at", "registration_deadline", "capacity"):
        if key in values and values[key] is None:
            raise ValidationFailed(f"{EventIn.LABELS[key]}：不能为空", {key: "不能为空"})
    merged = {k: values.get(k, getattr(event, k)) for k in ("starts_at", "ends_at", "registration_deadline")}
    _check_times(merged)
    before = {k: getattr(event, k) for k in ("starts_at", "ends_at", "venue", "online_url", "city")}
    for key in SIMPLE:
        if key in values:
            setattr(event, key, values[key])
    for key in ("industries", "audience_cities"):
        if key in values:
            setattr(event, key, "、".join(values[key] or []))
    _check_place(event)
    _items(event, values.get("achievement_ids"), values.get("challenge_ids"))
    _brokers(event, values.get("broker_ids"))
    _agenda(event, values.get("agenda"))
    if "capacity" in values and values["capacity"] != event.capacity:
        _lock_roster(event)
        taken = _taken(event)
        if values["capacity"] < taken:
            raise Conflict(f"已有{taken}人获得名额，名额不能少于{taken}")
        event.capacity = values["capacity"]
        _promote(event)
    db.session.flush()
    changed = [k for k, v in before.items() if getattr(event, k) != v]
    record_audit(actor, "event", event.id, "update", details={"changed": sorted(values)})
    if changed and event.status != "draft":
        _tell_registrants(event, f"活动信息有变更：{event.title[:40]}",
                          f"您报名的活动“{event.title}”的时间或地点有变更，请查看最新安排：{_when_where(event)}。")
    return event


def _when_where(event) -> str:
    where = event.venue or ""
    if event.online_url:
        where = (where + "；" if where else "") + "线上：" + event.online_url
    return f"{event.starts_at:%Y-%m-%d %H:%M} 至 {event.ends_at:%Y-%m-%d %H:%M}，{where}"


def fire(actor, event, action: str, reason: str | None = None) -> Event:
    if action == "hold" and not started(event):
        raise Conflict("活动尚未开始，不能标记为已举办")
    FLOW.fire(actor, event, action, reason)
    if action == "publish":
        event.published_at = utcnow()
    elif action == "cancel":
        event.cancel_reason = (reason or "").strip()
        _tell_registrants(event, f"活动已取消：{event.title[:40]}",
                          f"很抱歉，您报名的活动“{event.title}”已取消。原因：{event.cancel_reason}")
    return event


# Registrations ----------------------------------------------------------------------------------------------

def _lock_roster(event) -> None:
    """The write that serialises every change of this event's roster (see the module doc)."""
    db.session.execute(sql_update(Event).where(Event.id == event.id)
                       .values(roster_version=Event.roster_version + 1)
                       .execution_options(synchronize_session=False))


def _taken(event) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.status == "registered"))


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def waitlist_position(reg) -> int | None:
    if reg.status != "waitlisted":
        return None
    return 1 + db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == reg.event_id, Registration.status == "waitlisted",
        or_(Registration.queued_at < reg.queued_at, and_(Registration.queued_at == reg.queued_at,
                                                         Registration.id < reg.id))))


def own_registration(actor, event) -> Registration | None:
    if not perm.is_authenticated(actor):
        return None
    return db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                        Registration.user_id == actor.id))


def register(actor, event, data: dict | None = None) -> Registration:
    if not policy.may_register(actor):
        raise Forbidden("只有企业和高校院所的用户可以报名参加活动")
    if actor.org is None or actor.org.status != "approved":
        raise Forbidden("单位通过实名审核后才能报名")
    values = RegisterIn().validate_dict(data or {})
    if not registration_open(event):
        raise Conflict("该活动当前不接受报名（报名已截止或活动未发布）")
    _lock_roster(event)
    # Under the lock, read the event again: an organiser may have just lowered the capacity, closed or cancelled it
    # (the copy loaded before the lock would hand out a seat that no longer exists).
    db.session.refresh(event)
    if not registration_open(event):
        raise Conflict("该活动当前不接受报名（报名已截止或活动未发布）")
    reg = own_registration(actor, event)
    if reg is not None and reg.status != "cancelled":
        raise Conflict("您已报名该活动" + ("（候补中）" if reg.status == "waitlisted" else ""))
    status = "registered" if _taken(event) < event.capacity else "waitlisted"
    if reg is None:
        reg = Registration(event_id=event.id, user_id=actor.id, org_id=actor.org_id, code=_new_code())
        db.session.add(reg)
    reg.status, reg.queued_at, reg.note = status, utcnow(), values.get("note")
    reg.cancelled_at = reg.promoted_at = None
    db.session.flush()
    reg.event = event
    record_audit(actor, "event_registration", reg.id, "register" if status == "registered" else "waitlist",
                 None, status, details={"event": event.id})
    from ..notifications.service import tell
    if status == "registered":
        tell(actor, "event", f"报名成功：{event.title[:40]}",
             f"您已成功报名“{event.title}”（{_when_where(event)}）。签到时请出示报名页上的签到二维码，签到码：{reg.code}。",
             f"/events/{event.id}")
    else:
        tell(actor, "event", f"已进入候补名单：{event.title[:40]}",
             f"“{event.title}”名额已满，您已进入候补名单（第{waitlist_position(reg)}位）。有人取消时将按顺序自动递补并通知您。",
             f"/events/{event.id}")
    return reg


def get_registration(actor, reg_id) -> Registration:
    reg = db.session.get(Registration, reg_id) if isinstance(reg_id, int) else None
    if reg is None or not policy.can_view_registration(actor, reg):
        raise NotFound("没有找到该报名")
    return reg


def cancel_registration(actor, reg) -> Registration:
    if not policy.can_cancel_registration(actor, reg):
        if not policy.can_view_registration(actor, reg):
            raise NotFound("没有找到该报名")
        raise Forbidden("只有报名人本人可以取消报名")
    event = reg.event
    if reg.status == "cancelled":
        raise Conflict("该报名已取消")
    if event.status not in ("published", "registration_closed") or now_local() >= event.ends_at:
        raise Conflict("活动已举办或已结束，不能取消报名")
    if reg.checked_in_at is not None:
        raise Conflict("已签到，不能取消报名")
    _lock_roster(event)
    db.session.refresh(reg)
    if reg.status == "cancelled":
        raise Conflict("该报名已取消")
    if reg.checked_in_at is not None:
        raise Conflict("已签到，不能取消报名")
    previous = reg.status
    reg.status, reg.cancelled_at = "cancelled", utcnow()
    db.session.flush()
    record_audit(actor, "event_registration", reg.id, "cancel-registration", previous, "cancelled",
                 details={"event": event.id})
    _promote(event)
    return reg


def _promote(event) -> list[Registration]:
    """Give free seats to the waiting list, first come first served (the roster is locked by the caller)."""
    if event.status not in ("published", "registration_closed") or now_local() >= event.ends_at:
        return []
    free = event.capacity - _taken(event)
    if free <= 0:
        return []
    waiting = db.session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.queued_at, Registration.id).limit(free)).all()
    from ..notifications.service import tell
    for reg in waiting:
        reg.status, reg.promoted_at = "registered", utcnow()
        record_audit(None, "event_registration", reg.id, "promote", "waitlisted", "registered",
                     details={"event": event.id})
        tell(reg.user, "event", f"候补转正：{event.title[:40]}",
             f"有参会者取消报名，您已从候补名单递补为正式参会（{_when_where(event)}）。签到码：{reg.code}。",
             f"/events/{event.id}")
    db.session.flush()
    return waiting


def registrations(actor, event, status: str | None = None):
    """The registrant list: organisers only (others get 404 for a draft, 403 for a public event)."""
    _organiser(actor, event, "查看报名名单")
    stmt = select(Registration).where(Registration.event_id == event.id)
    if status:
        stmt = stmt.where(Registration.status == status)
    return stmt.order_by(Registration.status.desc(), Registration.queued_at, Registration.id)


def mine(actor):
    return (select(Registration).join(Event, Event.id == Registration.event_id)
            .where(Registration.user_id == actor.id).order_by(Event.starts_at.desc(), Registration.id.desc()))


def _organiser(actor, event, what: str) -> None:
    if not policy.is_organiser(actor, event):
        if not policy.can_view(actor, event):
            raise NotFound("没有找到该活动")
        raise Forbidden(f"只有主办单位可以{what}")


def check_in(actor, event, code: str | None = None, registration_id: int | None = None) -> Registration:
    _organiser(actor, event, "签到")
    if event.status not in RUNNING:
        raise Conflict(f"活动{STATUSES[event.status]}，不能签到")
    if now_local() < checkin_opens(event):
        raise Conflict(f"签到在活动当天开放（{checkin_opens(event):%Y-%m-%d %H:%M} 起）")
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if "CODE=" in code:  # the whole scanned address pasted in
        code = code.rsplit("CODE=", 1)[1].split("&")[0]
    if registration_id:
        reg = db.session.get(Registration, registration_id)
    elif code:
        reg = db.session.scalar(select(Registration).where(Registration.code == code[:16]))
    else:
        raise ValidationFailed("请填写签到码", {"code": "必填"})
    if reg is None or reg.event_id != event.id:
        raise NotFound("签到码无效：不是本活动的报名")
    if reg.status != "registered":
        raise Conflict(f"该报名{reg.status_label}，不能签到")
    if reg.checked_in_at is not None:
        raise Conflict(f"{reg.user.name}（{reg.org.name}）已于 {reg.checked_in_at + timedelta(hours=8):%m-%d %H:%M} 签到")
    # compare-and-set: of two organisers scanning the same code at once, or a check-in racing the registrant's
    # cancellation, exactly one write goes through; the other is told what happened
    done = db.session.execute(sql_update(Registration).where(
        Registration.id == reg.id, Registration.status == "registered", Registration.checked_in_at.is_(None))
        .values(checked_in_at=utcnow(), checked_in_by_id=actor.id).execution_options(synchronize_session=False))
    db.session.refresh(reg)
    if done.rowcount != 1:
        if reg.checked_in_at is not None:
            raise Conflict(f"{reg.user.name}（{reg.org.name}）已于 "
                           f"{reg.checked_in_at + timedelta(hours=8):%m-%d %H:%M} 签到")
        raise Conflict(f"该报名{reg.status_label}，不能签到")
    record_audit(actor, "event_registration", reg.id, "check-in", "registered", "registered",
                 details={"event": event.id})
    return reg


def checkin_opens(event):
    """Check-in opens on the event's first day (00:00 Jiangxi time): a code cannot be used up weeks before."""
    return event.starts_at.replace(hour=0, minute=0, second=0, microsecond=0)


def qr_target(event, reg, root: str) -> str:
    """What the QR image holds: the organisers' check-in page with the code filled in."""
    return f"{root.rstrip('/')}/events/{event.id}/checkin?code={reg.code}"


def qr_svg(reg, root: str) -> bytes:
    import io

    import segno
    buf = io.BytesIO()
    segno.make(qr_target(reg.event, reg, root), error="m").save(buf, kind="svg", scale=6, border=2,
                                                                  title=f"签到码 {reg.code}")
    return buf.getvalue()


# Interests and leads ----------------------------------------------------------------------------------------

def may_mark_interest(actor, event, reg=None) -> bool:
    """A registrant with a seat, once the event has started. After an in-person event (no online link) has ended,
    only those who checked in attended: a no-show's interest would be counted as the event's outcome."""
    reg = reg if reg is not None else own_registration(actor, event)
    if reg is None or reg.status != "registered" or event.status not in INTEREST_STATES or not started(event) \
            or not perm.is_authenticated(actor) or not actor.active:
        return False
    ended = now_local() >= event.ends_at or event.status in ("held", "closed")
    return not (ended and not event.online_url and reg.checked_in_at is None)


def own_interests(actor, event) -> dict:
    if not perm.is_authenticated(actor):
        return {}
    rows = db.session.scalars(select(Interest).where(Interest.event_id == event.id,
                                                     Interest.org_id == actor.org_id)).all()
    return {i.achievement_id: i for i in rows}


def open_demands_of(org_id) -> list:
    from ..demands.models import Demand
    return db.session.scalars(select(Demand).where(Demand.owner_org_id == org_id, Demand.status == "published")
                              .order_by(Demand.id.desc()).limit(50)).all()


def mark_interest(actor, event, data: dict) -> Interest:
    values = InterestIn().validate_dict(data or {})
    if not may_mark_interest(actor, event):
        raise Forbidden("活动开始后，获得名额的参会者才能登记对接意向（线下活动结束后，须已签到）")
    presented = {i.achievement_id for i in event.items if i.achievement_id}
    if values["achievement_id"] not in presented:
        raise ValidationFailed("该成果不在本次活动的路演成果中", {"achievement_id": "不在本次活动中"})
    demand_id = values.get("demand_id")
    if demand_id is not None and demand_id not in {d.id for d in open_demands_of(actor.org_id)}:
        raise ValidationFailed("只能关联本单位已发布的需求", {"demand_id": "不是本单位已发布的需求"})
    existing = db.session.scalar(select(Interest).where(
        Interest.event_id == event.id, Interest.achievement_id == values["achievement_id"],
        Interest.org_id == actor.org_id))
    if existing is not None:
        raise Conflict("本单位已登记过对该成果的意向")
    interest = Interest(event_id=event.id, achievement_id=values["achievement_id"], org_id=actor.org_id,
                        user_id=actor.id, demand_id=demand_id, note=values.get("note"), status="new")
    db.session.add(interest)
    db.session.flush()
    record_audit(actor, "event_interest", interest.id, "interest", None, "new", details={"event": event.id})
    from ..notifications.service import tell
    a = interest.achievement
    for broker in event.brokers:
        if broker.active:
            tell(broker, "event", f"新对接线索：{actor.org.name}关注“{a.title[:30]}”",
                 f"在“{event.title}”上，{actor.org.name}（{actor.name}）对成果“{a.title}”（{a.owner_org.name}）"
                 f"登记了对接意向。" + (f"说明：{interest.note}" if interest.note else ""), "/events/leads")
    return interest


def leads_query(actor, status: str | None = None):
    """The interests the actor may read (a broker: the leads of the events it brokers), newest first."""
    stmt = select(Interest).where(policy.interest_condition(actor))
    if status:
        stmt = stmt.where(Interest.status == status)
    return stmt.order_by(Interest.created_at.desc(), Interest.id.desc())


def get_interest(actor, interest_id) -> Interest:
    interest = db.session.get(Interest, interest_id) if isinstance(interest_id, int) else None
    if interest is None or not policy.can_view_interest(actor, interest):
        raise NotFound("没有找到该对接意向")
    return interest


def introduce(actor, interest, data: dict) -> Interest:
    """A broker of the event turns the lead into a broker introduction through the brokers package's public
    functions (claim the company's demand, introduce the achievement). The introduction needs a published
    demand of the interested organisation: the one it linked, or one the broker picks."""
    from ..brokers import services as brokers
    from ..demands.models import Demand
    values = IntroduceIn().validate_dict(data or {})
    if not policy.is_event_broker(actor, interest.event):
        if not policy.can_view_interest(actor, interest):
            raise NotFound("没有找到该对接意向")
        raise Forbidden("只有本次活动的对接经纪人可以跟进线索")
    if interest.status != "new":
        raise Conflict("该线索已处理")
    demand_id = values.get("demand_id") or interest.demand_id
    if demand_id is None:
        raise ValidationFailed("该单位尚无关联的需求：请选择它已发布的一项需求（或请它先发布需求）",
                               {"demand_id": "请选择需求"})
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.owner_org_id != interest.org_id or demand.status != "published":
        raise ValidationFailed("只能选择该单位已发布的需求", {"demand_id": "不是该单位已发布的需求"})
    # compare-and-set: of two brokers (or two clicks) turning the same lead at once, exactly one makes an introduction
    done = db.session.execute(sql_update(Interest).where(Interest.id == interest.id, Interest.status == "new")
                              .values(status="introduced", broker_id=actor.id)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(interest)
        raise Conflict("该线索已被处理（可能刚由其他经纪人转为撮合），请刷新")
    intro = brokers.claim(actor, demand)
    brokers.introduce(actor, intro, interest.achievement,
                      values.get("note") or f"来自活动“{interest.event.title}”的对接意向")
    interest.status, interest.broker_id, interest.introduction_id = "introduced", actor.id, intro.id
    interest.demand_id = demand.id
    record_audit(actor, "event_interest", interest.id, "lead-introduced", "new", "introduced",
                 details={"introduction": intro.id})
    return interest


# Outcomes -------------------------------------------------------------------------------------------------

def outcome_contracts(event_ids):
    """Signed contracts (submitted or registered) that came of these events' interests: the contract's achievement
    and buyer are an interest's achievement and organisation (signed on or after the event's first day), or the
    contract names an introduction made from an interest. {event_id: [contract]}."""
    from ..contracts.models import Contract
    if not event_ids:
        return {}
    match = or_(and_(Contract.achievement_id == Interest.achievement_id, Contract.buyer_org_id == Interest.org_id),
                and_(Interest.introduction_id.is_not(None), Contract.introduction_id == Interest.introduction_id))
    rows = db.session.execute(
        select(Interest.event_id, Contract).join(Contract, match).join(Event, Event.id == Interest.event_id)
        .where(Interest.event_id.in_(list(event_ids)), Contract.status.in_(SIGNED),
               Contract.signed_on >= func.date(Event.starts_at))
        .order_by(Contract.signed_on, Contract.id)).all()
    out: dict = {i: [] for i in event_ids}
    for event_id, contract in rows:
        if contract not in out[event_id]:
            out[event_id].append(contract)
    return out


def outcomes(event) -> dict:
    c = counts(event)
    interests = db.session.scalar(select(func.count()).select_from(Interest).where(Interest.event_id == event.id))
    intros = db.session.scalar(select(func.count()).select_from(Interest).where(
        Interest.event_id == event.id, Interest.introduction_id.is_not(None)))
    contracts = outcome_contracts([event.id])[event.id]
    value = sum((Decimal(k.amount) for k in contracts), Decimal(0)).quantize(FEN)
    return {"registered": c["registered"], "waitlisted": c["waitlisted"], "attendees": c["attended"],
            "interests": interests, "introductions": intros, "contracts": len(contracts),
            "contract_value": value, "contract_list": contracts}


def kinds() -> list[str]:
    return KINDS


def _tell_registrants(event, title: str, body: str) -> None:
    from ..notifications.service import tell
    regs = db.session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                         Registration.status.in_(("registered", "waitlisted")))).all()
    for reg in regs:
        tell(reg.user, "event", title, body, f"/events/{event.id}")


def parse_agenda_lines(text: str | None, day) -> list[dict]:
    """The page's 日程 box: one line per item, "开始 | 结束 | 内容 | 主讲"; a time alone (09:30) is on `day`."""
    out = []
    for n, raw in enumerate((text or "").splitlines()[:60], 1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace("｜", "|").split("|")]
        if len(parts) < 3:
            raise ValidationFailed(f"日程第{n}行应为“开始 | 结束 | 内容 | 主讲”", {"agenda": f"第{n}行格式不正确"})
        start, end, title = parts[0], parts[1], parts[2]
        speaker = parts[3] if len(parts) > 3 else None

        def when(v, field):
            if not v:
                return None
            if len(v) <= 5 and ":" in v and day is not None:
                v = f"{day:%Y-%m-%d} {v}"
            try:
                return parse_local(v).strftime("%Y-%m-%d %H:%M")
            except Exception:  # noqa: BLE001 - reported as the line's error
                raise ValidationFailed(f"日程第{n}行：{field}应为 HH:MM 或 YYYY-MM-DD HH:MM",
                                       {"agenda": f"第{n}行时间不正确"}) from None
        out.append({"starts_at": when(start, "开始时间"), "ends_at": when(end, "结束时间"), "title": title,
                    "speaker": speaker})
    return out


def agenda_text(event) -> str:
    lines = []
    for a in event.agenda:
        lines.append(" | ".join([f"{a.starts_at:%Y-%m-%d %H:%M}", f"{a.ends_at:%Y-%m-%d %H:%M}" if a.ends_at else "",
                                 a.title, a.speaker or ""]).rstrip(" |"))
    return "\n".join(lines)


def ics(events, root: str) -> bytes:
    """An iCalendar (RFC 5545) document of these events, times in UTC."""
    from datetime import timezone

    from icalendar import Calendar
    from icalendar import Event as VEvent
    cal = Calendar()
    cal.add("prodid", "-//江西省网上技术市场//路演与对接会//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "江西省网上技术市场 · 路演与对接会")
    for e in events:
        v = VEvent()
        v.add("uid", f"{e.ref or e.id}@events.jx-techmarket")
        v.add("summary", f"【{e.kind}】{e.title}" + ("（已取消）" if e.status == "cancelled" else ""))
        v.add("dtstart", to_utc(e.starts_at).replace(tzinfo=timezone.utc))
        v.add("dtend", to_utc(e.ends_at).replace(tzinfo=timezone.utc))
        v.add("dtstamp", (e.updated_at or utcnow()).replace(tzinfo=timezone.utc))
        where = "、".join(x for x in [e.city, e.venue, e.online_url] if x)
        if where:
            v.add("location", where)
        url = f"{root.rstrip('/')}/events/{e.id}"
        v.add("url", url)
        v.add("description", f"主办：{e.organiser.name}\n{e.summary or ''}\n{url}".strip())
        v.add("status", "CANCELLED" if e.status == "cancelled" else "CONFIRMED")
        cal.add_component(v)
    return cal.to_ical()


def registration_open_label(event) -> str:
    return "报名中" if registration_open(event) else STATUSES.get(event.status, event.status)

