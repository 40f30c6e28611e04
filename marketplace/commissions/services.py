"""Commission agreements (workflow, audited) and the append-only ledger, driven by the deal's money; broker,
agency and administrator statements; the check against the seller's income split. Services take the actor
first, flush, never commit. The maths is in calc.py.

The ledger is append-only: this module offers no function that updates or deletes an entry (a test checks it);
a correction or a refund is a reversing entry. Accruals are written by `sync`, which compares what the deal's
money says should have accrued (one accrual per payment on the received basis, one at registration otherwise)
with the accruals already written, by their `source`; it is idempotent, so the receivers and the confirmation
of an agreement can all call it.
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..accounts.models import Organisation, User
from ..contracts.models import Contract, IncomeSplit, Payment
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from . import calc
from . import permissions as policy
from .models import (AGREEMENT_STATUSES, AgreementBroker, CommissionAgreement, CommissionEntry, PaymentInvoice)
from .schemas import AgreementSchema, InvoiceSchema, PaidSchema, ReasonSchema, SplitNoteSchema

OPEN = ("draft", "proposed", "confirmed")

# How this package's audit actions read on the history pages (core.workflow.describe).
action_labels({"entry-confirm": "确认佣金计提", "entry-paid": "登记佣金已支付", "entry-reverse": "冲销佣金",
               "split-note": "说明收益分配差异", "invoice": "登记发票", "compute": "计算奖补名单",
               "disburse": "登记奖补拨付"})


def _invalid(exc: calc.CalcError):
    return ValidationFailed(str(exc), {exc.field or "_schema": str(exc)})


# Agreements ----------------------------------------------------------------------------------------------

def agency_of(user) -> Organisation | None:
    """The agency a broker practises for: its broker profile's agency, else its own organisation."""
    try:
        from ..brokers.models import BrokerProfile
    except ImportError:  # pragma: no cover - before broker profiles existed
        BrokerProfile = None
    if BrokerProfile is not None:
        profile = BrokerProfile.query.filter_by(user_id=user.id).first()
        if profile is not None and profile.agency_org_id:
            return profile.agency
    return user.org


def basis_of(ag: CommissionAgreement) -> calc.Basis:
    tiers = tuple(calc.Tier(None if t.get("upto") is None else Decimal(t["upto"]), Decimal(t["rate"]))
                  for t in (ag.tiers or []))
    return calc.Basis(ag.basis, rate=Decimal(ag.rate or 0), fee=Decimal(ag.fee or 0), tiers=tiers,
                      cap=None if ag.cap is None else Decimal(ag.cap), equity_mode=ag.equity_mode,
                      equity_shares=ag.equity_shares, equity_percent=ag.equity_percent)


def _parties_of(actor, values) -> tuple:
    """(introduction, contract, seller org id, buyer org id) of a new agreement, checked against the actor."""
    from ..brokers.models import Introduction
    intro = contract = None
    if values.get("contract_id") is not None:
        contract = db.session.get(Contract, values["contract_id"])
        from ..contracts.permissions import can_view as can_view_contract
        if contract is None or not can_view_contract(actor, contract):
            raise ValidationFailed("技术合同不存在", {"contract_id": "请选择可见的技术合同"})
        if not (actor.org_id in contract.party_org_ids or contract.broker_id == actor.id):
            raise Forbidden("只有合同双方或其技术经纪人可以录入佣金协议")
        if contract.introduction_id is not None:
            intro = db.session.get(Introduction, contract.introduction_id)
        if values.get("introduction_id") not in (None, contract.introduction_id):
            raise ValidationFailed("撮合记录与合同不一致", {"introduction_id": "与合同不符"})
        return intro, contract, contract.seller_org_id, contract.buyer_org_id
    if values.get("introduction_id") is None:
        raise ValidationFailed("请指明撮合记录或技术合同", {"introduction_id": "撮合记录与技术合同至少填一项"})
    intro = db.session.get(Introduction, values["introduction_id"])
    if intro is None:
        raise ValidationFailed("撮合记录不存在", {"introduction_id": "请选择撮合记录"})
    seller_id = intro.achievement.owner_org_id if intro.achievement_id else None
    buyer_id = intro.demand.owner_org_id
    if not (intro.broker_id == actor.id or actor.org_id in (seller_id, buyer_id)):
        raise Forbidden("只有该撮合的技术经纪人或双方可以录入佣金协议")
    if seller_id is None:
        raise ValidationFailed("该撮合尚未引荐成果，卖方未定", {"introduction_id": "尚未引荐成果"})
    contract = Contract.query.filter_by(introduction_id=intro.id).order_by(Contract.id).first()
    return intro, contract, seller_id, buyer_id


