"""Term sheets (licence terms) and the schedule of what a contract's terms make due. The maths is in money.py;
here the rows, and the rule that changed terms never move money already received."""
from decimal import Decimal

from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from . import money
from .models import Contract, MilestoneTermRow, ScheduleLine, TermSheet
from .schemas import TermsSchema


def invalid(exc: money.MoneyError) -> ValidationFailed:
    """A refusal of the deal maths as a 422 on its field."""
    return ValidationFailed(str(exc), {exc.field or "terms": str(exc)})


def terms_of(sheet: TermSheet) -> money.Terms:
    return money.Terms(
        kind=sheet.kind, amount=Decimal(sheet.amount or 0), due_days=sheet.due_days, defer_months=sheet.defer_months,
        instalments=sheet.instalments, interval_months=sheet.interval_months,
        royalty_rate=Decimal(sheet.royalty_rate or 0), royalty_min=sheet.royalty_min, royalty_cap=sheet.royalty_cap,
        report_period=sheet.report_period, equity_percent=sheet.equity_percent,
        milestones=tuple(money.MilestoneTerm(m.name, Decimal(m.amount), m.trigger, m.due_on) for m in sheet.milestones))


def build_terms(owner_org_id: int, data) -> TermSheet:
    """A new term sheet from input (validated by the schema, then by money.validate), or a copy of a sheet."""
    if isinstance(data, TermSheet):
        return copy_terms(data, owner_org_id)
    values = TermsSchema().validate_dict(data)
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
        raise invalid(exc) from None
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


# The schedule ------------------------------------------------------------------------------------------------

def allocation(lines, payments) -> dict:
    """{line key: amount paid} for ScheduleLine-like rows (key: id) and all payments received."""
    received = sum((Decimal(p.amount) for p in payments), Decimal("0"))
    return money.allocate([money.Line(x.id, Decimal(x.amount), x.due_on) for x in lines], received)


def _same(line: ScheduleLine, due: money.Due, trigger) -> bool:
    """The row still says what the terms say (a reached milestone's due date came from its reaching)."""
    return (line.kind == due.kind and line.label == due.label and money.fen(line.amount) == due.amount
            and (line.trigger or None) == (trigger or None)
            and (line.due_on == due.due_on or (due.due_on is None and line.reached_on is not None)))


def sync_schedule(c: Contract, sheet: TermSheet | None = None) -> None:
    """Put `sheet` (default: the contract's own) on the contract and bring its schedule in line with it.

    Lines made from royalty reports (royalty, minimum top-up) stay as they are. A line of the old terms that the
    new terms still hold stays the same row, with its reached date and evidence; other lines of the old terms go
    and new ones come. Money received is allocated to lines by due date, so a change that would remove or alter
    a line already (partly) paid, or make money received count for another line, is refused (409): what was
    paid for stays paid for.
    """
    sheet = c.terms if sheet is None else sheet
    db.session.flush()  # ids for lines made earlier in this request
    before = allocation(c.lines, c.payments)
    from_reports = sorted((x for x in c.lines if x.report_id is not None), key=lambda x: x.seq)
    pool = [x for x in c.lines if x.report_id is None]
    dues = money.schedule(terms_of(sheet), c.signed_on) if sheet is not None else []
    plan = []
    for due in dues:
        trigger = sheet.milestones[due.milestone].trigger if due.milestone is not None else None
        match = next((x for x in pool if _same(x, due, trigger)), None)
        if match is not None:
            pool.remove(match)
            plan.append(match)
        else:
            plan.append(ScheduleLine(kind=due.kind, label=due.label, amount=due.amount, due_on=due.due_on,
                                     trigger=trigger))
    for gone in pool:
        if before.get(gone.id, 0) > 0:
            raise Conflict(f"“{gone.label}”已到账 {money.fen(before[gone.id])} 元，条款变更不能删除或改动这一款项",
                           {"terms": "会改动已到账的款项"})
    new_lines = plan + from_reports
    keys = [x.id if x.id is not None else -i - 1 for i, x in enumerate(new_lines)]
    after = money.allocate([money.Line(k, Decimal(x.amount), x.due_on) for k, x in zip(keys, new_lines)],
                           sum((Decimal(p.amount) for p in c.payments), Decimal("0")))
    for key, x in zip(keys, new_lines):
        if x.id is not None and before.get(x.id, 0) > 0 and after.get(key, 0) != before[x.id]:
            raise Conflict(f"条款变更会使“{x.label}”已到账的款项改记到其他款项上，不能保存",
                           {"terms": "会改变已到账款项的归属"})
    if sheet is not c.terms:
        c.terms = sheet
    for seq, x in enumerate(new_lines):
        x.seq = seq
    c.lines[:] = new_lines
    db.session.flush()
