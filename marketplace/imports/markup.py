"""Text cells that hold a web page's markup: older platforms' exports keep a rich-text editor's HTML in their
descriptions ("<p>本成果&nbsp;针对……</p><br/>"). Such a cell is read as its text — the tags removed, a block's end and
<br> as a line break, entities (&nbsp; &lt; &#8451;) decoded — and the import reports it. A cell is taken for markup
only when it holds a tag of HTML's common vocabulary or a named or numbered entity, so technical text with a "<"
of its own (粒径<5μm, a<b) is left exactly as it is."""
import html
import re

_TAGS = ("p|br|div|span|font|strong|b|em|i|u|s|strike|small|big|sub|sup|table|thead|tbody|tfoot|tr|td|th|ul|ol|li|"
         "dl|dt|dd|h[1-6]|img|a|section|article|header|footer|blockquote|pre|code|hr|center|label|col|colgroup|o:p")
TAG = re.compile(rf"</?(?:{_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
ENTITY = re.compile(r"&(?:[a-z]{2,8}|#[0-9]{2,7}|#x[0-9a-f]{2,6});", re.IGNORECASE)
_DROPPED = re.compile(r"<!--.*?-->|<(style|script)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|<hr\b[^<>]*>"
                    r"|</(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol|dl|dd|section|article)\s*>", re.IGNORECASE)
_CELL = re.compile(r"</t[dh]\s*>", re.IGNORECASE)


def is_markup(text: str) -> bool:
    return ("<" in text or "&" in text) and bool(TAG.search(text) or ENTITY.search(text))


def to_text(text: str) -> str:
    """The text of a cell holding markup (is_markup): tags out, breaks kept, entities decoded, spaces tidied."""
    text = _DROPPED.sub("", text)
    text = _BREAK.sub("\n", text)
    text = _CELL.sub(" ", text)
    text = TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ").replace("\u3000", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()
