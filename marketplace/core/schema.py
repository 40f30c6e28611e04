"""Marshmallow building blocks: Chinese error messages, blank-to-None, vocabulary and money fields.

The same input schemas validate the JSON API, the HTML forms and every imported row, so a record is
held to one set of rules whichever way it arrives.
"""
import calendar
import re
from datetime import date, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate

from . import money, vocab
from .halfwidth import half_width

MESSAGES_ZH = {
    "Missing data for required field.": "必填项",
    "Field may not be null.": "不能为空",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD",
    "Not a valid boolean.": "应为“是”或“否”",
    "Unknown field.": "不认识的字段",
    "Not a valid list.": "应为列表",
    "Invalid input type.": "输入类型不正确",
    "Invalid type.": "输入类型不正确",
    "Not a valid email address.": "电子邮箱格式不正确",
    "Not a valid mapping type.": "应为对象",
    "Number too large.": "数字过大",
    "Special numeric values (nan or infinity) are not permitted.": "应为普通数字（不能是 NaN 或无穷大）",
    "Not a valid datetime.": "日期时间格式不正确",
    "Not a valid time.": "时间格式不正确",
    "Not a valid URL.": "网址格式不正确",
    "Invalid value.": "无效的值",
}


_OPS = {"greater than or equal to": "不小于", "greater than": "大于", "less than or equal to": "不大于",
        "less than": "小于"}
_OP = "(greater than or equal to|greater than|less than or equal to|less than)"
# marshmallow's validators' default messages, with their numbers (a Range or Length declared without a message)
MESSAGE_PATTERNS_ZH = [
    (re.compile(rf"^Must be {_OP} (.+?) and {_OP} (.+)\.$"), lambda m: f"应{_OPS[m[1]]} {m[2]} 且{_OPS[m[3]]} {m[4]}"),
    (re.compile(rf"^Must be {_OP} (.+)\.$"), lambda m: f"应{_OPS[m[1]]} {m[2]}"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: f"长度不能少于 {m[1]}"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: f"长度不能超过 {m[1]}"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), lambda m: f"长度应在 {m[1]} 到 {m[2]} 之间"),
    (re.compile(r"^Length must be (\d+)\.$"), lambda m: f"长度应为 {m[1]}"),
    (re.compile(r"^Must be one of: (.*)\.$", re.S), lambda m: f"应为以下之一：{m[1]}"),
    (re.compile(r"^One or more of the choices you made was not in: (.*)\.$", re.S),
     lambda m: f"有选项不在可选范围内：{m[1]}"),
    (re.compile(r"^String does not match expected pattern\.$"), lambda m: "格式不正确"),
    (re.compile(r"^Invalid input\.$"), lambda m: "输入无效"),
]


