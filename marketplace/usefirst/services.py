"""先用后转: the scan, the institution's decision, the public listing, applications, trials and their end.

Eligibility on a scan date D (domain brief; policy 000 (九)):
  - funded by fiscal money (funding_source 财政资金) and applied technology (category 应用技术);
  - its IP obtained three full years before D: the earliest grant date of its IP items is on or before the
    same day three years earlier (money.years_before: on 29 February that day is 28 February), so an IP
    granted on 2020-02-29 is eligible from 2023-03-01 and one granted on 2021-06-15 from 2024-06-15;
  - not put to use by D: no own implementation record (implemented_on on or before D) and no registered
    技术转让 contract (assignment or licence) for it signed on or before D;
  - published: reviewed by an administrator and not withdrawn since (a draft never reaches the public list).

Who may see and do what: permissions.py.
"""
from datetime import date, timedelta

from flask import current_app
from marshmallow import fields, validate
from sqlalchemy import and_, exists, func, select

from ..achievements.models import Achievement, AchievementIP
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.workflow import Transition, Workflow
from ..core.schema import Bool, InputSchema, LenientDate, Money, Text
from ..extensions import db
from ..contracts.models import Contract
from ..contracts import money
from . import permissions as policy
from .schemas import ItemOut, TrialOut
from .models import (APPLICATION_STATUSES, ITEM_STATUSES, JUSTIFIED_REASONS, TRIAL_STATUSES, Trial, TrialApplication,
                     UseFirstItem)


def _granted_subquery():
    return (select(AchievementIP.achievement_id, func.min(AchievementIP.granted_on).label("granted_on"))
            .where(AchievementIP.granted_on.is_not(None)).group_by(AchievementIP.achievement_id).subquery())


def eligible(as_of: date):
    """[(achievement, first grant date)] eligible on `as_of`, by institution then ref."""
    granted = _granted_subquery()
    cutoff = money.years_before(as_of, 3)
    used = exists().where(and_(Contract.achievement_id == Achievement.id, Contract.kind == "技术转让",
                               Contract.status == "registered", Contract.signed_on <= as_of))
    q = (select(Achievement, granted.c.granted_on).join(granted, granted.c.achievement_id == Achievement.id)
         .where(Achievement.status.in_(policy.PUBLISHED),
                Achievement.funding_source == "财政资金", Achievement.category == "应用技术",
                granted.c.granted_on <= cutoff,
                (Achievement.implemented_on.is_(None)) | (Achievement.implemented_on > as_of), ~used)
         .order_by(Achievement.owner_org_id, Achievement.ref, Achievement.id))
    return db.session.execute(q).all()


def scan(as_of: date, actor=None) -> dict:
    """Record every eligible achievement as a candidate of its institution (once); a candidate no longer
    eligible (its achievement withdrawn, put to use ...) becomes void. Idempotent: running it again on the same
    date changes nothing.

    The scan is province-wide: only a provincial administrator (or the system, `actor=None`) runs it; city and
    institution centres follow the candidates of their own scope in the decisions list. The answer lists only
    what the actor may see (for these callers: every candidate)."""
    if not policy.may_run_scan(actor):
        raise Forbidden("只有省级管理员可以运行全省先用后转扫描")
    found = eligible(as_of)
    ids = {a.id for a, _ in found}
    known = {i.achievement_id: i for i in UseFirstItem.query}
    new = 0
    for a, granted_on in found:
        item = known.get(a.id)
        if item is None:
            item = UseFirstItem(achievement_id=a.id, org_id=a.owner_org_id, status="candidate",
                                ip_granted_on=granted_on, found_on=as_of,
                                trial_months=current_app.config.get("USEFIRST_TRIAL_MONTHS", 12))
            db.session.add(item)
            db.session.flush()
            record_audit(actor, "usefirst", item.id, "found", None, "candidate",
                         details={"as_of": as_of.isoformat(), "ip_granted_on": granted_on.isoformat()})
            new += 1
        elif item.status == "void":
            record_audit(actor, "usefirst", item.id, "found", "void", "candidate", details={"as_of": as_of.isoformat()})
            item.status = "candidate"
    voided = 0
    for achievement_id, item in known.items():
        if item.status == "candidate" and achievement_id not in ids:
            record_audit(actor, "usefirst", item.id, "void", "candidate", "void", details={"as_of": as_of.isoformat()})
            item.status = "void"
            voided += 1
    items = [{"ref": a.ref or f"#{a.id}", "title": a.title, "institution": a.owner_org.name,
              "ip_granted_on": granted_on.isoformat()} for a, granted_on in found
             if actor is None or perm.in_admin_scope(actor, a.owner_org)]
    return {"as_of": as_of.isoformat(), "candidates": items, "new": new, "voided": voided}


