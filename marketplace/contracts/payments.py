"""Performance of a contract: milestones reached, royalty reports, payments received, and the statement of
what is due, paid and overdue on a date. Dates are checked against the signing date and `today` (a
parameter, so tests pin it): nothing is reached, reported or received before signing or in the future."""
from datetime import date, timedelta
from decimal import Decimal

from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.models import record_audit
from ..core.signals import payment_recorded
from ..extensions import db
from . import money
from .models import EDITABLE, Contract, Payment, RoyaltyReport, ScheduleLine
from .notify import tell
from .permissions import require_party
from .schemas import MilestoneReachedSchema, PaymentSchema, ReportSchema
from .terms import invalid


def _open_for_money(c: Contract):
    if c.status in EDITABLE:
        raise Conflict("合同提交登记后才能记录履约（里程碑、提成报告、到账）")


def _within(c: Contract, day: date, today: date, field: str, what: str) -> None:
    """`day` lies between the signing date and today, inclusive."""
    if day < c.signed_on:
        raise ValidationFailed(f"{what}不能早于合同签订日（{c.signed_on}）", {field: "日期早于签订日"})
    if day > today:
        raise ValidationFailed(f"{what}不能晚于今天（{today}）", {field: "日期在将来"})


def reach_milestone(actor, c: Contract, line_id: int, data: dict, today: date | None = None) -> ScheduleLine:
    values = MilestoneReachedSchema().validate_dict(data)
    require_party(actor, c, None, "确认里程碑达成")
    _open_for_money(c)
    line = next((x for x in c.lines if x.id == line_id and x.kind == "milestone"), None)
    if line is None:
        raise NotFound("没有找到该里程碑")
    if line.reached_on is not None:
        raise Conflict("该里程碑已确认达成")
    _within(c, values["reached_on"], today or date.today(), "reached_on", "达成日期")
    line.reached_on, line.evidence = values["reached_on"], values["evidence"]
    if line.due_on is None:
        line.due_on = values["reached_on"] + timedelta(days=c.terms.due_days if c.terms else 30)
    record_audit(actor, "contract", c.id, "milestone", details={"line": line.id, "reached_on": str(line.reached_on),
                                                                 "due_on": str(line.due_on)})
    tell(c, f"里程碑“{line.label}”已达成", f"{line.label}已于{line.reached_on}达成，{line.amount}元应于{line.due_on}前支付。")
    return line


def submit_report(actor, c: Contract, data: dict, today: date | None = None) -> RoyaltyReport:
    """A royalty report for one whole reporting period that has ended; its royalty (and, at a licence year's
    end, the minimum top-up) become schedule lines."""
    values = ReportSchema().validate_dict(data)
    require_party(actor, c, "buyer", "提交提成报告")
    _open_for_money(c)
    if c.terms is None or c.terms.kind != "zero_threshold" or not c.terms.royalty_rate:
        raise Conflict("该合同的条款没有约定收入提成")
    if values["net_sales"] == "negotiable":
        raise ValidationFailed("净销售额应为金额", {"net_sales": "请填写金额"})
    today = today or date.today()
    if values["period_end"] > today:
        raise ValidationFailed(f"报告期尚未结束（{values['period_end']}），期满后才能提交提成报告",
                               {"period_end": "报告期尚未结束"})
    t = c.terms
    start = c.signed_on
    try:
        money.check_period(start, t.report_period, values["period_start"], values["period_end"],
                           [r.period_start for r in c.reports])
    except money.MoneyError as exc:
        raise (Conflict(str(exc), {"period_start": str(exc)}) if "重复" in str(exc) else invalid(exc)) from None
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
    tell(c, "收到提成报告", f"{c.buyer.name}报告{report.period_start}～{report.period_end}净销售额"
                          f"{report.net_sales}元，应付提成{royalty}元，应于{due_on}前支付。")
    return report


def record_payment(actor, c: Contract, data: dict, today: date | None = None) -> Payment:
    """Money received (到账), dated between signing and today, never more than is still owed."""
    values = PaymentSchema().validate_dict(data)
    require_party(actor, c, "seller", "登记到账")
    _open_for_money(c)
    amount = values["amount"]
    if amount == "negotiable" or amount <= 0:
        raise ValidationFailed("到账金额应大于 0", {"amount": "请填写金额"})
    _within(c, values["received_on"], today or date.today(), "received_on", "到账日期")
    owed = sum((Decimal(x.amount) for x in c.lines), Decimal("0")) - paid_total(c)
    if amount > owed:
        raise ValidationFailed(f"到账金额超过尚未支付的应付金额（{money.fen(owed)}元）", {"amount": "金额过大"})
    p = Payment(contract_id=c.id, amount=amount, received_on=values["received_on"], note=values.get("note"),
                recorded_by_id=actor.id)
    c.payments.append(p)
    db.session.flush()
    payment_recorded.send(p)
    tell(c, f"到账已登记：{money.fen(amount)} 元", f"合同“{c.title}”登记到账 {money.fen(amount)} 元（{p.received_on}）。")
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
