"""服务预约: bookable services, the calendar, bookings through their workflow, usage, ratings, yearly figures.

Every function takes the acting user first, flushes and never commits. `now` (a naive local datetime, UTC+8)
may be given for tests and the demo; it defaults to the clock.

States (core.workflow): requested → approved (by the owner, or at once when the service is open to any
company) → used (usage recorded) ; requested|approved → cancelled (by the customer within the rule, or by the
owner with a reason) ; requested → rejected (reason). Cancelling or rejecting frees the slots.
"""
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update as sql_update
from sqlalchemy.exc import IntegrityError

from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from ..resources.models import ServiceResource
from . import calc, permissions as policy
from .models import HOLDING, KINDS, STATUSES, Blackout, BookableService, Booking, BookingSlot
from .schemas import BlackoutIn, BookingIn, RateIn, ServiceIn, UsageIn

FLOW = Workflow.of("booking", [
    Transition("approve", frozenset({"requested"}), "approved", "确认预约", "owner"),
    Transition("auto-approve", frozenset({"requested"}), "approved", "自动确认", "system"),
    Transition("reject", frozenset({"requested"}), "rejected", "驳回预约", "owner", needs_reason=True, min_reason=2),
    Transition("cancel", frozenset({"requested", "approved"}), "cancelled", "取消预约", "customer"),
    Transition("owner-cancel", frozenset({"requested", "approved"}), "cancelled", "运营方取消预约", "owner",
               needs_reason=True, min_reason=4),
    Transition("record-usage", frozenset({"approved"}), "used", "登记使用情况", "owner"),
], {"owner": policy.is_owner, "customer": policy.is_customer}, state_labels=STATUSES,
    can_view=policy.can_view_booking, not_found="没有找到该预约")
action_labels({"book": "提交预约", "amend-usage": "更正使用记录", "rate": "评价服务",
               "bookable-create": "新增可预约服务", "bookable-update": "修改可预约服务",
               "blackout-add": "设置不开放日", "blackout-remove": "取消不开放日"})
ACTIONS = ("approve", "reject", "cancel", "owner-cancel", "record-usage")

now_local = calc.local_now


def _now(now):
    return now or calc.local_now()


# Bookable services -----------------------------------------------------------------------------------------

def get_resource(actor, resource_id) -> ServiceResource:
    r = db.session.get(ServiceResource, resource_id) if isinstance(resource_id, int) else None
    if r is None or not perm.can_view(actor, r):
        raise NotFound("没有找到该服务资源")
    return r


def get_service(actor, service_id) -> BookableService:
    s = db.session.get(BookableService, service_id) if isinstance(service_id, int) else None
    if s is None or not policy.can_view_service(actor, s):
        raise NotFound("没有找到该预约服务")
    return s


def services_of(actor, resource) -> list[BookableService]:
    stmt = select(BookableService).where(BookableService.resource_id == resource.id).order_by(BookableService.id)
    rows = db.session.scalars(stmt).all()
    return [s for s in rows if policy.can_view_service(actor, s)]


def _check_service_values(values: dict) -> dict:
    try:
        values["opening_hours"] = calc.normalise_hours(values["opening_hours"])
    except calc.HoursError as exc:
        raise ValidationFailed(f"开放时间：{exc}", {"opening_hours": str(exc)}) from None
    price = values.get("unit_price")
    if values["kind"] == "quoted":
        values["unit_price"] = None
    elif price is None or price == "negotiable":
        raise ValidationFailed("单价：机时和测试服务须填写单价", {"unit_price": "请填写单价（元）"})
    elif price <= 0:
        raise ValidationFailed("单价：应大于 0", {"unit_price": "应大于 0"})
    if not any(calc.opening_slots(values["opening_hours"], date(2024, 1, d), values["slot_minutes"])
               for d in range(1, 8)):
        raise ValidationFailed("开放时间：没有一个完整的预约时段，请加长开放时间或缩短时段长度",
                               {"opening_hours": "开放时间短于一个时段"})
    return values