# Decisions -----------------------------------------------------------------------------------------------

def get_item(actor, item_id) -> UseFirstItem:
    item = db.session.get(UseFirstItem, item_id) if isinstance(item_id, int) else None
    if item is None or not policy.can_view_item(actor, item):
        raise NotFound("没有找到该先用后转项目")
    return item


can_view_item = policy.can_view_item
can_follow_item = policy.can_follow_item


def visible_applications(actor, item) -> list[TrialApplication]:
    """The item's applications the actor may see: all of them for its institution and administrators in scope,
    a company's own otherwise, none for anonymous visitors."""
    stmt = select(TrialApplication).where(TrialApplication.item_id == item.id).order_by(TrialApplication.id)
    if not policy.can_follow_item(actor, item):
        if not perm.is_authenticated(actor):
            return []
        stmt = stmt.where(TrialApplication.company_org_id == actor.org_id)
    return db.session.scalars(stmt).all()


def _institution_may(actor, item) -> bool:
    return perm.is_authenticated(actor) and actor.org_id == item.org_id and actor.role == "institution" \
        and actor.active


def _admin_in_scope(actor, item) -> bool:
    return perm.in_admin_scope(actor, item.org)


# The three state machines of 先用后转 (core.workflow): an item (scan → institution's decision → admins'
# challenge; closed by a registered licence), a company's application, and the trial that follows.
ITEM_FLOW = Workflow.of("usefirst", [
    Transition("confirm", frozenset({"candidate"}), "listed", "列入先用后转清单", "institution"),
    Transition("keep-off", frozenset({"candidate"}), "kept_off", "说明不列入的理由", "institution", needs_reason=True),
    Transition("challenge", frozenset({"kept_off"}), "candidate", "质询不列入理由", "admin", needs_reason=True,
               min_reason=4),
    Transition("close", frozenset({"candidate", "listed"}), "closed", "转化完成", "system"),
], {"institution": _institution_may, "admin": _admin_in_scope}, state_labels=ITEM_STATUSES)
APPLICATION_FLOW = Workflow.of("usefirst-application", [
    Transition("accept", frozenset({"applied"}), "accepted", "接受试用申请", "institution"),
    Transition("decline", frozenset({"applied"}), "declined", "不接受试用申请", "institution", needs_reason=True),
    Transition("decline-exclusive", frozenset({"applied"}), "declined", "独占试用已给其他企业", "system"),
], {"institution": lambda a, row: _institution_may(a, row.item)}, state_labels=APPLICATION_STATUSES)
TRIAL_FLOW = Workflow.of("usefirst-trial", [
    Transition("convert", frozenset({"active"}), "converted", "转为正式合同", "institution"),
    Transition("terminate", frozenset({"active"}), "terminated", "终止试用", "party", needs_reason=True, min_reason=4),
], {"institution": lambda a, t: _institution_may(a, t.item),
    "party": lambda a, t: policy.member_of(a, t.company_org_id, t.item.org_id)}, state_labels=TRIAL_STATUSES)


def _institution(actor, item, what):
    if not (perm.is_authenticated(actor) and actor.org_id == item.org_id and actor.role == "institution"
            and actor.active):
        raise Forbidden(f"只有成果所属单位可以{what}")


class ConfirmSchema(InputSchema):
    LABELS = {"publicity_days": "公示期", "trial_months": "试用期", "exclusive": "独占", "terms": "许可条款"}
    publicity_days = fields.Integer(validate=validate.Range(1, 90, error="应为 1–90 天"), allow_none=True)
    trial_months = fields.Integer(validate=validate.Range(1, 60, error="应为 1–60 个月"), allow_none=True)
    exclusive = Bool(load_default=False)
    terms = fields.Dict(allow_none=True)


