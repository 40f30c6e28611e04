"""Broker performance maths, pure (no app, no database): the credit score with its components, the median,
and the amount band shown on a public profile when the parties have not both agreed to show the amount.

Credit score (信用分, 0–100) = the sum of eight components, each capped at its maximum:

  成交    25 × min(registered contracts, 10) / 10             deals that reached 技术合同登记
  金额    10 × min(log10(1 + registered value in 万元) / 3, 1)  1,000万 or more earns the full 10
  到账    15 × min(cash received / registered value, 1)       money that actually arrived (到账)
  佣金     5 × min(log10(1 + commission earned in 万元) / 1.5, 1)
                                                             commission the paying parties confirmed (paid
                                                             included, reversals netted, equity not counted);
                                                             ≈ 30.6万 earns the full 5 (3% of 1,000万)
  成功率  15 × signed / (signed + failed) introductions       only closed introductions count
  评价    20 × (r − 1) / 4, r = (sum of ratings + 3 × 2) / (number of ratings + 2)
                                                             a Bayesian mean: two imaginary 3-star ratings, so
                                                             one 5-star rating is not a perfect record
  速度     5 × (365 − median days) / (365 − 60), within [0, 5]  median days from introduction to signing;
                                                             ≤ 60 days: 5, ≥ 365 days (or no deal): 0
  培训     5 × min(training hours of the latest year / 40, 1)  continuing education

Nothing is earned for a component without data (no deal, no rating), so a new broker starts low and earns
its score. The score is shown with every component, so a broker can see what to improve.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10000)
PRIOR_RATING, PRIOR_WEIGHT = Decimal(3), Decimal(2)
FAST_DAYS, SLOW_DAYS = 60, 365
TRAINING_HOURS = Decimal(40)
DEAL_CAP = 10

# (key, label, maximum points)
COMPONENTS = (("deals", "成交", 25), ("value", "金额", 10), ("cash", "到账", 15), ("commission", "佣金", 5),
              ("success", "成功率", 15), ("rating", "评价", 20), ("speed", "速度", 5), ("training", "培训", 5))
COMMISSION_LOG_SCALE = Decimal("1.5")  # log10(1 + 万元) at which the commission component is full


@dataclass
class Performance:
    """What a broker (or an agency, summed) has done; money in Decimal yuan."""
    introductions: int = 0          # introductions that reached 已引荐 (an achievement was introduced)
    signed: int = 0                 # introductions that reached 已签约
    failed: int = 0                 # introductions closed as 未成功
    contracts: int = 0              # contracts entered with this broker (any status)
    registered: int = 0             # of which registered (技术合同登记)
    value: Decimal = Decimal(0)     # registered contract value (成交额)
    received: Decimal = Decimal(0)  # cash received (到账) on those contracts
    days_to_sign: list = field(default_factory=list)  # days from introduction to signing, per contract
    ratings: list = field(default_factory=list)        # 1–5 each
    training_hours: Decimal = Decimal(0)               # latest year's hours
    commission: Decimal | None = None                  # earned (confirmed by the payers, net of reversals), from
                                                       # the commissions package's ledger; None: no ledger

    @property
    def success_rate(self) -> Decimal | None:
        closed = self.signed + self.failed
        return None if not closed else (Decimal(self.signed) / closed).quantize(Decimal("0.001"))

    @property
    def median_days(self) -> Decimal | None:
        return median(self.days_to_sign)

    @property
    def rating_mean(self) -> Decimal | None:
        if not self.ratings:
            return None
        return (Decimal(sum(self.ratings)) / len(self.ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def median(values) -> Decimal | None:
    values = sorted(Decimal(v) for v in values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _clamp(x: Decimal, lo=Decimal(0), hi=Decimal(1)) -> Decimal:
    return max(lo, min(hi, x))


def components(p: Performance) -> list[dict]:
    """Each component: key, label, points (Decimal, one place), maximum, and the figure it came from."""
    out = {}
    out["deals"] = (Decimal(min(p.registered, DEAL_CAP)) / DEAL_CAP, f"已登记合同 {p.registered} 份")
    value_wan = p.value / WAN if p.value > 0 else Decimal(0)
    out["value"] = (_clamp((1 + value_wan).log10() / 3), f"登记成交额 {value_wan.quantize(Decimal('0.01'))} 万元")
    cash = _clamp(p.received / p.value) if p.value > 0 else Decimal(0)
    out["cash"] = (cash, f"到账 {(p.received / WAN).quantize(Decimal('0.01'))} 万元（{(cash * 100).quantize(Decimal('0.1'))}%）")
    if p.commission is None:
        out["commission"] = (Decimal(0), "暂无佣金台账")
    else:
        earned_wan = max(p.commission, Decimal(0)) / WAN
        out["commission"] = (_clamp((1 + earned_wan).log10() / COMMISSION_LOG_SCALE),
                             f"已确认佣金 {earned_wan.quantize(Decimal('0.01'))} 万元")
    rate = p.success_rate
    out["success"] = (rate or Decimal(0), "暂无已结束的撮合" if rate is None
                      else f"签约 {p.signed} / 已结束 {p.signed + p.failed}")
    if p.ratings:
        r = (Decimal(sum(p.ratings)) + PRIOR_RATING * PRIOR_WEIGHT) / (len(p.ratings) + PRIOR_WEIGHT)
        out["rating"] = (_clamp((r - 1) / 4), f"{len(p.ratings)} 条评价，平均 {p.rating_mean} 分")
    else:
        out["rating"] = (Decimal(0), "暂无评价")
    days = p.median_days
    out["speed"] = ((Decimal(0), "暂无签约") if days is None else
                    (_clamp((SLOW_DAYS - days) / (SLOW_DAYS - FAST_DAYS)), f"引荐到签约中位数 {days} 天"))
    out["training"] = (_clamp(Decimal(p.training_hours) / TRAINING_HOURS), f"最近年度培训 {p.training_hours} 学时")
    rows = []
    for key, label, maximum in COMPONENTS:
        share, detail = out[key]
        points = (share * maximum).quantize(Decimal("0.1"), ROUND_HALF_UP)
        rows.append({"key": key, "label": label, "points": points, "max": maximum, "detail": detail})
    return rows


def credit_score(p: Performance) -> tuple[Decimal, list[dict]]:
    """The credit score (0–100, one decimal) and the components it is the sum of."""
    rows = components(p)
    return sum((r["points"] for r in rows), Decimal(0)), rows


BANDS = ((Decimal(100_000), "10万元以下"), (Decimal(1_000_000), "10万–100万元"), (Decimal(5_000_000), "100万–500万元"),
         (Decimal(10_000_000), "500万–1000万元"))


def amount_band(amount: Decimal) -> str:
    """The band of a contract amount (yuan) shown publicly when the exact amount is not agreed to be public."""
    for upper, label in BANDS:
        if amount < upper:
            return label
    return "1000万元以上"