def _brokers(actor, values, intro, contract) -> dict:
    rows = values.get("brokers") or []
    default = (intro.broker_id if intro is not None else None) or (contract.broker_id if contract else None)
    if not rows:
        if default is None:
            raise ValidationFailed("请填写技术经纪人及其份额", {"brokers": "至少一名技术经纪人"})
        rows = [{"broker_id": default, "share": Decimal(100)}]
    shares = {}
    for r in rows:
        user = db.session.get(User, r["broker_id"])
        if user is None or user.role != "broker":
            raise ValidationFailed("技术经纪人不存在", {"brokers": f"编号 {r['broker_id']} 不是技术经纪人"})
        if user.id in shares:
            raise ValidationFailed("技术经纪人重复", {"brokers": "同一技术经纪人只能出现一次"})
        if Decimal(r["share"]) <= 0:
            raise ValidationFailed("技术经纪人份额应大于 0", {"brokers": "份额应大于 0"})
        shares[user.id] = Decimal(r["share"])
    if sum(shares.values(), Decimal(0)) != 100:
        raise ValidationFailed("技术经纪人份额合计应为 100%", {"brokers": "份额合计应为 100%"})
    if policy.perm.is_authenticated(actor) and actor.role == "broker" and actor.id not in shares:
        raise Forbidden("技术经纪人只能录入本人参与的佣金协议")
    return shares


def create(actor, data: dict) -> CommissionAgreement:
    values = AgreementSchema().validate_dict(data)
    if not (perm.is_authenticated(actor) and actor.active) or perm.is_admin(actor):
        raise Forbidden("佣金协议由交易双方或技术经纪人录入")
    intro, contract, seller_id, buyer_id = _parties_of(actor, values)
    open_q = CommissionAgreement.query.filter(CommissionAgreement.status.in_(OPEN))
    same = or_(*([CommissionAgreement.contract_id == contract.id] if contract else [])
               + ([CommissionAgreement.introduction_id == intro.id] if intro else []))
    if open_q.filter(same).first() is not None:
        raise Conflict("该交易已有佣金协议（被拒绝后才能重新录入）")
    shares = _brokers(actor, values, intro, contract)
    tiers = [{"upto": None if t.get("upto") in (None, "negotiable") else f"{t['upto']:.2f}",
              "rate": format(t["rate"], "f")} for t in values.get("tiers") or []]
    for key in ("fee", "cap"):
        if values.get(key) == "negotiable":
            raise ValidationFailed("金额不能为面议", {key: "请填写金额"})
    ag = CommissionAgreement(
        introduction_id=intro.id if intro else None, contract_id=contract.id if contract else None,
        seller_org_id=seller_id, buyer_org_id=buyer_id, payer=values["payer"], seller_share=values.get("seller_share"),
        basis=values["basis"], rate=values.get("rate"), fee=values.get("fee"), tiers=tiers or None,
        cap=values.get("cap"), equity_mode=values.get("equity_mode"), equity_shares=values.get("equity_shares"),
        equity_percent=values.get("equity_percent"), note=values.get("note"), status="draft", created_by_id=actor.id)
    try:
        calc.payer_shares(ag.payer, ag.seller_share)
        calc.validate(basis_of(ag))
    except calc.CalcError as exc:
        raise _invalid(exc) from None
    if ag.basis == "equity" and ag.payer != "seller":
        raise ValidationFailed("股权佣金来自卖方作价入股所得股权，支付方应为卖方", {"payer": "应为卖方"})
    for broker_id, share in shares.items():
        ag.brokers.append(AgreementBroker(broker_id=broker_id, share=share))
    db.session.add(ag)
    db.session.flush()
    record_audit(actor, "commission_agreement", ag.id, "create", None, "draft",
                 details={"basis": ag.basis, "payer": ag.payer, "brokers": {str(k): str(v) for k, v in shares.items()}})
    if values.get("propose"):
        propose(actor, ag)
    return ag


