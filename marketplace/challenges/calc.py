"""揭榜挂帅 arithmetic, pure (no database, no Flask): milestone shares and their amounts, the funding split, the
rubric's weights and the weighted score of an application. Each check raises CalcError with a Chinese message
and the field it concerns; amounts are Decimal yuan, exact to the fen."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
HUNDRED = Decimal(100)
SHARE_PLACES = 2


class CalcError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def check_shares(shares: list[Decimal]) -> None:
    """Each milestone's share is positive with at most two decimals, and together they are exactly 100%."""
    if not shares:
        raise CalcError("请至少设置一个里程碑", "milestones")
    for i, s in enumerate(shares):
        if s <= 0:
            raise CalcError(f"第{i + 1}个里程碑的比例应大于 0", f"milestones.{i}.share")
        if s.as_tuple().exponent < -SHARE_PLACES:
            raise CalcError(f"里程碑比例最多保留{SHARE_PLACES}位小数", f"milestones.{i}.share")
    total = sum(shares, Decimal(0))
    if total != HUNDRED:
        raise CalcError(f"各里程碑占悬赏的比例合计应为 100%，现为 {total.normalize():f}%", "milestones")


def check_weights(weights: list[int]) -> None:
    """The rubric's weights: whole numbers 1–100 that add up to exactly 100."""
    if not weights:
        raise CalcError("请至少设置一项评审指标", "criteria")
    for i, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 100:
            raise CalcError(f"第{i + 1}项评审指标的权重应为 1–100 的整数", f"criteria.{i}.weight")
    if sum(weights) != 100:
        raise CalcError(f"评审指标权重合计应为 100，现为 {sum(weights)}", "criteria")


def check_funding(bounty: Decimal | None, enterprise: Decimal | None, fiscal: Decimal | None) -> None:
    """企业投入 + 财政资助 = the bounty, to the fen. With a bounty 面议 there is nothing to split."""
    if bounty is None:
        if enterprise is not None or fiscal is not None:
            raise CalcError("悬赏金额为面议时不填写出资构成", "enterprise_funding")
        return
    if bounty <= 0:
        raise CalcError("悬赏金额应大于 0（或填写“面议”）", "bounty")
    parts = [Decimal(0) if x is None else x for x in (enterprise, fiscal)]
    if sum(parts) != bounty:
        raise CalcError(f"企业投入（{parts[0]:.2f}元）与财政资助（{parts[1]:.2f}元）之和应等于悬赏金额"
                        f"（{bounty:.2f}元）", "fiscal_funding")


def milestone_amounts(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """`total` split by the shares, exactly to the fen: each rounded down, the fen left over go one by one to the
    largest remainders (ties: the earlier milestone), so the amounts add up to `total`."""
    check_shares(shares)
    total = Decimal(total).quantize(FEN, rounding=ROUND_HALF_UP)
    exact = [total * s / HUNDRED for s in shares]
    out = [x.quantize(FEN, rounding=ROUND_DOWN) for x in exact]
    left = int((total - sum(out, Decimal(0))) / FEN)
    for i in sorted(range(len(out)), key=lambda i: (-(exact[i] - out[i]), i))[:left]:
        out[i] += FEN
    return out


def weighted(scores: dict, weights: dict) -> Decimal:
    """One panel member's total for an application: Σ score × weight / 100 over the rubric (0–100, two places).
    `scores` and `weights` are keyed by criterion."""
    if set(scores) != set(weights):
        raise CalcError("评分应覆盖全部评审指标", "scores")
    total = sum((Decimal(scores[k]) * weights[k] for k in weights), Decimal(0)) / HUNDRED
    return total.quantize(FEN, rounding=ROUND_HALF_UP)


def average(totals: list[Decimal]) -> Decimal | None:
    """The panel's score of an application: the mean of the members' totals, two places (None: nobody scored)."""
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(FEN, rounding=ROUND_HALF_UP)
