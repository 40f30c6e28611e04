"""Money: Decimal yuan with two places, never floats. Parsing and display are pure functions.

`parse_decimal` is the one parser of every amount and percentage a person types or a file holds: plain
decimal numbers only (digits, an optional decimal part, optionally grouped by thousands with "," or "，"
and, for money, a leading ¥). Exponents (1e5), underscores (1_000), spaces inside (1 000), Infinity, NaN,
hexadecimal (0x10), signs other than a refused minus, non-ASCII digits and more decimals than the column
keeps are refused with a Chinese message, never rounded or cut. Full-width digits and marks, as a Chinese input
method types them (１２，５００．５０), are read as ASCII first (core.halfwidth).
"""
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .halfwidth import half_width

FEN = Decimal("0.01")
WAN = Decimal(10000)
LIMIT = Decimal("1e12")  # Numeric(14, 2) holds less than a trillion yuan
NEGOTIABLE_WORDS = {"面议", "议价", "协商", "面谈"}
PLAIN = re.compile(r"(-?)((?:[0-9]{1,3}(?:,[0-9]{3})+)|[0-9]+)(\.[0-9]+)?", re.ASCII)
MAX_TEXT = 40


class MoneyError(ValueError):
    pass


def parse_decimal(value, max_places: int, *, label: str = "金额", example: str = "12500 或 12,500.50",
                  limit: Decimal | None = LIMIT) -> Decimal:
    """Exact, non-negative Decimal from a plain decimal string, an int, a Decimal or a (finite) float; a
    float goes through repr() so 0.1 stays 0.1. Refuses, with a message naming `label`, anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise MoneyError(f"{label}应为数字，如 {example}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(f"{label}应为数字，如 {example}")
        value = Decimal(repr(value))
    if isinstance(value, (int, Decimal)):
        d = Decimal(value)
        # A positive exponent only comes from exponent notation (JSON 1e5 reaches us as Decimal('1E+5')).
        if not d.is_finite() or d.as_tuple().exponent > 0:
            raise MoneyError(f"{label}应为普通数字，如 {example}")
    else:
        text = half_width(value).strip().replace("，", ",")
        if label == "金额" and text[:1] in ("¥", "￥"):
            text = text[1:].strip()
        m = PLAIN.fullmatch(text) if len(text) <= MAX_TEXT else None
        if m is None:
            shown = value if len(value) <= 20 else value[:20] + "…"
            raise MoneyError(f"“{shown}”不是有效的{label}：请填写普通数字，如 {example}")
        try:
            d = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
            raise MoneyError(f"“{value}”不是有效的{label}") from None
    if d < 0:
        raise MoneyError(f"{label}不能为负数")
    if d.as_tuple().exponent < -max_places:
        raise MoneyError(f"{label}最多保留{max_places}位小数")
    if limit is not None and d >= limit:
        raise MoneyError(f"{label}过大")
    return d + 0  # normalises -0 to 0


def to_decimal(value, max_places: int) -> Decimal:
    """Kept for old callers: `parse_decimal` for an amount."""
    return parse_decimal(value, max_places)


def parse_yuan(value) -> Decimal:
    return parse_decimal(value, 2).quantize(FEN)


def wan_to_yuan(value) -> Decimal:
    """万元 → 元, exact: 万元 with up to 6 decimals is a whole number of fen. The limit applies to the yuan."""
    return (parse_decimal(value, 6, limit=LIMIT / WAN) * WAN).quantize(FEN, rounding=ROUND_HALF_UP)


def is_negotiable(value) -> bool:
    return isinstance(value, str) and value.strip() in NEGOTIABLE_WORDS


def format_yuan(amount: Decimal | None, negotiable: bool = False) -> str:
    if negotiable or amount is None:
        return "面议"
    if amount >= WAN and amount % 100 == 0:
        wan = (amount / WAN).normalize()
        return f"{wan:,f}万元"
    return f"¥{amount:,.2f}"