PROPOSAL_FIELDS = ("payer", "seller_share", "basis", "rate", "fee", "tiers", "cap", "equity_mode", "equity_shares",
                   "equity_percent", "brokers", "note")


def propose_with_draft(actor, contract: Contract, intro, proposal) -> CommissionAgreement:
    """The commission agreement a broker proposes in the step that makes the contract draft from its introduction
    (core.signals.contract_drafted): attached to both, and sent at once to the paying parties to confirm. A refusal
    raises, so the draft is not made without it."""
    if not isinstance(proposal, dict):
        raise ValidationFailed("佣金协议应为对象", {"commission": "应为对象"})
    unknown = sorted(k for k in proposal if k not in PROPOSAL_FIELDS)
    if unknown:
        raise ValidationFailed("佣金协议中有未知的字段：" + "、".join(map(str, unknown)),
                               {f"commission.{k}": "未知的字段" for k in unknown})
    return create(actor, {**proposal, "contract_id": contract.id,
                          "introduction_id": intro.id if intro is not None else None, "propose": True})


def open_for_introduction(intro) -> CommissionAgreement | None:
    """The agreement of this introduction (or of a contract made from it) that is still open (draft, proposed or
    confirmed): a new one is refused while it stands."""
    made = select(Contract.id).where(Contract.introduction_id == intro.id)
    return CommissionAgreement.query.filter(CommissionAgreement.status.in_(OPEN), or_(
        CommissionAgreement.introduction_id == intro.id, CommissionAgreement.contract_id.in_(made))) \
        .order_by(CommissionAgreement.id.desc()).first()


def tell_payers(ag) -> None:
    """Every active member of the paying parties: an agreement waits for their confirmation."""
    from ..notifications.service import tell_orgs
    orgs = {"seller": [ag.seller_org_id], "buyer": [ag.buyer_org_id],
            "both": [ag.seller_org_id, ag.buyer_org_id]}[ag.payer]
    c = contract_of(ag)
    what = f"合同“{c.title}”" if c is not None else f"撮合 #{ag.introduction_id}"
    brokers = "、".join(b.broker.name for b in ag.brokers)
    tell_orgs(orgs, "commission", f"佣金协议待确认：{what}"[:120],
              f"{what}的佣金协议（技术经纪人{brokers}；{calc.BASES[ag.basis]}；{calc.PAYERS[ag.payer]}）已提交付款方确认，"
              "请核对后确认或拒绝。",
              f"/commissions/agreements/{ag.id}")


def _author(actor, ag) -> bool:
    return (perm.is_authenticated(actor) and actor.active and not perm.is_admin(actor)
            and (policy.is_party(actor, ag) or policy.is_broker_of(actor, ag)))


def _pending_sides(actor, ag) -> list[str]:
    done = {"seller": ag.seller_confirmed_at, "buyer": ag.buyer_confirmed_at}
    return [s for s in policy.payer_sides(actor, ag) if done[s] is None]


WORKFLOW = Workflow.of("commission_agreement", [
    Transition("propose", frozenset({"draft"}), "proposed", "提交付款方确认", "author"),
    Transition("confirm_part", frozenset({"proposed"}), "proposed", "确认（一方）", "payer"),
    Transition("confirm", frozenset({"proposed"}), "confirmed", "确认佣金协议", "payer"),
    Transition("decline", frozenset({"proposed"}), "declined", "拒绝佣金协议", "payer", needs_reason=True, min_reason=4),
], {"author": _author, "payer": lambda a, ag: bool(_pending_sides(a, ag))}, state_labels=AGREEMENT_STATUSES,
    can_view=policy.can_view, not_found="没有找到该佣金协议")


def get(actor, agreement_id) -> CommissionAgreement:
    ag = None
    if isinstance(agreement_id, int):
        ag = db.session.scalars(select(CommissionAgreement).where(
            CommissionAgreement.id == agreement_id, policy.agreement_condition(actor))).first()
    if ag is None:
        raise NotFound("没有找到该佣金协议")
    return ag


def visible(actor, status: str | None = None):
    q = select(CommissionAgreement).where(policy.agreement_condition(actor))
    if status:
        q = q.where(CommissionAgreement.status == status)
    return q.order_by(CommissionAgreement.id.desc())