class KeepOffSchema(InputSchema):
    LABELS = {"reason": "正当理由", "evidence": "证明材料"}
    reason = Text(40, required=True, choices=JUSTIFIED_REASONS)
    evidence = Text(2000, lo=10, required=True)


def confirm(actor, item, data: dict, today: date | None = None) -> UseFirstItem:
    """List the item publicly (挂牌) with a publicity period (公示期) and, optionally, standard terms."""
    from ..contracts.services import build_terms
    _institution(actor, item, "确认列入先用后转清单")
    values = ConfirmSchema().validate_dict(data or {})
    if item.status not in ("candidate",):
        raise Conflict("只有待确认的项目可以列入清单")
    if not policy.achievement_is_public(item):
        raise Conflict("该成果未发布（尚未通过审核或已撤回），发布后才能列入先用后转清单")
    today = today or date.today()
    days = values.get("publicity_days") or current_app.config.get("USEFIRST_PUBLICITY_DAYS", 15)
    ITEM_FLOW.fire(actor, item, "confirm", details={"publicity_days": days, "exclusive": values["exclusive"]})
    item.listed_on, item.publicity_ends_on = today, today + timedelta(days=days)
    item.exclusive = values["exclusive"]
    item.trial_months = values.get("trial_months") or item.trial_months
    if values.get("terms"):
        item.terms = build_terms(item.org_id, values["terms"])
    item.reason = item.evidence = None
    item.decided_by_id, item.decided_at = actor.id, utcnow()
    return item


def keep_off(actor, item, data: dict) -> UseFirstItem:
    _institution(actor, item, "说明不列入的正当理由")
    values = KeepOffSchema().validate_dict(data or {})
    if item.status != "candidate":
        raise Conflict("只有待确认的项目可以说明不列入的理由")
    ITEM_FLOW.fire(actor, item, "keep-off", values["reason"], details={"evidence": values["evidence"]})
    item.reason, item.evidence = values["reason"], values["evidence"]
    item.decided_by_id, item.decided_at = actor.id, utcnow()
    return item


def challenge(actor, item, note: str | None) -> UseFirstItem:
    """An administrator in scope does not accept the reason: the item goes back to the institution."""
    if not perm.in_admin_scope(actor, item.org):
        raise Forbidden("只有主管该单位的管理员可以质询")
    if item.status != "kept_off":
        raise Conflict("只能质询“不列入”的理由")
    note = (note or "").strip()
    if len(note) < 4:
        raise ValidationFailed("请写明质询意见", {"note": "必填，至少 4 个字"})
    ITEM_FLOW.fire(actor, item, "challenge", note)
    item.challenge, item.challenged_by_id, item.challenged_at = note, actor.id, utcnow()
    from ..notifications.service import tell_orgs
    tell_orgs([item.org_id], "usefirst", "先用后转：管理员质询了不列入理由", f"成果“{item.achievement.title}”：{note}",
              f"/usefirst/{item.id}", role="institution")
    return item


def listing_query(industry=None, org_id=None, city=None, q=None, stage=None, today: date | None = None):
    from ..accounts.models import Organisation
    today = today or date.today()
    stmt = (select(UseFirstItem).join(Achievement, Achievement.id == UseFirstItem.achievement_id)
            .join(Organisation, Organisation.id == UseFirstItem.org_id)
            .where(UseFirstItem.status == "listed", Achievement.status.in_(policy.PUBLISHED)))
    if industry:
        stmt = stmt.where(Achievement.industry == industry)
    if org_id:
        stmt = stmt.where(UseFirstItem.org_id == org_id)
    if city:
        stmt = stmt.where(Organisation.city == city)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Achievement.title.like(like) | Achievement.keywords.like(like) | Achievement.summary.like(like))
    if stage == "publicity":
        stmt = stmt.where(UseFirstItem.publicity_ends_on >= today)
    elif stage == "open":
        stmt = stmt.where(UseFirstItem.publicity_ends_on < today)
    return stmt.order_by(UseFirstItem.listed_on.desc(), UseFirstItem.id.desc())


def item_dict(item, today: date | None = None) -> dict:
    return ItemOut(today=today).dump(item)


# Applications and trials ---------------------------------------------------------------------------------

class ApplySchema(InputSchema):
    LABELS = {"plan": "实施计划"}
    plan = Text(2000, lo=10, required=True)


