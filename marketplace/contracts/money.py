"""Deal money, pure: payment schedules from licence terms, royalties, allocation of payments, status on a
date, income splits. No database, no Flask; property-tested (tests/test_deal_money.py).

Amounts are Decimal yuan. Rounding happens once, in `fen()`, half-up, at these documented points:
  - an instalment of a deferred fee: fee / n rounded down to the fen for all but the last instalment, the
    last takes the remainder, so the instalments add up to the fee exactly;
  - a royalty: net sales × rate / 100 is rounded half-up to the fen, then the annual cap is applied;
  - an income split: each share is rounded down to the fen, the leftover fen go one by one to the largest
    remainders (ties: the order given), so the shares add up to the net income exactly.
Inputs are validated here as well (negative amounts, rates outside 0–100) so no caller can skip it.
"""
import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
TERM_KINDS = {"zero_threshold": "零门槛费+里程碑支付+收入提成", "deferred": "延期支付许可费",
              "lump_sum": "一次性支付", "equity": "作价入股"}
PERIODS = {"quarter": 3, "half": 6, "year": 12}
PERIOD_LABELS = {"quarter": "季度", "half": "半年", "year": "年度"}
TEAM_MINIMUM = Decimal("70")
RATE_PLACES = 4   # royalty rate and equity percentage: Numeric(7, 4)
SHARE_PLACES = 2  # income-split percentages: Numeric(5, 2)


class MoneyError(ValueError):
    """Terms or figures that cannot make a schedule; the message is for the user."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field = field_name


def fen(value) -> Decimal:
    """The one rounding rule: half-up to the fen."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _down(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


def add_months(d: date, months: int) -> date:
    """Same day `months` later; a day the month lacks becomes its last day (31 Jan + 1 month = 28/29 Feb)."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def years_before(d: date, years: int) -> date:
    """The date `years` before d; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


@dataclass(frozen=True)
class MilestoneTerm:
    name: str
    amount: Decimal
    trigger: str = ""
    due_on: date | None = None   # None: falls due when reached (an event), `due_days` after it


@dataclass(frozen=True)
class Terms:
    kind: str
    amount: Decimal = ZERO            # lump sum, deferred fee, or the equity's value
    due_days: int = 30                # lump sum: days after signing; milestones: days after being reached
    defer_months: int = 0             # deferred: months before the first instalment
    instalments: int = 1              # deferred: how many instalments
    interval_months: int = 12         # deferred: months between instalments
    royalty_rate: Decimal = ZERO      # percent of net sales
    royalty_min: Decimal | None = None  # per licence year
    royalty_cap: Decimal | None = None  # per licence year
    report_period: str = "quarter"
    equity_percent: Decimal | None = None
    milestones: tuple = field(default_factory=tuple)


@dataclass(frozen=True)
class Due:
    kind: str            # lump_sum | instalment | milestone | royalty | minimum | equity
    label: str
    amount: Decimal
    due_on: date | None  # None: waits for an event (a milestone not yet reached)
    milestone: int | None = None


def _places(value) -> int:
    return max(0, -Decimal(value).as_tuple().exponent)