def propose(actor, ag) -> CommissionAgreement:
    WORKFLOW.fire(actor, ag, "propose")
    return ag


def confirm(actor, ag) -> CommissionAgreement:
    sides = _pending_sides(actor, ag)
    if not sides and policy.can_view(actor, ag) and ag.status == "proposed":
        raise Forbidden("只有尚未确认的付款方可以确认佣金协议")
    now = utcnow()
    remaining = {s for s in calc.payer_shares(ag.payer, ag.seller_share)
                 if {"seller": ag.seller_confirmed_at, "buyer": ag.buyer_confirmed_at}[s] is None} - set(sides)
    WORKFLOW.fire(actor, ag, "confirm_part" if remaining else "confirm", details={"sides": sides})
    for s in sides:
        setattr(ag, f"{s}_confirmed_at", now)
    if ag.status == "confirmed":
        sync(ag)
    return ag


def decline(actor, ag, data: dict) -> CommissionAgreement:
    reason = ReasonSchema().validate_dict(data or {})["reason"]
    WORKFLOW.fire(actor, ag, "decline", reason)
    ag.decline_reason = reason
    return ag


def set_split_note(actor, ag, data: dict) -> CommissionAgreement:
    note = SplitNoteSchema().validate_dict(data or {})["split_note"]
    if not (perm.is_authenticated(actor) and actor.org_id == ag.seller_org_id and actor.active):
        if not policy.can_view(actor, ag):
            raise NotFound("没有找到该佣金协议")
        raise Forbidden("只有卖方可以说明收益分配与佣金协议的差异")
    ag.split_note = note
    record_audit(actor, "commission_agreement", ag.id, "split-note", reason=note)
    return ag


# Ledger --------------------------------------------------------------------------------------------------

def contract_of(ag) -> Contract | None:
    if ag.contract_id is not None:
        return db.session.get(Contract, ag.contract_id)
    if ag.introduction_id is not None:
        return Contract.query.filter_by(introduction_id=ag.introduction_id).order_by(Contract.id).first()
    return None


def agreements_of(contract: Contract) -> list[CommissionAgreement]:
    cond = [CommissionAgreement.contract_id == contract.id]
    if contract.introduction_id is not None:
        cond.append((CommissionAgreement.contract_id.is_(None))
                    & (CommissionAgreement.introduction_id == contract.introduction_id))
    return CommissionAgreement.query.filter(or_(*cond), CommissionAgreement.status == "confirmed") \
        .order_by(CommissionAgreement.id).all()


def _events(ag, c: Contract) -> list[dict]:
    """What the deal's money says should have accrued: one event per source."""
    b = basis_of(ag)
    if b.kind == "received":
        out, before = [], Decimal(0)
        for p in sorted(c.payments, key=lambda p: p.id):  # recording order: the accruals telescope as written
            out.append({"source": f"payment:{p.id}", "amount": calc.accrual_for_payment(b, before, p.amount),
                        "on": p.received_on, "payment_id": p.id})
            before += Decimal(p.amount)
        return out
    if c.status != "registered":
        return []
    on = c.registered_on or date.today()
    if b.kind == "equity":
        terms = c.terms
        eq = calc.equity_commission(b, terms.equity_percent if terms else None, terms.amount if terms else None)
        return [{"source": "registration", "equity": eq, "on": on}]
    return [{"source": "registration", "amount": calc.commission_on(b, c.amount), "on": on}]


def sync(ag, actor=None) -> list[CommissionEntry]:
    """Append the accruals the deal's money has earned and the ledger does not hold yet (idempotent)."""
    if ag.status != "confirmed":
        return []
    c = contract_of(ag)
    if c is None:
        return []
    if ag.contract_id is None:
        ag.contract_id = c.id
    done = set(db.session.scalars(select(CommissionEntry.source).where(
        CommissionEntry.agreement_id == ag.id, CommissionEntry.kind == "accrual")))
    payers = calc.payer_shares(ag.payer, ag.seller_share)
    brokers = {b.broker_id: Decimal(b.share) for b in ag.brokers}
    written = []
    for ev in _events(ag, c):
        if ev["source"] in done:
            continue
        if "equity" in ev:
            eq = ev["equity"]
            values = calc.split(eq.value, brokers)
            for broker_id, share in brokers.items():
                written.append(_append(ag, c, broker_id, "seller", "accrual", values[broker_id], ev["on"], ev["source"],
                                       actor, medium="equity",
                                       equity_shares=None if eq.shares is None else
                                       (eq.shares * share / 100).quantize(Decimal("0.0001")),
                                       equity_percent=None if eq.company_percent is None else
                                       (eq.company_percent * share / 100).quantize(Decimal("0.000001"))))
            continue
        for (payer, broker_id), amount in calc.allocate(ev["amount"], payers, brokers).items():
            if amount != 0:
                written.append(_append(ag, c, broker_id, payer, "accrual", amount, ev["on"], ev["source"], actor,
                                       payment_id=ev.get("payment_id")))
    if written:
        db.session.flush()
        _tell_brokers(ag, written)
    return written


