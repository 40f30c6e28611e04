"""揭榜挂帅: posting, review, the bounty lock, applications, the panel's scores, the award (a 技术开发 contract draft),
milestone acceptance and the final rating. Every function takes the acting user first, flushes and never commits.

Workflow (core.workflow, entity "challenge"):
  draft → submitted (提交审核) → published (审核通过) | rejected (驳回, reason)
  published → closed (征集截止: on the day after the deadline, by the poster or the system)
  closed → reviewing (开始评审) → awarded (确定揭榜方, a contract draft is made) → in_progress (签约并开始攻关)
  → accepted (验收通过, rated 优秀/良好/合格) | failed (验收不合格, reason)
  closed | reviewing → unawarded (流榜, reason)
  submitted → withdrawn (poster); published → withdrawn (撤榜) only by an administrator, with a reason (the lock)
The bounty lock: once published, the bounty is never lowered and the deadline never brought forward except by an
administrator in scope through `adjust` (reason required, audited with the old and new values).
"""
from datetime import date
from decimal import Decimal

from flask import url_for
from sqlalchemy import func, select, update as sql_update

from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.money import format_yuan
from ..core.signals import challenge_accepted
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from . import calc, permissions as policy
from .models import (APPLICATION_STATES, EDITABLE_STATES, KINDS, MILESTONE_STATES, PUBLIC_STATES, STATES, Challenge, ChallengeApplication,
                     ChallengeCriterion, ChallengeMilestone, ChallengeScore, PanelMember)
from .schemas import (AdjustSchema, ApplicationSchema, AwardSchema, ChallengeSchema, FinishSchema,
                      MilestoneAcceptSchema, PanelInviteSchema, RaiseSchema, ScoresSchema)

ENTITY = "challenge"
KIND = "challenge"  # notifications' kind


def _poster_may(actor, ch) -> bool:
    return policy.can_edit(actor, ch) and (ch.kind != "company" or actor.role == "company")


FLOW = Workflow.of(ENTITY, [
    Transition("submit", frozenset(EDITABLE_STATES), "submitted", "提交审核", "poster"),
    Transition("approve", frozenset({"submitted"}), "published", "审核通过并发布", "reviewer"),
    Transition("reject", frozenset({"submitted"}), "rejected", "驳回", "reviewer", needs_reason=True, min_reason=4),
    Transition("withdraw", frozenset({"submitted"}), "withdrawn", "撤回", "poster"),
    Transition("revoke", frozenset({"published"}), "withdrawn", "撤榜（管理员决定）", "reviewer", needs_reason=True,
               min_reason=4),
    Transition("close", frozenset({"published"}), "closed", "截止征集", "manager"),
    Transition("close-due", frozenset({"published"}), "closed", "截止征集", "system"),
    Transition("review", frozenset({"closed"}), "reviewing", "开始评审", "manager"),
    Transition("unaward", frozenset({"closed", "reviewing"}), "unawarded", "流榜", "manager", needs_reason=True,
               min_reason=4),
    Transition("award", frozenset({"reviewing"}), "awarded", "确定揭榜方", "manager"),
    Transition("start", frozenset({"awarded"}), "in_progress", "签约并开始攻关", "manager"),
    Transition("accept", frozenset({"in_progress"}), "accepted", "验收通过", "manager"),
    Transition("fail", frozenset({"in_progress"}), "failed", "验收不合格", "manager", needs_reason=True, min_reason=4),
], {"poster": _poster_may, "reviewer": policy.can_review, "manager": policy.can_manage},
    state_labels=STATES, can_view=policy.can_view, not_found="没有找到该榜单")
APPLICATION_FLOW = Workflow.of("challenge-application", [
    Transition("withdraw", frozenset({"submitted"}), "withdrawn", "撤回揭榜方案", "applicant"),
    Transition("win", frozenset({"submitted"}), "awarded", "揭榜成功", "system"),
    Transition("lose", frozenset({"submitted"}), "not_awarded", "未入选", "system"),
], {"applicant": lambda a, row: policy.is_applicant(a, row)}, state_labels=APPLICATION_STATES,
    can_view=policy.can_view_application, not_found="没有找到该揭榜方案")
action_labels({"bounty-override": "管理员调整悬赏/截止日期", "panel-invite": "邀请评审专家", "panel-remove": "移除评审专家",
               "score": "提交评分", "milestone-accept": "里程碑验收", "from-demand": "由需求生成榜单"})

# Actions a page or the API may ask for by name, with the service doing it (the others take a body of their own).
SIMPLE_ACTIONS = ("submit", "approve", "reject", "withdraw", "revoke", "close", "review", "unaward", "start")


def _link(ch) -> str:
    return f"/challenges/{ch.id}"


def _tell_orgs(org_ids, title, body, link, role=None):
    from ..notifications.service import tell_orgs
    tell_orgs([o for o in org_ids if o], KIND, title, body, link, role=role)


def _tell(user, title, body, link):
    from ..notifications.service import tell
    tell(user, KIND, title, body, link)


def _invalid(exc: calc.CalcError) -> ValidationFailed:
    return ValidationFailed(str(exc), {exc.field: str(exc)})


def _claim(ch: Challenge, states) -> None:
    """Compare-and-set before a transition's writes: the row still is in one of `states`, and it is ours until the
    commit (the UPDATE takes the row lock on PostgreSQL and the write lock on SQLite). Two awards (or two closes, two
    acceptances) at the same moment: the second waits, finds the state changed, and gets a 409 — never a second
    contract draft or a second decision."""
    n = db.session.execute(sql_update(Challenge).where(Challenge.id == ch.id, Challenge.status.in_(tuple(states)))
                           .values(status=Challenge.status).execution_options(synchronize_session=False)).rowcount
    if n != 1:
        raise Conflict("榜单状态刚刚被其他操作改变，请刷新后重试")


# Reading -----------------------------------------------------------------------------------------------------

def get(actor, challenge_id) -> Challenge:
    ch = db.session.get(Challenge, challenge_id) if isinstance(challenge_id, int) else None
    if ch is None or not policy.can_view(actor, ch):
        raise NotFound("没有找到该榜单")
    return ch


