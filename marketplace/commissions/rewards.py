"""Government rewards for registered technology contracts (技术交易奖补), 免申即享: administrators enter the
rules as data; the site computes for a rule and its year who is eligible and how much, from the registered
contracts, the payments recorded and the invoices recorded on them, with the evidence; the administrator
reviews, publishes the list for a publicity period (公示), then marks each amount disbursed. Nobody applies.

Conditions, as the data allows them to be checked:
  - registered in the rule's year (registered_on), in the rule's city (the contract's city) if it names one, of
    the contract kinds it names;
  - "at least the first payment received": a payment (到账) recorded on the contract on or before the day of
    computation;
  - "invoice matching the contract number": an invoice recorded on one of its payments (PaymentInvoice) whose
    contract number equals the registration number.
Recipients: broker = the contract's broker; agency = that broker's agency; buyer = the buyer organisation;
platform = the centre that registered the contract (the platform's operator where it was registered).
"""
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import extract, select

from ..accounts.models import Organisation, User
from ..contracts.models import Contract
from ..contracts.numbering import as_typed
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit
from ..core.workflow import Transition, Workflow
from ..extensions import db
from . import calc
from . import permissions as policy
from .models import LIST_STATUSES, PaymentInvoice, RewardLine, RewardList, RewardRule
from .schemas import DisburseSchema, PublishSchema, ReasonSchema, RewardRuleSchema


def _tiers(values) -> list:
    return [{"upto": None if t.get("upto") in (None, "negotiable") else f"{t['upto']:.2f}",
             "rate": format(t["rate"], "f")} for t in values or []]


def _tier_objs(rule) -> tuple:
    return tuple(calc.Tier(None if t.get("upto") is None else Decimal(t["upto"]), Decimal(t["rate"]))
                 for t in (rule.tiers or []))


def _apply(rule: RewardRule, values: dict) -> None:
    for key in ("base", "annual_cap"):
        if values.get(key) == "negotiable":
            raise ValidationFailed("金额不能为面议", {key: "请填写金额"})
    for key in ("name", "year", "city", "recipient_kind", "method", "base", "permille", "annual_cap",
                "require_payment", "require_invoice", "contract_kinds", "note"):
        setattr(rule, key, values.get(key))
    rule.tiers = _tiers(values.get("tiers")) or None
    try:
        if rule.method == "tiered":
            calc.check_tiers(_tier_objs(rule))
        else:
            calc.reward_for_contract("base_permille", 0, base=rule.base or 0, permille=rule.permille or 0)
            if not rule.permille and not rule.base:
                raise calc.CalcError("请填写基数或千分比", "permille")
    except calc.CalcError as exc:
        raise ValidationFailed(str(exc), {exc.field or "_schema": str(exc)}) from None


def create_rule(actor, data: dict) -> RewardRule:
    values = RewardRuleSchema().validate_dict(data)
    if not policy.may_manage_region(actor, values.get("city")):
        raise Forbidden("奖补规则由省级中心或本市中心（限本市）录入")
    rule = RewardRule(centre_org_id=actor.org_id, created_by_id=actor.id)
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    record_audit(actor, "reward_rule", rule.id, "create", details=_rule_details(rule))
    return rule


def update_rule(actor, rule: RewardRule, data: dict) -> RewardRule:
    values = RewardRuleSchema().validate_dict(data)
    if not (policy.can_manage_rule(actor, rule) and policy.may_manage_region(actor, values.get("city"))):
        raise Forbidden("无权修改该奖补规则")
    if RewardList.query.filter(RewardList.rule_id == rule.id, RewardList.status.in_(("publicity", "final"))).first():
        raise Conflict("该规则的名单已公示，规则不能再改")
    _apply(rule, values)
    record_audit(actor, "reward_rule", rule.id, "update", details=_rule_details(rule))
    return rule


def _rule_details(rule) -> dict:
    return {"year": rule.year, "city": rule.city, "recipient": rule.recipient_kind, "method": rule.method,
            "tiers": rule.tiers, "base": None if rule.base is None else str(rule.base),
            "permille": None if rule.permille is None else str(rule.permille),
            "annual_cap": None if rule.annual_cap is None else str(rule.annual_cap)}


def get_rule(actor, rule_id) -> RewardRule:
    rule = None
    if isinstance(rule_id, int):
        rule = db.session.scalars(select(RewardRule).where(RewardRule.id == rule_id,
                                                           policy.rule_condition(actor))).first()
    if rule is None:
        raise NotFound("没有找到该奖补规则")
    return rule


