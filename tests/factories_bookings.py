"""Bookable services and bookings built through the services, as an owner and a customer would."""
from datetime import date, datetime, timedelta

from marketplace.bookings import calc, services as svc
from marketplace.extensions import db

from . import factories

WEEKDAYS_9_TO_5 = {str(d): "09:00-12:00,14:00-17:00" for d in range(1, 6)}


def monday_ahead(weeks: int = 1) -> date:
    """A Monday at least a few days ahead of today (local time), so its slots are bookable."""
    today = calc.local_now().date()
    return today + timedelta(days=7 * weeks - today.weekday())


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hh, mm).strftime("%Y-%m-%dT%H:%M")


def owner_and_resource(**over):
    owner = factories.user("institution")
    res = factories.record("services", owner, status="published", kind="共享仪器", **over)
    return owner, res


def service(owner, res, **over):
    data = {"name": "扫描电镜（SEM）机时", "kind": "hours", "unit_price": "300", "opening_hours": dict(WEEKDAYS_9_TO_5),
            "slot_minutes": 60, "policy": "approval", "cancel_hours": 24, "advance_days": 60}
    data.update(over)
    s = svc.save_service(owner, res, data)
    db.session.commit()
    return s


def customer(**kw):
    return factories.user("company", **kw)


def booking(customer_user, s, start: str, status="requested", now=None, **over):
    data = {"starts_at": start, "slots": 1, "purpose": "观察铜合金断口形貌"}
    if s.kind == "samples":
        data["samples"] = 3
    data.update(over)
    b = svc.book(customer_user, s, data, now=now)
    owner = None
    if status != "requested":
        from marketplace.accounts.models import User
        owner = User.query.filter_by(org_id=s.resource.owner_org_id).first()
    if status in ("approved", "used") and b.status == "requested":
        svc.approve(owner, b, now=now)
    if status == "used":
        svc.record_usage(owner, b, {"used_hours": "1"} if s.kind == "hours" else {"used_samples": 3},
                         now=b.starts_at + timedelta(hours=2))
    if status == "rejected":
        svc.reject(owner, b, "设备维护")
    db.session.commit()
    return b