def get_application(actor, app_id) -> ChallengeApplication:
    row = db.session.get(ChallengeApplication, app_id) if isinstance(app_id, int) else None
    if row is None or not policy.can_view_application(actor, row):
        raise NotFound("没有找到该揭榜方案")
    return row


def get_milestone(actor, ch, milestone_id) -> ChallengeMilestone:
    m = next((x for x in ch.milestones if x.id == milestone_id), None)
    if m is None:
        raise NotFound("没有找到该里程碑")
    return m


SCOPES = ("public", "mine", "review", "panel", "applied")


def list_query(actor, *, scope="public", industry=None, city=None, status=None, q=None):
    from ..core.errors import BadRequest
    stmt = select(Challenge)
    if scope == "public":
        stmt = stmt.where(policy.public_condition(Challenge))
    elif scope == "mine":
        if not perm.is_authenticated(actor):
            raise BadRequest("scope=mine 需要登录")
        stmt = stmt.where(Challenge.owner_org_id == actor.org_id)
    elif scope == "review":
        stmt = stmt.where(policy.review_condition(actor, Challenge))
    elif scope == "panel":
        stmt = stmt.where(policy.panel_condition(actor, Challenge))
    elif scope == "applied":
        stmt = stmt.where(policy.applied_condition(actor, Challenge))
    else:
        raise BadRequest("scope 应为 " + " / ".join(SCOPES))
    stmt = stmt.where(policy.visible_condition(actor, Challenge))
    if industry:
        stmt = stmt.where(Challenge.industry == industry)
    if city:
        stmt = stmt.where(Challenge.city == city)
    if status:
        stmt = stmt.where(Challenge.status == status)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Challenge.title.like(like) | Challenge.problem.like(like))
    return stmt.order_by(Challenge.published_at.desc().nulls_last(), Challenge.id.desc())


def visible_applications(actor, ch) -> list[ChallengeApplication]:
    """All of them for the managers, the administrators in scope and the panel; one's own otherwise."""
    stmt = select(ChallengeApplication).where(ChallengeApplication.challenge_id == ch.id)
    if not policy.can_see_all_applications(actor, ch):
        if not perm.is_authenticated(actor):
            return []
        stmt = stmt.where(ChallengeApplication.org_id == actor.org_id)
    return db.session.scalars(stmt.order_by(ChallengeApplication.id)).all()


def application_count(ch) -> int:
    return db.session.scalar(select(func.count(ChallengeApplication.id)).where(
        ChallengeApplication.challenge_id == ch.id, ChallengeApplication.status != "withdrawn"))


def milestone_amounts(ch, total: Decimal | None = None) -> dict:
    """{milestone id: amount} of the bounty (or of `total`), exact to the fen; {} when 面议 and no total."""
    total = ch.bounty if total is None else total
    if total is None or not ch.milestones:
        return {}
    try:
        amounts = calc.milestone_amounts(Decimal(total), [Decimal(m.share) for m in ch.milestones])
    except calc.CalcError:
        return {}
    return {m.id: a for m, a in zip(ch.milestones, amounts)}


def available_actions(actor, ch) -> list[str]:
    out = [n for n in SIMPLE_ACTIONS if FLOW.may(actor, ch, n)]
    for name in ("award", "accept", "fail"):
        if FLOW.may(actor, ch, name):
            out.append(name)
    return out


def challenge_dict(actor, ch) -> dict:
    from .schemas import ChallengeOut
    amounts = milestone_amounts(ch)
    data = {c.key: getattr(ch, c.key) for c in Challenge.__table__.columns}
    data.update(kind_label=KINDS[ch.kind], status_label=STATES[ch.status],
                bounty_display=format_yuan(ch.bounty, ch.bounty is None),
                poster=policy.poster_name(actor, ch) if policy.can_see_poster(actor, ch) else None,
                company_org_id=ch.company_org_id if policy.can_see_poster(actor, ch) else None,
                # The source demand is public and names its company: shown only to whoever may know the poster.
                demand_id=ch.demand_id if policy.can_see_poster(actor, ch) else None,
                milestones=[{**{c.key: getattr(m, c.key) for c in ChallengeMilestone.__table__.columns},
                             "amount": amounts.get(m.id), "status_label": MILESTONE_STATES[m.status]}
                            for m in ch.milestones],
                criteria=list(ch.criteria), applications=application_count(ch),
                actions=available_actions(actor, ch))
    return ChallengeOut().dump(data)


def application_dict(row) -> dict:
    from .schemas import ApplicationOut
    data = {c.key: getattr(row, c.key) for c in ChallengeApplication.__table__.columns}
    data.update(org=row.org.name, status_label=APPLICATION_STATES[row.status])
    return ApplicationOut().dump(data)


# Posting -----------------------------------------------------------------------------------------------------

def _company(org_id) -> "object":
    from ..accounts.models import Organisation
    org = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
    if org is None or org.kind != "company" or org.status != "approved":
        raise ValidationFailed("出题企业应为已通过实名审核的企业", {"company_org_id": "请选择已注册的企业"})
    return org


def _apply_values(ch: Challenge, values: dict) -> None:
    """Set the challenge's fields, milestones and rubric from validated input, checking the sums."""
    bounty = values.get("bounty")
    bounty = None if bounty == "negotiable" else bounty
    enterprise, fiscal = values.get("enterprise_funding"), values.get("fiscal_funding")
    if bounty is not None and enterprise is None and fiscal is None:
        # Nothing said about the split: the poster's own money (a company), or public money (a 政府榜).
        enterprise, fiscal = (bounty, Decimal("0.00")) if ch.kind == "company" else (Decimal("0.00"), bounty)
    try:
        calc.check_funding(bounty, enterprise, fiscal)
        if values.get("milestones"):
            calc.check_shares([m["share"] for m in values["milestones"]])
        if values.get("criteria"):
            calc.check_weights([c["weight"] for c in values["criteria"]])
    except calc.CalcError as exc:
        raise _invalid(exc) from None
    for key in ("title", "problem", "indicators", "industry", "city", "deadline", "ip_terms", "anonymous"):
        setattr(ch, key, values.get(key))
    ch.bounty, ch.enterprise_funding, ch.fiscal_funding = bounty, enterprise, fiscal
    if ch.kind == "government":
        ch.company_org_id = _company(values["company_org_id"]).id if values.get("company_org_id") else None
    elif values.get("company_org_id") not in (None, ch.owner_org_id):
        raise ValidationFailed("企业榜的出题企业就是发榜企业", {"company_org_id": "企业榜不能另选出题企业"})
    ch.milestones[:] = [ChallengeMilestone(seq=i, name=m["name"], criteria=m["criteria"], share=m["share"],
                                           due_on=m.get("due_on"), status="pending")
                        for i, m in enumerate(values.get("milestones") or [])]
    ch.criteria[:] = [ChallengeCriterion(seq=i, name=c["name"], weight=c["weight"], description=c.get("description"))
                      for i, c in enumerate(values.get("criteria") or [])]


