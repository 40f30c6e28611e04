"""Contracts and their money: who may do what (checked here, for the acting user and the contract), terms →
schedule, milestones, royalty reports, payments, registration, income split, reminders. Every change is
audited. The maths is in money.py."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from ..accounts.models import Organisation, User
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit
from ..extensions import db
from . import money
from .models import (STATUSES, Contract, IncomeSplit, InventorShare, MilestoneTermRow, Payment, Reminder,
                     RoyaltyReport, ScheduleLine, TermSheet)
from .schemas import (ContractSchema, DecisionSchema, MilestoneReachedSchema, PaymentSchema, ReportSchema,
                      SplitSchema, TermsSchema)

EDITABLE = ("draft", "returned")
REMIND_BEFORE_DAYS = 7


def _fail(exc: money.MoneyError):
    return ValidationFailed(str(exc), {exc.field or "terms": str(exc)})


# Who ------------------------------------------------------------------------------------------------------

def is_party(actor, c: Contract) -> bool:
    return perm.is_authenticated(actor) and actor.org_id in c.party_org_ids


def can_view(actor, c: Contract) -> bool:
    """The parties, the deal's broker and the administrators whose scope holds either party."""
    return (is_party(actor, c) or (perm.is_authenticated(actor) and c.broker_id == actor.id)
            or perm.in_admin_scope(actor, c.seller) or perm.in_admin_scope(actor, c.buyer))


def can_register(actor, c: Contract) -> bool:
    """Registration (技术合同登记) is the provincial centre's or the city centre of the contract's city;
    an institution's in-house centre follows its contracts but does not register them."""
    if not perm.is_admin(actor):
        return False
    centre = actor.org
    return centre.admin_level == "province" or (centre.admin_level == "city" and centre.city == c.city)


def visible_condition(actor):
    """SQL condition: the contracts `actor` may see."""
    if not perm.is_authenticated(actor):
        return Contract.id.is_(None)
    scope = perm.admin_scope_condition(actor)
    scoped_orgs = select(Organisation.id).where(scope)
    return or_(Contract.seller_org_id == actor.org_id, Contract.buyer_org_id == actor.org_id,
               Contract.broker_id == actor.id, Contract.seller_org_id.in_(scoped_orgs),
               Contract.buyer_org_id.in_(scoped_orgs))


def get(actor, contract_id) -> Contract:
    c = db.session.get(Contract, contract_id) if isinstance(contract_id, int) else None
    if c is None or not can_view(actor, c):
        raise NotFound("没有找到该合同")  # the same answer whether it does not exist or is not yours
    return c


def _party_member(actor, c: Contract, side: str | None = None, what: str = "此操作"):
    orgs = {"seller": {c.seller_org_id}, "buyer": {c.buyer_org_id}, None: c.party_org_ids}[side]
    if not (perm.is_authenticated(actor) and actor.org_id in orgs and actor.active):
        who = {"seller": "卖方（许可方/让与方）", "buyer": "买方（被许可方/受让方）", None: "合同双方"}[side]
        raise Forbidden(f"只有{who}可以{what}")


# Terms ---------------------------------------------------------------------------------------------------

def terms_of(sheet: TermSheet) -> money.Terms:
    return money.Terms(
        kind=sheet.kind, amount=Decimal(sheet.amount or 0), due_days=sheet.due_days, defer_months=sheet.defer_months,
        instalments=sheet.instalments, interval_months=sheet.interval_months,
        royalty_rate=Decimal(sheet.royalty_rate or 0), royalty_min=sheet.royalty_min, royalty_cap=sheet.royalty_cap,
        report_period=sheet.report_period, equity_percent=sheet.equity_percent,
        milestones=tuple(money.MilestoneTerm(m.name, Decimal(m.amount), m.trigger, m.due_on) for m in sheet.milestones))


