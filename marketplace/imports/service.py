"""Import rows into a library: validate each row (every problem of a row at once), map common variants onto
the controlled values (each mapping reported), upsert by (source, 编号) or, without 编号, by the natural key
(owner + title), and report per-row errors — also as an error file (the failed rows plus 错误原因).

Rows are written in batches (BATCH rows: validated in Python, the batch's existing keys looked up in one
indexed query, then bulk INSERT / UPDATE statements for the records, their IP items, audit rows, natural keys,
search outbox and match-refresh queue). A row whose record already holds exactly its values is counted as
unchanged (未变化) and neither rewritten nor reindexed, so re-importing a file costs only what changed. A batch
runs in a savepoint; if the database refuses it, the batch is
replayed row by row, each in its own savepoint, so one bad row never costs the good ones. Each batch is
committed (a re-run updates what an interrupted run wrote). A dry run validates and looks up, writes nothing.
"""
import multiprocessing
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Callable

from sqlalchemy import JSON, bindparam, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from search.analysis import fold

from ..accounts.models import Organisation
from ..accounts.services import get_or_create_org
from ..core import listings, pgcopy, vocab
from ..core import permissions as perm
from ..core.errors import AppError
from ..core.schema import SURROGATE_MESSAGE, broken_column, mended, month_end
from ..core.models import AuditLog, utcnow
from ..core.orgname import canonical as canonical_org_name
from ..core.pgcopy import insert_all
from ..core.uscc import make_uscc, uscc_error
from ..core.uscc import normalise as normalise_uscc
from ..extensions import db
from . import columns, markup
from .models import ImportKey, title_key
from .readers import read_file, row_fields, row_label

BATCH = 500
SAMPLE_REFS = ("示例-请删除", "示例")
MAX_KEPT = 1000  # errors and mapping notes kept in the report (all of them go to the error file)

# Controlled-value columns: field → ALIASES kind (core.vocab); list columns are split and mapped item by item.
VOCAB_COLUMNS = {"industry": "industry", "maturity": "maturity", "category": "category",
                 "funding_source": "funding_source", "ip_type": "ip_type", "cooperation": "cooperation",
                 "city": "city", "kind": "service_kind"}
LIST_VOCAB_COLUMNS = {"transfer_modes": "transfer_modes", "industries": "industry"}
# Numbers, dates and codes: full-width digits and punctuation (１２３，．％) as half-width (NFKC).
NFKC_COLUMNS = {"ref", "asking_price_wan", "budget_wan", "asking_price", "budget",
                "ip_filed_on", "ip_granted_on", "implemented_on",
                "deadline", "patent_no", "contact_phone", "contact_email", "company_uscc"}
LIST_SPLIT = re.compile(r"[、,，;；/|\n]+")
ANY_INDUSTRY = {"不限", "全行业", "各行业", "各产业", "全部产业", "所有行业", "所有产业", "各类产业", "不限行业", "不限产业"}
NO_IP_WORDS = {"无", "暂无", "没有", "无知识产权", "/", "-", "—", "——", "不适用"}  # 知识产权类型 of a record without any
MODES_SPLIT = re.compile(r"[、,，;；/|\n]+|或者|以及|[或和及与]")
# A university's (institute's) sub-unit in brackets after it, and a sub-unit's name alone (see Importer._college).
_SUB_UNIT = r"[^（）()]{2,40}?(?:学院|系|研究所|研究中心|工程中心|中心|重点实验室|实验室|课题组|团队|研究室|教研室)"
COLLEGE_IN_BRACKETS = re.compile(rf"^(?P<org>.{{2,60}}?(?:大学|学院|研究院|科学院|研究所))\s*[（(](?P<unit>{_SUB_UNIT})[)）]$")
COLLEGE_AFTER = re.compile(rf"^{_SUB_UNIT}$")
CO_UNITS = re.compile(r"[、,，;；\n]+")  # the completing units of a joint achievement, first the owner
# An amount in a 万元 column written with its unit ("50万", "50 万元"): the number, reported like any mapping.
WAN_COLUMNS = {"asking_price_wan", "budget_wan"}
YUAN_COLUMNS = {"asking_price", "budget"}  # the same amounts in 元 (意向价格（元）): 面议 words alike, no 万 unit read
# ... written with its unit, its currency or a remark (人民币 50 万元, ¥50万, RMB 50, 50（万元）, 50万元整, 50w, 1.2亿,
# 1,200,000元, 50万元（可追加）: columns.written_amount): the unit written is the one meant, exactly (Decimal) — in a
# 万元 column, 元 from 1 万元 up: "50元" there is more likely a slip for 50万 than a technology's price, and stays refused.
# A budget or price in words: "待定", "不限", "协商" … mean 面议; a budget's upper bound ("50万以内", "不超过50万") is that
# amount (a range, "50~100", stays an error: which end is meant is not said). Each reported.
NEGOTIABLE_WORDS = {"待定", "不限", "协商", "议价", "商议", "面谈", "可议", "双方协商", "另议", "价格面议", "协商确定",
                    "待议", "议定", "商定", "面洽", "洽谈", "协议价", "双方商定", "价格待定", "具体面议"}


