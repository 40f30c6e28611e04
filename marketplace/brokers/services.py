"""The broker workbench's rules: claim, introduce, move through the stages; every step audited.
Who may see and move an introduction: permissions.py."""
from sqlalchemy import or_, select

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
# A demand a broker is working on, or one a brokered deal has answered: neither waits on the workbench nor can be
# claimed (the demand page stays published; a company that wants more posts a new demand).
TAKEN = OPEN + ("signed",)
# Each transition is named after the stage it reaches (the audit's action), fired only by the broker who claimed it.
WORKFLOW = Workflow.of("introduction", [
    Transition(stage, frozenset(s for s, nxt in NEXT.items() if stage in nxt), stage, STAGES[stage], "broker",
               needs_reason=stage == "failed")
    for stage in ("introduced", "contacted", "negotiating", "signed", "failed")
], {"broker": policy.can_move}, state_labels=STAGES, state_attr="stage", not_found="没有找到该撮合记录")


def _broker(actor):
    if not policy.is_broker(actor):
        raise Forbidden("只有技术经纪人可以使用撮合工作台")


# Workbench filters: budget bands (万元 → yuan bounds), age of the demand (days since published), sorts.
BUDGETS = {"lt10": ("10万元以下", None, 100_000), "10-50": ("10万–50万元", 100_000, 500_000),
           "50-100": ("50万–100万元", 500_000, 1_000_000), "100-500": ("100万–500万元", 1_000_000, 5_000_000),
           "gte500": ("500万元以上", 5_000_000, None), "negotiable": ("面议", None, None)}
AGES = {"7": "7天内", "30": "30天内", "90": "90天内", "180": "半年内"}
SORTS = {"newest": "最新发布", "oldest": "最早发布", "budget": "预算从高到低", "deadline": "截止日期最近"}


def open_demands_query(city=None, industry=None, budget=None, age=None, sort="newest", q=None, today=None):
    """Published demands that no broker is working on or has brought to 签约 (and not past their deadline),
    filtered and sorted: one SELECT that the workbench pages through (indexes on status, city, industry,
    published_at)."""
    from datetime import date
    from ..demands.models import Demand
    today = today or date.today()
    taken = select(Introduction.demand_id).where(Introduction.stage.in_(TAKEN))
    stmt = select(Demand).where(Demand.status == "published", Demand.id.not_in(taken),
                                or_(Demand.deadline.is_(None), Demand.deadline >= today))
    if city:
        stmt = stmt.where(Demand.city == city)
    if industry:
        stmt = stmt.where(Demand.industry == industry)
    if budget == "negotiable":
        stmt = stmt.where(Demand.budget_negotiable.is_(True))
    elif budget in BUDGETS:
        _label, lo, hi = BUDGETS[budget]
        stmt = stmt.where(Demand.budget_negotiable.is_(False))
        if lo is not None:
            stmt = stmt.where(Demand.budget >= lo)
        if hi is not None:
            stmt = stmt.where(Demand.budget < hi)
    if age in AGES:
        stmt = stmt.where(Demand.published_at >= datetime_days_ago(int(age)))
    if q:
        stmt = stmt.where(Demand.title.like(f"%{q.replace('%', '').replace('_', '')}%"))
    order = {"newest": (Demand.published_at.desc(), Demand.id.desc()),
             "oldest": (Demand.published_at.asc(), Demand.id.asc()),
             "budget": (Demand.budget_negotiable.asc(), Demand.budget.desc(), Demand.id.desc()),
             "deadline": (Demand.deadline.is_(None).asc(), Demand.deadline.asc(), Demand.id.desc())}
    return stmt.order_by(*order.get(sort, order["newest"]))


def datetime_days_ago(days: int):
    from datetime import timedelta
    return utcnow() - timedelta(days=days)


def open_demands(limit: int = 50):
    """Published demands that no broker is working on or has brought to 签约 (the first `limit`)."""
    return db.session.scalars(open_demands_query().limit(limit)).all()


def stored_suggestions(demand_ids, per_demand: int = 3) -> dict:
    """The strongest stored matches of these demands (matching's store, kept current after every change): read,
    never computed, so a workbench page costs one query whatever the size of the achievement library.
    {demand_id: [{"id", "title", "score", "band"}]}."""
    from ..matching import store
    return store.suggestions(list(demand_ids), per_demand)


def silent_demands(demand_ids) -> set:
    """Those of these demands whose stored list is silent: their candidates are only the nearest, not matches."""
    from ..matching import store
    return store.silent("demand", demand_ids)


def board(actor) -> dict:
    """The acting broker's introductions by stage (the pipeline board), each stage newest first."""
    columns = {stage: [] for stage in STAGES}
    for intro in mine(actor):
        columns[intro.stage].append(intro)
    return columns


def contract_draft(actor, intro, data: dict):
    """One step from an introduction to a contract draft: seller = the achievement's institution, buyer = the
    demand's company, with the achievement, demand, city, industry and broker filled in; the broker adds the kind
    and amount. Goes through contracts.create, which checks that the introduction is the broker's own.

    `data["commission"]`, when given, is the commission agreement the broker proposes in the same step: announced
    with core.signals.contract_drafted, which the commissions package receives (this package does not read it). If
    no receiver takes it, or one refuses it, the step fails and the caller's savepoint drops the draft too."""
    from datetime import date
    from ..contracts import services as contracts
    from ..core.signals import contract_drafted
    from .schemas import ContractDraftIn
    if not policy.can_move(actor, intro):
        raise Forbidden("只有负责该撮合的技术经纪人可以据此生成合同草稿")
    if intro.achievement_id is None:
        raise ValidationFailed("请先引荐成果，再生成合同草稿", {"introduction_id": "尚未引荐成果"})
    if intro.stage == "failed":
        raise Conflict("该撮合未成功，不能生成合同草稿")
    values = ContractDraftIn().validate_dict(data)
    if values["amount"] == "negotiable":
        raise ValidationFailed("成交额：请填写金额（元）", {"amount": "请填写金额"})
    d, a = intro.demand, intro.achievement
    payload = {"kind": values["kind"], "title": values.get("title") or f"{a.title}{values['kind']}合同"[:200],
               "seller_org_id": a.owner_org_id, "buyer_org_id": d.owner_org_id, "amount": str(values["amount"]),
               "signed_on": (values.get("signed_on") or date.today()).isoformat(), "city": d.city,
               "industry": d.industry, "introduction_id": intro.id}
    if values["kind"] == "技术转让":
        payload["transfer_form"] = values.get("transfer_form") or "许可"
    contract = contracts.create(actor, payload)
    proposal = values.get("commission") or None
    taken = contract_drafted.send(contract, actor=actor, introduction=intro, commission=proposal)
    if proposal and not any(result for _receiver, result in taken):
        raise ValidationFailed("暂不能在此提出佣金协议", {"commission": "未能处理佣金协议"})
    return contract


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
    other = Introduction.query.filter(Introduction.demand_id == demand.id, Introduction.stage.in_(TAKEN)).first()
    if other is not None and other.stage == "signed":
        raise Conflict("该需求已通过技术经纪人撮合签约，不能再认领；企业如有新的需要，可另行发布需求")
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