def build_terms(owner_org_id: int, data) -> TermSheet:
    """A new term sheet from input (validated by the schema, then by money.validate)."""
    values = TermsSchema().validate_dict(data) if not isinstance(data, TermSheet) else None
    if values is None:
        return copy_terms(data, owner_org_id)
    for key in ("amount", "royalty_min", "royalty_cap"):
        if values.get(key) == "negotiable":
            raise ValidationFailed("条款中的金额不能是“面议”", {key: "请填写金额"})
    def given(key, default):
        return default if values.get(key) is None else values[key]

    sheet = TermSheet(owner_org_id=owner_org_id, kind=values["kind"], amount=values.get("amount") or 0,
                      due_days=given("due_days", 30), defer_months=given("defer_months", 0),
                      instalments=given("instalments", 1), interval_months=given("interval_months", 12),
                      royalty_rate=values.get("royalty_rate") or 0, royalty_min=values.get("royalty_min"),
                      royalty_cap=values.get("royalty_cap"), report_period=values.get("report_period") or "quarter",
                      equity_percent=values.get("equity_percent"), note=values.get("note"))
    for i, m in enumerate(values.get("milestones") or []):
        if m["amount"] == "negotiable":
            raise ValidationFailed("里程碑金额不能是“面议”", {"milestones": "请填写金额"})
        sheet.milestones.append(MilestoneTermRow(seq=i, name=m["name"], trigger=m.get("trigger") or "",
                                                 amount=m["amount"], due_on=m.get("due_on")))
    try:
        money.validate(terms_of(sheet))
    except money.MoneyError as exc:
        raise _fail(exc) from None
    return sheet


def copy_terms(sheet: TermSheet, owner_org_id: int) -> TermSheet:
    new = TermSheet(owner_org_id=owner_org_id, **{k: getattr(sheet, k) for k in (
        "kind", "amount", "due_days", "defer_months", "instalments", "interval_months", "royalty_rate",
        "royalty_min", "royalty_cap", "report_period", "equity_percent", "note")})
    for m in sheet.milestones:
        new.milestones.append(MilestoneTermRow(seq=m.seq, name=m.name, trigger=m.trigger, amount=m.amount,
                                               due_on=m.due_on))
    return new


def terms_dict(sheet: TermSheet | None) -> dict | None:
    if sheet is None:
        return None
    return {"kind": sheet.kind, "kind_label": money.TERM_KINDS[sheet.kind], "amount": str(sheet.amount),
            "due_days": sheet.due_days, "defer_months": sheet.defer_months, "instalments": sheet.instalments,
            "interval_months": sheet.interval_months, "royalty_rate": str(sheet.royalty_rate),
            "royalty_min": None if sheet.royalty_min is None else str(sheet.royalty_min),
            "royalty_cap": None if sheet.royalty_cap is None else str(sheet.royalty_cap),
            "report_period": sheet.report_period,
            "equity_percent": None if sheet.equity_percent is None else str(sheet.equity_percent),
            "note": sheet.note,
            "milestones": [{"name": m.name, "trigger": m.trigger, "amount": str(m.amount),
                            "due_on": m.due_on.isoformat() if m.due_on else None} for m in sheet.milestones]}


def _regenerate_schedule(c: Contract) -> None:
    """Schedule lines from the terms (only while the contract can still be edited: nothing paid yet)."""
    c.lines.clear()
    db.session.flush()
    if c.terms is None:
        return
    for i, due in enumerate(money.schedule(terms_of(c.terms), c.signed_on)):
        trigger = c.terms.milestones[due.milestone].trigger if due.milestone is not None else None
        c.lines.append(ScheduleLine(seq=i, kind=due.kind, label=due.label, amount=due.amount, due_on=due.due_on,
                                    trigger=trigger))


# Contracts ------------------------------------------------------------------------------------------------

def _org(org_id, label) -> Organisation:
    org = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
    if org is None or org.status != "approved" or org.kind == "admin_centre":
        raise ValidationFailed(f"{label}不存在或未通过审核", {label: "请选择已注册的单位"})
    return org