class AcceptSchema(InputSchema):
    LABELS = {"starts_on": "试用开始日", "months": "试用期（月）", "trial_fee": "试用期费用", "after_terms": "试用期满后的条件",
              "exclusive": "独占"}
    starts_on = LenientDate(required=True)
    months = fields.Integer(validate=validate.Range(1, 60, error="应为 1–60 个月"), allow_none=True)
    trial_fee = Money(unit="yuan")
    after_terms = Text(2000, lo=4, required=True)
    exclusive = Bool(allow_none=True)
    note = Text(500, allow_none=True)


def apply(actor, item, data: dict) -> TrialApplication:
    if not (perm.is_authenticated(actor) and actor.role == "company" and actor.active):
        raise Forbidden("只有企业用户可以申请先用后转")
    values = ApplySchema().validate_dict(data or {})
    if item.status != "listed":
        raise Conflict("该成果不在先用后转挂牌清单中")
    if _exclusive_taken(item):
        raise Conflict("该成果已由一家企业独占试用")
    if TrialApplication.query.filter_by(item_id=item.id, company_org_id=actor.org_id).first():
        raise Conflict("贵单位已申请过该成果")
    app_row = TrialApplication(item_id=item.id, company_org_id=actor.org_id, applicant_id=actor.id,
                               plan=values["plan"], status="applied")
    db.session.add(app_row)
    db.session.flush()
    record_audit(actor, "usefirst-application", app_row.id, "apply", None, "applied", details={"item": item.id})
    _notify_org(item.org_id, "先用后转：收到试用申请", f"{actor.org.name}申请试用“{item.achievement.title}”。",
                f"/usefirst/{item.id}")
    return app_row


def _exclusive_taken(item) -> bool:
    return db.session.scalar(select(func.count(Trial.id)).where(
        Trial.item_id == item.id, Trial.exclusive.is_(True), Trial.status.in_(("active", "converted")))) > 0


def get_application(actor, app_id) -> TrialApplication:
    row = db.session.get(TrialApplication, app_id) if isinstance(app_id, int) else None
    if row is None or not policy.can_view_application(actor, row):
        raise NotFound("没有找到该申请")
    return row


def accept(actor, application, data: dict) -> Trial:
    item = application.item
    _institution(actor, item, "接受试用申请")
    values = AcceptSchema().validate_dict(data or {})
    if application.status != "applied":
        raise Conflict("该申请已处理")
    exclusive = item.exclusive if values.get("exclusive") is None else values["exclusive"]
    running = Trial.query.filter(Trial.item_id == item.id, Trial.status == "active").count()
    if _exclusive_taken(item) or (exclusive and running):
        raise Conflict("独占试用只能给一家企业：已有企业在试用")
    fee = values.get("trial_fee")
    if fee == "negotiable" or (fee is not None and fee < 0):
        raise ValidationFailed("试用期费用应为不小于 0 的金额（通常为 0）", {"trial_fee": "请填写金额"})
    months = values.get("months") or item.trial_months
    starts = values["starts_on"]
    trial = Trial(application_id=application.id, item_id=item.id, company_org_id=application.company_org_id,
                  starts_on=starts, months=months, ends_on=money.add_months(starts, months) - timedelta(days=1),
                  trial_fee=fee or 0, exclusive=exclusive, after_terms=values["after_terms"], status="active")
    db.session.add(trial)
    APPLICATION_FLOW.fire(actor, application, "accept")
    application.decision_note = values.get("note")
    db.session.flush()
    record_audit(actor, "usefirst-trial", trial.id, "start", None, "active",
                 details={"starts_on": str(starts), "ends_on": str(trial.ends_on), "fee": str(trial.trial_fee),
                          "exclusive": exclusive})
    if exclusive:
        for other in TrialApplication.query.filter(TrialApplication.item_id == item.id,
                                                   TrialApplication.status == "applied"):
            APPLICATION_FLOW.fire(actor, other, "decline-exclusive", "成果已独占试用给其他企业", system=True)
            other.decision_note = "成果已独占试用给其他企业"
    _notify_org(application.company_org_id, "先用后转：试用申请已接受",
                f"“{item.achievement.title}”试用期{starts}至{trial.ends_on}。", f"/usefirst/trials/{trial.id}")
    return trial