def _plain(amount: Decimal) -> str:
    """An amount as a plain number (120, 12000, 120.5, 0.00005: no exponent, no trailing zeros)."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def negotiable(value: str) -> bool:
    """面议 however a sheet words it: the words above, 可面议 / 价格面议, a remark in brackets after it (面议（可商）)."""
    if value in NEGOTIABLE_WORDS or value == "面议":
        return True
    bare = re.sub(r"\([^()]*\)$", "", value).strip()
    bare = re.sub(r"^(?:价格可|转让价格|价格|费用|金额|可)", "", bare)
    return bare in NEGOTIABLE_WORDS or bare == "面议"


BUDGET_UP_TO = re.compile(r"^(?:不超过|不高于|最多|最高|上限)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:万元?)?\s*(?:以内|以下|之内)?$")
# A deadline in words: "长期", "长期有效", "不限" … is no deadline (the page says 长期有效); "2027年底" the year's last
# day; "2027年12月31日前" the date.
NO_DEADLINE_WORDS = {"长期", "长期有效", "不限", "不限期", "无", "无期限", "无限期", "常年", "常年有效", "长期征集"}
YEAR_END = re.compile(r"^(\d{4})\s*年\s*(?:底|末|年底|年末)$")
BEFORE = re.compile(r"(?<=\S)\s*(?:之前|以前|截止|为止|前|止)$")  # (what a deadline is written with around its date)
UNTIL = re.compile(r"^(?:截至|截止到|截止|至|到)\s*(?=\d)")
REMARK_AFTER = re.compile(r"^(.+?)\s*\(([^()]*)\)$")  # (NFKC made the brackets half-width)
DASHES = re.compile("[\u2010-\u2015\u2212]")
PHONES_SPLIT = re.compile(r"\s*[、,;，；]\s*|\s*/\s*")
# The date columns, where a day serial (45000) is read as its date and reported (columns.serial_date).
DATE_COLUMNS = {"ip_filed_on", "ip_granted_on", "implemented_on", "deadline"}
MONEY_COLUMNS = WAN_COLUMNS | YUAN_COLUMNS
FOLDED_COLUMNS = MONEY_COLUMNS | DATE_COLUMNS  # read with traditional characters as simplified (面議, 長期有效)


TEAM_MAX = 200  # 研发团队's length (achievements.schemas: Text(200)): what an import adds to it must fit


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    skipped: int = 0
    blank: int = 0             # of the skipped, rows with nothing in a known column (a footnote, a numbered empty row)
    footer: int = 0            # of the skipped, a sheet's total row (合计) and footer lines (填表人：…)
    unchanged: int = 0   # rows whose record already holds exactly these values: neither rewritten nor reindexed
    indexed: int = 0     # search outbox rows applied while the rows were written (import_rows(index_alongside=…))
    errors: list = field(default_factory=list)  # [{"row": n, "message": "…", "fields": [{"column", "message"}]}]
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)   # [{"row": n, "column", "from", "to"}] (first MAX_KEPT)
    mapped: dict = field(default_factory=dict)  # (column, from, to) → [count, first rows]
    ids: list = field(default_factory=list)
    errors_file: bool = False

    def as_dict(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated,
                "rejected": self.rejected, "skipped": self.skipped, "unchanged": self.unchanged,
                "errors": self.errors,
                "warnings": self.warnings, "mappings": self.mapping_lines()}

    def summary(self) -> str:
        out = f"共{self.total}行：新增{self.created}，更新{self.updated}，"
        if self.unchanged:
            out += f"未变化{self.unchanged}，"
        out += f"拒绝{self.rejected}"
        if self.skipped - self.blank - self.footer:
            out += f"，跳过示例行{self.skipped - self.blank - self.footer}"
        if self.blank:
            out += f"，跳过无内容的行{self.blank}"
        if self.footer:
            out += f"，跳过合计行或表尾{self.footer}"
        if self.mapped:
            out += f"，规范化取值{sum(c for c, _ in self.mapped.values())}处"
        return out

    def note(self, row: int, column: str, before, after) -> None:
        key = (column, str(before), str(after))
        entry = self.mapped.setdefault(key, [0, []])
        entry[0] += 1
        if len(entry[1]) < 10:
            entry[1].append(row)
        if len(self.notes) < MAX_KEPT:
            self.notes.append({**row_fields(row), "column": column, "from": str(before), "to": str(after)})

    def mapping_lines(self) -> list[str]:
        """One line per distinct mapping: "第 5 行 成熟度：工业化应用 → 工业化" (or "第 5、7 等 12 行 …"; from several
        sheets, "工作表“化学学院”第 5 行、工作表“材料学院”第 7 行 …")."""
        lines = []
        for (column, before, after), (count, rows) in self.mapped.items():
            parts, sheet = [], None
            for r in rows:
                if getattr(r, "sheet", None) != sheet or not parts:
                    sheet = getattr(r, "sheet", None)
                    parts.append([f"工作表“{sheet}”" if sheet is not None else "", []])
                parts[-1][1].append(str(r))
            where = "、".join(f"{name}第 {'、'.join(numbers)} 行" for name, numbers in parts)
            if count > len(rows):
                where = where[:-2] + f" 等 {count} 行"
            lines.append(f"{where} {column}：{before} → {after}")
        return lines


class RowError(Exception):
    pass


@dataclass
class Prepared:
    number: int
    raw: object          # the original values, for the error file
    data: dict           # validated, ready for the model
    ref: str | None
    org_name: str | None
    uscc: str | None
    city: str | None
    key: str
    org: Organisation | None = None


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def vocab_value(kind: str, value: str) -> str:
    """A spreadsheet's spelling of a controlled value → the vocabulary's (vocab.spelled: its aliases, 小试阶段, 宜春市,
    with a remark in brackets or 产业/行业 around it taken away: 中试阶段（已完成）, 新材料产业), full-width as half-width,
    traditional characters as simplified (電子信息, 工業化, 贛州市: a Taiwanese- or Hong Kong-invested firm's sheet);
    anything else as written, for validation to refuse."""
    key = nfkc(value).strip()
    if found := vocab.spelled(kind, key):
        return found
    simplified = fold(key)
    if simplified == key:
        return value
    return vocab.spelled(kind, simplified) or simplified


class RowMapper:
    """A file row (values aligned with the headers, or a .jsonl dict) → {field: value}, with the column
    name as the file spells it, for messages."""

    def __init__(self, library: str, headers: list | None):
        self.library = library
        self.known = columns.header_map(library)
        self.headers = headers
        self.mapping, self.unknown = ({}, []) if headers is None else columns.map_headers(library, headers)
        self.names = {}  # field → the header used in the file
        if headers is not None:
            for i, f in self.mapping.items():
                self.names[f] = str(headers[i]).strip()
        self._keys: dict = {}

    def field_of(self, key: str) -> str | None:
        if key not in self._keys:
            f = self.known.get(columns._norm(key)) if key is not None else None
            if f is None and not columns.ignored(key):
                if str(key) not in self.unknown:
                    self.unknown.append(str(key))
            elif f is not None:
                self.names.setdefault(f, str(key).strip())
            self._keys[key] = f
        return self._keys[key]

    def record(self, values) -> dict:
        if isinstance(values, dict):
            out = {}
            for k, v in values.items():
                f = self.field_of(k)
                if f and f not in out and v not in (None, ""):
                    out[f] = v
            return out
        return {self.mapping[i]: v for i, v in enumerate(values) if i in self.mapping and v not in (None, "")}

    def column(self, f: str) -> str:
        return self.names.get(f) or columns.display_header(self.library, f)


class Importer:
    def __init__(self, library: str, headers, *, actor=None, source="local", publish=False, submit=False,
                 dry_run=False, errors_out=None):
        self.library, self.actor, self.source = library, actor, source
        self.publish, self.submit, self.dry_run = publish, submit, dry_run
        self.lib = lib = listings.LIBRARIES[library]
        self.model, self.table = lib.model, lib.model.__table__
        self.etype = lib.entity_type
        self.report = ImportReport()
        self.mapper = RowMapper(library, headers)
        self.schema = lib.input_schema(**({"allow_past_deadline": True} if library == "demands" else {}))
        self.seen_refs: dict[str, int] = {}
        self.seen_keys: dict[tuple, int] = {}
        self.org_cache: dict[str, Organisation | None] = {}
        self.uscc_cache: dict[str, Organisation] = {}  # credit code → organisation (a unit named otherwise)
        self.status = "published" if publish else "draft"
        self.system = actor is None or getattr(actor, "is_admin", False)
        self.errors = ErrorSink(library, headers, errors_out) if errors_out is not None else None
        self.org_field = columns.ORG_COLUMN[library]
        self._analyze_at = 1000  # rows written before the tables' statistics are first checked (PostgreSQL)

    # -- one row, in Python ------------------------------------------------------------------------------

    def prepare(self, number: int, values) -> Prepared | None:
        """A validated row, or None (rejected or skipped, already reported)."""
        if values is None:
            self.reject(number, values, [("", "该行不是有效的记录（应为 JSON 对象）")])
            return None
        if where := broken_column(values, self.mapper.headers):  # half a character (a JSON escape): no database
            self.reject(number, mended(values), [(where, SURROGATE_MESSAGE)])
            return None
        record = self.mapper.record(values)
        if self._is_sample(record, values):
            self.report.skipped += 1
            self.report.warnings.append(f"{row_label(number)}是模板中的示例行（编号“{record.get('ref') or '示例'}”），已跳过")
            return None
        if not isinstance(values, dict) and (shown := columns.footer_text(values, record.get("title"))):
            self.report.skipped += 1
            self.report.footer += 1
            self.report.warnings.append(f"{row_label(number)}是表格的合计行或表尾（“{shown[:20]}”），已跳过")
            return None
        if not isinstance(values, dict) and not any(str(v).strip() for v in record.values()):
            # a sheet's footnote ("注：价格单位为万元") or a numbered but empty row: nothing in any known column
            filled = [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]
            self.report.skipped += 1
            self.report.blank += 1
            if not all(v.isdigit() for v in filled):  # (a row of a template numbered in advance: counted, not told)
                self.report.warnings.append(f"{row_label(number)}没有任何可识别列的内容（“{filled[0][:20]}”），已跳过")
            return None
        problems: list[tuple[str, str]] = []
        errored: set = set()  # columns whose cell is a formula's error: that is all that is said of them
        col = self.mapper.column
        for f in list(record):
            value = record[f]
            if not isinstance(value, str):
                continue
            if value[:1] in "# " and (error := columns.formula_error(value)):
                problems.append((col(f), error))
                errored.add(col(f))
                del record[f]
                continue
            if columns.UNUSUAL.search(value):  # (one search for the common case: nothing to mend)
                value = columns.line_breaks(value)
                if (shown := columns.visible(value)) != value:
                    value = shown
                    self.report.note(number, col(f), "不可见字符（零宽空格、方向标记等）", "已删除")
            value = value.strip()
            if "\n" in value and f not in columns.MULTILINE_COLUMNS and not (
                    f == "institution" and columns.several_units(value)):
                value = columns.one_line(value)
                self.report.note(number, col(f), "单元格内换行", "已合并为一行")
            if markup.is_markup(value):  # an older platform's rich text: read as its text
                value = markup.to_text(value)
                self.report.note(number, col(f), "含网页标记（HTML）", "已转为纯文字")
            if f in NFKC_COLUMNS:
                fixed = nfkc(value).strip()
                if fixed[:1] == "'" and fixed[1:2].isalnum():  # '13800138000: an apostrophe kept a number as text
                    fixed = fixed[1:]
                if f in FOLDED_COLUMNS:  # 面議, 50萬元, 長期有效: words in traditional characters
                    fixed = fold(fixed)
                if f == "contact_phone":  # 138…（微信同号）: the remark aside; 0791—88888888 (a dash Word put in); two
                    if (m := REMARK_AFTER.match(fixed)) and not re.search(r"[0-9]", m.group(2)):  # numbers: one "/"
                        fixed = m.group(1)
                    fixed = PHONES_SPLIT.sub("/", DASHES.sub("-", fixed))
                elif f == "contact_email":
                    fixed = fixed.rstrip(".;。；,，")
                elif f == "deadline":  # 截至2027年6月30日, 至2027年6月, 2027年12月31日前, 2027年底前: the date itself
                    fixed = BEFORE.sub("", UNTIL.sub("", fixed)) or fixed
                if f in MONEY_COLUMNS and negotiable(fixed):
                    fixed = "面议"
                elif f in MONEY_COLUMNS and (written := columns.written_amount(fixed)) is not None \
                        and not (f in WAN_COLUMNS and written[1] == "元" and written[0] < 10000):  # ("50元": a slip)
                    fixed = _plain(columns.in_unit(*written, "万" if f in WAN_COLUMNS else "元"))
                elif f == "budget_wan" and (m := BUDGET_UP_TO.match(fixed)) and m.group(1) != fixed:
                    fixed = m.group(1)
                elif f == "deadline" and fixed in NO_DEADLINE_WORDS:
                    fixed = ""
                elif f == "deadline" and (m := YEAR_END.match(fixed)):
                    fixed = f"{m.group(1)}-12-31"
                elif f in DATE_COLUMNS and (day := columns.serial_date(fixed)):
                    fixed = day.isoformat()
                elif f == "deadline" and (end := month_end(fixed)):  # written to the month: its last day
                    fixed = end.isoformat()
                if fixed != value:
                    self.report.note(number, col(f), value, fixed or "不设截止日期（长期有效）")
                value = fixed
            elif f in VOCAB_COLUMNS:
                fixed = "" if f == "ip_type" and value in NO_IP_WORDS else vocab_value(VOCAB_COLUMNS[f], value)
                if fixed != value:
                    self.report.note(number, col(f), value, fixed or "（不填）")
                value = fixed
            elif f == "industries" and value in ANY_INDUSTRY:  # a service for every industry: none named
                self.report.note(number, col(f), value, "（不限产业）")
                del record[f]
                continue
            elif f in LIST_VOCAB_COLUMNS:
                split = MODES_SPLIT if f == "transfer_modes" else LIST_SPLIT  # 转让或许可 (no mode holds these words)
                items = [i.strip() for i in split.split(value) if i.strip()]
                mapped = [vocab_value(LIST_VOCAB_COLUMNS[f], i) for i in items]
                for before, after in zip(items, mapped):
                    if before != after:
                        self.report.note(number, col(f), before, after)
                if items:  # (in the separator every reader splits on: 转让或许可 as 转让、许可)
                    value = "、".join(dict.fromkeys(mapped))
            record[f] = value
        ref = str(record.get("ref") or "").strip() or None
        if ref:
            if ref in self.seen_refs:
                problems.append((col("ref"), f"编号“{ref}”在文件中重复（与{row_label(self.seen_refs[ref])}）"))
            else:
                self.seen_refs[ref] = number
        if self.library == "achievements":
            self._co_institutions(number, record)
            self._college(number, record)
        org_name, uscc, org_problem = self._org_of(record)
        if org_problem:
            problems.append((col(self.org_field), org_problem))
        data = None
        try:
            data = self.schema.validate_dict(record)
        except AppError as exc:
            for k, v in (exc.fields or {"": exc.message}).items():
                f = k.split(".")[0]
                name = col(f) if f in columns.COLUMNS[self.library] else self.lib.labels.get(f, f)
                if f in ("asking_price", "budget", "price_negotiable", "budget_negotiable"):
                    base = f.replace("price_negotiable", "asking_price").replace("budget_negotiable", "budget")
                    wan = base + "_wan"
                    name = col(base) if base in record and wan not in record else (
                        col(wan) if wan in columns.COLUMNS[self.library] else name)
                problems.append((name if f != "_schema" else "", v))
        key = title_key(record.get("title"))
        if not ref and data is not None and key:
            seen = self.seen_keys.get((org_name, key))
            if seen:
                problems.append((col("title"), f"与{row_label(seen)}的{col(self.org_field)}和名称相同（都没有编号），"
                                                "请合并或填写编号"))
            else:
                self.seen_keys[(org_name, key)] = number
        if problems:
            if errored:
                problems = [(c, m) for c, m in problems if c not in errored or m.startswith("单元格是公式的错误值")]
            self.reject(number, values, problems)
            return None
        return Prepared(number, values, data, ref, org_name, uscc, record.get("city"), key)

    def _is_sample(self, record: dict, values) -> bool:
        ref = nfkc(str(record.get("ref") or "")).strip()
        if ref in SAMPLE_REFS:
            return True
        first = values[0] if isinstance(values, list) and values else None
        return isinstance(first, str) and first.strip() in SAMPLE_REFS

    def _co_institutions(self, number: int, record: dict) -> None:
        """An achievement completed jointly (完成单位 "南昌大学、江西省农业科学院"): the first unit owns the record, the
        others are kept in its 研发团队 ("合作完成单位：…"), and the mapping is reported — not one organisation named
        after all of them."""
        name = record.get("institution")
        parts = [x.strip() for x in CO_UNITS.split(name) if x.strip()] if isinstance(name, str) else []
        if len(parts) < 2:
            return
        others = "、".join(dict.fromkeys(p for p in parts[1:] if p != parts[0]))
        record["institution"] = parts[0]
        kept = not others or self._to_team(record, f"合作完成单位：{others}")
        self.report.note(number, self.mapper.column("institution"), name,
                         parts[0] if not others else f"{parts[0]}（其余单位写入研发团队）" if kept
                         else f"{parts[0]}（研发团队已满{TEAM_MAX}字，其余单位“{others}”未写入，请在成果中补充）")

    @staticmethod
    def _to_team(record: dict, text: str) -> bool:
        """Add `text` to the row's 研发团队 if it still fits the column (TEAM_MAX): True when added. A row whose own
        研发团队 is nearly full was refused for a length the uploader never wrote."""
        team = record.get("team")
        joined = f"{team}；{text}" if isinstance(team, str) and team.strip() else text
        if len(joined) > TEAM_MAX:
            return False
        record["team"] = joined
        return True

    def _college(self, number: int, record: dict) -> None:
        """A unit written with its college, laboratory or group — "江西理工大学（材料学院）", or, by the university's own
        upload, "江西理工大学材料学院" — is the university's achievement: the organisation is the university (before, the
        whole string made an organisation of its own, and the university's own upload was refused as another unit's);
        the college is kept in its 研发团队 ("完成院系：材料学院"), and the mapping reported. A college written without
        brackets is read so only when the uploader is that university: an independent college (南昌大学科学技术学院) is
        an institution of its own."""
        name = record.get("institution")
        if not isinstance(name, str):
            return
        name = canonical_org_name(name)
        if m := COLLEGE_IN_BRACKETS.match(name):
            org, unit = m.group("org").strip(), m.group("unit").strip()
        elif not self.system and (own := canonical_org_name(self.actor.org.name)) and name.startswith(own) \
                and COLLEGE_AFTER.match(rest := name[len(own):].strip()):
            org, unit = own, rest
        else:
            return
        record["institution"] = org
        kept = self._to_team(record, f"完成院系：{unit}")
        self.report.note(number, self.mapper.column("institution"), name, f"{org}（院系写入研发团队）" if kept
                         else f"{org}（研发团队已满{TEAM_MAX}字，院系“{unit}”未写入，请在成果中补充）")

    def _org_of(self, record: dict):
        """(organisation name, uscc, problem): the uploader's own organisation, or the one the row names."""
        name = (record.pop(self.org_field, None) or "")
        name = canonical_org_name(name) if isinstance(name, str) else str(name)  # one unit however it is spaced
        uscc = (record.pop("company_uscc", None) or "")
        uscc = normalise_uscc(str(uscc)) or None
        header = self.mapper.column(self.org_field)
        if not self.system:
            if name and name != canonical_org_name(self.actor.org.name):
                return None, None, f"{header}“{name}”与当前账号所属单位“{self.actor.org.name}”不一致"
            return self.actor.org.name, None, None
        if not name:
            return None, None, f"缺少{header}"
        if len(name) > 120:
            return None, None, "单位名称过长"
        if uscc and uscc_error(uscc):
            return None, None, uscc_error(uscc)
        return name, uscc, None

    def reject(self, number: int, values, problems: list[tuple[str, str]]) -> None:
        self.report.rejected += 1
        message = "；".join(f"{c}：{m}" if c else m for c, m in problems)
        if len(self.report.errors) < MAX_KEPT:
            self.report.errors.append({**row_fields(number), "message": message,
                                       "fields": [{"column": c, "message": m} for c, m in problems]})
        if self.errors is not None:
            self.errors.add(number, values, message)

    # -- a batch, in the database ------------------------------------------------------------------------

    def run_batch(self, batch: list[Prepared]) -> None:
        if not batch:
            return
        self._resolve_orgs(batch)
        existing = self._lookup(batch)
        creates, updates = [], []
        for p in batch:
            found = existing.get(p.number)
            if found is not None and self.actor is not None and found[2] not in perm.EDITABLE_STATES:
                label = vocab.STATUS_LABELS.get(found[2], found[2])
                self.reject(p.number, p.raw, [("", f"{self.lib.label}处于“{label}”状态，撤回后才能修改")])
                continue
            if found is not None and p.org is not None and found[1] != p.org.id:
                owner = db.session.get(Organisation, found[1])
                self.reject(p.number, p.raw, [(self.mapper.column("ref"),
                                               f"编号“{p.ref}”已属于“{owner.name if owner else '其他单位'}”，"
                                               "不能改为其他单位")])
                continue
            (updates if found is not None else creates).append((p, found[0] if found else None))
        if updates:
            updates, same = self._split_unchanged(updates)
            self.report.unchanged += len(same)
            if same and self.submit and not self.dry_run:
                self._submit(same)  # unchanged drafts are still submitted when the upload asks for it
        if self.dry_run:
            self.report.created += len(creates)
            self.report.updated += len(updates)
            return
        try:
            with db.session.begin_nested():
                ids = self.write(creates, updates)
            self.report.created += len(creates)
            self.report.updated += len(updates)
            self.report.ids.extend(ids)
        except SQLAlchemyError:
            # The database refused something in the batch: replay it row by row to find the culprit(s).
            for one in creates + updates:
                is_create = one[1] is None
                try:
                    with db.session.begin_nested():
                        ids = self.write([one] if is_create else [], [] if is_create else [one])
                except SQLAlchemyError as exc:
                    self.reject(one[0].number, one[0].raw, [("", f"数据库拒绝该行：{exc.__class__.__name__}")])
                    continue
                self.report.ids.extend(ids)
                if is_create:
                    self.report.created += 1
                else:
                    self.report.updated += 1

    def refresh_statistics(self) -> bool:
        """PostgreSQL: ANALYZE the tables the import writes once it has written a sizeable share of them (checked
        at 1,000 rows written, then at every doubling). With the statistics of a near-empty table the planner looks
        a batch's 500 编号 up through the (source, ref) index's `source` column alone and filters every record of
        the source, every batch: the lookups then grew with the table (the PostgreSQL rows phase was slower at
        100,000 rows than at 20,000). Committed work only: called between batches."""
        written = self.report.created + self.report.updated
        if self.dry_run or written < self._analyze_at or not pgcopy.is_postgresql(db.session):
            return False
        self._analyze_at = written * 2
        from sqlalchemy import text
        tables = [self.table.name, ImportKey.__table__.name]
        if self.etype == "achievement":
            from ..achievements.models import AchievementIP
            tables.append(AchievementIP.__table__.name)
        known = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                                  {"t": self.table.name})
        if known is not None and known > 0 and written < 0.2 * known:
            db.session.rollback()
            return False
        try:
            db.session.execute(text("ANALYZE " + ", ".join(f'"{n}"' for n in tables)))
            db.session.commit()
        except SQLAlchemyError:  # not the tables' owner: the statistics wait for autovacuum
            db.session.rollback()
            self._analyze_at = float("inf")
            return False
        return True

    def _resolve_orgs(self, batch: list[Prepared]) -> None:
        if not self.system:
            for p in batch:
                p.org = self.actor.org
            return
        missing = {p.org_name for p in batch if p.org_name not in self.org_cache}
        if missing:
            for org in db.session.scalars(select(Organisation).where(Organisation.name.in_(missing))):
                self.org_cache[org.name] = org
        coded = {p.uscc for p in batch if p.uscc and p.org_name not in self.org_cache} - set(self.uscc_cache)
        if coded:
            for org in db.session.scalars(select(Organisation).where(Organisation.uscc.in_(coded))):
                self.uscc_cache[org.uscc] = org
        for p in batch:
            if p.org_name not in self.org_cache and p.uscc and (known := self.uscc_cache.get(p.uscc)) is not None:
                # the credit code names a unit kept under another name (江西铜业 for 江西铜业股份有限公司): that unit —
                # before, a second organisation with the same code, refused by the database mid-import (a 500)
                p.org = known
                self.report.note(p.number, self.mapper.column(self.org_field), p.org_name,
                                 f"{known.name}（按统一社会信用代码）")
                continue
            if p.org_name not in self.org_cache:
                org = None
                if not self.dry_run:
                    kind = columns.ORG_KIND[self.library]
                    uscc = p.uscc
                    if kind == "company" and not uscc:
                        uscc = make_uscc(p.org_name)  # imported companies without a code get a placeholder
                    org = get_or_create_org(p.org_name, kind, uscc=uscc, city=p.city,
                                            subtype="高校" if "大学" in p.org_name or "学院" in p.org_name else None)
                self.org_cache[p.org_name] = org
                if org is not None and org.uscc:
                    self.uscc_cache[org.uscc] = org
            p.org = self.org_cache[p.org_name]

    def _lookup(self, batch: list[Prepared]) -> dict[int, tuple[int, int, str]]:
        """Row number → (record id, owner id, status) of the records the batch's rows update: by (source, 编号) through
        the unique index, or by (owner, title key) through ix_import_keys_lookup. Two queries per batch."""
        t = self.table
        out = {}
        refs = {p.ref: p for p in batch if p.ref}
        if refs:
            for rid, ref, owner, status in db.session.execute(
                    select(t.c.id, t.c.ref, t.c.owner_org_id, t.c.status).where(
                        t.c.source == self.source, t.c.ref.in_(list(refs)))):
                out[refs[ref].number] = (rid, owner, status)
        keyed = [p for p in batch if not p.ref and p.org is not None and p.key]
        if keyed:
            k = ImportKey.__table__
            wanted = {(p.org.id, p.key): p for p in keyed}
            rows = db.session.execute(
                select(k.c.owner_org_id, k.c.key, t.c.id, t.c.status)
                .join(t, t.c.id == k.c.entity_id)
                .where(k.c.entity_type == self.etype, k.c.owner_org_id.in_({o for o, _ in wanted}),
                       k.c.key.in_({key for _, key in wanted}), t.c.owner_org_id == k.c.owner_org_id)
                .order_by(t.c.id.desc()))
            for owner, key, rid, status in rows:  # descending: the lowest id is written last and wins
                p = wanted.get((owner, key))
                if p is not None:
                    out[p.number] = (rid, owner, status)
        return out

    def _split_unchanged(self, updates: list) -> tuple[list, list]:
        """(changed, unchanged) of the batch's updates: a row is unchanged when every value it sets equals what
        its record holds (and, for an achievement, its IP items are the same, in order). One query for the
        records' columns and one for their IP items. An unchanged row is neither rewritten nor reindexed: no
        UPDATE, no audit row, no outbox row, no match refresh, `updated_at` kept."""
        t = self.table
        rids = [rid for _, rid in updates]
        fields = sorted({k for p, _ in updates for k in p.data if k != "ip_items" and k in t.c})
        stored = {row[0]: row for row in db.session.execute(
            select(t.c.id, *[t.c[f] for f in fields]).where(t.c.id.in_(rids)))}
        position = {f: i + 1 for i, f in enumerate(fields)}
        ips: dict[int, list] = {}
        if self.etype == "achievement" and any("ip_items" in p.data for p, _ in updates):
            from ..achievements.models import AchievementIP
            ip = AchievementIP.__table__
            for r in db.session.execute(select(ip.c.achievement_id, ip.c.ip_type, ip.c.number, ip.c.filed_on,
                                               ip.c.granted_on).where(ip.c.achievement_id.in_(rids))
                                        .order_by(ip.c.achievement_id, ip.c.id)):
                ips.setdefault(r[0], []).append((r[1], r[2], r[3], r[4]))
        changed, same = [], []
        for p, rid in updates:
            row = stored.get(rid)
            equal = row is not None and all(
                k in position and _same(row[position[k]], v) for k, v in p.data.items() if k != "ip_items")
            if equal and "ip_items" in p.data:
                new = [(i.get("ip_type"), i.get("number"), i.get("filed_on"), i.get("granted_on"))
                       for i in p.data["ip_items"] or []]
                old = ips.get(rid, [])
                equal = len(new) == len(old) and all(all(_same(a, b) for a, b in zip(o, n))
                                                     for o, n in zip(old, new))
            (same if equal else changed).append((p, rid))
        return changed, same

    def write(self, creates: list, updates: list) -> list[int]:
        """Bulk statements for the batch; returns the ids written (created first, in order)."""
        now, t = utcnow(), self.table
        actor_id = getattr(self.actor, "id", None)
        ip_items: dict[int, list] = {}
        created_ids = []
        groups: dict[tuple, list] = {}
        for p, _ in creates:
            row = {k: v for k, v in p.data.items() if k != "ip_items"}
            row.update(owner_org_id=p.org.id, created_by_id=actor_id, source=self.source, status=self.status,
                       created_at=now, updated_at=now)
            if self.status == "published":
                row.update(published_at=now, submitted_at=now)
            groups.setdefault(tuple(sorted(row)), []).append((p, row))
        created_of: dict[int, int] = {}  # row number → new id
        if groups and pgcopy.is_postgresql(db.session):
            # PostgreSQL: the new ids from the sequence in one query, the rows by COPY (pgcopy's docstring).
            pairs = sorted((pr for rows in groups.values() for pr in rows), key=lambda pr: pr[0].number)
            for (p, row), rid in zip(pairs, pgcopy.next_ids(db.session, t, len(pairs))):  # in the file's order
                row["id"] = rid
                created_of[p.number] = rid
            pgcopy.copy_rows(db.session, t, [row for _, row in pairs])
            groups = {}
        for rows in groups.values():
            # RETURNING without sort_by_parameter_order: SQLite would then send one INSERT per row. The new ids
            # are matched back by 编号, or (no 编号) by owner + title key — both unique within the file.
            by_ref = {p.ref: p for p, _ in rows if p.ref}
            by_key = {(p.org.id, p.key): p for p, _ in rows if not p.ref}
            stmt = insert(t).returning(t.c.id, t.c.ref, t.c.owner_org_id, t.c.title)
            for rid, ref, owner, title in db.session.execute(stmt, [r for _, r in rows]):
                p = by_ref[ref] if ref else by_key[(owner, title_key(title))]
                created_of[p.number] = rid
        for p, _ in creates:
            rid = created_of[p.number]
            created_ids.append(rid)
            if "ip_items" in p.data:
                ip_items[rid] = p.data["ip_items"] or []
        updated_ids = []
        groups = {}
        for p, rid in updates:
            row = {k: v for k, v in p.data.items() if k != "ip_items"}
            row["updated_at"] = now
            groups.setdefault(tuple(sorted(row)), []).append({"b_id": rid, **{f"b_{k}": v for k, v in row.items()}})
            updated_ids.append(rid)
            if "ip_items" in p.data:
                ip_items[rid] = p.data["ip_items"] or []
        pg = pgcopy.is_postgresql(db.session)
        for keys, params in groups.items():
            if pg and not any(isinstance(t.c[k].type, JSON) for k in keys):  # one UPDATE … FROM unnest(arrays)
                pgcopy.update_rows(db.session, t, keys, [(p["b_id"], {k: p[f"b_{k}"] for k in keys})
                                                         for p in params])
                continue
            stmt = update(t).where(t.c.id == bindparam("b_id")).values({k: bindparam(f"b_{k}") for k in keys})
            db.session.execute(stmt.execution_options(synchronize_session=False), params)
        if ip_items and self.etype == "achievement":
            from ..achievements.models import AchievementIP
            ip = AchievementIP.__table__
            replaced = [rid for rid in ip_items if rid in set(updated_ids)]
            if replaced:
                db.session.execute(delete(ip).where(ip.c.achievement_id.in_(replaced)))
            rows = [{"achievement_id": rid, "ip_type": i["ip_type"], "number": i.get("number"),
                     "filed_on": i.get("filed_on"), "granted_on": i.get("granted_on")}
                    for rid, items in ip_items.items() for i in items]
            if rows:
                insert_all(ip, rows)
        ids = created_ids + updated_ids
        # Natural keys: the records' current (owner, title key), replacing what they had.
        k = ImportKey.__table__
        if updated_ids:
            db.session.execute(delete(k).where(k.c.entity_type == self.etype, k.c.entity_id.in_(updated_ids)))
        pairs = [(p, rid) for (p, _), rid in zip(creates, created_ids)] + updates
        insert_all(k, [{"entity_type": self.etype, "owner_org_id": p.org.id, "key": p.key, "entity_id": rid}
                       for p, rid in pairs if p.key])
        # What the per-row (ORM) path wrote through listings.create/update and the flush listeners.
        audit = [{"entity_type": self.etype, "entity_id": rid, "action": "create", "from_state": None,
                  "to_state": self.status, "actor_id": actor_id, "at": now} for rid in created_ids]
        audit += [{"entity_type": self.etype, "entity_id": rid, "action": "update", "from_state": None,
                   "to_state": None, "actor_id": actor_id, "at": now,
                   "details": {"fields": sorted(k for k in p.data)}} for p, rid in updates]
        if audit:
            insert_all(AuditLog.__table__, [{"details": None, **a} for a in audit])
        from ..searching.outbox import enqueue_many
        enqueue_many(db.session, self.etype, ids, insert_rows=insert_all)
        _match_refresh(self.etype, ids)
        if self.submit:
            self._submit([(p, rid) for (p, _), rid in zip(creates, created_ids)] + updates)
        return ids

    def _submit(self, pairs: list) -> None:
        """Submit for review (web uploads that ask for it): the workflow, record by record, as a person would;
        a record that cannot be submitted stays imported as it is, and the report says why."""
        by_id = {rid: p for p, rid in pairs}
        objs = db.session.scalars(select(self.model).where(self.model.id.in_(list(by_id)))
                                  .execution_options(populate_existing=True)).all()
        for obj in objs:
            if obj.status not in listings.TRANSITIONS["submit"].sources:
                continue
            try:
                with db.session.begin_nested():
                    listings.transition(self.actor, self.lib, obj, "submit")
            except AppError as exc:
                self.report.warnings.append(f"{row_label(by_id[obj.id].number)}已导入，但未能提交审核：{exc.message}")
        db.session.flush()


