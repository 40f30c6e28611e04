"""Commission and reward money, pure: no database, no Flask; Decimal yuan exact to the fen. Property-tested
(tests/test_commissions_calc.py).

Rounding happens at documented points only:
  - a commission on an amount: amount × rate / 100, half-up to the fen (`fen`), then the cap;
  - tiers are marginal brackets (1% of the first 10万, 0.5% of the part from 10万 to 100万 …): each bracket's
    part is computed exactly and the sum rounded once;
  - an accrual on a payment (received basis) is the commission on everything received so far minus the
    commission on what was received before, so the accruals telescope: they add up to the commission on the
    whole, to the fen, and never pass the cap;
  - a split (between brokers, between payers) rounds each share down to the fen and gives the leftover fen to
    the largest remainders (ties: the order given), so the shares add up to the total exactly.
"""
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
BASES = {"contract": "按合同成交额比例", "received": "按每笔到账金额比例", "fixed": "固定金额",
         "tiered": "分段累进比例（按成交额）", "equity": "股权（作价入股）"}
PAYERS = {"seller": "卖方支付", "buyer": "买方支付", "both": "买卖双方按比例支付"}
EQUITY_MODES = {"shares": "约定股数", "percent": "卖方作价入股所得股权的比例"}


class CalcError(ValueError):
    """Figures that cannot make a commission; the message is for the user."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field = field_name


def fen(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _down(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Tier:
    upto: Decimal | None   # the bracket's upper bound in yuan; None: no bound (the last bracket)
    rate: Decimal          # percent applied to the part of the amount inside the bracket


def check_tiers(tiers) -> tuple:
    """Brackets in increasing order, each rate 0–100, only the last without an upper bound."""
    tiers = tuple(tiers)
    if not tiers:
        raise CalcError("分段比例至少需要一段", "tiers")
    last = ZERO
    for i, t in enumerate(tiers):
        if not (0 <= Decimal(t.rate) <= 100):
            raise CalcError("分段比例应在 0–100（%）之间", "tiers")
        if t.upto is None:
            if i != len(tiers) - 1:
                raise CalcError("只有最后一段可以不设上限", "tiers")
        elif Decimal(t.upto) <= last:
            raise CalcError("分段上限应逐段递增且大于 0", "tiers")
        else:
            last = Decimal(t.upto)
    return tiers


def tiered(amount, tiers) -> Decimal:
    """Marginal brackets: each bracket's rate applies to the part of `amount` inside it; an amount above the
    last bounded bracket earns nothing more unless the last bracket is open."""
    amount = Decimal(amount)
    if amount < 0:
        raise CalcError("金额不能为负数", "amount")
    total, low = Decimal(0), Decimal(0)
    for t in check_tiers(tiers):
        high = amount if t.upto is None else min(amount, Decimal(t.upto))
        if high > low:
            total += (high - low) * Decimal(t.rate) / HUNDRED
        if t.upto is None or amount <= Decimal(t.upto):
            break
        low = Decimal(t.upto)
    return fen(total)


def capped(value, cap=None) -> Decimal:
    value = fen(value)
    return value if cap is None else min(value, fen(cap))


def percent_of(amount, rate) -> Decimal:
    rate = Decimal(rate)
    if not (0 <= rate <= 100):
        raise CalcError("佣金比例应在 0–100（%）之间", "rate")
    if Decimal(amount) < 0:
        raise CalcError("金额不能为负数", "amount")
    return fen(Decimal(amount) * rate / HUNDRED)


@dataclass(frozen=True)
class Basis:
    """What a commission agreement says the commission is."""
    kind: str                       # BASES
    rate: Decimal = ZERO            # contract / received: percent
    fee: Decimal = ZERO             # fixed
    tiers: tuple = ()               # tiered
    cap: Decimal | None = None      # on the whole commission (cash bases)
    equity_mode: str | None = None  # equity: shares | percent
    equity_shares: Decimal | None = None
    equity_percent: Decimal | None = None  # percent of the seller's equity consideration


def validate(b: Basis) -> None:
    if b.kind not in BASES:
        raise CalcError("佣金计算方式应为：" + "、".join(BASES.values()), "basis")
    if b.cap is not None and (Decimal(b.cap) < 0 or Decimal(b.cap) != fen(b.cap)):
        raise CalcError("佣金上限应为不小于 0 的金额，精确到分", "cap")
    if b.kind in ("contract", "received") and not (0 < Decimal(b.rate) <= 100):
        raise CalcError("请填写佣金比例（0–100%）", "rate")
    if b.kind == "fixed" and (Decimal(b.fee) <= 0 or Decimal(b.fee) != fen(b.fee)):
        raise CalcError("请填写固定佣金金额（精确到分）", "fee")
    if b.kind == "tiered":
        check_tiers(b.tiers)
    if b.kind == "equity":
        if b.equity_mode not in EQUITY_MODES:
            raise CalcError("股权佣金请选择：约定股数，或卖方作价入股所得股权的比例", "equity_mode")
        if b.equity_mode == "shares" and not (b.equity_shares and Decimal(b.equity_shares) > 0):
            raise CalcError("请填写佣金股数", "equity_shares")
        if b.equity_mode == "percent" and not (b.equity_percent and 0 < Decimal(b.equity_percent) <= 100):
            raise CalcError("请填写占卖方作价入股所得股权的比例（0–100%）", "equity_percent")


def commission_on(b: Basis, amount) -> Decimal:
    """The cash commission on `amount` (the contract amount, or everything received so far), capped. A fixed
    fee is earned in full by any amount above zero. Equity is not cash: 0 here (see `equity_commission`)."""
    validate(b)
    if b.kind in ("contract", "received"):
        raw = percent_of(amount, b.rate)
    elif b.kind == "fixed":
        raw = fen(b.fee) if Decimal(amount) > 0 else ZERO  # due once the deal has a value, not on nothing
    elif b.kind == "tiered":
        raw = tiered(amount, b.tiers)
    else:
        return ZERO
    return capped(raw, b.cap)


def accrual_for_payment(b: Basis, received_before, payment) -> Decimal:
    """Received basis: the commission a payment earns, pro rata of what arrived — the commission on everything
    received including it minus that on what was received before. Sums telescope, so the accruals of a fully
    paid contract equal the commission on the whole and never exceed the cap."""
    before, now = Decimal(received_before), Decimal(received_before) + Decimal(payment)
    if Decimal(payment) < 0 or before < 0:
        raise CalcError("到账金额不能为负数", "amount")
    return commission_on(b, now) - commission_on(b, before)


@dataclass(frozen=True)
class Equity:
    """An equity commission: a number of shares, or a percent of the company with its book value (the
    seller's equity consideration × the agreed percentage). Never cash."""
    shares: Decimal | None
    company_percent: Decimal | None   # percent of the company's equity
    value: Decimal                    # book value in yuan, for the record (not paid in cash)


def equity_commission(b: Basis, seller_equity_percent=None, seller_equity_value=None) -> Equity:
    validate(b)
    if b.kind != "equity":
        raise CalcError("该协议的佣金不是股权", "basis")
    if b.equity_mode == "shares":
        return Equity(Decimal(b.equity_shares), None, ZERO)
    if seller_equity_percent is None:
        raise CalcError("合同条款没有作价入股的股权比例，无法计算股权佣金", "equity_percent")
    share = Decimal(b.equity_percent) / HUNDRED
    pct = (Decimal(seller_equity_percent) * share).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return Equity(None, pct, fen(Decimal(seller_equity_value or 0) * share))


def split(total, shares: dict) -> dict:
    """`total` (may be negative: a reversal) split by percentages adding up to 100, exact to the fen by largest
    remainder. A negative total is split as its absolute value and negated, so a reversal mirrors its entry."""
    total = fen(total)
    values = {k: Decimal(v) for k, v in shares.items()}
    if not values:
        raise CalcError("至少需要一个分配对象", "shares")
    if any(v < 0 for v in values.values()):
        raise CalcError("分配比例不能为负数", "shares")
    if sum(values.values(), Decimal(0)) != 100:
        raise CalcError("分配比例合计应为 100%", "shares")
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    exact = {k: magnitude * v / HUNDRED for k, v in values.items()}
    out = {k: _down(x) for k, x in exact.items()}
    left = int((magnitude - sum(out.values(), ZERO)) / FEN)
    for k in sorted(exact, key=lambda k: -(exact[k] - out[k]))[:left]:
        out[k] += FEN
    return {k: v * sign for k, v in out.items()}


def payer_shares(payer: str, seller_share=None) -> dict:
    """{"seller": %, "buyer": %} for who pays: one side, or both with the seller's share given."""
    if payer == "seller":
        return {"seller": HUNDRED}
    if payer == "buyer":
        return {"buyer": HUNDRED}
    if payer != "both":
        raise CalcError("支付方应为：" + "、".join(PAYERS.values()), "payer")
    s = Decimal(seller_share if seller_share is not None else -1)
    if not (0 < s < 100):
        raise CalcError("双方支付时卖方份额应在 0–100（%）之间（不含两端）", "seller_share")
    return {"seller": s, "buyer": HUNDRED - s}


def allocate(total, payers: dict, brokers: dict) -> dict:
    """An accrual split first between the payers, then each payer's part between the brokers:
    {(payer, broker): amount}; adds up to `total` to the fen."""
    out = {}
    for payer, part in split(total, payers).items():
        for broker, amount in split(part, brokers).items():
            out[(payer, broker)] = amount
    return out


def reverse(amount) -> Decimal:
    """The reversing entry of an entry: the same amount with the opposite sign."""
    return -fen(amount)


def balance(entries) -> dict:
    """Balances from ledger entries [(kind, amount)], a reversal given as the kind it reverses with a negative
    amount: accrued, confirmed, paid, outstanding (accrued − paid)."""
    out = {"accrued": ZERO, "confirmed": ZERO, "paid": ZERO}
    for kind, amount in entries:
        key = {"accrual": "accrued", "confirmation": "confirmed", "payment": "paid"}[kind]
        out[key] += fen(amount)
    out["outstanding"] = out["accrued"] - out["paid"]
    return out


# Government rewards --------------------------------------------------------------------------------------

REWARD_METHODS = {"tiered": "分段累进比例", "base_permille": "基数加千分比"}


def reward_for_contract(method: str, amount, tiers=(), base=ZERO, permille=ZERO) -> Decimal:
    """The reward one registered contract earns before the annual cap."""
    if method == "tiered":
        return tiered(amount, tiers)
    if method == "base_permille":
        if Decimal(base) < 0 or not (0 <= Decimal(permille) <= 1000):
            raise CalcError("基数不能为负，千分比应在 0–1000 之间", "permille")
        return fen(Decimal(base) + Decimal(amount) * Decimal(permille) / 1000)
    raise CalcError("奖补计算方式应为：" + "、".join(REWARD_METHODS.values()), "method")


def apply_annual_cap(amounts: list, cap=None) -> list:
    """The rewards of one recipient's contracts in order, each reduced so that their sum never passes the
    annual cap (earliest first)."""
    if cap is None:
        return [fen(a) for a in amounts]
    left, out = fen(cap), []
    for a in amounts:
        take = min(fen(a), left)
        out.append(take)
        left -= take
    return out