def validate(t: Terms) -> None:
    if t.kind not in TERM_KINDS:
        raise MoneyError("条款类型应为：" + "、".join(TERM_KINDS.values()), "kind")
    for name, value in (("royalty_rate", t.royalty_rate), ("equity_percent", t.equity_percent)):
        if value is not None and _places(value) > RATE_PLACES:
            raise MoneyError(f"比例最多保留{RATE_PLACES}位小数", name)
    for name, value in (("amount", t.amount), ("royalty_min", t.royalty_min), ("royalty_cap", t.royalty_cap)):
        if value is not None and Decimal(value) < 0:
            raise MoneyError("金额不能为负数", name)
        if value is not None and Decimal(value) != fen(value):
            raise MoneyError("金额最多精确到分（两位小数）", name)
    if not (0 <= Decimal(t.royalty_rate) <= 100):
        raise MoneyError("提成比例应在 0 到 100（%）之间", "royalty_rate")
    if t.royalty_min is not None and t.royalty_cap is not None and t.royalty_min > t.royalty_cap:
        raise MoneyError("年度最低提成不能高于年度提成上限", "royalty_min")
    if t.report_period not in PERIODS:
        raise MoneyError("报告周期应为季度、半年或年度", "report_period")
    if not (1 <= t.instalments <= 120) or t.defer_months < 0 or t.interval_months < 1 or t.due_days < 0:
        raise MoneyError("分期次数应为 1–120，延期月数不能为负，间隔至少 1 个月", "instalments")
    if t.kind in ("lump_sum", "deferred") and Decimal(t.amount) <= 0:
        raise MoneyError("请填写许可费/转让费金额", "amount")
    if t.kind == "zero_threshold" and Decimal(t.royalty_rate) <= 0 and not t.milestones:
        raise MoneyError("零门槛费许可需约定里程碑付款或提成比例", "royalty_rate")
    if t.kind == "equity" and not (t.equity_percent and 0 < Decimal(t.equity_percent) <= 100):
        raise MoneyError("作价入股需填写股权比例（0–100%）", "equity_percent")
    for m in t.milestones:
        if not m.name.strip():
            raise MoneyError("里程碑需要名称", "milestones")
        if Decimal(m.amount) <= 0 or Decimal(m.amount) != fen(m.amount):
            raise MoneyError(f"里程碑“{m.name}”的金额应为正数，精确到分", "milestones")


def schedule(t: Terms, start: date) -> list[Due]:
    """The payment schedule a deal's terms generate from its start (signing) date. Royalties are not in it:
    they fall due as the licensee reports (royalty_for_report), and the annual minimum at each licence
    year's end (minimum_top_up)."""
    validate(t)
    amount = Decimal(t.amount)
    if t.kind == "lump_sum":
        return [Due("lump_sum", "一次性支付", fen(amount), start + timedelta(days=t.due_days))]
    if t.kind == "deferred":
        part = _down(amount / t.instalments)
        out = []
        for i in range(t.instalments):
            value = part if i < t.instalments - 1 else fen(amount - part * (t.instalments - 1))
            label = "延期支付许可费" + (f"（第{i + 1}/{t.instalments}期）" if t.instalments > 1 else "")
            out.append(Due("instalment", label, value, add_months(start, t.defer_months + i * t.interval_months)))
        return out
    if t.kind == "equity":
        return [Due("equity", f"作价入股（{Decimal(t.equity_percent).normalize():f}%股权）", fen(amount),
                    start + timedelta(days=t.due_days))]
    return [Due("milestone", f"里程碑：{m.name}", fen(m.amount), m.due_on, milestone=i)
            for i, m in enumerate(t.milestones)]


def schedule_total(items: list[Due]) -> Decimal:
    return sum((i.amount for i in items), ZERO)


# Royalties -----------------------------------------------------------------------------------------------

def licence_year(start: date, day: date) -> int:
    """0 for the first twelve months from `start`, 1 for the next ..."""
    k = 0
    while add_months(start, 12 * (k + 1)) <= day:
        k += 1
    return k


def report_periods(start: date, period: str, until: date) -> list[tuple[date, date]]:
    """The reporting periods from the start of the licence that begin on or before `until`."""
    months = PERIODS[period]
    out, i = [], 0
    while True:
        a = add_months(start, i * months)
        if a > until:
            return out
        out.append((a, add_months(start, (i + 1) * months) - timedelta(days=1)))
        i += 1


def check_period(start: date, period: str, period_start: date, period_end: date, reported: list[date]) -> None:
    """A report must cover exactly one reporting period of the licence, and only once."""
    months = PERIODS[period]
    if period_start < start:
        raise MoneyError("报告期不能早于许可开始日", "period_start")
    expected = None
    for a, b in report_periods(start, period, period_start):
        if a == period_start:
            expected = b
    if expected is None or expected != period_end:
        raise MoneyError(f"报告期应为许可开始日起按{PERIOD_LABELS[period]}（{months}个月）划分的一个完整周期",
                         "period_start")
    if period_start in reported:
        raise MoneyError("该报告期已提交过提成报告，不能重复提交", "period_start")


