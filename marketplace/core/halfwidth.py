"""Full-width ASCII, as a Chinese input method types it with full-width mode on (１２５００, ２０２６－０３－０１,
９１３６０１００ＭＡ…): read as ASCII where a value is a number, a date or a code. Names and free text are kept as
written (search and matching read full-width letters and digits themselves: search.analysis.fold)."""

from functools import lru_cache

_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！ … ～ → ! … ~
_TABLE[0x3000] = 0x20  # the ideographic space


def half_width(text: str, keep: str = "") -> str:
    """`text` with every full-width ASCII character (and the ideographic space) as its ASCII self, but those of
    `keep`."""
    return text.translate(_table(keep) if keep else _TABLE)


@lru_cache(maxsize=8)
def _table(keep: str) -> dict:
    return {cp: to for cp, to in _TABLE.items() if chr(cp) not in keep}