def save_service(actor, resource, data: dict, service: BookableService | None = None) -> BookableService:
    """Create (service None) or change a bookable service of the actor's own resource."""
    if not policy.owns_resource(actor, resource):
        if perm.can_view(actor, resource):
            raise Forbidden("只有该资源的运营单位可以设置预约服务")
        raise NotFound("没有找到该服务资源")
    values = _check_service_values(ServiceIn().validate_dict(data or {}))
    created = service is None
    if created:
        service = BookableService(resource_id=resource.id)
        db.session.add(service)
    for key, value in values.items():
        setattr(service, key, value)
    service.resource = resource
    db.session.flush()
    record_audit(actor, "bookable", service.id, "bookable-create" if created else "bookable-update",
                 details={"fields": sorted(values)})
    return service


def _manage(actor, service):
    if not policy.can_manage_service(actor, service):
        raise Forbidden("只有该资源的运营单位可以设置预约服务")


def add_blackout(actor, service, data: dict) -> Blackout:
    _manage(actor, service)
    values = BlackoutIn().validate_dict(data or {})
    if any(b.day == values["day"] for b in service.blackouts):
        raise Conflict(f"{values['day']} 已设为不开放日")
    b = Blackout(service=service, day=values["day"], reason=values.get("reason"))
    db.session.add(b)
    db.session.flush()
    record_audit(actor, "bookable", service.id, "blackout-add", details={"day": values["day"].isoformat()})
    return b


def remove_blackout(actor, service, blackout_id: int) -> None:
    _manage(actor, service)
    b = next((b for b in service.blackouts if b.id == blackout_id), None)
    if b is None:
        raise NotFound("没有找到该不开放日")
    service.blackouts.remove(b)
    db.session.flush()
    record_audit(actor, "bookable", service.id, "blackout-remove", details={"day": b.day.isoformat()})


# The calendar ----------------------------------------------------------------------------------------------

def taken_starts(service, first: date, last: date) -> set:
    """Starts of this grid's slots that a live booking overlaps (also one made on an earlier slot grid)."""
    lo, hi = datetime.combine(first, datetime.min.time()), datetime.combine(last + timedelta(days=1), datetime.min.time())
    stmt = select(BookingSlot.slot_start).where(
        BookingSlot.service_id == service.id, BookingSlot.slot_start >= lo, BookingSlot.slot_start < hi)
    taken = set(db.session.scalars(stmt))
    spans = db.session.execute(select(Booking.starts_at, Booking.ends_at).where(
        Booking.service_id == service.id, Booking.status.in_(HOLDING), Booking.starts_at < hi,
        Booking.ends_at > lo)).all()
    if spans:
        day = first
        while day <= last:
            for start, end in calc.opening_slots(service.opening_hours, day, service.slot_minutes):
                if any(s < end and e > start for s, e in spans):
                    taken.add(start)
            day += timedelta(days=1)
    return taken


def calendar(service, first: date, days: int = 1, now=None) -> list[tuple[date, list]]:
    """[(day, [calc.Slot])] for `days` days from `first`."""
    now = _now(now)
    last = first + timedelta(days=days - 1)
    taken = taken_starts(service, first, last)
    blackouts = {b.day for b in service.blackouts}
    return [(d, calc.day_slots(service.opening_hours, d, service.slot_minutes, blackouts=blackouts, taken=taken,
                               now=now, advance_days=service.advance_days))
            for d in (first + timedelta(days=i) for i in range(days))]


def check_free(service, units: list[datetime]) -> None:
    """Refuse when a slot is already held (the friendly check; the unique constraint is the real one)."""
    held = db.session.scalar(select(func.count(BookingSlot.id)).where(
        BookingSlot.service_id == service.id, BookingSlot.slot_start.in_(units)))
    # A live booking made on another slot grid (the owner changed the slot length or the opening hours since)
    # holds slot starts this grid does not have: compare the times themselves.
    start, end = units[0], units[-1] + timedelta(minutes=service.slot_minutes)
    held = held or db.session.scalar(select(func.count(Booking.id)).where(
        Booking.service_id == service.id, Booking.status.in_(HOLDING), Booking.starts_at < end, Booking.ends_at > start))
    if held:
        raise Conflict("所选时段已被预约，请选择其他时段", {"starts_at": "该时段已被预约"})


# Bookings ---------------------------------------------------------------------------------------------------