def royalty_for_report(net_sales, rate, already_this_year, cap=None) -> Decimal:
    """Royalty due on one report: net sales × rate % (rounded half-up to the fen), never more than what the
    annual cap leaves, never negative."""
    net_sales = Decimal(net_sales)
    if net_sales < 0:
        raise MoneyError("净销售额不能为负数", "net_sales")
    raw = fen(net_sales * Decimal(rate) / 100)
    if cap is not None:
        raw = min(raw, max(ZERO, fen(cap) - fen(already_this_year)))
    return max(ZERO, raw)


def minimum_top_up(year_total, minimum=None, cap=None) -> Decimal:
    """What the licensee owes at a licence year's end to reach the annual minimum (capped too)."""
    if minimum is None:
        return ZERO
    floor = fen(minimum) if cap is None else min(fen(minimum), fen(cap))
    return max(ZERO, floor - fen(year_total))


# Payments and status -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A schedule line as stored: what is due and when (None: not due until an event)."""
    key: int
    amount: Decimal
    due_on: date | None


def allocate(lines: list[Line], received: Decimal) -> dict[int, Decimal]:
    """Money received goes to what fell due first (earliest due date, then schedule order); lines waiting
    for an event come last. Returns {key: amount paid}."""
    left = fen(received)
    paid = {}
    for line in sorted(lines, key=lambda x: (x.due_on is None, x.due_on or date.max, x.key)):
        take = min(left, fen(line.amount))
        paid[line.key] = take
        left -= take
    return paid


STATUS_LABELS = {"paid": "已付清", "partly_paid": "部分支付", "due": "到期应付", "overdue": "逾期",
                 "not_due": "未到期", "waiting": "待触发"}


def line_status(amount, paid, due_on: date | None, today: date) -> str:
    amount, paid = fen(amount), fen(paid)
    if paid >= amount:
        return "paid"
    if due_on is None:
        return "waiting" if paid == 0 else "partly_paid"
    if due_on < today:
        return "overdue"
    if paid > 0:
        return "partly_paid"
    return "due" if due_on == today else "not_due"


def deal_status(statuses: list[str]) -> str:
    """One word for a deal from its lines' statuses: overdue beats due beats partly paid ..."""
    for s in ("overdue", "due", "partly_paid"):
        if s in statuses:
            return s
    if statuses and all(s == "paid" for s in statuses):
        return "paid"
    if "paid" in statuses:
        return "partly_paid"
    return "not_due" if statuses else "waiting"


# Income split --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    percent: Decimal  # as stored and shown: SHARE_PLACES decimals
    amount: Decimal


def split(total, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """Split `total` by percentages that add up to 100, exactly to the fen (largest remainder). Percentages
    with more than SHARE_PLACES decimals are refused: they could not be stored, so the amounts would not be
    those of the percentages shown."""
    total = fen(total)
    if total < 0:
        raise MoneyError("净收入不能为负数", "net_income")
    values = {k: Decimal(v) for k, v in shares.items()}
    if any(v < 0 for v in values.values()):
        raise MoneyError("分配比例不能为负数", "shares")
    if any(_places(v) > SHARE_PLACES for v in values.values()):
        raise MoneyError(f"分配比例最多保留{SHARE_PLACES}位小数", "shares")
    if sum(values.values(), Decimal(0)) != 100:
        raise MoneyError("分配比例合计应为 100%", "shares")
    exact = {k: total * v / 100 for k, v in values.items()}
    out = {k: _down(x) for k, x in exact.items()}
    left = int((total - sum(out.values(), ZERO)) / FEN)
    order = sorted(exact, key=lambda k: -(exact[k] - out[k]))
    for k in order[:left]:
        out[k] += FEN
    return out


def split_shares(total, shares: dict[str, Decimal]) -> dict[str, Share]:
    """`split`, returning with each amount the percentage it was computed from, in the form it is stored and
    shown (two decimals): what a person reads adds up to 100.00% and to the total, to the fen."""
    amounts = split(total, shares)
    step = Decimal(1).scaleb(-SHARE_PLACES)
    return {k: Share(Decimal(v).quantize(step), amounts[k]) for k, v in shares.items()}


def team_warning(team_percent) -> str | None:
    if Decimal(team_percent) < TEAM_MINIMUM:
        return f"研发团队所得 {Decimal(team_percent).normalize():f}% 低于政策允许的不低于 70%，请确认"
    return None
