"""Full-width ASCII, as a Chinese input method types it with full-width mode on (１２５００, ２０２６－０３－０１,
９１３６０１００ＭＡ…): read as ASCII where a value is a number, a date or a code. Names and free text are kept as
written (search and matching read full-width letters and digits themselves: search.analysis.fold)."""

_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！ … ～ → ! … ~
_TABLE[0x3000] = 0x20  # the ideographic space


def half_width(text: str) -> str:
    """`text` with every full-width ASCII character (and the ideographic space) as its ASCII self."""
    return text.translate(_TABLE)