def _links(actor, values: dict) -> dict:
    """Check the optional links (achievement, demand, introduction, broker) exist and fit the parties."""
    from ..achievements.models import Achievement
    from ..brokers.models import Introduction
    from ..demands.models import Demand
    out = {}
    if values.get("achievement_id") is not None:
        a = db.session.get(Achievement, values["achievement_id"])
        if a is None or a.owner_org_id != values["seller_org_id"]:
            raise ValidationFailed("关联成果应为卖方单位的成果", {"achievement_id": "成果不属于卖方"})
        out["achievement_id"] = a.id
    if values.get("demand_id") is not None:
        d = db.session.get(Demand, values["demand_id"])
        if d is None or d.owner_org_id != values["buyer_org_id"]:
            raise ValidationFailed("关联需求应为买方单位的需求", {"demand_id": "需求不属于买方"})
        out["demand_id"] = d.id
    if values.get("introduction_id") is not None:
        intro = db.session.get(Introduction, values["introduction_id"])
        if intro is None or intro.demand.owner_org_id != values["buyer_org_id"]:
            raise ValidationFailed("关联撮合记录应为买方需求的撮合", {"introduction_id": "撮合记录与买方不符"})
        out["introduction_id"] = intro.id
        out["broker_id"] = intro.broker_id
        out.setdefault("demand_id", intro.demand_id)
        if intro.achievement_id and intro.achievement.owner_org_id == values["seller_org_id"]:
            out.setdefault("achievement_id", intro.achievement_id)
    if values.get("broker_id") is not None and "broker_id" not in out:
        broker = db.session.get(User, values["broker_id"])
        if broker is None or broker.role != "broker":
            raise ValidationFailed("技术经纪人不存在", {"broker_id": "请选择技术经纪人"})
        out["broker_id"] = broker.id
    if perm.is_authenticated(actor) and actor.role == "broker":
        out.setdefault("broker_id", actor.id)
    return out


def create(actor, data: dict) -> Contract:
    values = ContractSchema().validate_dict(data)
    seller, buyer = _org(values["seller_org_id"], "卖方"), _org(values["buyer_org_id"], "买方")
    is_broker = perm.is_authenticated(actor) and actor.role == "broker"
    if not (perm.is_authenticated(actor) and (actor.org_id in (seller.id, buyer.id) or is_broker)):
        raise Forbidden("只有合同一方或其技术经纪人可以录入合同")
    if not buyer.uscc and buyer.kind == "company":
        raise ValidationFailed("买方企业缺少统一社会信用代码", {"buyer_org_id": "请先补全单位信息"})
    links = _links(actor, values)
    c = Contract(kind=values["kind"], transfer_form=values.get("transfer_form") if values["kind"] == "技术转让" else None,
                 title=values["title"], seller_org_id=seller.id, buyer_org_id=buyer.id, seller_uscc=seller.uscc,
                 buyer_uscc=buyer.uscc or "", amount=values["amount"], signed_on=values["signed_on"],
                 city=values["city"], industry=values["industry"], status="draft", created_by_id=actor.id, **links)
    c.seller, c.buyer = seller, buyer
    db.session.add(c)
    if values.get("terms"):
        c.terms = build_terms(seller.id, data["terms"])
    db.session.flush()
    _regenerate_schedule(c)
    record_audit(actor, "contract", c.id, "create", None, "draft", details={"amount": str(c.amount)})
    return c


def set_terms(actor, c: Contract, data) -> Contract:
    _party_member(actor, c, None, "修改合同条款")
    if c.status not in EDITABLE:
        raise Conflict("合同已提交登记，条款不能再改；如需变更请先由登记机构退回")
    c.terms = build_terms(c.seller_org_id, data)
    db.session.flush()
    _regenerate_schedule(c)
    record_audit(actor, "contract", c.id, "terms", details=terms_dict(c.terms))
    return c


def submit(actor, c: Contract) -> Contract:
    _party_member(actor, c, None, "提交合同登记")
    if c.status not in EDITABLE:
        raise Conflict(f"合同当前为“{STATUSES[c.status]}”，不能提交登记")
    previous, c.status, c.return_reason = c.status, "submitted", None
    record_audit(actor, "contract", c.id, "submit", previous, "submitted")
    return c


