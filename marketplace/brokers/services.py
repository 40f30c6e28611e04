"""The broker workbench's rules: claim, introduce, move through the stages; every step audited.
Who may see and move an introduction: permissions.py."""
from sqlalchemy import select

from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.workflow import Transition, Workflow
from ..extensions import db
from . import permissions as policy
from .models import Introduction

STAGES = {"claimed": "已认领", "introduced": "已引荐", "contacted": "已接洽", "negotiating": "洽谈中",
          "signed": "已签约", "failed": "未成功"}
NEXT = {"claimed": ("introduced", "failed"), "introduced": ("contacted", "failed"),
        "contacted": ("negotiating", "failed"), "negotiating": ("signed", "failed")}
OPEN = ("claimed", "introduced", "contacted", "negotiating")
# Each transition is named after the stage it reaches (the audit's action), fired only by the broker who claimed it.
WORKFLOW = Workflow.of("introduction", [
    Transition(stage, frozenset(s for s, nxt in NEXT.items() if stage in nxt), stage, STAGES[stage], "broker",
               needs_reason=stage == "failed")
    for stage in ("introduced", "contacted", "negotiating", "signed", "failed")
], {"broker": policy.can_move}, state_labels=STAGES, state_attr="stage", not_found="没有找到该撮合记录")


def _broker(actor):
    if not policy.is_broker(actor):
        raise Forbidden("只有技术经纪人可以使用撮合工作台")


def open_demands(limit: int = 50):
    """Published demands that no broker is working on."""
    from ..demands.models import Demand
    taken = select(Introduction.demand_id).where(Introduction.stage.in_(OPEN))
    return db.session.scalars(select(Demand).where(Demand.status == "published", Demand.id.not_in(taken))
                              .order_by(Demand.published_at.desc(), Demand.id.desc()).limit(limit)).all()


def visible_query(actor):
    """The introductions `actor` may read, newest activity first (the one rule behind lists and `get`)."""
    return (select(Introduction).where(policy.visible_condition(actor))
            .order_by(Introduction.updated_at.desc(), Introduction.id.desc()))


def visible(actor, stage: str | None = None) -> list[Introduction]:
    stmt = visible_query(actor)
    if stage:
        stmt = stmt.where(Introduction.stage == stage)
    return db.session.scalars(stmt).all()


def mine(actor):
    """A broker's own introductions (the workbench)."""
    _broker(actor)
    return db.session.scalars(visible_query(actor).where(Introduction.broker_id == actor.id)).all()


def claim(actor, demand) -> Introduction:
    _broker(actor)
    if demand.status != "published":
        raise Forbidden("只能认领已发布的需求")
    other = Introduction.query.filter(Introduction.demand_id == demand.id, Introduction.stage.in_(OPEN)).first()
    if other is not None:
        raise Conflict("该需求已由技术经纪人" + ("（您本人）" if other.broker_id == actor.id else "") + "认领")
    intro = Introduction(demand_id=demand.id, broker_id=actor.id, stage="claimed")
    db.session.add(intro)
    db.session.flush()
    record_audit(actor, "introduction", intro.id, "claim", None, "claimed", details={"demand": demand.id})
    return intro


def get(actor, intro_id) -> Introduction:
    """The introduction if the actor may read it; the same NotFound whether it does not exist or is not theirs."""
    intro = None
    if isinstance(intro_id, int):
        intro = db.session.scalars(visible_query(actor).where(Introduction.id == intro_id)).first()
    if intro is None:
        raise NotFound("没有找到该撮合记录")
    return intro


def introduce(actor, intro, achievement, note: str | None = None) -> Introduction:
    if not policy.can_move(actor, intro):
        raise Forbidden("只有认领该需求的技术经纪人可以引荐")
    if intro.stage != "claimed":
        raise Forbidden("该撮合已引荐过；如需引荐其他成果，请在此撮合结束后重新认领")
    if achievement.status != "published":
        raise ValidationFailed("只能引荐已发布的成果", {"achievement_id": "成果未发布"})
    intro.achievement_id, intro.achievement = achievement.id, achievement
    return advance(actor, intro, "introduced", note)


def advance(actor, intro, stage: str, note: str | None = None) -> Introduction:
    if not policy.can_move(actor, intro):
        raise Forbidden("只有负责该撮合的技术经纪人可以推进")
    if stage not in WORKFLOW.transitions:
        raise ValidationFailed(f"未知的阶段：{stage}", {"stage": "、".join(WORKFLOW.transitions)})
    if stage not in NEXT.get(intro.stage, ()):
        raise Conflict(f"“{STAGES[intro.stage]}”之后不能直接到“{STAGES[stage]}”")
    if stage == "introduced" and intro.achievement_id is None:
        raise ValidationFailed("请先选择要引荐的成果", {"achievement_id": "必填"})
    WORKFLOW.fire(actor, intro, stage, note)
    intro.note, intro.updated_at = (note or "").strip() or intro.note, utcnow()
    if stage == "introduced":
        _tell_parties(intro)
    return intro


def _tell_parties(intro) -> None:
    from ..notifications.service import tell_orgs
    d, a = intro.demand, intro.achievement
    body = f"技术经纪人{intro.broker.name}引荐：需求“{d.title}” ↔ 成果“{a.title}”。"
    tell_orgs([d.owner_org_id], "introduction", f"技术经纪人为您的需求引荐了成果：{a.title[:40]}", body,
              f"/achievements/{a.id}")
    tell_orgs([a.owner_org_id], "introduction", f"技术经纪人将您的成果引荐给企业需求：{d.title[:40]}", body,
              f"/demands/{d.id}")