def _same(stored, new) -> bool:
    """A stored value equals the validated one: types as the database returns them (Decimal, date, bool), an
    empty string the same as NULL."""
    if stored == new:
        return True
    if stored in (None, "") and new in (None, ""):
        return True
    if stored is None or new is None:
        return False
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(str(stored)) == Decimal(str(new))
        except (InvalidOperation, ValueError):
            return False
    if isinstance(stored, datetime) and isinstance(new, date) and not isinstance(new, datetime):
        return stored.date() == new
    if isinstance(stored, date) and isinstance(new, str):
        return stored.isoformat() == new
    return False


def _match_refresh(entity_type: str, ids: list[int]) -> None:
    """The stored-match queue (matching.store), which the flush listeners fill for ORM writes."""
    if entity_type not in ("achievement", "demand"):
        return
    try:
        from ..matching import store
    except ImportError:  # pragma: no cover - matching is part of the site
        return
    enqueue = getattr(store, "enqueue", None)
    if enqueue is not None:
        enqueue(entity_type, ids, session=db.session)


def import_rows(library: str, headers: list | None, rows, *, actor=None, source="local", publish=False,
                submit=False, dry_run=False, progress: Callable[[int, int], None] | None = None,
                total: int | None = None, errors_out=None, batch_size: int | None = None,
                index_alongside=False) -> ImportReport:
    """Import `rows` ((number, values | dict | None), a list or any iterator) into `library`. `errors_out`: a
    path or binary file to write the error file to (.xlsx: the failed rows as they were, plus 错误原因).
    `index_alongside` (True, or an IndexFollower not started yet): a child process applies the search outbox
    while the rows are written (imports.indexing); what it has not applied when the rows are done is left
    pending for the caller's `apply_pending`, as without it."""
    imp = Importer(library, headers, actor=actor, source=source, publish=publish, submit=submit,
                   dry_run=dry_run, errors_out=errors_out)
    report = imp.report
    report.warnings.extend(getattr(headers, "notes", ()))  # how the header was found (readers.Headers)
    if total is None:
        total = len(rows) if hasattr(rows, "__len__") else 0
    if headers is not None:
        missing = [columns.display_header(library, f) for f in columns.REQUIRED[library]
                   if f not in imp.mapper.mapping.values()]
        if missing:
            rows = list(rows)
            report.total = report.rejected = len(rows)
            report.errors.append({"row": 1, "message": "缺少必需的列：" + "、".join(missing), "fields": []})
            if imp.mapper.unknown:
                report.warnings.append("未识别的列已忽略：" + "、".join(imp.mapper.unknown))
            if imp.errors is not None:
                for number, values in rows:
                    imp.errors.add(number, values, "缺少必需的列：" + "、".join(missing))
                imp.errors.close()
                report.errors_file = True
            return report
    size = batch_size or BATCH
    batch: list[Prepared] = []
    done = 0

    def flush():
        imp.run_batch(batch)
        batch.clear()
        if imp.errors is not None:
            imp.errors.flush()
        if not dry_run:
            db.session.commit()
            imp.refresh_statistics()
        if progress:
            progress(done, max(total, done))

    follower = None
    if index_alongside and not dry_run and "fork" in multiprocessing.get_all_start_methods():
        from .indexing import follow
        follower = index_alongside.start() if hasattr(index_alongside, "start") else follow()
    try:
        for number, values in rows:
            done += 1
            p = imp.prepare(number, values)
            if p is not None:
                batch.append(p)
            if len(batch) >= size:
                flush()
            elif progress and done % size == 0:
                progress(done, max(total, done))
        flush()
    except BaseException:
        if follower is not None:
            follower.stop(timeout=60)
        if imp.errors is not None:
            imp.errors.abandon()
        raise
    if follower is not None:
        report.indexed = follower.stop()
    report.total = done
    if report.unchanged:
        report.warnings.insert(0, f"未变化 {report.unchanged} 条：与库中记录完全相同，"
                                  + ("导入时不会改写" if dry_run else "未改写、未重新索引"))
    if imp.mapper.unknown:
        report.warnings.insert(0, "未识别的列已忽略：" + "、".join(imp.mapper.unknown))
    if imp.errors is not None:
        imp.errors.close()
        report.errors_file = True
    return report