def rules(actor):
    return select(RewardRule).where(policy.rule_condition(actor)).order_by(RewardRule.year.desc(), RewardRule.id.desc())


# Computation ---------------------------------------------------------------------------------------------

def _recipient(rule, c: Contract):
    """(key, user id, org id, name) of who receives the reward for `c`, or None."""
    from .services import agency_of
    if rule.recipient_kind == "broker":
        u = c.broker
        return (f"user:{u.id}", u.id, None, u.name) if u else None
    if rule.recipient_kind == "agency":
        org = agency_of(c.broker) if c.broker else None
        return (f"org:{org.id}", None, org.id, org.name) if org else None
    if rule.recipient_kind == "buyer":
        return (f"org:{c.buyer_org_id}", None, c.buyer_org_id, c.buyer.name)
    org = db.session.get(Organisation, c.registrar_org_id) if c.registrar_org_id else None
    return (f"org:{org.id}", None, org.id, org.name) if org else None


def evaluate(rule: RewardRule, today: date) -> tuple[list[dict], list[dict]]:
    """(eligible lines, contracts left out with the reason) for the rule's year, as of `today`."""
    q = Contract.query.filter(Contract.status == "registered", extract("year", Contract.registered_on) == rule.year)
    if rule.city:
        q = q.filter(Contract.city == rule.city)
    if rule.contract_kinds:
        q = q.filter(Contract.kind.in_(rule.contract_kinds))
    groups, left_out = defaultdict(list), []
    for c in q.order_by(Contract.registered_on, Contract.id).all():
        payments = [p for p in c.payments if p.received_on <= today]
        first = min(payments, key=lambda p: (p.received_on, p.id)) if payments else None
        invoices = PaymentInvoice.query.filter_by(contract_id=c.id).order_by(PaymentInvoice.id).all()
        matching = next((i for i in invoices if as_typed(i.contract_no) == (c.registration_no or "")), None)
        ev = {"contract_id": c.id, "title": c.title, "registration_no": c.registration_no,
              "registered_on": c.registered_on.isoformat(), "amount": f"{calc.fen(c.amount):.2f}",
              "first_payment": None if first is None else {"received_on": first.received_on.isoformat(),
                                                           "amount": f"{calc.fen(first.amount):.2f}"},
              "received": f"{calc.fen(sum((Decimal(p.amount) for p in payments), Decimal(0))):.2f}",
              "invoice_no": matching.invoice_no if matching else None}
        who = _recipient(rule, c)
        reason = None
        if who is None:
            reason = "没有奖补对象（合同无技术经纪人或登记机构）"
        elif rule.require_payment and first is None:
            reason = "尚未登记首笔到账"
        elif rule.require_invoice and matching is None:
            reason = "没有载明合同登记编号的发票"
        if reason:
            left_out.append({**ev, "reason": reason})
            continue
        ev["reward"] = f"{calc.reward_for_contract(rule.method, c.amount, _tier_objs(rule), rule.base or 0, rule.permille or 0):.2f}"
        groups[who].append(ev)
    lines = []
    for (key, user_id, org_id, name), evs in groups.items():
        computed = [Decimal(e["reward"]) for e in evs]
        capped = calc.apply_annual_cap(computed, rule.annual_cap)
        for e, amount in zip(evs, capped):
            e["granted"] = f"{amount:.2f}"
        lines.append({"recipient_user_id": user_id, "recipient_org_id": org_id, "recipient_name": name,
                      "contracts_amount": sum((Decimal(e["amount"]) for e in evs), Decimal(0)),
                      "computed": sum(computed, Decimal(0)), "amount": sum(capped, Decimal(0)),
                      "evidence": {"contracts": evs, "capped": sum(capped, Decimal(0)) != sum(computed, Decimal(0))}})
    lines.sort(key=lambda x: (-x["amount"], x["recipient_name"]))
    return lines, left_out


def compute(actor, rule: RewardRule, today: date | None = None) -> RewardList:
    """Compute (or recompute, while still under review) the rule's list."""
    if not policy.can_manage_rule(actor, rule):
        raise Forbidden("无权计算该奖补名单")
    today = today or date.today()
    current = RewardList.query.filter(RewardList.rule_id == rule.id, RewardList.status != "withdrawn").first()
    if current is not None and current.status != "draft":
        raise Conflict("该规则的名单已公示，不能重新计算；如需更正请先撤回")
    lines, left_out = evaluate(rule, today)
    lst = current or RewardList(rule_id=rule.id, status="draft")
    lst.rule = rule
    lst.computed_on = today
    lst.lines.clear()
    for line in lines:
        lst.lines.append(RewardLine(**line))
    lst.total = sum((x["amount"] for x in lines), Decimal(0))
    db.session.add(lst)
    db.session.flush()
    lst.left_out = left_out
    record_audit(actor, "reward_list", lst.id, "compute", None, "draft",
                 details={"recipients": len(lines), "total": f"{calc.fen(lst.total):.2f}",
                          "left_out": [{"contract_id": x["contract_id"], "reason": x["reason"]} for x in left_out]})
    return lst