def _may_post(actor) -> str:
    """The kind of challenge the actor posts: a company's 企业榜 or an administrator's 政府榜."""
    if not policy.active(actor) or actor.role not in ("company", "admin") or (
            actor.role == "admin" and not perm.is_admin(actor)):
        raise Forbidden("只有企业用户（企业榜）或管理员（政府榜）可以发布榜单")
    return "company" if actor.role == "company" else "government"


def create(actor, data: dict, demand=None) -> Challenge:
    kind = _may_post(actor)
    values = ChallengeSchema().validate_dict(data)
    ch = Challenge(kind=kind, owner_org_id=actor.org_id, created_by_id=actor.id, status="draft",
                   company_org_id=actor.org_id if kind == "company" else None,
                   demand_id=demand.id if demand is not None else None)
    ch.owner_org = actor.org
    _apply_values(ch, values)
    db.session.add(ch)
    db.session.flush()
    ch.ref = f"JX-BANG-{ch.id:04d}"
    record_audit(actor, ENTITY, ch.id, "from-demand" if demand is not None else "create", None, "draft",
                 details={"ref": ch.ref, **({"demand": demand.id} if demand is not None else {})})
    return ch


LOCKED_KEYS = {"bounty", "enterprise_funding", "fiscal_funding", "deadline"}


def update(actor, ch: Challenge, data: dict, partial: bool = True) -> Challenge:
    """Edit a draft (or a rejected or withdrawn challenge). A published one: only raise the bounty or extend the
    deadline (the lock); lowering the bounty or bringing the deadline forward is refused (422)."""
    if not policy.can_edit(actor, ch):
        if not policy.can_view(actor, ch):
            raise NotFound("没有找到该榜单")
        raise Forbidden("只有发榜单位可以修改榜单")
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为对象", {"_schema": "应为对象"})
    if ch.status == "published":
        return _raise_bounty(actor, ch, data)
    if ch.status not in EDITABLE_STATES:
        raise Conflict(f"榜单当前为“{STATES[ch.status]}”，不能修改")
    current = current_values(ch)
    values = ChallengeSchema().validate_dict({**current, **data} if partial else data)
    _apply_values(ch, values)
    record_audit(actor, ENTITY, ch.id, "update", details={"fields": sorted(data)[:20]})
    return ch


def current_values(ch: Challenge) -> dict:
    """The challenge as input (what the edit form starts from and a PATCH is applied to)."""
    out = {k: getattr(ch, k) for k in ("title", "problem", "indicators", "industry", "city", "ip_terms", "anonymous")}
    out.update(bounty=None if ch.bounty is None else str(ch.bounty),
               enterprise_funding=None if ch.enterprise_funding is None else str(ch.enterprise_funding),
               fiscal_funding=None if ch.fiscal_funding is None else str(ch.fiscal_funding),
               deadline=ch.deadline.isoformat() if ch.deadline else None,
               company_org_id=ch.company_org_id if ch.kind == "government" else None,
               milestones=[{"name": m.name, "criteria": m.criteria, "share": str(m.share),
                            "due_on": m.due_on.isoformat() if m.due_on else None} for m in ch.milestones],
               criteria=[{"name": c.name, "weight": c.weight, "description": c.description} for c in ch.criteria])
    return out


def _locked_values(ch, data: dict, schema_cls) -> tuple[dict, dict]:
    """(old, new) bounty, funding and deadline after applying `data`, validated and summed."""
    values = schema_cls().validate_dict(data)
    old = {"bounty": ch.bounty, "enterprise_funding": ch.enterprise_funding, "fiscal_funding": ch.fiscal_funding,
           "deadline": ch.deadline}
    new = dict(old)
    for key in LOCKED_KEYS:
        if key in data:
            value = values.get(key)
            if key == "deadline" and value is None:
                continue
            new[key] = None if value == "negotiable" else value
    if "bounty" in data and new["bounty"] is not None and not ({"enterprise_funding", "fiscal_funding"} & set(data)):
        # Only the bounty given: the increase is the poster's own money (a company) or public money (a 政府榜).
        extra = new["bounty"] - (old["bounty"] or Decimal(0))
        key = "enterprise_funding" if ch.kind == "company" else "fiscal_funding"
        new[key] = (old[key] or Decimal(0)) + extra if old["bounty"] is not None else new["bounty"]
        other = "fiscal_funding" if key == "enterprise_funding" else "enterprise_funding"
        if old["bounty"] is None:
            new[other] = Decimal("0.00")
    if new["bounty"] is None:
        new["enterprise_funding"] = new["fiscal_funding"] = None
    try:
        calc.check_funding(new["bounty"], new["enterprise_funding"], new["fiscal_funding"])
    except calc.CalcError as exc:
        raise _invalid(exc) from None
    return old, new


