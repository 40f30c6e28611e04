"""Payment reminders: before a line falls due and once it is overdue, each sent once to both parties."""
from datetime import date, timedelta
from decimal import Decimal

from ..extensions import db
from . import money
from .models import Contract, Reminder
from .notify import tell
from .payments import statement

REMIND_BEFORE_DAYS = 7


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
                tell(c, f"付款提醒：{row['label']}将于{row['due_on']}到期",
                     f"合同“{c.title}”的{row['label']}尚有{owed}元应于{row['due_on']}前支付。")
            else:
                tell(c, f"逾期提醒：{row['label']}已逾期",
                     f"合同“{c.title}”的{row['label']}已于{row['due_on']}到期，尚有{owed}元未付。")
            db.session.add(Reminder(subject="line", subject_id=row["id"], stage=stage, sent_on=today))
            sent[stage] += 1
        reports = _report_due(c, today)
        if reports:  # only when some were due: callers read before/after
            sent["reports"] = sent.get("reports", 0) + reports
    return sent


def _report_due(c: Contract, today: date) -> int:
    """提成报告待提交: each reporting period that has ended without a report, once (stage = its first day)."""
    t = c.terms
    if t is None or t.kind != "zero_threshold" or not t.royalty_rate or c.status != "registered":
        return 0
    reported = {r.period_start for r in c.reports}
    count = 0
    for a, b in money.report_periods(c.signed_on, t.report_period, today):
        if b >= today or a in reported or Reminder.query.filter_by(subject="report", subject_id=c.id,
                                                                    stage=a.isoformat()).first():
            continue
        tell(c, f"提成报告待提交：{a}～{b}", f"合同“{c.title}”{a}～{b}的报告期已结束，请被许可方提交提成报告（净销售额）。")
        db.session.add(Reminder(subject="report", subject_id=c.id, stage=a.isoformat(), sent_on=today))
        count += 1
    return count
