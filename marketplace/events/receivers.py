"""The events' section of 我的工作台: registrants — upcoming events; organisers — registrations to check in;
brokers — new leads (imported by create_app)."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import func, select

from ..core import permissions as perm
from ..core import workbench
from ..extensions import db
from .models import Event, Interest, Registration, event_brokers


@workbench.provider(order=60)
def events_section(actor):
    from .services import now_local
    if not perm.is_authenticated(actor):
        return None
    now = now_local()
    todos, figures, links = [], [], [("路演与对接会", url_for("events.list_page"))]
    if actor.role in ("company", "institution"):
        # One query, two conditional counts: the registrations still to come, and those within three days.
        upcoming, soon = db.session.execute(select(
            func.count().filter(Registration.status.in_(("registered", "waitlisted")), Event.ends_at >= now),
            func.count().filter(Registration.status == "registered",
                                Event.starts_at.between(now, now + timedelta(days=3))),
        ).select_from(Registration).join(Event).where(
            Registration.user_id == actor.id, Event.status.in_(("published", "registration_closed")))).one()
        if upcoming:
            todos.append(workbench.Todo("即将参加的活动", upcoming, url_for("events.mine"), urgent=bool(soon)))
        links.append(("我的报名", url_for("events.mine")))
    if perm.is_admin(actor):
        to_check = db.session.scalar(select(func.count()).select_from(Registration).join(Event).where(
            Event.organiser_org_id == actor.org_id, Registration.status == "registered",
            Registration.checked_in_at.is_(None), Event.status.in_(("published", "registration_closed", "held")),
            Event.starts_at <= now + timedelta(days=1), Event.ends_at >= now - timedelta(days=1)))
        running = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.organiser_org_id == actor.org_id, Event.status.in_(("published", "registration_closed"))))
        if to_check:
            todos.append(workbench.Todo("待签到的报名（今明两天的活动）", to_check, url_for("events.manage"), urgent=True))
        if running:
            figures.append(workbench.Figure("报名中或待举办的活动", f"{running} 场", url_for("events.manage")))
        links.append(("本中心活动", url_for("events.manage")))
    if actor.role == "broker":
        new = db.session.scalar(select(func.count()).select_from(Interest).where(
            Interest.status == "new", Interest.event_id.in_(
                select(event_brokers.c.event_id).where(event_brokers.c.user_id == actor.id))))
        if new:
            todos.append(workbench.Todo("活动对接新线索", new, url_for("events.leads", status="new"), urgent=True))
        links.append(("活动线索", url_for("events.leads")))
    if not todos and not figures and actor.role not in ("company", "institution", "broker") \
            and not perm.is_admin(actor):
        return None
    return workbench.Section("路演与对接会", todos=todos, figures=figures, links=links)