def import_file(library: str, filename: str, raw: bytes, **kw) -> ImportReport:
    headers, rows = read_file(filename, raw)
    return import_rows(library, headers, rows, **kw)


class ErrorSink:
    """The error file, written as rows are refused (openpyxl write-only: memory stays flat): the original
    columns and values of each failed row, then 错误原因. Fixed and uploaded again, it imports (the 错误原因
    column is ignored)."""

    def __init__(self, library: str, headers: list | None, out):
        from openpyxl import Workbook
        self.library, self.out = library, out
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("有问题的行")
        if headers is not None:
            self.headers = [h if h is not None else "" for h in headers]
            self.fields = None
        else:  # .jsonl: the library's columns, values taken by field
            self.fields = list(columns.COLUMNS[library])
            self.headers = [columns.display_header(library, f) for f in self.fields]
            self.known = columns.header_map(library)
        self.ws.append(self.headers + [columns.ERROR_COLUMN, "原行号"])
        self.pending: list = []
        self.count = 0

    def add(self, number: int, values, message: str) -> None:
        self.pending.append((number, values, message))

    def flush(self) -> None:
        from ..core.xlsx_safe import safe_cell
        for number, values, message in sorted(self.pending, key=lambda x: x[0]):
            if values is None:
                cells = [None] * len(self.headers)
            elif isinstance(values, dict):
                by_field = {}
                for k, v in values.items():
                    f = self.known.get(columns._norm(k))
                    if f and f not in by_field:
                        by_field[f] = v
                cells = [by_field.get(f) for f in self.fields]
            else:
                cells = list(values)[:len(self.headers)] + [None] * max(0, len(self.headers) - len(values))
            cells = [v if v is None or isinstance(v, (str, int, float)) or hasattr(v, "isoformat") else str(v)
                     for v in cells]
            shown = row_label(number) if getattr(number, "sheet", None) is not None else number
            self.ws.append([safe_cell(self.ws, v) for v in cells + [message, shown]])
            self.count += 1
        self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.wb.save(self.out)

    def abandon(self) -> None:
        """The import failed: release the sheet's temporary file (the caller removes the partial output)."""
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 — nothing to keep
            pass