def _raise_bounty(actor, ch, data: dict) -> Challenge:
    extra = set(data) - LOCKED_KEYS
    if extra:
        raise Conflict("已发布的榜单只能提高悬赏金额或延长揭榜截止日期；其他内容在发布后不能修改",
                       {k: "发布后不能修改" for k in sorted(extra)[:10]})
    old, new = _locked_values(ch, data, RaiseSchema)
    if old["bounty"] is not None and (new["bounty"] is None or new["bounty"] < old["bounty"]):
        raise ValidationFailed(f"悬赏金额已锁定：发布后截止日前不能降低（现为{format_yuan(old['bounty'])}）；"
                               "如确需调整，须由管理员审定并说明理由", {"bounty": "不能低于已发布的悬赏金额"})
    if new["deadline"] < old["deadline"]:
        raise ValidationFailed(f"揭榜截止日期不能提前（现为{old['deadline']}）；如确需调整，须由管理员审定",
                               {"deadline": "不能早于已发布的截止日期"})
    for i, key in enumerate(("enterprise_funding", "fiscal_funding")):
        if old[key] is not None and new[key] is not None and new[key] < old[key]:
            raise ValidationFailed("已承诺的企业投入或财政资助不能减少", {key: "不能减少"})
    _set_locked(ch, new)
    record_audit(actor, ENTITY, ch.id, "update", details=_change(old, new))
    _tell_panel_and_applicants(ch, "揭榜挂帅：榜单悬赏或截止日期已调整",
                               f"“{ch.title}”：悬赏 {format_yuan(ch.bounty, ch.bounty is None)}，截止 {ch.deadline}。")
    return ch


def _change(old: dict, new: dict) -> dict:
    def show(v):
        return None if v is None else str(v)
    return {k: {"from": show(old[k]), "to": show(new[k])} for k in old if old[k] != new[k]}


def _set_locked(ch, new: dict) -> None:
    for key, value in new.items():
        setattr(ch, key, value)


def adjust(actor, ch: Challenge, data: dict, today: date | None = None) -> Challenge:
    """An administrator in scope decides to change a published (or closed) challenge's bounty, funding or deadline —
    lowering included. The reason and both values are written to the audit trail; applicants and the poster are
    told."""
    if not policy.can_review(actor, ch):
        if not policy.can_view(actor, ch):
            raise NotFound("没有找到该榜单")
        raise Forbidden("只有主管该榜单的管理员可以调整已发布榜单的悬赏或截止日期")
    if ch.status not in ("published", "closed"):
        raise Conflict(f"榜单当前为“{STATES[ch.status]}”，不能调整悬赏")
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为对象", {"_schema": "应为对象"})
    old, new = _locked_values(ch, data, AdjustSchema)
    reason = data["reason"].strip()
    if new == old:
        raise ValidationFailed("没有要调整的内容", {"bounty": "请填写新的悬赏金额或截止日期"})
    if new["deadline"] != old["deadline"] and new["deadline"] < (today or date.today()) and ch.status == "published":
        raise ValidationFailed("新的截止日期不能早于今天", {"deadline": "不能早于今天"})
    _set_locked(ch, new)
    record_audit(actor, ENTITY, ch.id, "bounty-override", reason=reason, details=_change(old, new))
    _tell_orgs([ch.owner_org_id], "揭榜挂帅：管理员调整了榜单",
               f"“{ch.title}”：悬赏 {format_yuan(ch.bounty, ch.bounty is None)}，截止 {ch.deadline}。理由：{reason}",
               _link(ch))
    _tell_panel_and_applicants(ch, "揭榜挂帅：管理员调整了榜单", f"“{ch.title}”的悬赏或截止日期已调整。理由：{reason}")
    return ch


def _tell_panel_and_applicants(ch, title, body):
    orgs = {a.org_id for a in ch_applications(ch) if a.status == "submitted"}
    _tell_orgs(orgs, title, body, _link(ch))


def ch_applications(ch) -> list[ChallengeApplication]:
    return db.session.scalars(select(ChallengeApplication).where(ChallengeApplication.challenge_id == ch.id)
                              .order_by(ChallengeApplication.id)).all()


# Workflow ----------------------------------------------------------------------------------------------------

def transition(actor, ch: Challenge, name: str, reason: str | None = None, today: date | None = None) -> Challenge:
    """One of SIMPLE_ACTIONS, with the checks that go beyond the state machine."""
    from ..core.errors import BadRequest
    if name not in SIMPLE_ACTIONS:
        raise BadRequest(f"不支持的操作：{name}")
    today = today or date.today()
    if name == "submit":
        _check_complete(actor, ch, today)
    if name == "close" and ch.status == "published" and today <= ch.deadline and FLOW.may(actor, ch, name):
        raise Conflict(f"揭榜截止日期（{ch.deadline}）未到，不能提前截止征集；如确需调整，须由管理员审定")
    if name == "review" and FLOW.may(actor, ch, name):
        if not any(a.status == "submitted" for a in ch_applications(ch)):
            raise Conflict("没有有效的揭榜方案，不能开始评审；可选择流榜")
        if not ch.panel:
            raise Conflict("请先由管理员邀请评审专家")
    if name == "start" and FLOW.may(actor, ch, name) and ch.contract_id is None:
        raise Conflict("尚未生成技术开发合同")
    if FLOW.may(actor, ch, name):
        _claim(ch, FLOW.transitions[name].sources)
    FLOW.fire(actor, ch, name, reason)
    if name == "submit":
        ch.submitted_at, ch.reject_reason = utcnow(), None
    elif name == "approve":
        ch.published_at = utcnow()
        _tell_orgs([ch.owner_org_id], "揭榜挂帅：榜单已审核通过并发布", f"“{ch.title}”已发布，揭榜截止 {ch.deadline}。",
                   _link(ch))
    elif name == "reject":
        ch.reject_reason = (reason or "").strip()
        _tell_orgs([ch.owner_org_id], "揭榜挂帅：榜单被驳回", f"“{ch.title}”被驳回：{ch.reject_reason}", _link(ch))
    elif name == "revoke":
        _tell_orgs([ch.owner_org_id], "揭榜挂帅：管理员撤榜", f"“{ch.title}”已由管理员撤榜：{reason}", _link(ch))
        _tell_panel_and_applicants(ch, "揭榜挂帅：榜单已撤榜", f"“{ch.title}”已由管理员撤榜：{reason}")
    elif name == "review":
        for m in ch.panel:
            _tell(m.user, "揭榜挂帅：请评审揭榜方案", f"“{ch.title}”已进入评审，请按评审指标为各揭榜方案打分。", _link(ch))
    elif name == "unaward":
        _decide(ch, None, reason)
    return ch