def register(actor, c: Contract, data: dict, today: date | None = None) -> Contract:
    values = DecisionSchema().validate_dict(data or {})
    if not can_register(actor, c):
        raise Forbidden(f"该合同应由{c.city}市技术合同登记机构或省级中心登记")
    if c.status != "submitted":
        raise Conflict("只有待登记的合同可以登记")
    number = values.get("registration_no") or _next_number(c, today or date.today())
    if db.session.scalar(select(Contract.id).where(Contract.registration_no == number, Contract.id != c.id)):
        raise Conflict("登记编号已被使用", {"registration_no": "编号重复"})
    c.status, c.registration_no, c.registered_on, c.registrar_org_id = "registered", number, today or date.today(), actor.org_id
    record_audit(actor, "contract", c.id, "register", "submitted", "registered", details={"registration_no": number})
    _on_registered(c)
    return c


def _next_number(c: Contract, day: date) -> str:
    """Registration number: 年份 + 市 + 流水号, e.g. 2026-鹰潭-000012."""
    prefix = f"{day.year}-{c.city}-"
    last = db.session.scalar(select(db.func.max(Contract.registration_no)).where(
        Contract.registration_no.like(prefix + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


def _on_registered(c: Contract) -> None:
    """A registered licence or assignment puts the achievement to use: it leaves the 先用后转 list."""
    if c.kind != "技术转让" or c.achievement_id is None:
        return
    from ..usefirst.models import UseFirstItem
    item = UseFirstItem.query.filter_by(achievement_id=c.achievement_id).first()
    if item is not None and item.status in ("candidate", "listed"):
        record_audit(None, "usefirst", item.id, "close", item.status, "closed", reason=f"合同{c.registration_no}已登记")
        item.status = "closed"


def return_for_changes(actor, c: Contract, data: dict) -> Contract:
    values = DecisionSchema().validate_dict(data or {})
    if not can_register(actor, c):
        raise Forbidden(f"该合同应由{c.city}市技术合同登记机构或省级中心审核")
    if c.status != "submitted":
        raise Conflict("只有待登记的合同可以退回")
    if not values.get("reason") or len(values["reason"]) < 4:
        raise ValidationFailed("请写明退回原因", {"reason": "必填，至少 4 个字"})
    c.status, c.return_reason = "returned", values["reason"]
    record_audit(actor, "contract", c.id, "return", "submitted", "returned", reason=values["reason"])
    return c


# Money on a contract ------------------------------------------------------------------------------------

def _open_for_money(c: Contract):
    if c.status in EDITABLE:
        raise Conflict("合同提交登记后才能记录履约（里程碑、提成报告、到账）")


def reach_milestone(actor, c: Contract, line_id: int, data: dict) -> ScheduleLine:
    values = MilestoneReachedSchema().validate_dict(data)
    _party_member(actor, c, None, "确认里程碑达成")
    _open_for_money(c)
    line = next((x for x in c.lines if x.id == line_id and x.kind == "milestone"), None)
    if line is None:
        raise NotFound("没有找到该里程碑")
    if line.reached_on is not None:
        raise Conflict("该里程碑已确认达成")
    if values["reached_on"] < c.signed_on:
        raise ValidationFailed("达成日期不能早于合同签订日", {"reached_on": "日期有误"})
    line.reached_on, line.evidence = values["reached_on"], values["evidence"]
    if line.due_on is None:
        line.due_on = values["reached_on"] + timedelta(days=c.terms.due_days if c.terms else 30)
    record_audit(actor, "contract", c.id, "milestone", details={"line": line.id, "reached_on": str(line.reached_on),
                                                                 "due_on": str(line.due_on)})
    _tell(c, f"里程碑“{line.label}”已达成", f"{line.label}已于{line.reached_on}达成，{line.amount}元应于{line.due_on}前支付。")
    return line


def submit_report(actor, c: Contract, data: dict) -> RoyaltyReport:
    values = ReportSchema().validate_dict(data)
    _party_member(actor, c, "buyer", "提交提成报告")
    _open_for_money(c)
    if c.terms is None or c.terms.kind != "zero_threshold" or not c.terms.royalty_rate:
        raise Conflict("该合同的条款没有约定收入提成")
    if values["net_sales"] == "negotiable":
        raise ValidationFailed("净销售额应为金额", {"net_sales": "请填写金额"})
    t = c.terms
    start = c.signed_on
    try:
        money.check_period(start, t.report_period, values["period_start"], values["period_end"],
                           [r.period_start for r in c.reports])
    except money.MoneyError as exc:
        raise (Conflict(str(exc), {"period_start": str(exc)}) if "重复" in str(exc) else _fail(exc)) from None
    year = money.licence_year(start, values["period_start"])
    same_year = [r for r in c.reports if money.licence_year(start, r.period_start) == year]
    already = sum((Decimal(r.royalty) for r in same_year), Decimal("0"))
    royalty = money.royalty_for_report(values["net_sales"], t.royalty_rate, already, t.royalty_cap)
    report = RoyaltyReport(contract_id=c.id, period_start=values["period_start"], period_end=values["period_end"],
                           net_sales=values["net_sales"], royalty=royalty, submitted_by_id=actor.id)
    c.reports.append(report)
    db.session.flush()
    due_on = values["period_end"] + timedelta(days=t.due_days)
    seq = max((x.seq for x in c.lines), default=-1) + 1
    c.lines.append(ScheduleLine(seq=seq, kind="royalty", amount=royalty, due_on=due_on, report_id=report.id,
                                label=f"收入提成 {report.period_start}～{report.period_end}"))
    year_end = money.add_months(start, 12 * (year + 1)) - timedelta(days=1)
    if values["period_end"] == year_end and t.royalty_min is not None:
        top = money.minimum_top_up(already + royalty, t.royalty_min, t.royalty_cap)
        if top > 0:
            c.lines.append(ScheduleLine(seq=seq + 1, kind="minimum", amount=top, due_on=due_on, report_id=report.id,
                                        label=f"第{year + 1}许可年度最低提成补足"))
    record_audit(actor, "contract", c.id, "royalty-report", details={
        "period": f"{report.period_start}~{report.period_end}", "net_sales": str(report.net_sales),
        "royalty": str(royalty)})
    _tell(c, "收到提成报告", f"{c.buyer.name}报告{report.period_start}～{report.period_end}净销售额"
                           f"{report.net_sales}元，应付提成{royalty}元，应于{due_on}前支付。")
    return report


def record_payment(actor, c: Contract, data: dict) -> Payment:
    values = PaymentSchema().validate_dict(data)
    _party_member(actor, c, "seller", "登记到账")
    _open_for_money(c)
    amount = values["amount"]
    if amount == "negotiable" or amount <= 0:
        raise ValidationFailed("到账金额应大于 0", {"amount": "请填写金额"})
    owed = sum((Decimal(x.amount) for x in c.lines), Decimal("0")) - paid_total(c)
    if amount > owed:
        raise ValidationFailed(f"到账金额超过尚未支付的应付金额（{money.fen(owed)}元）", {"amount": "金额过大"})
    p = Payment(contract_id=c.id, amount=amount, received_on=values["received_on"], note=values.get("note"),
                recorded_by_id=actor.id)
    c.payments.append(p)
    db.session.flush()
    record_audit(actor, "contract", c.id, "payment", details={"amount": str(amount),
                                                               "received_on": str(p.received_on)})
    return p


def paid_total(c: Contract) -> Decimal:
    return sum((Decimal(p.amount) for p in c.payments), Decimal("0"))


def statement(c: Contract, today: date) -> dict:
    """Every line with what is paid of it and its status on `today`; the deal's status and totals."""
    lines = [money.Line(x.id, Decimal(x.amount), x.due_on) for x in c.lines]
    received = sum((Decimal(p.amount) for p in c.payments if p.received_on <= today), Decimal("0"))
    paid = money.allocate(lines, received)
    rows = []
    for x in c.lines:
        s = money.line_status(x.amount, paid.get(x.id, 0), x.due_on, today)
        rows.append({"id": x.id, "kind": x.kind, "label": x.label, "amount": str(money.fen(x.amount)),
                     "due_on": x.due_on.isoformat() if x.due_on else None, "trigger": x.trigger,
                     "reached_on": x.reached_on.isoformat() if x.reached_on else None,
                     "paid": str(money.fen(paid.get(x.id, 0))), "status": s, "status_label": money.STATUS_LABELS[s]})
    total = sum((Decimal(x.amount) for x in c.lines), Decimal("0"))
    status = money.deal_status([r["status"] for r in rows])
    return {"lines": rows, "total_due": str(money.fen(total)), "received": str(money.fen(received)),
            "outstanding": str(money.fen(total - received)), "status": status,
            "status_label": money.STATUS_LABELS[status], "as_of": today.isoformat()}


# Income split --------------------------------------------------------------------------------------------

def can_see_split(actor, c: Contract) -> bool:
    return ((perm.is_authenticated(actor) and actor.org_id == c.seller_org_id)
            or (perm.is_authenticated(actor) and c.broker_id == actor.id)
            or perm.in_admin_scope(actor, c.seller))


def set_split(actor, c: Contract, data: dict) -> IncomeSplit:
    values = SplitSchema().validate_dict(data)
    _party_member(actor, c, "seller", "登记收益分配")
    if values["net_income"] == "negotiable":
        raise ValidationFailed("净收入应为金额", {"net_income": "请填写金额"})
    if values["broker_percent"] and c.broker_id is None:
        raise ValidationFailed("该合同没有技术经纪人，经纪人比例应为 0", {"broker_percent": "应为 0"})
    try:
        amounts = money.split(values["net_income"], {"team": values["team_percent"],
                                                     "institution": values["institution_percent"],
                                                     "broker": values["broker_percent"]})
    except money.MoneyError as exc:
        raise _fail(exc) from None
    warning = money.team_warning(values["team_percent"])
    if warning and not values["confirm_low_team_share"]:
        raise ValidationFailed(warning + "（确认无误请勾选“确认团队比例低于70%”）", {"team_percent": warning})
    inventors = values["inventors"]
    shares = {}
    if inventors:
        names = [i["name"] for i in inventors]
        if len(set(names)) != len(names):
            raise ValidationFailed("完成人姓名重复", {"inventors": "姓名重复"})
        try:
            shares = money.split(amounts["team"], {i["name"]: i["percent"] for i in inventors})
        except money.MoneyError as exc:
            raise ValidationFailed("完成人份额合计应为 100%", {"inventors": str(exc)}) from None
    split_row = IncomeSplit.query.filter_by(contract_id=c.id).first() or IncomeSplit(contract_id=c.id)
    split_row.net_income = values["net_income"]
    split_row.team_percent, split_row.institution_percent = values["team_percent"], values["institution_percent"]
    split_row.broker_percent = values["broker_percent"]
    split_row.team_amount, split_row.institution_amount = amounts["team"], amounts["institution"]
    split_row.broker_amount, split_row.warning = amounts["broker"], warning
    split_row.shares.clear()
    for i in inventors:
        split_row.shares.append(InventorShare(name=i["name"], percent=i["percent"], amount=shares[i["name"]]))
    db.session.add(split_row)
    db.session.flush()
    record_audit(actor, "contract", c.id, "income-split", details={
        "net_income": str(split_row.net_income), "team": str(split_row.team_amount),
        "institution": str(split_row.institution_amount), "broker": str(split_row.broker_amount),
        "inventors": {s.name: str(s.amount) for s in split_row.shares}, "warning": warning})
    return split_row


def split_dict(row: IncomeSplit | None) -> dict | None:
    if row is None:
        return None
    return {"net_income": str(row.net_income), "team_percent": str(row.team_percent),
            "institution_percent": str(row.institution_percent), "broker_percent": str(row.broker_percent),
            "team_amount": str(row.team_amount), "institution_amount": str(row.institution_amount),
            "broker_amount": str(row.broker_amount), "warning": row.warning,
            "inventors": [{"name": s.name, "percent": str(s.percent), "amount": str(s.amount)} for s in row.shares]}


# Reminders -----------------------------------------------------------------------------------------------

def _tell(c: Contract, title: str, body: str) -> None:
    from ..matching.inbox import tell_orgs
    tell_orgs(c.party_org_ids, "contract", title, body, f"/contracts/{c.id}")


def send_reminders(today: date) -> dict:
    """Before a line falls due (within REMIND_BEFORE_DAYS) and after it is overdue: each once, to both
    parties. Safe to run daily."""
    sent = {"before": 0, "after": 0}
    done = {(r.subject_id, r.stage) for r in Reminder.query.filter_by(subject="line")}
    for c in Contract.query.filter(Contract.status.in_(("submitted", "registered"))):
        st = statement(c, today)
        for row in st["lines"]:
            if row["status"] in ("paid", "waiting") or row["due_on"] is None:
                continue
            due_on = date.fromisoformat(row["due_on"])
            stage = "after" if row["status"] == "overdue" else (
                "before" if due_on - today <= timedelta(days=REMIND_BEFORE_DAYS) else None)
            if stage is None or (row["id"], stage) in done:
                continue
            owed = money.fen(Decimal(row["amount"]) - Decimal(row["paid"]))
            if stage == "before":
                _tell(c, f"付款提醒：{row['label']}将于{row['due_on']}到期",
                      f"合同“{c.title}”的{row['label']}尚有{owed}元应于{row['due_on']}前支付。")
            else:
                _tell(c, f"逾期提醒：{row['label']}已逾期",
                      f"合同“{c.title}”的{row['label']}已于{row['due_on']}到期，尚有{owed}元未付。")
            db.session.add(Reminder(subject="line", subject_id=row["id"], stage=stage, sent_on=today))
            sent[stage] += 1
    return sent


def contract_dict(c: Contract, actor=None, today: date | None = None) -> dict:
    out = {"id": c.id, "kind": c.kind, "transfer_form": c.transfer_form, "title": c.title,
           "seller": {"id": c.seller_org_id, "name": c.seller.name, "uscc": c.seller_uscc},
           "buyer": {"id": c.buyer_org_id, "name": c.buyer.name, "uscc": c.buyer_uscc},
           "amount": str(c.amount), "signed_on": c.signed_on.isoformat(), "city": c.city, "industry": c.industry,
           "achievement_id": c.achievement_id, "demand_id": c.demand_id, "introduction_id": c.introduction_id,
           "broker_id": c.broker_id, "status": c.status, "status_label": STATUSES[c.status],
           "registration_no": c.registration_no,
           "registered_on": c.registered_on.isoformat() if c.registered_on else None,
           "return_reason": c.return_reason, "terms": terms_dict(c.terms), "trial_id": trial_id_of(c)}
    out["statement"] = statement(c, today or date.today())
    if actor is not None and can_see_split(actor, c):
        out["income_split"] = split_dict(IncomeSplit.query.filter_by(contract_id=c.id).first())
    return out


def trial_id_of(c: Contract) -> int | None:
    from ..usefirst.models import Trial
    return db.session.scalar(select(Trial.id).where(Trial.contract_id == c.id))


def visible(actor, status: str | None = None):
    q = select(Contract).where(visible_condition(actor))
    if status:
        q = q.where(Contract.status == status)
    return q.order_by(Contract.signed_on.desc(), Contract.id.desc())


def pending_registration(actor):
    """Contracts waiting for this administrator's registration."""
    if not perm.is_admin(actor):
        return []
    rows = db.session.scalars(select(Contract).where(Contract.status == "submitted").order_by(Contract.id)).all()
    return [c for c in rows if can_register(actor, c)]