def _append(ag, c, broker_id, payer, kind, amount, on, source, actor, **kw) -> CommissionEntry:
    """The only writer of the ledger: every entry is added, none is ever changed."""
    e = CommissionEntry(agreement_id=ag.id, contract_id=c.id if c else ag.contract_id, broker_id=broker_id,
                        payer=payer, kind=kind, amount=calc.fen(amount), entry_on=on, source=source,
                        actor_id=getattr(actor, "id", None), **kw)
    e.agreement = ag
    db.session.add(e)
    return e


def _tell_brokers(ag, entries) -> None:
    from ..notifications.service import tell
    by_broker = defaultdict(Decimal)
    for e in entries:
        if e.medium == "cash":
            by_broker[e.broker_id] += Decimal(e.amount)
    for broker_id, total in by_broker.items():
        broker = db.session.get(User, broker_id)
        if broker is not None and total:
            tell(broker, "commission", f"佣金计提 {calc.fen(total)} 元",
                 f"佣金协议 #{ag.id} 新计提佣金 {calc.fen(total)} 元。", f"/commissions/agreements/{ag.id}")


def on_contract_money(contract: Contract) -> None:
    """A payment was recorded or the contract registered: accrue what the confirmed agreements now earn."""
    for ag in agreements_of(contract):
        sync(ag)


def entries_of(actor, ag) -> list[CommissionEntry]:
    return db.session.scalars(select(CommissionEntry).where(
        CommissionEntry.agreement_id == ag.id, policy.entry_condition(actor)).order_by(CommissionEntry.id)).all()


def get_entry(actor, entry_id) -> CommissionEntry:
    e = None
    if isinstance(entry_id, int):
        e = db.session.scalars(select(CommissionEntry).where(CommissionEntry.id == entry_id,
                                                             policy.entry_condition(actor))).first()
    if e is None:
        raise NotFound("没有找到该佣金记录")
    return e


def _chain(e: CommissionEntry) -> dict:
    """An accrual's follow-ups: {kind: entry} of its confirmation, payment and reversals (by source)."""
    rows = CommissionEntry.query.filter(CommissionEntry.agreement_id == e.agreement_id,
                                        CommissionEntry.broker_id == e.broker_id, CommissionEntry.payer == e.payer,
                                        CommissionEntry.source == f"entry:{e.id}").all()
    return {r.kind: r for r in rows}


def _accrual(e) -> CommissionEntry:
    if e.kind != "accrual":
        raise Conflict("只能对计提记录进行确认、支付或冲销")
    return e


def state_of(e: CommissionEntry) -> str:
    """accrued | confirmed | paid | reversed (of an accrual)."""
    chain = _chain(e)
    reversed_ = CommissionEntry.query.filter_by(reverses_id=e.id).first()
    if reversed_ is not None:
        return "reversed"
    return "paid" if "payment" in chain else "confirmed" if "confirmation" in chain else "accrued"


def confirm_entry(actor, e: CommissionEntry) -> CommissionEntry:
    _accrual(e)
    ag = e.agreement
    if e.payer not in policy.payer_sides(actor, ag):
        raise Forbidden("只有该笔佣金的付款方可以确认")
    state = state_of(e)
    if state != "accrued":
        raise Conflict("该笔佣金已确认或已冲销")
    out = _append(ag, None, e.broker_id, e.payer, "confirmation", e.amount, date.today(), f"entry:{e.id}", actor,
                  medium=e.medium, payment_id=e.payment_id)
    out.contract_id = e.contract_id
    db.session.flush()
    record_audit(actor, "commission_agreement", ag.id, "entry-confirm", details={"entry": e.id, "amount": str(e.amount)})
    return out