def decline(actor, application, note: str | None) -> TrialApplication:
    _institution(actor, application.item, "处理试用申请")
    if application.status != "applied":
        raise Conflict("该申请已处理")
    if not (note or "").strip():
        raise ValidationFailed("请写明不接受的原因", {"note": "必填"})
    APPLICATION_FLOW.fire(actor, application, "decline", note)
    application.decision_note = note.strip()
    return application


def get_trial(actor, trial_id) -> Trial:
    trial = db.session.get(Trial, trial_id) if isinstance(trial_id, int) else None
    if trial is None or not policy.can_view_trial(actor, trial):
        raise NotFound("没有找到该试用协议")
    return trial


def convert(actor, trial, data: dict) -> "Contract":
    """The trial ends in a licence or assignment contract (技术转让) between the institution and the company."""
    from ..contracts import services as contracts
    _institution(actor, trial.item, "将试用转为正式合同")
    if trial.status != "active":
        raise Conflict("只有试用中的协议可以转化")
    a = trial.item.achievement
    payload = {"kind": "技术转让", "transfer_form": "许可", "title": f"{a.title}专利实施许可合同",
               "seller_org_id": trial.item.org_id, "buyer_org_id": trial.company_org_id, "industry": a.industry,
               "city": trial.company.city or trial.item.org.city, "achievement_id": a.id}
    payload.update({k: v for k, v in (data or {}).items() if v not in (None, "")})
    if payload.get("kind") != "技术转让":
        raise ValidationFailed("先用后转试用应转为技术转让（转让或许可）合同", {"kind": "应为技术转让"})
    if payload.get("seller_org_id") != trial.item.org_id or payload.get("buyer_org_id") != trial.company_org_id:
        raise ValidationFailed("合同双方应为成果单位和试用企业", {"buyer_org_id": "与试用协议不符"})
    if "terms" not in (data or {}) and trial.item.terms is not None:
        payload["terms"] = trial.item.terms
    terms = payload.pop("terms", None)
    c = contracts.create(actor, payload)
    if terms is not None:
        contracts.sync_schedule(c, contracts.build_terms(c.seller_org_id, terms))
    TRIAL_FLOW.fire(actor, trial, "convert", details={"contract": c.id})
    trial.contract_id = c.id
    return c


def terminate(actor, trial, reason: str | None) -> Trial:
    if not policy.member_of(actor, trial.company_org_id, trial.item.org_id):
        raise Forbidden("只有试用双方可以终止试用")
    if trial.status != "active":
        raise Conflict("只有试用中的协议可以终止")
    if len((reason or "").strip()) < 4:
        raise ValidationFailed("请写明终止原因", {"reason": "必填，至少 4 个字"})
    TRIAL_FLOW.fire(actor, trial, "terminate", reason)
    trial.end_reason = reason.strip()
    other = trial.item.org_id if actor.org_id == trial.company_org_id else trial.company_org_id
    _notify_org(other, "先用后转：试用已终止", f"“{trial.item.achievement.title}”的试用已终止：{reason}",
                f"/usefirst/trials/{trial.id}")
    return trial


def trial_dict(trial) -> dict:
    return TrialOut().dump(trial)


def _notify_org(org_id: int, title: str, body: str, link: str) -> None:
    from ..notifications.service import tell_orgs
    tell_orgs([org_id], "usefirst", title, body, link)


def remind_trials(today: date, days_before: int = 30) -> int:
    """Tell both sides once when an active trial ends within `days_before` days."""
    from ..contracts.models import Reminder
    done = {r.subject_id for r in Reminder.query.filter_by(subject="trial", stage="before")}
    sent = 0
    for trial in Trial.query.filter(Trial.status == "active", Trial.ends_on <= today + timedelta(days=days_before)):
        if trial.id in done:
            continue
        body = (f"“{trial.item.achievement.title}”的试用期将于{trial.ends_on}结束，请商定转为许可/转让合同或终止试用。"
                f"试用期满后的条件：{trial.after_terms}")
        for org_id in (trial.company_org_id, trial.item.org_id):
            _notify_org(org_id, "先用后转：试用期即将结束", body, f"/usefirst/trials/{trial.id}")
        db.session.add(Reminder(subject="trial", subject_id=trial.id, stage="before", sent_on=today))
        sent += 1
    return sent