def _check_complete(actor, ch, today):
    if not (ch.owner_org and ch.owner_org.status == "approved"):
        raise Conflict("单位尚未通过实名审核，审核通过后才能提交榜单")
    missing = {}
    if not ch.milestones:
        missing["milestones"] = "请设置里程碑及各自的验收标准和悬赏比例"
    if not ch.criteria:
        missing["criteria"] = "请设置随榜单公布的评审指标及权重"
    if ch.deadline is None or ch.deadline <= today:
        missing["deadline"] = "揭榜截止日期应晚于今天"
    if ch.kind == "government" and ch.company_org_id is None:
        missing["company_org_id"] = "政府榜请指定出题企业（技术开发合同的委托方）"
    if missing:
        raise ValidationFailed("提交前请补全：" + "；".join(missing.values()), missing)


def close_due(today: date | None = None) -> int:
    """The system closes every published challenge past its deadline (daily, `flask challenges close-due`)."""
    today = today or date.today()
    n = 0
    for ch in db.session.scalars(select(Challenge).where(Challenge.status == "published", Challenge.deadline < today)):
        FLOW.fire(None, ch, "close-due", system=True)
        _tell_orgs([ch.owner_org_id], "揭榜挂帅：榜单已截止征集",
                   f"“{ch.title}”已截止，共收到 {application_count(ch)} 份揭榜方案。", _link(ch))
        n += 1
    return n


# Panel -------------------------------------------------------------------------------------------------------

def invite(actor, ch: Challenge, data: dict) -> PanelMember:
    from ..accounts.models import User
    if not policy.can_review(actor, ch):
        if not policy.can_view(actor, ch):
            raise NotFound("没有找到该榜单")
        raise Forbidden("只有主管该榜单的管理员可以邀请评审专家")
    values = PanelInviteSchema().validate_dict(data or {})
    if ch.status not in ("published", "closed", "reviewing"):
        raise Conflict(f"榜单当前为“{STATES[ch.status]}”，不能邀请评审专家")
    if values.get("user_id"):
        user = db.session.get(User, values["user_id"])
    else:
        user = db.session.scalar(select(User).where(func.lower(User.email) == values["email"].lower()))
    if user is None or not user.active:
        raise ValidationFailed("没有找到该专家的账号", {"email": "请填写已注册用户的登录邮箱"})
    if user.org_id == ch.owner_org_id:
        raise ValidationFailed("发榜单位的人员不能担任评审专家", {"email": "与发榜单位存在利益关系"})
    if user.org_id is not None and db.session.scalar(select(ChallengeApplication.id).where(
            ChallengeApplication.challenge_id == ch.id, ChallengeApplication.org_id == user.org_id,
            ChallengeApplication.status != "withdrawn")) is not None:
        # The panel reads every plan: an expert from an applicant would read its rivals' plans.
        raise ValidationFailed("该专家所在单位已揭榜本榜单，存在利益冲突，不能担任评审专家", {"email": "所在单位已揭榜"})
    if any(m.user_id == user.id for m in ch.panel):
        raise Conflict(f"{user.name}已在评审专家组中")
    member = PanelMember(challenge_id=ch.id, user_id=user.id, invited_by_id=actor.id)
    member.user = user
    ch.panel.append(member)
    db.session.flush()
    record_audit(actor, ENTITY, ch.id, "panel-invite", details={"user": user.id, "name": user.name})
    _tell(user, "揭榜挂帅：邀请您担任评审专家", f"您受邀评审榜单“{ch.title}”。评审开始后请按评审指标打分。", _link(ch))
    return member


def remove_member(actor, ch: Challenge, member_id: int) -> None:
    if not policy.can_review(actor, ch):
        raise Forbidden("只有主管该榜单的管理员可以调整评审专家")
    member = next((m for m in ch.panel if m.id == member_id), None)
    if member is None:
        raise NotFound("没有找到该评审专家")
    scored = db.session.scalar(select(func.count(ChallengeScore.id)).join(ChallengeApplication).where(
        ChallengeApplication.challenge_id == ch.id, ChallengeScore.user_id == member.user_id))
    if scored or ch.status not in ("published", "closed", "reviewing"):
        raise Conflict("该专家已评分或评审已结束，不能移除")
    ch.panel.remove(member)
    record_audit(actor, ENTITY, ch.id, "panel-remove", details={"user": member.user_id})


# Applications ------------------------------------------------------------------------------------------------

def apply(actor, ch: Challenge, data: dict, today: date | None = None) -> ChallengeApplication:
    if not policy.may_apply(actor):
        raise Forbidden("只有高校院所和企业用户可以揭榜")
    values = ApplicationSchema().validate_dict(data or {})
    today = today or date.today()
    if ch.status != "published" or today > ch.deadline:
        raise Conflict("该榜单不在征集期内，不能揭榜")
    if actor.org_id == ch.owner_org_id:
        raise Conflict("发榜单位不能揭自己的榜")
    if actor.org.status != "approved":
        raise Conflict("单位尚未通过实名审核，审核通过后才能揭榜")
    if policy.is_panel(actor, ch) or any(m.user.org_id == actor.org_id for m in ch.panel):
        # A panel member reads every plan: its organisation would be reading its rivals' plans.
        raise Conflict("贵单位有人员担任本榜单的评审专家，存在利益冲突，不能揭榜")
    row = db.session.scalar(select(ChallengeApplication).where(ChallengeApplication.challenge_id == ch.id,
                                                               ChallengeApplication.org_id == actor.org_id))
    if row is not None and row.status != "withdrawn":
        raise Conflict("贵单位已提交揭榜方案")
    if row is None:
        row = ChallengeApplication(challenge_id=ch.id, org_id=actor.org_id)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.applicant_id, row.status = actor.id, "submitted"
    db.session.flush()
    record_audit(actor, "challenge-application", row.id, "apply", None, "submitted", details={"challenge": ch.id})
    _tell_orgs([ch.owner_org_id], "揭榜挂帅：收到新的揭榜方案",
               f"{actor.org.name}揭榜“{ch.title}”，预算 {format_yuan(row.budget)}。", _link(ch))
    return row


