"""Column names of the import files: Chinese headers and English keys, per library.

The first Chinese name of each field is the header used in templates and exports, so an exported
file can be edited and imported again.
"""
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from search.analysis import fold

COLUMNS = {
    "achievements": {
        "ref": ["编号", "成果编号", "ref"],
        "title": ["成果名称", "名称", "title"],
        "summary": ["成果简介", "简介", "成果介绍", "summary"],
        "keywords": ["关键词", "keywords"],
        "industry": ["所属产业", "产业", "所属行业", "行业", "所属领域", "技术领域", "领域", "industry"],
        "category": ["成果类别", "类别", "category"],
        "institution": ["完成单位", "所属单位", "单位", "institution"],
        "ip_type": ["知识产权类型", "专利类型", "ip_type"],
        "patent_no": ["专利号", "知识产权编号", "登记号", "patent_no"],
        "ip_filed_on": ["申请日期", "申请日", "ip_filed_on"],
        "ip_granted_on": ["授权日期", "授权日", "ip_granted_on"],
        "funding_source": ["资金来源", "funding_source"],
        "maturity": ["成熟度", "技术成熟度", "maturity"],
        "transfer_modes": ["转化方式", "transfer_modes"],
        "asking_price_wan": ["意向价格（万元）", "意向价格", "价格（万元）", "转让价格（万元）", "asking_price_wan"],
        "asking_price": ["意向价格（元）", "价格（元）", "转让价格（元）", "asking_price"],  # (a row with both: this one)
        "implemented_on": ["实施日期", "implemented_on"],
        "team": ["研发团队", "团队", "team"],
        "inventors": ["发明人", "完成人", "inventors"],
        "contact_name": ["联系人", "联系人姓名", "姓名", "contact_name"],
        "contact_phone": ["联系电话", "电话", "联系人电话", "手机", "手机号码", "联系人手机", "contact_phone"],
        "contact_email": ["联系邮箱", "邮箱", "电子邮箱", "联系人邮箱", "电子邮件", "contact_email"],
    },
    "demands": {
        "ref": ["编号", "需求编号", "ref"],
        "title": ["需求名称", "名称", "title"],
        "description": ["需求描述", "问题描述", "需求内容", "description"],
        "indicators": ["技术指标", "目标指标", "indicators"],
        "industry": ["所属产业", "产业", "所属行业", "行业", "所属领域", "技术领域", "领域", "industry"],
        "city": ["所在城市", "城市", "所在地", "所在地区", "地区", "所在地市", "city"],
        "company": ["需求企业", "企业名称", "企业", "company"],
        "company_uscc": ["统一社会信用代码", "company_uscc", "uscc"],
        "budget_wan": ["预算（万元）", "预算", "预算金额（万元）", "投入预算（万元）", "budget_wan"],
        "budget": ["预算（元）", "预算金额（元）", "投入预算（元）", "budget"],  # (a row with both: this one)
        "cooperation": ["合作方式", "cooperation"],
        "deadline": ["截止日期", "deadline"],
        "contact_name": ["联系人", "联系人姓名", "姓名", "contact_name"],
        "contact_phone": ["联系电话", "电话", "联系人电话", "手机", "手机号码", "联系人手机", "contact_phone"],
        "contact_email": ["联系邮箱", "邮箱", "电子邮箱", "联系人邮箱", "电子邮件", "contact_email"],
    },
    "services": {
        "ref": ["编号", "资源编号", "ref"],
        "title": ["资源名称", "名称", "title"],
        "kind": ["资源类型", "类型", "kind"],
        "organisation": ["运营机构", "所属机构", "机构", "organisation"],
        "description": ["服务内容", "简介", "description"],
        "city": ["所在城市", "城市", "city"],
        "address": ["地址", "address"],
        "audience": ["服务对象", "audience"],
        "industries": ["服务产业", "产业", "industries"],
        "contact_name": ["联系人", "联系人姓名", "姓名", "contact_name"],
        "contact_phone": ["联系电话", "电话", "联系人电话", "手机", "手机号码", "联系人手机", "contact_phone"],
        "contact_email": ["联系邮箱", "邮箱", "电子邮箱", "联系人邮箱", "电子邮件", "contact_email"],
    },
}

# Columns read on import but neither in the template nor in exports (which give the amount in 万元 only).
READ_ONLY_COLUMNS = frozenset({"asking_price", "budget"})

# The column naming the owning organisation, per library.
ORG_COLUMN = {"achievements": "institution", "demands": "company", "services": "organisation"}
ORG_KIND = {"achievements": "institution", "demands": "company", "services": "agency"}
REQUIRED = {
    "achievements": ["title", "summary", "industry", "maturity"],
    "demands": ["title", "description", "industry", "city", "cooperation"],
    "services": ["title", "kind", "description", "city"],
}


