"""统一社会信用代码 (unified social credit code, GB 32100-2015): validation and check digit."""
import hashlib

from .halfwidth import half_width

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """The code as stored: ASCII (a full-width ９１３６… typed with full-width mode on), upper case, without the spaces
    around or inside it (a licence's code copied in groups: 91360100 MA35 ABCD 1X)."""
    return "".join(half_width(code).split()).upper()


def uscc_error(code: str) -> str | None:
    """None when `code` is a valid 18-character code (once normalised), else a message saying what is wrong."""
    if not isinstance(code, str):
        return "统一社会信用代码应为18位字符"
    code = normalise(code)
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    bad = [c for c in code if c not in _VALUES]
    if bad:
        return f"统一社会信用代码含非法字符：{''.join(dict.fromkeys(bad))}"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3-8位应为行政区划代码（数字）"
    if check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请核对"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_error(code) is None


def make_uscc(seed: str, region: str = "360100") -> str:
    """A valid code derived from `seed` (demo data and tests): 91 = enterprise, then a Jiangxi region."""
    digest = hashlib.sha256(seed.encode()).digest()
    body = "".join(ALPHABET[b % 31] for b in digest[:9])
    first17 = "91" + region + body
    return first17 + check_char(first17)
