"""Money: Decimal yuan with two places, never floats. Parsing and display are pure functions."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
WAN = Decimal(10000)
NEGOTIABLE_WORDS = {"面议", "议价", "协商", "面谈"}


class MoneyError(ValueError):
    pass


def to_decimal(value, max_places: int) -> Decimal:
    """Exact Decimal from str/int/Decimal; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise MoneyError("金额格式不正确")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    if text.startswith(("¥", "￥")):
        text = text[1:]
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"“{value}”不是有效金额") from None
    if not d.is_finite():
        raise MoneyError("金额格式不正确")
    if d < 0:
        raise MoneyError("金额不能为负数")
    if d.as_tuple().exponent < -max_places:
        raise MoneyError(f"金额最多保留{max_places}位小数")
    if d >= Decimal("1e12"):
        raise MoneyError("金额过大")
    return d


def parse_yuan(value) -> Decimal:
    return to_decimal(value, 2).quantize(FEN)


def wan_to_yuan(value) -> Decimal:
    """万元 → 元, exact: 万元 with up to 6 decimals is a whole number of fen."""
    return (to_decimal(value, 6) * WAN).quantize(FEN, rounding=ROUND_HALF_UP)


def is_negotiable(value) -> bool:
    return isinstance(value, str) and value.strip() in NEGOTIABLE_WORDS


def format_yuan(amount: Decimal | None, negotiable: bool = False) -> str:
    if negotiable or amount is None:
        return "面议"
    if amount >= WAN and amount % 100 == 0:
        wan = (amount / WAN).normalize()
        return f"{wan:,f}万元"
    return f"¥{amount:,.2f}"