# Columns the error file adds (错误原因, 原行号): a corrected error file imports again without a warning; and the row
# counter nearly every sheet begins with (序号), read by no field.
ERROR_COLUMN = "错误原因"
IGNORED = {"错误原因", "原行号", "序号"}


def ignored(header) -> bool:
    return header is not None and _norm(header) in {_norm(h) for h in IGNORED}


def _norm(header: str) -> str:
    """A header as compared: without spaces, colons and the required mark, parentheses half-width, letters lower-case,
    full-width letters and traditional characters folded (成果名稱, 所屬產業: a Taiwanese- or Hong Kong-invested
    firm's sheet)."""
    h = fold(str(header)).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*：:]", "", h)


def known_header(header) -> bool:
    """Whether a cell names a column of any library (how a header row is told from a title above it)."""
    return _norm(header) in _every_header()


@lru_cache(maxsize=1)
def _every_header() -> frozenset:
    return frozenset(_norm(n) for lib in COLUMNS.values() for names in lib.values() for n in names)


def header_map(library: str) -> dict[str, str]:
    """Normalised header → field name."""
    out = {}
    for field, names in COLUMNS[library].items():
        for name in names:
            out[_norm(name)] = field
    return out


def map_headers(library: str, headers: list) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the headers that were not recognised (ignored, reported)."""
    known = header_map(library)
    mapping, unknown = {}, []
    for i, header in enumerate(headers):
        if header is None or str(header).strip() == "" or ignored(header):
            continue
        field = known.get(_norm(header)) or _explained(known, header)
        if field and field not in mapping.values():
            mapping[i] = field
        else:
            unknown.append(str(header))
    return mapping, unknown


# A header with an explanation after it, as forms write them: "需求描述（问题、现状、目标）", "成果简介(300字以内)".
# Never for an amount: "意向价格（元）" is not the 万元 column.
_EXPLAINED = re.compile(r"^(.+?)[（(][^（）()]*[）)]$")
_UNIT_FIELDS = {"asking_price_wan", "budget_wan"}


def _explained(known: dict, header) -> str | None:
    m = _EXPLAINED.match(str(header).strip())
    field = known.get(_norm(m.group(1))) if m else None
    return field if field not in _UNIT_FIELDS else None


def display_header(library: str, field: str) -> str:
    return COLUMNS[library][field][0]


# A sheet's total row and the lines under a table, by their first text (whitespace removed: 合 计).
TOTAL = re.compile(r"(合计|总计|小计|共计)[:：]?")
FOOTER = re.compile(r"(合计|总计|小计|共计|填表人|填报人|填表日期|填报日期|制表人|制表日期|审核人|负责人|单位[（(]?盖章|盖章)"
                    r"(?:$|[:：（(）)])")


def footer_text(values: list, key) -> str | None:
    """The row's first text when the row is a sheet's total (合计: amounts summed, no record) or a line under the
    table (填表人：…, 填报日期：…, 单位（盖章）): its key value (a title, a registration number) empty, or 合计 itself;
    None otherwise."""
    key = str(key or "")
    if len(key) > 8 or (key := re.sub(r"\s", "", key)) and not TOTAL.fullmatch(key):  # (a title: at once)
        return None
    first = next((str(v).strip() for v in values if v not in (None, "") and str(v).strip()), "")
    return first if FOOTER.match(re.sub(r"\s", "", first)) else None


# A line break inside a cell (Alt+Enter, or a long name wrapped by hand) means something only in the running texts
# and in the lists, which split on it; in a one-line column (a title, a unit's name, a controlled value, a date) it
# is layout: the lines are joined, without a space where either side is Chinese ("江西理工\n大学" → 江西理工大学, so
# the unit is not a second organisation), with one between Latin words ("Lithium\nbattery").
MULTILINE_COLUMNS = frozenset({"summary", "description", "indicators", "team", "address", "audience",
                               "keywords", "patent_no", "inventors", "transfer_modes", "industries"})
_BREAK = re.compile(r"[ \t\u3000]*[\r\n\u2028\u2029\x85]+[\s]*")
_WIDE_EDGE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\U00020000-\U0003134f]")
# A unit's name: what a cell of several units on several lines ends each line with ("南昌大学\n江西省农业科学院" are
# two units, kept apart for the joint-achievement rule; "江西理工\n大学" is one name wrapped).
UNIT_END = re.compile(r"(大学|学院|学校|研究院|研究所|科学院|中心|公司|集团|医院|实验室|工厂|厂|站|所|局|院|社|会|部)[)）]?$")


# What a cell brings from the text it was pasted from, and nobody sees: Word's manual line break (Shift+Enter) is a
# vertical tab (Excel keeps it as _x000B_), a page break a form feed; a web page's zero-width spaces, soft hyphens,
# byte-order marks and direction marks; a legacy system's stray control bytes. The forms and the API refuse such
# characters (core.schema.CONTROL: a person can retype); an import reads the breaks as line breaks and drops the rest.
_AS_BREAK = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")


# anything line_breaks or visible would change, as one character class (an alternation costs ten times as much)
UNUSUAL = re.compile("[\r\x0b\x0c\x85\u2028\u2029" + INVISIBLE.pattern[1:])


def line_breaks(value: str) -> str:
    """Every line break a plain "\\n" (CR LF, CR, Word's vertical tab, a form feed, Unicode's separators)."""
    return _AS_BREAK.sub("\n", value) if _AS_BREAK.search(value) else value


def visible(value: str) -> str:
    """`value` without the invisible characters above (INVISIBLE)."""
    return INVISIBLE.sub("", value) if INVISIBLE.search(value) else value


def one_line(value: str) -> str:
    """`value`'s lines joined (see above)."""
    def join(m):
        before, after = value[m.start() - 1:m.start()], value[m.end():m.end() + 1]
        return "" if _WIDE_EDGE.match(before) or _WIDE_EDGE.match(after) else " "
    return _BREAK.sub(join, value).strip()