def record_paid(actor, e: CommissionEntry, data: dict, today: date | None = None) -> CommissionEntry:
    values = PaidSchema().validate_dict(data or {})
    _accrual(e)
    if not (perm.is_authenticated(actor) and actor.id == e.broker_id and actor.active):
        raise Forbidden("只有收取该笔佣金的技术经纪人可以登记已支付")
    state = state_of(e)
    if state != "confirmed":
        raise Conflict("付款方确认后才能登记支付" if state == "accrued" else "该笔佣金已支付或已冲销")
    today = today or date.today()
    if not (e.entry_on <= values["paid_on"] <= today):
        raise ValidationFailed(f"支付日期应在 {e.entry_on} 至 {today} 之间", {"paid_on": "日期不在允许范围内"})
    out = _append(e.agreement, None, e.broker_id, e.payer, "payment", e.amount, values["paid_on"], f"entry:{e.id}",
                  actor, medium=e.medium, invoice_no=values["invoice_no"], bank_ref=values["bank_ref"],
                  note=values.get("note"), payment_id=e.payment_id)
    out.contract_id = e.contract_id
    db.session.flush()
    record_audit(actor, "commission_agreement", e.agreement_id, "entry-paid",
                 details={"entry": e.id, "amount": str(e.amount), "invoice_no": values["invoice_no"],
                          "bank_ref": values["bank_ref"]})
    return out


def reverse(actor, e: CommissionEntry, data: dict) -> list[CommissionEntry]:
    """A correction or a refund: reversing entries for the accrual and whatever followed it (confirmation,
    payment), each with the opposite amount. Nothing is edited."""
    reason = ReasonSchema().validate_dict(data or {})["reason"]
    _accrual(e)
    ag = e.agreement
    if not (e.payer in policy.payer_sides(actor, ag) or (getattr(actor, "id", None) == e.broker_id and actor.active)):
        raise Forbidden("只有付款方或收取佣金的技术经纪人可以冲销")
    if state_of(e) == "reversed":
        raise Conflict("该笔佣金已冲销")
    chain = _chain(e)
    out = []
    for x in [e] + [chain[k] for k in ("confirmation", "payment") if k in chain]:
        r = _append(ag, None, x.broker_id, x.payer, "reversal", calc.reverse(x.amount), date.today(),
                    f"entry:{x.id}", actor, medium=x.medium, reverses_id=x.id, note=reason,
                    equity_shares=None if x.equity_shares is None else -x.equity_shares,
                    equity_percent=None if x.equity_percent is None else -x.equity_percent)
        r.contract_id = x.contract_id
        out.append(r)
    db.session.flush()
    record_audit(actor, "commission_agreement", ag.id, "entry-reverse", reason=reason,
                 details={"entry": e.id, "amount": str(e.amount)})
    return out


def effect(e: CommissionEntry) -> str:
    """The balance an entry moves: its own kind, or for a reversal the kind it reverses."""
    return e.reverses.kind if e.kind == "reversal" else e.kind


# Commission earned (the broker profiles and credit score) ------------------------------------------------

def earned_by_broker(user_ids) -> dict[int, Decimal]:
    """Commission earned per broker, in yuan: the cash commission its paying parties have confirmed they owe —
    every confirmation entry (a paid entry always follows one, so paid money is included), net of the reversals
    of confirmations. Not the accruals alone (the site computes those from recorded payments before the payer
    has agreed), and not only what the broker recorded paid (which lags, and is the broker's own entry); equity
    commission is not cash and is left out. One grouped query for any number of brokers; every id asked for is
    answered (0.00 when its ledger is empty). Registered with brokers.profiles by receivers.py."""
    ids = list(user_ids)
    out = {i: calc.ZERO for i in ids}
    if not ids:
        return out
    reversed_ = aliased(CommissionEntry)
    confirmed = or_(CommissionEntry.kind == "confirmation",
                    and_(CommissionEntry.kind == "reversal", reversed_.kind == "confirmation"))
    rows = db.session.execute(
        select(CommissionEntry.broker_id, func.sum(CommissionEntry.amount))
        .outerjoin(reversed_, reversed_.id == CommissionEntry.reverses_id)
        .where(CommissionEntry.broker_id.in_(ids), CommissionEntry.medium == "cash", confirmed)
        .group_by(CommissionEntry.broker_id))
    for broker_id, total in rows:
        out[broker_id] = calc.fen(total or 0)
    return out


