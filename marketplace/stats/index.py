"""The institution conversion index (高校院所科技成果转化指数): pure scoring, no database, no app.

Inputs are plain facts per institution and year (its registered contracts as a seller, the money received on
them, the income splits recorded on them, its 先用后转 funnel); `ranking.py` reads them from the site's
records. Everything here is Decimal and deterministic, so a unit test builds an example by hand and knows
the ranking.

The formula (also printed on the ranking page, from `formula_rows()`):
  volume components   score = 100 × ln(1 + x) / ln(1 + max x over the year's institutions)   (0 when max is 0)
                      log-scaled, so one very large contract does not flatten everybody else;
                      amounts in 万元, counts as counted
  ratio components    score = 100 × ratio (each ratio is between 0 and 1)
  index               Σ weight × score / Σ weight, over the components defined for that institution;
                      a ratio with nothing to measure (no contract, no income split, no 先用后转 item that
                      became eligible) is left out and its weight shared by the others, so an institution
                      is neither punished nor rewarded for what it had no occasion to do
  bonus (加分项)       揭榜挂帅验收: points per challenge the institution won and that was accepted in the year,
                      by its final rating (优秀 3, 良好 2, 合格 1; 不合格 = failed, 0), at most 10 points in all,
                      added to the weighted index, which stays at most 100; an institution without an accepted
                      challenge loses nothing, so the weights above keep their published meaning
  rank                by index, highest first; equal indexes (to 0.01) share a rank (1, 2, 2, 4)
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TRANSFER_MODES = ("转让", "许可", "作价投资")   # the national report's three ways of transferring rights
SERVICE_KINDS = ("技术开发", "技术咨询", "技术服务")  # counted separately, as the national report does
MODES = TRANSFER_MODES + SERVICE_KINDS
LARGE_CONTRACT = Decimal("1000000")  # 100万元
TEAM_RULE = Decimal("70")            # no less than 70% of the net income may go to the research team
WAN = Decimal("10000")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
ZERO = Decimal("0")

# key: (label, kind, what it measures). Order = the order of the columns on the page and in Excel.
COMPONENTS = {
    "transfer_amount": ("转让/许可/作价投资金额", "volume",
                        "登记的技术转让（转让、许可）及作价投资合同成交额（万元），对数标度"),
    "transfer_count": ("转让/许可/作价投资项数", "volume", "上述合同项数，对数标度"),
    "service_amount": ("技术开发/咨询/服务金额", "volume", "技术开发、技术咨询、技术服务合同成交额（万元），对数标度"),
    "cash_ratio": ("到账率", "ratio", "当年登记合同截至年底到账金额 ÷ 合同成交额（最高 100%）"),
    "large_share": ("百万元以上合同占比", "ratio", "成交额 ≥ 100万元的合同项数 ÷ 合同项数"),
    "jiangxi_share": ("省内转化占比", "ratio", "卖给江西省内买方的成交额 ÷ 成交额"),
    "sme_share": ("中小企业占比", "ratio",
                  "卖给中小企业（中型、小型、微型企业）的成交额 ÷ 买方规模已知的成交额；买方规模均未知时不计入"),
    "team_ratio": ("团队奖励比例", "ratio", "收益分配中研发团队所得比例（按净收入加权）÷ 70%（最高 100%）"),
    "usefirst_clearance": ("先用后转清理率", "ratio",
                           "已到期成果中（挂牌数 + 试用数 + 许可数）÷（3 × 到期成果数）"),
}
# Weights in percent (they add up to 100). 中小企业占比 reads the buyers' company scale (organisations.scale,
# the historical file's 买方规模); where no buyer's size is known it is left out like any ratio.
# 加分项 (bonus), outside the weights: 揭榜挂帅 challenges won and accepted, by final rating. ranking.py reads them
# from the challenges table (status accepted, rated in the year), so a recomputation gives the same answer.
CHALLENGE_POINTS = {"优秀": 3, "良好": 2, "合格": 1, "不合格": 0}
CHALLENGE_CAP = 10
BONUS = {
    "challenge_points": ("揭榜挂帅验收", "加分项",
                         "本单位揭榜并于当年通过验收的榜单，按最终评价计分：优秀 3 分、良好 2 分、合格 1 分"
                         "（不合格即验收未通过，不计分），合计最多 10 分，加在加权得分之上，转化指数最高 100"),
}
DEFAULT_WEIGHTS = {
    "transfer_amount": 25, "transfer_count": 10, "service_amount": 10, "cash_ratio": 15, "large_share": 5,
    "jiangxi_share": 10, "sme_share": 5, "team_ratio": 10, "usefirst_clearance": 10,
}


class WeightsError(ValueError):
    """Configured weights that cannot be used (the message is shown to an administrator)."""


@dataclass(frozen=True)
class ContractFact:
    mode: str                    # one of MODES
    amount: Decimal              # 成交额, yuan
    received: Decimal = ZERO     # 到账 on it by the year's end
    jiangxi_buyer: bool = True
    sme_buyer: bool | None = None  # None: the buyer's company scale is not known


@dataclass(frozen=True)
class SplitFact:
    net_income: Decimal
    team_percent: Decimal


@dataclass(frozen=True)
class UseFirstFunnel:
    eligible: int = 0   # items that became eligible (candidates found), whatever happened next
    listed: int = 0     # of those, listed (公开挂牌) at some point
    trialled: int = 0   # of those, with a trial started
    licensed: int = 0   # of those, converted into a registered transfer or licence


@dataclass
class InstitutionInput:
    org_id: int
    name: str
    contracts: list = field(default_factory=list)   # [ContractFact]
    splits: list = field(default_factory=list)      # [SplitFact]
    usefirst: UseFirstFunnel = field(default_factory=UseFirstFunnel)
    city: str | None = None
    challenges: dict = field(default_factory=dict)  # {final rating: challenges won and accepted in the year}


def check_weights(weights: dict | None) -> dict:
    """Known keys, numbers ≥ 0, not all zero; missing keys weigh 0. Returns {key: Decimal}."""
    if weights is None:
        weights = DEFAULT_WEIGHTS
    if not isinstance(weights, dict):
        raise WeightsError("权重应为 {指标: 数值} 形式")
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise WeightsError("未知的指标：" + "、".join(unknown))
    out = {}
    for key in COMPONENTS:
        raw = weights.get(key, 0)
        if isinstance(raw, bool):
            raise WeightsError(f"“{COMPONENTS[key][0]}”的权重应为数值")
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise WeightsError(f"“{COMPONENTS[key][0]}”的权重应为数值") from None
        if not value.is_finite() or value < 0:
            raise WeightsError(f"“{COMPONENTS[key][0]}”的权重不能为负数")
        out[key] = value
    if sum(out.values()) <= 0:
        raise WeightsError("权重不能全部为 0")
    return out


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    if den <= 0:
        return None
    return min(Decimal(num) / Decimal(den), Decimal(1))


def figures(inp: InstitutionInput) -> dict:
    """The raw figures of one institution: counts and amounts by mode, totals, and the ratios (None where
    there is nothing to measure)."""
    by_mode = {m: {"count": 0, "amount": ZERO} for m in MODES}
    total, received, large, jiangxi, sme_known, sme_amount = ZERO, ZERO, 0, ZERO, ZERO, ZERO
    for c in inp.contracts:
        if c.mode not in by_mode:
            raise ValueError(f"unknown contract mode {c.mode!r}")
        by_mode[c.mode]["count"] += 1
        by_mode[c.mode]["amount"] += c.amount
        total += c.amount
        received += c.received
        large += c.amount >= LARGE_CONTRACT
        jiangxi += c.amount if c.jiangxi_buyer else ZERO
        if c.sme_buyer is not None:
            sme_known += c.amount
            sme_amount += c.amount if c.sme_buyer else ZERO
    count = len(inp.contracts)
    net = sum((s.net_income for s in inp.splits), ZERO)
    team_avg = (sum((s.net_income * s.team_percent for s in inp.splits), ZERO) / net) if net > 0 else None
    uf = inp.usefirst
    return {
        "by_mode": by_mode,
        "count": count,
        "amount": total,
        "received": received,
        "transfer_amount": sum((by_mode[m]["amount"] for m in TRANSFER_MODES), ZERO),
        "transfer_count": sum(by_mode[m]["count"] for m in TRANSFER_MODES),
        "service_amount": sum((by_mode[m]["amount"] for m in SERVICE_KINDS), ZERO),
        "large_count": large,
        "cash_ratio": _ratio(received, total),
        "large_share": _ratio(Decimal(large), Decimal(count)),
        "jiangxi_share": _ratio(jiangxi, total),
        "sme_share": _ratio(sme_amount, sme_known),
        "team_percent": team_avg.quantize(CENT, ROUND_HALF_UP) if team_avg is not None else None,
        "team_ratio": _ratio(team_avg, TEAM_RULE) if team_avg is not None else None,
        "usefirst": {"eligible": uf.eligible, "listed": uf.listed, "trialled": uf.trialled, "licensed": uf.licensed},
        "usefirst_clearance": _ratio(Decimal(uf.listed + uf.trialled + uf.licensed), Decimal(3 * uf.eligible)),
        "challenges": {r: int(inp.challenges.get(r, 0)) for r in CHALLENGE_POINTS if r != "不合格"},
        "challenge_points": challenge_points(inp.challenges),
    }


def challenge_points(ratings: dict) -> Decimal:
    """The 揭榜挂帅验收 bonus: {rating: count} → points (unknown ratings and 不合格 score nothing), capped."""
    points = sum(CHALLENGE_POINTS.get(r, 0) * max(int(n), 0) for r, n in (ratings or {}).items())
    return Decimal(min(points, CHALLENGE_CAP))


def _volume(value: Decimal, best: Decimal) -> Decimal:
    if best <= 0 or value <= 0:
        return ZERO
    return HUNDRED * (Decimal(1) + value).ln() / (Decimal(1) + best).ln()


def _volume_value(key: str, fig: dict) -> Decimal:
    value = Decimal(fig[key])
    return value / WAN if key.endswith("_amount") else value


def score(inputs: list, weights: dict | None = None) -> list[dict]:
    """The ranking: one dict per institution, best first, with `rank`, `index`, `scores` (0–100 per component,
    None when left out), `figures` (raw), `org_id`, `name`, `city`."""
    w = check_weights(weights)
    figs = [(inp, figures(inp)) for inp in inputs]
    best = {k: max((_volume_value(k, f) for _, f in figs), default=ZERO)
            for k, (_, kind, _) in COMPONENTS.items() if kind == "volume"}
    rows = []
    for inp, fig in figs:
        scores = {}
        for key, (_, kind, _) in COMPONENTS.items():
            if kind == "volume":
                scores[key] = _volume(_volume_value(key, fig), best[key])
            else:
                scores[key] = None if fig[key] is None else HUNDRED * fig[key]
        used = {k: w[k] for k, s in scores.items() if s is not None and w[k] > 0}
        den = sum(used.values(), ZERO)
        index = sum((w[k] * scores[k] for k in used), ZERO) / den if den > 0 else ZERO
        bonus = fig["challenge_points"]
        index = min(index + bonus, HUNDRED)
        rounded = {k: (None if s is None else s.quantize(CENT, ROUND_HALF_UP)) for k, s in scores.items()}
        rounded["challenge_points"] = bonus.quantize(CENT)
        rows.append({
            "org_id": inp.org_id, "name": inp.name, "city": inp.city,
            "index": index.quantize(CENT, ROUND_HALF_UP),
            "scores": rounded,
            "figures": fig,
        })
    rows.sort(key=lambda r: (-r["index"], -r["figures"]["transfer_amount"], r["name"]))
    previous, rank = None, 0
    for position, row in enumerate(rows, 1):
        if row["index"] != previous:
            rank, previous = position, row["index"]
        row["rank"] = rank
    return rows


def formula_rows(weights: dict | None = None) -> list[dict]:
    """What the ranking page publishes: each component with its label, kind, definition and weight (percent of
    the total)."""
    w = check_weights(weights)
    total = sum(w.values())
    return [{"key": k, "label": label, "kind": "规模（对数标度）" if kind == "volume" else "比例",
             "definition": text, "weight": (HUNDRED * w[k] / total).quantize(CENT, ROUND_HALF_UP)}
            for k, (label, kind, text) in COMPONENTS.items()]


def bonus_rows() -> list[dict]:
    """The 加分项 published beside the weights (they carry points, not a weight)."""
    return [{"key": k, "label": label, "kind": kind, "definition": text,
             "points": "、".join(f"{r} {p} 分" for r, p in CHALLENGE_POINTS.items()) + f"；上限 {CHALLENGE_CAP} 分"}
            for k, (label, kind, text) in BONUS.items()]