def _parse_start(text: str) -> datetime:
    try:
        return datetime.strptime(text.replace(" ", "T"), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValidationFailed("开始时间：不是有效的日期时间", {"starts_at": "不是有效的日期时间"}) from None


def _units(service, start: datetime, count: int, now: datetime) -> list[datetime]:
    """The slot units a booking of `count` slots from `start` holds, or a 422 saying which rule it breaks."""
    if start.year < 2000 or start.year > 2999:
        raise ValidationFailed("开始时间：超出范围", {"starts_at": "超出范围"})
    step = timedelta(minutes=service.slot_minutes)
    units = [start + step * k for k in range(count)]
    day = start.date()
    blackout = next((b for b in service.blackouts if b.day == day), None)
    if blackout is not None:
        why = f"（{blackout.reason}）" if blackout.reason else ""
        raise ValidationFailed(f"{day} 不开放{why}，请选择其他日期", {"starts_at": "该日不开放"})
    if start <= now:
        raise ValidationFailed("不能预约已经开始或已经过去的时段", {"starts_at": "时段已过"})
    if day > now.date() + timedelta(days=service.advance_days):
        raise ValidationFailed(f"最多可提前 {service.advance_days} 天预约", {"starts_at": "超出可预约范围"})
    opening = {s for s, _ in calc.opening_slots(service.opening_hours, day, service.slot_minutes)}
    if any(u not in opening for u in units):
        raise ValidationFailed("所选时段不在开放时间内（连续时段不能跨越休息时间或跨天）",
                               {"starts_at": "不在开放时间内"})
    return units


def book(actor, service, data: dict, now=None) -> Booking:
    now = _now(now)
    if not perm.is_authenticated(actor):
        raise NotAuthenticated("请先登录")
    why = policy.may_book(actor, service)
    if why:
        raise Forbidden(why)
    values = BookingIn().validate_dict({"bookable_id": service.id, **(data or {})})
    if values["bookable_id"] != service.id:
        raise ValidationFailed("预约服务与地址不符", {"bookable_id": "与地址中的服务不符"})
    if service.kind == "samples" and not values.get("samples"):
        raise ValidationFailed("样品数：测试服务须填写样品数", {"samples": "请填写样品数"})
    start = _parse_start(values["starts_at"])
    units = _units(service, start, values["slots"], now)
    check_free(service, units)
    hours = Decimal(service.slot_minutes * len(units)) / 60
    b = Booking(service=service, customer_org_id=actor.org_id, customer_user_id=actor.id, status="requested",
                starts_at=units[0], ends_at=units[-1] + timedelta(minutes=service.slot_minutes),
                samples=values.get("samples") if service.kind == "samples" else None, purpose=values["purpose"],
                contact_phone=values.get("contact_phone"),
                estimated_fee=calc.fee(service.kind, service.unit_price, hours, values.get("samples")))
    # The booking row first: on SQLite this INSERT opens the transaction (a SAVEPOINT opened first would be
    # the transaction, and releasing it would commit early); then the slots inside a savepoint, so that losing
    # the race leaves the session usable for the answer.
    db.session.add(b)
    db.session.flush()
    savepoint = db.session.begin_nested()
    try:
        for u in units:
            db.session.add(BookingSlot(booking=b, service_id=service.id, slot_start=u))
        db.session.flush()
        savepoint.commit()
    except IntegrityError:
        # Someone booked one of these slots between our check and our insert: the database decided.
        savepoint.rollback()
        raise Conflict("该时段刚刚被其他用户预约，请选择其他时段", {"starts_at": "该时段已被预约"}) from None
    record_audit(actor, "booking", b.id, "book", None, "requested",
                 details={"starts_at": calc_str(b.starts_at), "slots": len(units)})
    owner_org = service.resource.owner_org_id
    if service.policy == "open":
        FLOW.fire(None, b, "auto-approve", system=True)
        _tell_owner(owner_org, "服务预约：新预约（已自动确认）", b)
    else:
        _tell_owner(owner_org, "服务预约：待审批", b)
    return b


def calc_str(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M")


def get_booking(actor, booking_id) -> Booking:
    b = db.session.get(Booking, booking_id) if isinstance(booking_id, int) else None
    if b is None or not policy.can_view_booking(actor, b):
        raise NotFound("没有找到该预约")
    return b


def available_actions(actor, b, now=None) -> list[str]:
    now = _now(now)
    out = []
    for name in FLOW.available(actor, b, ACTIONS):
        if name == "cancel" and _customer_cancel_refusal(b, now):
            continue
        if name == "record-usage" and b.starts_at > now:
            continue
        if name == "approve" and b.starts_at <= now:
            continue
        out.append(name)
    if b.status == "used" and policy.is_owner(actor, b):
        out.append("amend-usage")
    if b.status == "used" and b.rating is None and policy.is_customer(actor, b):
        out.append("rate")
    return out


def _customer_cancel_refusal(b, now) -> str | None:
    if b.starts_at <= now:
        return "预约时段已开始，不能取消"
    deadline = calc.cancel_deadline(b.starts_at, b.service.cancel_hours)
    if b.status == "approved" and now > deadline:
        return (f"已过免费取消时限（开始前 {b.service.cancel_hours} 小时，即 {calc_str(deadline)} 前），"
                "不能在线取消；如需取消请联系运营单位")
    return None


def _claim(actor, b, name: str) -> None:
    """Compare-and-set before a transition's writes (when the actor may fire it; otherwise FLOW.fire refuses): the
    booking still is in a source state, and it is ours until the commit (row lock on PostgreSQL, write lock on
    SQLite). A double click on 登记使用情况, or a customer cancelling while the owner records the use: the second
    waits, finds the state changed, and gets a 409 — never two usage records or a used booking without its slots."""
    if not FLOW.may(actor, b, name):
        return
    cond = [Booking.id == b.id, Booking.status.in_(tuple(FLOW.transitions[name].sources))]
    n = db.session.execute(sql_update(Booking).where(*cond).values(status=Booking.status)
                           .execution_options(synchronize_session=False)).rowcount
    if n != 1:
        raise Conflict("预约状态刚刚被其他操作改变，请刷新后重试")


def _free_slots(b) -> None:
    b.slots.clear()
    db.session.flush()


def approve(actor, b, now=None) -> Booking:
    now = _now(now)
    if b.status == "requested" and b.starts_at <= now and policy.is_owner(actor, b):
        raise Conflict("预约时段已过，不能再确认；请驳回并说明原因")
    _claim(actor, b, "approve")
    FLOW.fire(actor, b, "approve")
    _tell_customer(b, "服务预约：已确认", f"您预约的“{b.service.name}”（{calc_str(b.starts_at)}）已确认。")
    return b


def reject(actor, b, reason) -> Booking:
    _claim(actor, b, "reject")
    FLOW.fire(actor, b, "reject", reason)
    b.decision_note = reason.strip()
    _free_slots(b)
    _tell_customer(b, "服务预约：未获确认", f"您预约的“{b.service.name}”（{calc_str(b.starts_at)}）未获确认：{b.decision_note}")
    return b


def cancel(actor, b, reason=None, now=None) -> Booking:
    """The customer cancels (within the rule), or the owner cancels with a reason."""
    now = _now(now)
    if policy.is_customer(actor, b) and not policy.is_owner(actor, b):
        if b.status in ("requested", "approved"):
            refusal = _customer_cancel_refusal(b, now)
            if refusal:
                raise Conflict(refusal)
        _claim(actor, b, "cancel")
        FLOW.fire(actor, b, "cancel", reason)
        b.cancelled_by = "customer"
        b.decision_note = (reason or "").strip() or None
        _free_slots(b)
        _tell_owner(b.service.resource.owner_org_id, "服务预约：客户已取消", b)
        return b
    _claim(actor, b, "owner-cancel")
    FLOW.fire(actor, b, "owner-cancel", reason)
    b.cancelled_by, b.decision_note = "owner", reason.strip()
    _free_slots(b)
    _tell_customer(b, "服务预约：运营单位取消了预约",
                   f"您预约的“{b.service.name}”（{calc_str(b.starts_at)}）已被运营单位取消：{b.decision_note}")
    return b


def _usage_values(b, data: dict) -> dict:
    values = UsageIn().validate_dict(data or {})
    kind = b.service.kind
    hours, samples = values.get("used_hours"), values.get("used_samples")
    if kind == "hours" and hours is None:
        raise ValidationFailed("实际机时：请填写（小时）", {"used_hours": "请填写实际机时"})
    if kind == "samples" and samples is None:
        raise ValidationFailed("实际样品数：请填写", {"used_samples": "请填写实际样品数"})
    computed = calc.fee(kind, b.service.unit_price, hours, samples)
    fee, reason = values.get("fee"), (values.get("fee_reason") or "").strip()
    if fee == "negotiable":
        raise ValidationFailed("收费金额：请填写金额（元）", {"fee": "请填写金额"})
    if fee is None:
        if computed is None:
            raise ValidationFailed("收费金额：技术服务按报价收费，请填写收费金额", {"fee": "请填写收费金额"})
        fee = computed
    if computed is not None and fee != computed and len(reason) < 4:
        raise ValidationFailed(f"调整理由：收费金额与按单价计算的 {computed:.2f} 元不同，请写明理由（至少 4 个字）",
                               {"fee_reason": f"与计算金额 {computed:.2f} 元不同，请写明理由"})
    return {"used_hours": hours, "used_samples": samples, "computed_fee": computed, "fee": fee,
            "fee_reason": reason or None, "invoice_no": values.get("invoice_no"), "reason": values.get("reason")}


def record_usage(actor, b, data: dict, now=None) -> Booking:
    now = _now(now)
    if not policy.is_owner(actor, b):
        FLOW.fire(actor, b, "record-usage")  # raises the 403/404
    if b.status == "approved" and b.starts_at > now:
        raise Conflict("预约时段开始后才能登记使用情况")
    values = _usage_values(b, data)
    _claim(actor, b, "record-usage")
    FLOW.fire(actor, b, "record-usage", details={k: (str(v) if v is not None else None)
                                                  for k, v in values.items() if k != "reason"})
    values.pop("reason")
    for key, value in values.items():
        setattr(b, key, value)
    b.used_at = utcnow()
    return b


def amend_usage(actor, b, data: dict) -> Booking:
    """Correct a recorded usage (fee, invoice number …): the owner, with a reason, audited."""
    if not policy.is_owner(actor, b):
        if policy.can_view_booking(actor, b):
            raise Forbidden("只有运营单位可以更正使用记录")
        raise NotFound("没有找到该预约")
    if b.status != "used":
        raise Conflict(f"当前状态为“{STATUSES[b.status]}”，只有已使用的预约可以更正使用记录")
    values = _usage_values(b, data)
    reason = (values.pop("reason") or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("更正理由：请写明（至少 4 个字）", {"reason": "请写明更正理由"})
    before = {k: (str(getattr(b, k)) if getattr(b, k) is not None else None) for k in values}
    for key, value in values.items():
        setattr(b, key, value)
    record_audit(actor, "booking", b.id, "amend-usage", "used", "used", reason,
                 details={"before": before, "after": {k: (str(v) if v is not None else None) for k, v in values.items()}})
    return b


def rate(actor, b, data: dict) -> Booking:
    if not policy.is_customer(actor, b):
        if policy.can_view_booking(actor, b):
            raise Forbidden("只有预约单位可以评价")
        raise NotFound("没有找到该预约")
    values = RateIn().validate_dict(data or {})
    if b.status != "used":
        raise Conflict("服务使用后才能评价")
    if b.rating is not None:
        raise Conflict("已评价过该次服务")
    n = db.session.execute(sql_update(Booking).where(Booking.id == b.id, Booking.status == "used",
                                                     Booking.rating.is_(None)).values(status=Booking.status)
                           .execution_options(synchronize_session=False)).rowcount
    if n != 1:
        raise Conflict("已评价过该次服务")
    b.rating, b.rating_comment, b.rated_at = values["rating"], values.get("comment"), utcnow()
    record_audit(actor, "booking", b.id, "rate", "used", "used", details={"rating": values["rating"]})
    return b


ACT = {"approve": lambda a, b, d, now: approve(a, b, now), "reject": lambda a, b, d, now: reject(a, b, d.get("reason")),
       "cancel": lambda a, b, d, now: cancel(a, b, d.get("reason"), now),
       "owner-cancel": lambda a, b, d, now: cancel(a, b, d.get("reason"), now),
       "record-usage": lambda a, b, d, now: record_usage(a, b, d, now),
       "amend-usage": lambda a, b, d, now: amend_usage(a, b, d), "rate": lambda a, b, d, now: rate(a, b, d)}


def act(actor, b, action: str, data: dict, now=None) -> Booking:
    if action not in ACT:
        raise NotFound("不支持的操作")
    if action == "owner-cancel" and not policy.is_owner(actor, b):
        FLOW.fire(actor, b, "owner-cancel", (data or {}).get("reason"))  # raises the 403/404
    if action in ("reject", "cancel", "owner-cancel"):
        reason = (data or {}).get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ValidationFailed("理由应为文本", {"reason": "应为文本"})
    return ACT[action](actor, b, data or {}, now)


# Lists ------------------------------------------------------------------------------------------------------

def booking_query(actor, *, scope: str = "all", resource_id: int | None = None, status: str | None = None,
                  year: int | None = None):
    """Bookings `actor` may see, newest start first. scope: all / mine (as customer) / owner (own resources)."""
    stmt = select(Booking).where(policy.visible_condition(actor))
    if scope == "mine":
        stmt = stmt.where(Booking.customer_org_id == actor.org_id)
    elif scope == "owner":
        stmt = stmt.where(policy.owner_condition(actor))
    if resource_id is not None:
        stmt = stmt.where(Booking.service_id.in_(select(BookableService.id).where(
            BookableService.resource_id == resource_id)))
    if status:
        stmt = stmt.where(Booking.status == status)
    if year:
        stmt = stmt.where(Booking.starts_at >= datetime(year, 1, 1), Booking.starts_at < datetime(year + 1, 1, 1))
    return stmt.order_by(Booking.starts_at.desc(), Booking.id.desc())


def owned_resources(actor) -> list[ServiceResource]:
    if not (perm.is_authenticated(actor) and actor.role in policy.OWNER_ROLES):
        return []
    return db.session.scalars(select(ServiceResource).where(ServiceResource.owner_org_id == actor.org_id)
                              .order_by(ServiceResource.id)).all()


def counts_for_owner(actor, now=None) -> dict:
    """To-dos of a resource owner: requests to decide, usage to record (slots that have started)."""
    now = _now(now)
    cond = policy.owner_condition(actor)
    to_approve = db.session.scalar(select(func.count(Booking.id)).where(cond, Booking.status == "requested"))
    to_record = db.session.scalar(select(func.count(Booking.id)).where(cond, Booking.status == "approved",
                                                                      Booking.starts_at <= now))
    return {"approve": to_approve or 0, "record": to_record or 0}


def counts_for_customer(actor, now=None) -> dict:
    now = _now(now)
    mine = Booking.customer_org_id == actor.org_id
    # Both counts in one statement (scalar subqueries): one round trip instead of two.
    upcoming, to_rate = db.session.execute(select(
        select(func.count(Booking.id)).where(
            mine, Booking.status.in_(("requested", "approved")), Booking.starts_at > now).scalar_subquery(),
        select(func.count(Booking.id)).where(mine, Booking.status == "used",
                                             Booking.rating.is_(None)).scalar_subquery())).one()
    return {"upcoming": upcoming or 0, "rate": to_rate or 0}


# Yearly figures and the 后补助 claim package --------------------------------------------------------------

def _require_report(actor, resource):
    if not policy.can_view_resource_bookings(actor, resource):
        if perm.is_authenticated(actor) and perm.can_view(actor, resource):
            raise Forbidden("只有运营单位和主管管理员可以查看预约统计")
        raise NotFound("没有找到该服务资源")


def _pct(part: Decimal, whole: Decimal) -> str | None:
    if not whole:
        return None
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'))}"


def report(actor, resource, year: int) -> dict:
    """Per service and in total for `year`: available hours (opening hours minus blackout days), booked hours
    (approved and used bookings), used hours, samples, customers served (with a recorded use), income (fees of
    recorded uses, exact to the fen)."""
    _require_report(actor, resource)
    first, last = date(year, 1, 1), date(year, 12, 31)
    start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    services = db.session.scalars(select(BookableService).where(BookableService.resource_id == resource.id)
                                  .order_by(BookableService.id)).all()
    rows, customers_all = [], set()
    totals = defaultdict(Decimal)
    for s in services:
        blackouts = {b.day for b in s.blackouts if first <= b.day <= last}
        available = calc.available_hours(s.opening_hours, s.slot_minutes, first, last, blackouts)
        slots = db.session.scalar(select(func.count(BookingSlot.id)).join(Booking).where(
            BookingSlot.service_id == s.id, Booking.status.in_(("approved", "used")),
            BookingSlot.slot_start >= start, BookingSlot.slot_start < end)) or 0
        booked = (Decimal(slots * s.slot_minutes) / 60).quantize(calc.FEN)
        used = db.session.scalars(select(Booking).where(Booking.service_id == s.id, Booking.status == "used",
                                                        Booking.starts_at >= start, Booking.starts_at < end)).all()
        used_hours = sum((Decimal(b.used_hours or 0) for b in used), Decimal("0.00"))
        income = sum((Decimal(b.fee or 0) for b in used), Decimal("0.00"))
        samples = sum(b.used_samples or 0 for b in used)
        customers = {b.customer_org_id for b in used}
        customers_all |= customers
        count = dict(db.session.execute(select(Booking.status, func.count(Booking.id)).where(
            Booking.service_id == s.id, Booking.starts_at >= start, Booking.starts_at < end)
            .group_by(Booking.status)).all())
        rows.append({"service_id": s.id, "name": s.name, "kind": s.kind, "kind_label": KINDS[s.kind],
                     "available_hours": f"{available:.2f}", "booked_hours": f"{booked:.2f}",
                     "used_hours": f"{used_hours:.2f}", "samples": samples, "customers": len(customers),
                     "uses": len(used), "income": f"{income:.2f}", "booked_rate": _pct(booked, available),
                     "used_rate": _pct(used_hours, available),
                     "bookings": {k: int(count.get(k, 0)) for k in STATUSES}})
        for key, value in (("available", available), ("booked", booked), ("used", used_hours), ("income", income),
                           ("samples", samples), ("uses", len(used))):
            totals[key] += Decimal(value)
    total = {"available_hours": f"{totals['available']:.2f}", "booked_hours": f"{totals['booked']:.2f}",
             "used_hours": f"{totals['used']:.2f}", "samples": int(totals["samples"]), "uses": int(totals["uses"]),
             "customers": len(customers_all), "income": f"{totals['income']:.2f}",
             "booked_rate": _pct(totals["booked"], totals["available"]),
             "used_rate": _pct(totals["used"], totals["available"])}
    return {"resource_id": resource.id, "resource": resource.title, "owner": resource.owner_org.name,
            "year": year, "services": rows, "total": total}


CLAIM_HEADERS = ["序号", "预约编号", "客户单位", "统一社会信用代码", "服务日期", "服务项目", "收费方式", "机时（小时）",
                 "样品数（个）", "单价（元）", "收费金额（元）", "发票号", "收费说明"]


def claim_rows(actor, resource, year: int) -> list[list]:
    """The usage records the province's 后补助 (post-subsidy) claim asks for: one row per recorded use in `year`."""
    _require_report(actor, resource)
    stmt = (select(Booking).join(BookableService, BookableService.id == Booking.service_id)
            .where(BookableService.resource_id == resource.id, Booking.status == "used",
                   Booking.starts_at >= datetime(year, 1, 1), Booking.starts_at < datetime(year + 1, 1, 1))
            .order_by(Booking.starts_at, Booking.id))
    rows = []
    for i, b in enumerate(db.session.scalars(stmt), 1):
        s = b.service
        rows.append([i, f"YY{b.id:06d}", b.customer_org.name, b.customer_org.uscc or "", b.starts_at.date(), s.name,
                     KINDS[s.kind], Decimal(b.used_hours) if b.used_hours is not None else None, b.used_samples,
                     Decimal(s.unit_price) if s.unit_price is not None else None, Decimal(b.fee),
                     b.invoice_no or "", b.fee_reason or ""])
    return rows


def years_of(resource) -> list[int]:
    """Years with bookings on this resource, and the current one."""
    got = db.session.scalars(select(func.min(Booking.starts_at)).join(BookableService).where(
        BookableService.resource_id == resource.id)).first()
    this = calc.local_now().year
    first = got.year if got else this
    return list(range(this + 1, first - 1, -1))



# Notifications ----------------------------------------------------------------------------------------------

def _tell_owner(org_id: int, title: str, b) -> None:
    from ..notifications.service import tell_orgs
    body = (f"{b.customer_org.name}预约了“{b.service.name}”：{calc_str(b.starts_at)} 至 {b.ends_at:%H:%M}。"
            f"用途：{b.purpose}")
    for role in policy.OWNER_ROLES:
        tell_orgs([org_id], "booking", title, body, f"/bookings/{b.id}", role=role)


def _tell_customer(b, title: str, body: str) -> None:
    from ..notifications.service import tell_orgs
    tell_orgs([b.customer_org_id], "booking", title, body, f"/bookings/{b.id}")
