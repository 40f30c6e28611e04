"""Matches on the workbench (我的工作台), read from the stored matches (imported by create_app): a company's or
an institution's strong matches nobody on its side has looked at yet, and for brokers the 申请对接 requests."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import func, select

from ..core import permissions as perm
from ..core import workbench
from ..core.models import utcnow
from ..extensions import db
from .models import MatchRequest

RECENT_DAYS = 30


def _unanswered_strong(actor, side: str) -> int:
    """Strong stored matches of the organisation's published records not yet looked at: the sum of what the
    list page 本单位的需求/成果 shows under each record (`store.summary`: not marked by this side, no deal on
    the pair), over the lists the engine answered (an abstained list's strong rows are "the nearest, for
    reference")."""
    from . import store
    Model = store.model(side)
    ids = db.session.scalars(select(Model.id).where(Model.owner_org_id == actor.org_id,
                                                    Model.status == "published")).all()
    return sum(r["unhandled"] for r in store.summary(side, ids).values() if not r["abstained"])


@workbench.provider(order=35)
def matches_section(actor):
    if not perm.is_authenticated(actor) or not getattr(actor, "active", True):
        return None
    if actor.role == "company":
        n = _unanswered_strong(actor, "demand")
        todos = [workbench.Todo("待查看的强匹配成果", n, url_for("demands.list_page", scope="mine"))] if n else []
        return workbench.Section("精准匹配", todos=todos, figures=[workbench.Figure("强匹配（未处理）", f"{n} 项")])
    if actor.role == "institution":
        n = _unanswered_strong(actor, "achievement")
        todos = [workbench.Todo("待查看的强匹配需求", n, url_for("achievements.list_page", scope="mine"))] if n else []
        return workbench.Section("精准匹配", todos=todos, figures=[workbench.Figure("强匹配（未处理）", f"{n} 项")])
    if actor.role == "broker":
        since = utcnow() - timedelta(days=RECENT_DAYS)
        n = db.session.scalar(select(func.count()).select_from(MatchRequest)
                              .where(MatchRequest.created_at >= since)) or 0
        todos = [workbench.Todo("近30天的对接申请（可认领需求撮合）", n, url_for("brokers.workbench"))] if n else []
        return workbench.Section("精准匹配", todos=todos)
    return None