def withdraw_application(actor, row: ChallengeApplication) -> ChallengeApplication:
    if row.challenge.status != "published":
        raise Conflict("征集期已结束，揭榜方案不能撤回")
    APPLICATION_FLOW.fire(actor, row, "withdraw")
    return row


# Scores ------------------------------------------------------------------------------------------------------

def save_scores(actor, row: ChallengeApplication, data: dict) -> list[ChallengeScore]:
    """A panel member's scores of one application, one per criterion of the rubric (replacing earlier ones while
    the review runs)."""
    ch = row.challenge
    if not policy.is_panel(actor, ch):
        raise Forbidden("只有该榜单的评审专家可以评分")
    if policy.conflicted(actor, row):
        raise Forbidden("评审专家不能评审本单位的揭榜方案（利益冲突回避）")
    values = ScoresSchema().validate_dict(data or {})
    if ch.status != "reviewing":
        raise Conflict("榜单不在评审中，不能评分")
    if row.status != "submitted":
        raise Conflict("该揭榜方案已撤回，无需评分")
    given = {s["criterion_id"]: s for s in values["scores"]}
    wanted = {c.id: c for c in ch.criteria}
    if len(given) != len(values["scores"]) or set(given) != set(wanted):
        raise ValidationFailed("请为每项评审指标各打一个分（0–100）", {"scores": "应覆盖全部评审指标，且每项一次"})
    existing = {s.criterion_id: s for s in db.session.scalars(select(ChallengeScore).where(
        ChallengeScore.application_id == row.id, ChallengeScore.user_id == actor.id))}
    out = []
    for cid, s in given.items():
        score = existing.get(cid) or ChallengeScore(application_id=row.id, user_id=actor.id, criterion_id=cid)
        score.score, score.comment = s["score"], s.get("comment")
        score.criterion = wanted[cid]
        db.session.add(score)
        out.append(score)
    db.session.flush()
    total = calc.weighted({cid: s["score"] for cid, s in given.items()}, {c.id: c.weight for c in ch.criteria})
    record_audit(actor, "challenge-application", row.id, "score", details={"total": str(total)})
    return out


def _sheets(row: ChallengeApplication) -> dict:
    """{user id: {criterion id: ChallengeScore}} of an application."""
    out: dict = {}
    for s in db.session.scalars(select(ChallengeScore).where(ChallengeScore.application_id == row.id)
                                .order_by(ChallengeScore.id)):
        out.setdefault(s.user_id, {})[s.criterion_id] = s
    return out


def panel_total(row: ChallengeApplication) -> Decimal | None:
    """The panel's weighted score of an application: mean over the members who scored every criterion."""
    weights = {c.id: c.weight for c in row.challenge.criteria}
    totals = [calc.weighted({k: v.score for k, v in sheet.items()}, weights)
              for sheet in _sheets(row).values() if set(sheet) == set(weights)]
    return calc.average(totals)


def score_sheets(actor, row: ChallengeApplication) -> list[dict]:
    """The scores the actor may see: every sheet for the managers and administrators (named); one's own for a panel
    member; for the applicant every sheet once the challenge is decided, the members shown as 专家1, 专家2…"""
    ch = row.challenge
    sheets = _sheets(row)
    weights = {c.id: c.weight for c in ch.criteria}
    if policy.can_follow(actor, ch):
        shown = sheets
        named = True
    elif policy.is_panel(actor, ch):
        shown = {k: v for k, v in sheets.items() if k == actor.id}
        named = True
    elif policy.is_applicant(actor, row):
        if not policy.scores_visible_to_applicant(row):
            return []
        shown, named = sheets, False
    else:
        return []
    from ..accounts.models import User
    names = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(list(shown) or [0])))}
    out = []
    for i, (uid, sheet) in enumerate(sorted(shown.items())):
        total = calc.weighted({k: v.score for k, v in sheet.items()}, weights) if set(sheet) == set(weights) else None
        out.append({"member": names.get(uid, "评审专家") if named else f"评审专家{i + 1}", "total": total,
                    "scores": [{"criterion_id": c.id, "criterion": c.name, "weight": c.weight,
                                "score": sheet[c.id].score, "comment": sheet[c.id].comment}
                               for c in ch.criteria if c.id in sheet]})
    return out


def review_progress(ch: Challenge) -> dict:
    """Which (member, application) pairs still lack a complete score sheet; conflicted pairs do not count."""
    apps = [a for a in ch_applications(ch) if a.status == "submitted"]
    weights = {c.id for c in ch.criteria}
    missing = []
    for a in apps:
        sheets = _sheets(a)
        for m in ch.panel:
            if m.user.org_id == a.org_id:
                continue
            if set(sheets.get(m.user_id, {})) != weights:
                missing.append((m.user_id, m.user.name, a.org.name))
    return {"applications": len(apps), "members": len(ch.panel), "missing": missing}


# Award, contract, acceptance --------------------------------------------------------------------------------

def _decide(ch, winner: ChallengeApplication | None, note: str | None) -> None:
    ch.decided_at = utcnow()
    for a in ch_applications(ch):
        if a.status != "submitted":
            continue
        a.total_score = panel_total(a)
        won = winner is not None and a.id == winner.id
        APPLICATION_FLOW.fire(None, a, "win" if won else "lose", note, system=True)
        if won:
            _tell_orgs([a.org_id], "揭榜挂帅：揭榜成功", f"贵单位的方案被确定为“{ch.title}”的揭榜方，请查看技术开发合同草稿。",
                       _link(ch))
        else:
            _tell_orgs([a.org_id], "揭榜挂帅：评审结果", f"“{ch.title}”的评审已结束，贵单位的方案未入选。可查看评分和专家意见。",
                       _link(ch))