def several_units(value: str) -> bool:
    """True when every line of `value` ends as a unit's name does (several units, one a line)."""
    lines = [x.strip() for x in value.split("\n") if x.strip()]
    return len(lines) > 1 and all(UNIT_END.search(x) for x in lines)


# A formula's error as Excel shows it (a VLOOKUP that found nothing: #N/A): the cell's value is unknown, so the row is
# refused naming the cell, never stored as the text "#N/A" (an organisation called #N/A).
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})


def formula_error(value) -> str | None:
    """The message for a cell holding a formula's error value, or None."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return f"单元格是公式的错误值“{value.strip()}”：请在 Excel 中修正公式，或复制后“粘贴为数值”再导入"
    return None


# A date typed where the cell was formatted as a number shows Excel's day serial (45000 = 2023-03-15): read as that
# date between 1955 and 2099 in a date column (the libraries' import and the contracts' history alike); any other
# number stays an error.
_SERIAL = re.compile(r"^\s*([2-7][0-9]{4})(?:\.0+)?\s*$")  # (44355.0: a system that wrote the cell's float)


def serial_date(value: str):
    """The date an Excel day serial written as text stands for (20090–73050), or None."""
    m = _SERIAL.match(value)
    if not m or not 20090 <= int(m.group(1)) <= 73050:
        return None
    from openpyxl.utils.datetime import from_excel
    return from_excel(int(m.group(1))).date()


# An amount written with its unit, its currency or a remark (a registration export's 1,234,567.89元, RMB 1234567.89,
# ¥1,234,567.89, 123.4万元, 50（万元）, 50w, 1.2亿, 50万元整, 1234567.89（含税）): the unit written is the one meant,
# whatever the column's; a currency or a remark alone leaves the column's unit.
_UNITS = r"亿元?|万元?|[wW]|元"
_WRITTEN_AMOUNT = re.compile(rf"^(?:人民币|RMB|CNY)?\s*[¥￥]?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:({_UNITS})|[（(]({_UNITS})[）)])?"
                             r"\s*(?:整|人民币)?\s*(?:[（(][^（）()0-9亿万元]*[）)])?$", re.IGNORECASE)
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")  # (1,234,567.89 or 1234567.89)
UNIT_YUAN = {"元": 1, "万": 10_000, "亿": 100_000_000}


def written_amount(text: str) -> tuple[Decimal, str | None] | None:
    """(the number, its unit — "元", "万" or "亿", None when only a currency or a remark is written beside it) of a cell
    that writes more than a plain number; None for a plain number (read by the column's own unit) or anything else
    (left to the column's own parser, which says what is wrong)."""
    t = unicodedata.normalize("NFKC", text).strip() if isinstance(text, str) else ""
    m = _WRITTEN_AMOUNT.match(t)
    if not m or t == m.group(1) or not _GROUPED.fullmatch(m.group(1)):
        return None
    unit = (m.group(2) or m.group(3) or "")[:1].replace("w", "万").replace("W", "万") or None
    try:
        return Decimal(m.group(1).replace(",", "")), unit
    except InvalidOperation:
        return None


def in_unit(number: Decimal, unit: str | None, column: str) -> Decimal:
    """`number` written in `unit` (None: the column's own) as an amount in the column's unit ("元" or "万"), exactly."""
    return number if unit is None else number * UNIT_YUAN[unit] / UNIT_YUAN[column]
