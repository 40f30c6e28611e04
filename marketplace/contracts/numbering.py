"""Registration numbers (技术合同登记编号).

Automatic numbers follow `YYYY-城市-NNNNNN` (year of registration, the contract's city, a serial of six
digits from 000001 in each city and year), e.g. 2026-鹰潭-000012. A registrar may type a number instead (a
number given by another system); it must match TYPED: 4–40 characters, letters, digits, Chinese characters
and - / ( ) （ ）, no spaces. Full-width letters, digits, － and ／ (a Chinese input method's full-width mode:
２０２６－南昌－Ａ１) are read as ASCII; full-width parentheses are kept as typed (always accepted as such, and a
number is compared with the stored ones as written). The next automatic number is one more than the highest
number of the automatic pattern in that city and year, so a typed number of another form never disturbs the
series.

Two registrations at once can draw the same number (neither sees the other's uncommitted row); the unique
constraint then refuses one of them, which `assign` catches in a savepoint and draws again.
"""
import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..core.errors import Conflict, ValidationFailed
from ..core.halfwidth import half_width
from ..extensions import db
from .models import Contract

TYPED = re.compile(r"[0-9A-Za-z\u4e00-\u9fff\-/()（）]{4,40}")
SERIAL_DIGITS = 6
ATTEMPTS = 5


def automatic_pattern(city: str, year: int) -> re.Pattern:
    return re.compile(rf"{year}-{re.escape(city)}-([0-9]{{{SERIAL_DIGITS}}})")


def as_typed(number: str) -> str:
    """A registration number as the site stores it when typed: full-width letters, digits, － and ／ as ASCII (an
    invoice's printed contract number is compared with it so too)."""
    return half_width(number.strip(), keep="（）")


def check_typed(number: str) -> str:
    if not TYPED.fullmatch(number):
        raise ValidationFailed("登记编号只能由字母、数字、汉字和 - / （ ） 组成，4–40 个字符，不含空格",
                               {"registration_no": "格式不正确"})
    return number


def next_number(city: str, day: date) -> str:
    """One more than the highest automatic number of the city in the year (typed numbers of another form
    are skipped: they sort among the automatic ones but do not match the pattern)."""
    prefix = f"{day.year}-{city}-"
    pattern = automatic_pattern(city, day.year)
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.session.scalars(select(Contract.registration_no).where(
        Contract.registration_no.like(like, escape="\\"),
        func.length(Contract.registration_no) == len(prefix) + SERIAL_DIGITS)
        .order_by(Contract.registration_no.desc()))
    last = next((int(m.group(1)) for n in rows if (m := pattern.fullmatch(n))), 0)
    return f"{prefix}{last + 1:0{SERIAL_DIGITS}d}"


def assign(c: Contract, typed: str | None, day: date) -> str:
    """Give `c` a registration number: the typed one (409 when taken) or the next automatic one."""
    if typed:
        typed = check_typed(as_typed(typed))
        if db.session.scalar(select(Contract.id).where(Contract.registration_no == typed, Contract.id != c.id)):
            raise Conflict("登记编号已被使用", {"registration_no": "编号重复"})
    db.session.flush()
    for _ in range(ATTEMPTS):
        number = typed or next_number(c.city, day)
        try:
            with db.session.begin_nested():
                c.registration_no = number
                db.session.flush()
            return number
        except IntegrityError:
            if typed:
                raise Conflict("登记编号已被使用", {"registration_no": "编号重复"}) from None
    raise Conflict("登记编号分配冲突，请稍后重试")