def award(actor, ch: Challenge, data: dict, today: date | None = None):
    """The manager picks the winning application once every panel member has scored every application; a 技术开发
    contract draft (the winner as the developer, the posting or named company as the client) is made through the
    contracts package, with the challenge's milestones as its payment milestones."""
    values = AwardSchema().validate_dict(data or {})
    if not FLOW.may(actor, ch, "award"):
        FLOW.fire(actor, ch, "award")  # raises the right refusal (404, 403 or 409)
    winner = next((a for a in ch_applications(ch) if a.id == values["application_id"] and a.status == "submitted"),
                  None)
    if winner is None:
        raise ValidationFailed("请选择本榜单一份有效的揭榜方案", {"application_id": "不是本榜单的有效揭榜方案"})
    progress = review_progress(ch)
    if progress["missing"]:
        _, who, what = progress["missing"][0]
        raise Conflict(f"评审尚未完成：{who}还没有为{what}的方案评分（共{len(progress['missing'])}处）")
    amount = values.get("amount")
    amount = ch.bounty if amount in (None, "negotiable") else amount
    if amount is None or amount <= 0:
        raise ValidationFailed("悬赏金额为面议，请填写商定的合同金额", {"amount": "请填写合同金额（元）"})
    if ch.bounty is not None and amount < ch.bounty:
        raise ValidationFailed("合同金额不能低于已公布的悬赏金额", {"amount": f"不能低于 {ch.bounty} 元"})
    _claim(ch, ("reviewing",))
    contract = _contract_draft(actor, ch, winner, amount, values.get("signed_on") or today or date.today())
    FLOW.fire(actor, ch, "award", values.get("note"), details={"application": winner.id, "contract": contract.id,
                                                                "amount": str(amount)})
    ch.awarded_application_id, ch.contract_id = winner.id, contract.id
    _decide(ch, winner, values.get("note"))
    return contract


def _contract_draft(actor, ch, winner, amount, signed_on):
    from ..contracts import services as contracts
    buyer_id = ch.company_org_id or (ch.owner_org_id if ch.kind == "company" else None)
    if buyer_id is None:
        raise ValidationFailed("政府榜须指定出题企业（技术开发合同的委托方）后才能确定揭榜方", {"company_org_id": "请指定出题企业"})
    amounts = calc.milestone_amounts(amount, [Decimal(m.share) for m in ch.milestones])
    payload = {"kind": "技术开发", "title": f"{ch.title}技术开发合同（揭榜挂帅{ch.ref}）"[:200],
               "seller_org_id": winner.org_id, "buyer_org_id": buyer_id, "amount": str(amount),
               "signed_on": signed_on.isoformat(), "city": ch.city, "industry": ch.industry,
               "terms": {"kind": "zero_threshold", "note": f"揭榜挂帅榜单{ch.ref}：按里程碑验收付款",
                         "milestones": [{"name": m.name, "trigger": (m.criteria or "")[:200], "amount": str(a),
                                         **({"due_on": m.due_on.isoformat()} if m.due_on else {})}
                                        for m, a in zip(ch.milestones, amounts)]}}
    # The contract is entered by a party: the awarding company; on a 政府榜 (awarded by an administrator, who is not
    # a party) the winning team's applicant, who drafts the development contract it will perform.
    author = actor if policy.active(actor) and actor.org_id in (buyer_id, winner.org_id) else winner.applicant
    if ch.demand is not None and ch.demand.owner_org_id == buyer_id and perm.can_view(author, ch.demand):
        payload["demand_id"] = ch.demand_id
    return contracts.create(author, payload)


def _signed_on(ch) -> date | None:
    """The day the work could start: the development contract's signing date (given at the award), else the award."""
    from ..contracts.models import Contract
    contract = db.session.get(Contract, ch.contract_id) if ch.contract_id else None
    if contract is not None and contract.signed_on is not None:
        return contract.signed_on
    return ch.decided_at.date() if ch.decided_at else None


def accept_milestone(actor, ch: Challenge, milestone: ChallengeMilestone, data: dict,
                     today: date | None = None) -> ChallengeMilestone:
    if not policy.can_manage(actor, ch):
        if not policy.can_view(actor, ch):
            raise NotFound("没有找到该榜单")
        raise Forbidden("只有发榜方可以验收里程碑")
    values = MilestoneAcceptSchema().validate_dict(data or {})
    if ch.status != "in_progress":
        raise Conflict("榜单攻关中才能验收里程碑")
    if milestone.status == "accepted":
        raise Conflict("该里程碑已验收")
    if values["accepted_on"] > (today or date.today()):
        raise ValidationFailed("验收日期不能晚于今天", {"accepted_on": "日期在将来"})
    signed_on = _signed_on(ch)
    if signed_on is not None and values["accepted_on"] < signed_on:
        raise ValidationFailed(f"验收日期不能早于技术开发合同的签约日期（{signed_on}）", {"accepted_on": f"不能早于 {signed_on}"})
    # Compare-and-set: two acceptances of one milestone at the same moment, the second is told it is done.
    n = db.session.execute(sql_update(ChallengeMilestone).where(ChallengeMilestone.id == milestone.id,
                                                            ChallengeMilestone.status == "pending")
                           .values(status="pending").execution_options(synchronize_session=False)).rowcount
    if n != 1:
        raise Conflict("该里程碑已验收")
    milestone.status, milestone.accepted_on, milestone.evidence = "accepted", values["accepted_on"], values["evidence"]
    milestone.accepted_by_id = actor.id
    record_audit(actor, ENTITY, ch.id, "milestone-accept", details={"milestone": milestone.id, "name": milestone.name,
                                                                    "accepted_on": str(milestone.accepted_on)})
    winner = db.session.get(ChallengeApplication, ch.awarded_application_id)
    if winner is not None:
        _tell_orgs([winner.org_id], "揭榜挂帅：里程碑已验收",
                   f"“{ch.title}”的里程碑“{milestone.name}”已于{milestone.accepted_on}验收。", _link(ch))
    return milestone


