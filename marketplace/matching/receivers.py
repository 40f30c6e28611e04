"""Matches on the workbench (我的工作台), read from the stored matches (imported by create_app): a company's or
an institution's strong matches nobody on its side has looked at yet, and for brokers the 申请对接 requests."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import and_, func, select

from ..core import permissions as perm
from ..core import workbench
from ..core.models import utcnow
from ..extensions import db
from .models import MatchFeedback, MatchList, MatchRequest, StoredMatch

RECENT_DAYS = 30


def _unanswered_strong(actor, side: str) -> int:
    """Strong stored matches of the organisation's published records that its side has not marked yet, in lists
    the engine answered (an abstained list's strong rows are "the nearest, for reference"), without a deal
    already made on the pair — the figures the list page 本单位的需求/成果 shows under each record."""
    from . import store
    from .learning import deal_exists
    Model = store.model(side)
    own, other = store._col(side), store._col(store.OTHER[side])
    Other = store.model(store.OTHER[side])
    marked = select(MatchFeedback.id).where(MatchFeedback.side == side,
                                            MatchFeedback.demand_id == StoredMatch.demand_id,
                                            MatchFeedback.achievement_id == StoredMatch.achievement_id)
    answered = select(MatchList.id).where(MatchList.entity_type == side, MatchList.entity_id == own,
                                          MatchList.abstained.is_(False))
    return db.session.scalar(
        select(func.count()).select_from(StoredMatch)
        .join(Model, and_(Model.id == own, Model.owner_org_id == actor.org_id, Model.status == "published"))
        .join(Other, and_(Other.id == other, Other.status == "published"))
        .where(StoredMatch.direction == side, StoredMatch.band == "强", ~marked.exists(), answered.exists(),
               ~deal_exists(StoredMatch.demand_id, StoredMatch.achievement_id))) or 0


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