# Invoices on payments (the reward condition "invoice matching the contract number") ---------------------

def record_invoice(actor, payment_id: int, data: dict) -> PaymentInvoice:
    values = InvoiceSchema().validate_dict(data or {})
    p = db.session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    c = db.session.get(Contract, p.contract_id) if p is not None else None
    from ..contracts.permissions import can_view as can_view_contract
    if c is None or not can_view_contract(actor, c):
        raise NotFound("没有找到该笔到账")
    if not (actor.org_id == c.seller_org_id and actor.active):
        raise Forbidden("只有卖方（收款方）可以登记发票")
    if PaymentInvoice.query.filter_by(payment_id=p.id).first() is not None:
        raise Conflict("该笔到账已登记发票")
    inv = PaymentInvoice(payment_id=p.id, contract_id=c.id, invoice_no=values["invoice_no"],
                         contract_no=values["contract_no"], recorded_by_id=actor.id)
    db.session.add(inv)
    db.session.flush()
    record_audit(actor, "contract", c.id, "invoice", details={"payment": p.id, "invoice_no": inv.invoice_no,
                                                               "contract_no": inv.contract_no})
    return inv


# Statements ----------------------------------------------------------------------------------------------

def _totals(entries, until: date | None = None, since: date | None = None) -> dict:
    """Cash movements in [since, until] and what is outstanding at `until` (accrued − paid, cumulative)."""
    moved = calc.balance((effect(e), e.amount) for e in entries if e.medium == "cash"
                         and (since is None or e.entry_on >= since) and (until is None or e.entry_on <= until))
    to_date = calc.balance((effect(e), e.amount) for e in entries if e.medium == "cash"
                           and (until is None or e.entry_on <= until))
    moved["outstanding"] = to_date["outstanding"]
    return moved


def _deal_rows(entries, since, until) -> list[dict]:
    by_ag = defaultdict(list)
    for e in entries:
        by_ag[e.agreement_id].append(e)
    rows = []
    for ag_id, es in sorted(by_ag.items()):
        ag = es[0].agreement
        c = db.session.get(Contract, ag.contract_id) if ag.contract_id else None
        t = _totals(es, until, since)
        equity = [e for e in es if e.medium == "equity" and (since is None or e.entry_on >= since)
                  and (until is None or e.entry_on <= until)]
        rows.append({"agreement_id": ag_id, "contract_id": c.id if c else None, "contract": c.title if c else "",
                     "registration_no": c.registration_no if c else None, "basis": calc.BASES[ag.basis],
                     **{k: f"{v:.2f}" for k, v in t.items()},
                     "equity": [{"shares": None if e.equity_shares is None else format(e.equity_shares.normalize(), "f"),
                                 "company_percent": None if e.equity_percent is None else
                                 format(e.equity_percent.normalize(), "f"), "value": f"{e.amount:.2f}"} for e in equity]})
    return rows


def _period(year: int | None, since: date | None, until: date | None):
    if year is not None:
        return date(year, 1, 1), date(year, 12, 31)
    return since, until


def _entry_dict(e) -> dict:
    from .schemas import EntryOut
    out = EntryOut().dump(e)
    out["effect"] = effect(e)
    return out


def _statement(title: dict, entries, since, until) -> dict:
    t = _totals(entries, until, since)
    shown = [e for e in entries if (since is None or e.entry_on >= since) and (until is None or e.entry_on <= until)]
    return {**title, "from": since.isoformat() if since else None, "to": until.isoformat() if until else None,
            **{k: f"{v:.2f}" for k, v in t.items()}, "deals": _deal_rows(entries, since, until),
            "entries": [_entry_dict(e) for e in shown]}