def translate(messages):
    """Marshmallow's default English messages → Chinese, recursively."""
    if isinstance(messages, dict):
        return {k: translate(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if messages in MESSAGES_ZH:
        return MESSAGES_ZH[messages]
    if isinstance(messages, str) and messages[:1].isascii():
        for pattern, say in MESSAGE_PATTERNS_ZH:
            if m := pattern.match(messages):
                return say(m)
    return messages


def flatten_errors(messages, prefix="") -> dict[str, str]:
    """{"ip_items": {0: {"number": ["..."]}}} → {"ip_items.0.number": "..."} for pages and API bodies."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(flatten_errors(value, f"{prefix}{key}."))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix.rstrip(".")] = "；".join(translate(messages))
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}{i}."))
    else:
        flat[prefix.rstrip(".") or "_schema"] = translate(messages)
    return flat


def length(lo: int | None, hi: int) -> validate.Length:
    if lo:
        return validate.Length(min=lo, max=hi, error=f"长度应在{lo}到{hi}个字之间")
    return validate.Length(max=hi, error=f"不能超过{hi}个字")


def one_of(choices) -> validate.OneOf:
    """`choices`: a list, or a dict of code → its Chinese name: the message then gives both (an API client sends
    the code, a person reads the name: "可选：seller（卖方支付）、buyer（买方支付）…")."""
    shown = "、".join(f"{c}（{choices[c]}）" for c in choices) if isinstance(choices, dict) else "、".join(choices)
    return validate.OneOf(list(choices), error="“{input}”不在可选范围内，可选：" + shown.replace("{", "{{").replace("}", "}}"))


# Invisible characters nobody types: C0/C1 controls (not tab or line breaks), DEL, and the bidirectional marks and
# overrides that make a title read differently from what it is (PostgreSQL refuses NUL outright).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CONTROL_MESSAGE = "含有不可见的控制字符，请删除后重试"
BREAKS = re.compile("[\t\r\n\u2028\u2029\x85]")
# Half of a character: a lone UTF-16 surrogate, which only a JSON escape (\ud83d without its pair: an emoji cut in
# two) can produce; no database can store it.
SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = "含有残缺的字符（不成对的 Unicode 代理项，多见于被截断的表情符号），请删除后重试"


def broken_at(value) -> str | None:
    """Where parsed JSON holds half of a character: the key path of the first such string (key or value), or None."""
    stack = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return path or "（内容）"
        elif isinstance(item, dict):
            for k, v in item.items():
                if isinstance(k, str) and SURROGATE.search(k):
                    return "（键名）"
                stack.append((v, f"{path}.{k}" if path else str(k)))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


def broken_column(values, headers) -> str | None:
    """A file row (a dict, or values in the order of `headers`) holding half a character: the column it is in
    (as the file names it), or None."""
    where = broken_at(values)
    if where and where.startswith("[") and headers is not None:
        i = int(where[1:].split("]")[0])
        where = str(headers[i]) if i < len(headers) else where
    return where


def mended(value):
    """The same JSON with every half character replaced by U+FFFD (to show or keep what was refused)."""
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {mended(k): mended(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mended(v) for v in value]
    return value


class Text(fields.String):
    """A string field with Chinese messages and a length limit (huge strings are refused, not truncated), that
    refuses control characters; `line=True`: one line (no tab or line break: names, places, agenda lines that end
    up in iCalendar lines, notifications and Excel cells)."""

    def __init__(self, hi: int = 200, lo: int | None = None, choices=None, validate=None, line: bool = False, **kw):
        validators = [length(lo, hi)] + ([validate] if validate else [])
        if choices:
            validators.append(one_of(choices))
        self.line = line
        super().__init__(validate=validators, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        if out and CONTROL.search(out):
            raise ValidationError(CONTROL_MESSAGE)
        if out and SURROGATE.search(out):
            raise ValidationError(SURROGATE_MESSAGE)
        if out and self.line and BREAKS.search(out):
            raise ValidationError("应为一行文字，不能含换行或制表符")
        return out


class WholeNumber(fields.Integer):
    """A count: an integer, an integral JSON number (30.0; the API reads JSON fractions as Decimal) or its digits
    as text (the forms send text). Never 2.5 quietly truncated to 2, never true/false, never "1e3" or NaN."""
    DIGITS = re.compile(r"^[+-]?\d{1,12}$")

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, bool):
            raise ValidationError("应为整数")
        if isinstance(value, int):
            return value
        if isinstance(value, (float, Decimal)):
            try:  # the size first: int() of Decimal("1E+99999999") would take hours
                if abs(value) < 10 ** 12 and value == int(value):
                    return int(value)
            except (ValueError, OverflowError, ArithmeticError):  # NaN, Infinity
                pass
        if isinstance(value, str) and self.DIGITS.match(value.strip()):
            return int(value.strip())
        raise ValidationError("应为整数")


SPLIT_RE = re.compile(r"[、,，;；/|\n]+")


_HAN = re.compile("[\u3400-\u9fff]")


class TermList(fields.Field):
    """A list of terms given as a JSON list or as one string separated by 、,，;； (spreadsheets), or by spaces alone
    when every term has a Chinese character (铜合金 挤压 导电: "machine learning" stays one term)."""

    def __init__(self, choices=None, max_items=20, max_len=30, vocab_kind=None, **kw):
        super().__init__(**kw)
        self.choices, self.max_items, self.max_len, self.vocab_kind = choices, max_items, max_len, vocab_kind

    def _deserialize(self, value, attr, data, **kw):
        if value is None or value == "":
            return []
        if isinstance(value, str):
            items = SPLIT_RE.split(value)
            if len(items) == 1 and len(words := value.split()) > 1 and all(map(_HAN.search, words)):
                items = words
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = value
        else:
            raise ValidationError("应为文本列表，或用“、”分隔的文本")
        out = []
        for item in items:
            item = item.strip()
            if self.vocab_kind:
                item = vocab.normalise(self.vocab_kind, item)
            if item and item not in out:
                out.append(item)
        if len(out) > self.max_items:
            raise ValidationError(f"最多{self.max_items}项")
        for item in out:
            if len(item) > self.max_len:
                raise ValidationError(f"“{item[:20]}…”过长（每项不超过{self.max_len}个字）")
            if self.choices and item not in self.choices:
                raise ValidationError(f"“{item}”不在可选范围内，可选：" + "、".join(self.choices))
        return out

    def _serialize(self, value, attr, obj, **kw):
        return value


class Money(fields.Field):
    """Exact money in yuan (unit="yuan") or 万元 (unit="wan"), returned as Decimal yuan; 面议 → "negotiable"."""

    def __init__(self, unit="yuan", **kw):
        # null means 面议 where an amount is optional; a required amount may not be null (services count on it)
        kw.setdefault("allow_none", not kw.get("required", False))
        super().__init__(**kw)
        self.unit = unit

    def _deserialize(self, value, attr, data, **kw):
        if money.is_negotiable(value):
            return "negotiable"
        try:
            return money.wan_to_yuan(value) if self.unit == "wan" else money.parse_yuan(value)
        except money.MoneyError as exc:
            raise ValidationError(str(exc)) from None


class Percent(fields.Decimal):
    """A percentage (0–100 by the caller's Range) with at most `places` decimals, the column's scale: more
    is refused, not cut. Parsed by core.money.parse_decimal like every amount, so 1e1, NaN, 0x10 are refused.
    A Decimal field for the OpenAPI document (a number)."""

    def __init__(self, places: int = 2, **kw):
        super().__init__(places=None, **kw)
        self.max_places = places

    def _deserialize(self, value, attr, data, **kw):
        try:
            return money.parse_decimal(value, self.max_places, label="比例", example="2.5", limit=None)
        except money.MoneyError as exc:
            raise ValidationError(str(exc)) from None


# A date written only to the month ("2027年3月", "2027-03", "2027.11月底"): no day. A demand's deadline imported so is
# the month's last day (imports.service); anywhere else it is refused, saying so (LenientDate).
MONTH_ONLY = re.compile(r"\s*([12][0-9]{3})\s*[-/.年]\s*([0-9]{1,2})\s*月?(?:底|末)?\s*")


def month_end(value: str) -> date | None:
    """The last day of the month `value` names when it is written only to the month, else None."""
    m = MONTH_ONLY.fullmatch(value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, calendar.monthrange(year, month)[1])


_HAN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_HAN_DATE = re.compile(r"^([〇零○Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")


def _han_number(text: str) -> int | None:
    """十 → 10, 十二 → 12, 二十 → 20, 三十一 → 31, 八 → 8 (a month's or a day's number); None otherwise."""
    if "十" not in text:
        return _HAN_DIGIT[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (_HAN_DIGIT[tens] if tens else 1) * 10 + (_HAN_DIGIT[units] if units else 0)


def _han_digits(value: str) -> str:
    """A date written in Chinese numerals (二〇二一年六月十八日) in digits (2021年6月18日); anything else unchanged."""
    m = _HAN_DATE.match(value)
    if not m:
        return value
    month, day = _han_number(m.group(2)), _han_number(m.group(3))
    if month is None or day is None:
        return value
    return f"{''.join(str(_HAN_DIGIT[c]) for c in m.group(1))}年{month}月{day}日"


_DASHES = re.compile("[\u2010-\u2015\u2212]")
# The day as sheets write it: 2021-6-8, 2021/6/8, 2021.6.8(.), 2021年6月8日 (or 号), then maybe a time (a date cell
# exported as text with its time: the day is the date) and a weekday (2021/6/8 星期二, (周二)).
_DAY = re.compile(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号.]?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"(?:\s*[（(]?(?:星期|周|礼拜)[一二三四五六日天][）)]?)?\s*")


class LenientDate(fields.Date):
    """YYYY-MM-DD, also 2021/3/5, 2021.3.5, 2021年3月5日 (2021 年 3 月 5 日, 二〇二一年三月五日, 2021年3月5号), 20210305,
    Excel date cells and a date cell exported as text with its time (2021-3-5 00:00:00, as a CSV of Excel writes it;
    2021/3/5 10:30) or its weekday (2021/3/5 星期五); years 1900–2999 (schedules count months and years forward from
    these dates, and nothing in this domain lies outside)."""

    def _deserialize(self, value, attr, data, **kw):
        day = self._parse(value)
        if not 1900 <= day.year <= 2999:
            raise ValidationError("日期应在1900年到2999年之间")
        return day

    def _parse(self, value):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            value = written = half_width(value)  # ２０２６－０３－０１ as typed with full-width mode on
            if "年" in value:  # 2021 年 6 月 8 日 (spaced as Word sets digits among Chinese), 二〇二一年六月八日 (a contract's)
                value = _han_digits(re.sub(r"\s*([年月日])\s*", r"\1", value.strip()))
            value = _DASHES.sub("-", value)  # 2021‐06‐08: a hyphen or dash Word put in
            m = _DAY.fullmatch(value) or re.fullmatch(r"\s*(\d{4})(\d{2})(\d{2})(?:\.0+)?\s*", value)
            if m:
                try:
                    return date(*map(int, m.groups()))
                except ValueError:
                    raise ValidationError(f"“{written.strip()}”不是有效日期") from None
            if month_end(value) is not None:
                raise ValidationError(f"“{value.strip()}”只写到月：日期应写到日，如 2021-03-15")
        raise ValidationError("日期格式应为 YYYY-MM-DD")


class Bool(fields.Boolean):
    truthy = fields.Boolean.truthy | {"是", "有", "Y", "y"}
    falsy = fields.Boolean.falsy | {"否", "无", "N", "n", ""}


# The Chinese names of the free-text fields many schemas share (a schema's own LABELS come first): a message must
# never name a field by its code (tests/test_schema_labels.py).
COMMON_LABELS = {"note": "备注", "reason": "理由", "comment": "评语"}


class InputSchema(Schema):
    """Base of every input schema: trims strings, turns blanks into None, refuses unknown keys."""

    class Meta:
        unknown = RAISE

    VOCAB_FIELDS: dict[str, str] = {}  # field name → vocab alias kind
    LABELS: dict[str, str] = {}  # field name → Chinese label, for messages

    @classmethod
    def label_of(cls, key: str) -> str | None:
        """A field's Chinese name for messages: the schema's own, else a common one (None: it has none)."""
        return cls.LABELS.get(key) or COMMON_LABELS.get(key)

    @pre_load
    def _clean(self, data, **kw):
        if not isinstance(data, dict):
            raise ValidationError("请求体应为 JSON 对象", "_schema")
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if key in self.VOCAB_FIELDS:
                    value = vocab.normalise(self.VOCAB_FIELDS[key], value)
                if value == "":
                    value = None
            out[key] = value
        return out

    def validate_dict(self, data, partial=False) -> dict:
        """Load or raise core.errors.ValidationFailed with flat Chinese field messages."""
        from .errors import ValidationFailed
        try:
            return self.load(data, partial=partial)
        except ValidationError as exc:
            fields_ = flatten_errors(exc.messages)
            key, msg = next(iter(fields_.items()))
            top = key.split(".")[0]
            label = self.label_of(top) or top
            more = f"（另有{len(fields_) - 1}处）" if len(fields_) > 1 else ""
            raise ValidationFailed(f"{label}：{msg}{more}", fields_) from None


class LenientInputSchema(InputSchema):
    class Meta:
        unknown = EXCLUDE
