"""Highlighted titles and snippets, computed from the database's text (the index stores no text)."""
import re

from markupsafe import Markup, escape

from search.analysis import fold, unwrap


def _pattern(terms: list[str]):
    terms = [t for t in terms if t]
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def mark(text: str, terms: list[str]) -> Markup:
    pattern = _pattern(terms)
    if not text or pattern is None:
        return escape(text or "")
    out, last = [], 0
    for m in pattern.finditer(fold(text)):  # ＬＥＤ marked for LED (fold keeps every offset)
        out.append(escape(text[last:m.start()]))
        out.append(Markup("<mark>") + escape(text[m.start():m.end()]) + Markup("</mark>"))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(text: str, terms: list[str], width: int = 110) -> Markup:
    """A window of `width` characters around the first match (or the start), highlighted."""
    text = " ".join(unwrap(text or "").split())  # a PDF's hard wraps (正极材⏎料) joined, other breaks as spaces
    pattern = _pattern(terms)
    m = pattern.search(fold(text)) if pattern else None
    start = 0 if m is None else max(0, m.start() - width // 3)
    piece = text[start:start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return Markup(prefix) + mark(piece, terms) + Markup(suffix)