def get_list(actor, list_id) -> RewardList:
    lst = None
    if isinstance(list_id, int):
        lst = db.session.scalars(select(RewardList).where(RewardList.id == list_id,
                                                          policy.list_condition(actor))).first()
    if lst is None:
        raise NotFound("没有找到该奖补名单")
    return lst


def lists(actor):
    return select(RewardList).where(policy.list_condition(actor)).order_by(RewardList.id.desc())


def left_out(lst: RewardList) -> list[dict]:
    """Contracts of the rule's year that were not eligible, with the reason (recomputed for review)."""
    return evaluate(lst.rule, lst.computed_on)[1]


def _manager(actor, lst) -> bool:
    return policy.can_manage_rule(actor, lst.rule)


WORKFLOW = Workflow.of("reward_list", [
    Transition("publish", frozenset({"draft"}), "publicity", "发布公示", "manager"),
    Transition("withdraw", frozenset({"draft", "publicity"}), "withdrawn", "撤回名单", "manager", needs_reason=True,
               min_reason=4),
    Transition("finalise", frozenset({"publicity"}), "final", "公示期满，确定名单", "manager"),
], {"manager": _manager}, state_labels=LIST_STATUSES,
    can_view=lambda a, lst: policy.can_manage_rule(a, lst.rule) or lst.status in ("publicity", "final"),
    not_found="没有找到该奖补名单")


def publish(actor, lst: RewardList, data: dict | None = None, today: date | None = None) -> RewardList:
    values = PublishSchema().validate_dict(data or {})
    today = today or date.today()
    WORKFLOW.fire(actor, lst, "publish", details={"publicity_days": values["publicity_days"]})
    lst.publicity_starts_on = today
    lst.publicity_ends_on = today + timedelta(days=values["publicity_days"])
    return lst


def withdraw(actor, lst: RewardList, data: dict) -> RewardList:
    reason = ReasonSchema().validate_dict(data or {})["reason"]
    if any(x.disbursed_on for x in lst.lines):
        raise Conflict("已有拨付记录的名单不能撤回")
    WORKFLOW.fire(actor, lst, "withdraw", reason)
    return lst


def finalise(actor, lst: RewardList, today: date | None = None) -> RewardList:
    today = today or date.today()
    if lst.status == "publicity" and _manager(actor, lst) and lst.publicity_ends_on and today < lst.publicity_ends_on:
        raise Conflict(f"公示期至 {lst.publicity_ends_on} 结束，期满后才能确定名单")
    WORKFLOW.fire(actor, lst, "finalise")
    return lst


def disburse(actor, line_id, data: dict, today: date | None = None) -> RewardLine:
    values = DisburseSchema().validate_dict(data or {})
    line = db.session.get(RewardLine, line_id) if isinstance(line_id, int) else None
    lst = db.session.get(RewardList, line.list_id) if line else None
    if lst is None or not (policy.can_manage_rule(actor, lst.rule)):
        if lst is not None and lst.status in ("publicity", "final") and perm.is_authenticated(actor):
            raise Forbidden("只有制定该规则的管理员可以登记拨付")
        raise NotFound("没有找到该奖补记录")
    if lst.status != "final":
        raise Conflict("名单确定（公示期满）后才能登记拨付")
    if line.disbursed_on is not None:
        raise Conflict("该笔奖补已登记拨付")
    today = today or date.today()
    if values["disbursed_on"] > today or values["disbursed_on"] < lst.computed_on:
        raise ValidationFailed(f"拨付日期应在 {lst.computed_on} 至 {today} 之间", {"disbursed_on": "日期不在允许范围内"})
    line.disbursed_on, line.disbursement_ref = values["disbursed_on"], values["disbursement_ref"]
    record_audit(actor, "reward_list", lst.id, "disburse", details={
        "line": line.id, "recipient": line.recipient_name, "amount": f"{calc.fen(line.amount):.2f}",
        "disbursed_on": str(line.disbursed_on), "ref": line.disbursement_ref})
    return line


def recipient_user(line: RewardLine) -> User | None:
    return db.session.get(User, line.recipient_user_id) if line.recipient_user_id else None