def finish(actor, ch: Challenge, data: dict) -> Challenge:
    """The final acceptance (验收) with its rating: 优秀/良好/合格 → accepted (every milestone accepted first),
    不合格 → failed. Announced through core.signals.challenge_accepted for the statistics."""
    values = FinishSchema().validate_dict(data or {})
    rating, note = values["rating"], values.get("note")
    name = "fail" if rating == "不合格" else "accept"
    if name == "accept" and FLOW.may(actor, ch, name):
        pending = [m.name for m in ch.milestones if m.status != "accepted"]
        if pending:
            raise Conflict("还有里程碑未验收：" + "、".join(pending))
    if FLOW.may(actor, ch, name):
        _claim(ch, ("in_progress",))
    FLOW.fire(actor, ch, name, note, details={"rating": rating})
    ch.rating, ch.rating_note, ch.rated_at = rating, note, utcnow()
    winner = db.session.get(ChallengeApplication, ch.awarded_application_id)
    if winner is not None:
        _tell_orgs([winner.org_id], f"揭榜挂帅：项目验收结果为“{rating}”", f"“{ch.title}”验收评价：{rating}。{note or ''}",
                   _link(ch))
    challenge_accepted.send(ch, rating=rating, org_id=winner.org_id if winner else None, actor=actor)
    return ch


# From a demand -----------------------------------------------------------------------------------------------

def from_demand(actor, demand) -> Challenge:
    """A draft challenge prefilled from a company's demand that the matcher could not answer (its next step
    揭榜挂帅): title, problem, indicators, industry, city and budget → bounty. Only the demand's company does it."""
    if not (policy.active(actor) and actor.role == "company" and actor.org_id == demand.owner_org_id):
        raise Forbidden("只有需求所属企业可以将需求发布为揭榜挂帅榜单")
    existing = db.session.scalar(select(Challenge).where(Challenge.demand_id == demand.id,
                                                         Challenge.status.not_in(("withdrawn",))))
    if existing is not None:
        raise Conflict(f"该需求已生成榜单 {existing.ref}")
    today = date.today()
    deadline = demand.deadline if demand.deadline and demand.deadline > today else date.fromordinal(
        today.toordinal() + 60)
    title = demand.title if len(demand.title) >= 4 else f"{demand.title}技术攻关"
    problem = demand.description if len(demand.description or "") >= 10 else f"{demand.description or ''}（需求详情见需求库）"
    data = {"title": f"{title}"[:200], "problem": problem[:5000], "indicators": (demand.indicators or None) and
            demand.indicators[:2000], "industry": demand.industry, "city": demand.city,
            "bounty": None if demand.budget is None or demand.budget_negotiable else str(demand.budget),
            "deadline": deadline.isoformat(), "anonymous": False}
    ch = create(actor, data, demand=demand)
    try:
        from ..matching import push
        if push.can_choose_next_step(actor, demand):
            push.choose_next_step(actor, demand, "challenge")
    except Exception:  # noqa: BLE001 - the next-step record is a courtesy; the draft stands without it
        pass
    return ch


# Statistics --------------------------------------------------------------------------------------------------

def stats(year: int | None = None, city: str | None = None) -> dict:
    """Per year (of publication) and city: challenges posted, bounty offered (面议 not counted), applications
    received (withdrawn ones not counted), challenges solved (accepted)."""
    stmt = select(Challenge).where(Challenge.status.in_(PUBLIC_STATES), Challenge.published_at.is_not(None))
    if city:
        stmt = stmt.where(Challenge.city == city)
    rows: dict = {}
    apps = dict(db.session.execute(select(ChallengeApplication.challenge_id, func.count(ChallengeApplication.id))
                                   .where(ChallengeApplication.status != "withdrawn")
                                   .group_by(ChallengeApplication.challenge_id)).all())
    for ch in db.session.scalars(stmt):
        y = ch.published_at.year
        if year and y != year:
            continue
        r = rows.setdefault((y, ch.city), {"year": y, "city": ch.city, "posted": 0, "bounty": Decimal("0.00"),
                                           "applications": 0, "solved": 0})
        r["posted"] += 1
        r["bounty"] += ch.bounty or 0
        r["applications"] += apps.get(ch.id, 0)
        r["solved"] += ch.status == "accepted"
    ordered = [rows[k] for k in sorted(rows, key=lambda k: (-k[0], k[1]))]
    total = {key: sum((r[key] for r in ordered), Decimal("0.00") if key == "bounty" else 0)
             for key in ("posted", "bounty", "applications", "solved")}
    return {"rows": ordered, "total": total}


def workbench_counts(actor) -> dict:
    """Figures for the workbench provider (receivers.py)."""
    out = {}
    if perm.is_authenticated(actor):
        # The four counts in one statement (scalar subqueries): one round trip instead of four.
        counts = {
            "drafts": select(func.count(Challenge.id)).where(
                Challenge.owner_org_id == actor.org_id, Challenge.status.in_(EDITABLE_STATES)),
            "to_read": select(func.count(ChallengeApplication.id)).join(Challenge).where(
                Challenge.owner_org_id == actor.org_id, Challenge.status.in_(("closed", "reviewing")),
                ChallengeApplication.status == "submitted"),
            "mine_open": select(func.count(ChallengeApplication.id)).where(
                ChallengeApplication.org_id == actor.org_id, ChallengeApplication.status == "submitted"),
            "mine_decided": select(func.count(ChallengeApplication.id)).where(
                ChallengeApplication.org_id == actor.org_id,
                ChallengeApplication.status.in_(("awarded", "not_awarded"))),
        }
        row = db.session.execute(select(*(q.scalar_subquery() for q in counts.values()))).one()
        out.update(zip(counts, row))
        reviewing = db.session.scalars(select(Challenge).where(Challenge.status == "reviewing",
                                                               policy.panel_condition(actor, Challenge))).all()
        out["to_score"] = sum(1 for ch in reviewing for uid, _, _ in review_progress(ch)["missing"]
                              if uid == actor.id)
        out["to_review"] = db.session.scalar(select(func.count(Challenge.id)).where(
            policy.review_condition(actor, Challenge))) if perm.is_admin(actor) else 0
    return out


def url(ch) -> str:
    return url_for("challenges.detail", challenge_id=ch.id)