def broker_statement(actor, broker: User, year: int | None = None, since: date | None = None,
                     until: date | None = None) -> dict:
    """A broker's own statement; administrators whose scope holds the broker's agency see it too."""
    if broker is None or broker.role != "broker":
        raise NotFound("没有找到该技术经纪人")
    if not (getattr(actor, "id", None) == broker.id or perm.in_admin_scope(actor, agency_of(broker))):
        raise NotFound("没有找到该技术经纪人")
    since, until = _period(year, since, until)
    entries = CommissionEntry.query.filter_by(broker_id=broker.id).order_by(CommissionEntry.entry_on,
                                                                            CommissionEntry.id).all()
    return _statement({"broker": broker.email, "broker_name": broker.name}, entries, since, until)


def agency_statement(actor, org: Organisation, year: int | None = None, since=None, until=None) -> dict:
    """All the brokers practising for the agency: its members and the brokers who filed it as their agency."""
    if org is None or org.kind != "agency" or not (
            (perm.is_authenticated(actor) and actor.org_id == org.id) or perm.in_admin_scope(actor, org)):
        raise NotFound("没有找到该技术转移机构")
    since, until = _period(year, since, until)
    brokers = [u for u in User.query.filter_by(role="broker").all() if (agency := agency_of(u)) and agency.id == org.id]
    ids = [u.id for u in brokers]
    entries = CommissionEntry.query.filter(CommissionEntry.broker_id.in_(ids or [0])).order_by(
        CommissionEntry.entry_on, CommissionEntry.id).all()
    out = _statement({"agency": org.name}, entries, since, until)
    out["brokers"] = [{"broker_id": u.id, "name": u.name, **{k: f"{v:.2f}" for k, v in _totals(
        [e for e in entries if e.broker_id == u.id], until, since).items()}} for u in brokers]
    return out


def admin_statement(actor, year: int | None = None, since=None, until=None) -> dict:
    """Every entry of the agreements whose parties are in the administrator's scope."""
    if not perm.is_admin(actor):
        raise Forbidden("只有管理员可以查看辖区佣金汇总")
    since, until = _period(year, since, until)
    entries = db.session.scalars(select(CommissionEntry).where(policy.entry_condition(actor)).order_by(
        CommissionEntry.entry_on, CommissionEntry.id)).all()
    out = _statement({"scope": actor.org.name}, entries, since, until)
    by_broker = defaultdict(list)
    for e in entries:
        by_broker[e.broker_id].append(e)
    out["brokers"] = [{"broker_id": b, "name": es[0].broker.name, **{k: f"{v:.2f}" for k, v in _totals(
        es, until, since).items()}} for b, es in sorted(by_broker.items())]
    return out


# Agreement ↔ the seller's income split ---------------------------------------------------------------------

def split_check(ag) -> dict | None:
    """Does the seller's income split (broker share) agree with what the agreement makes the seller pay?
    None when there is nothing to compare (no contract or no split yet)."""
    c = contract_of(ag)
    row = IncomeSplit.query.filter_by(contract_id=c.id).first() if c is not None else None
    if row is None:
        return None
    return calc_split_check(ag, c, row)


def calc_split_check(ag, c, row) -> dict:
    b = basis_of(ag)
    seller_pct = calc.payer_shares(ag.payer, ag.seller_share).get("seller", Decimal(0))
    split_broker = calc.fen(row.broker_amount)
    if b.kind == "equity":
        expected = Decimal("0.00")
        why = "佣金以股权支付，不从卖方现金收入中分配"
    else:
        base = Decimal(row.net_income) if b.kind == "received" else Decimal(c.amount)
        whole = calc.commission_on(b, base)
        expected = calc.split(whole, {"seller": seller_pct, "other": 100 - seller_pct})["seller"] if seller_pct else \
            Decimal("0.00")
        why = (f"按协议（{calc.BASES[b.kind]}"
               + (f"，以净收入 {calc.fen(row.net_income)} 元计" if b.kind == "received" else "") + "）卖方应付佣金 "
               + f"{expected:.2f} 元")
    ok = split_broker == expected
    message = ("收益分配中的经纪人所得与佣金协议一致" if ok else
               f"收益分配中的经纪人所得 {split_broker:.2f} 元与佣金协议不一致：{why}")
    if not ok and ag.split_note:
        message += f"。卖方说明：{ag.split_note}"
    return {"ok": ok, "explained": bool(not ok and ag.split_note), "split_broker_amount": f"{split_broker:.2f}",
            "expected": f"{expected:.2f}", "message": message}
