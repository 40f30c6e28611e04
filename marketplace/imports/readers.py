"""Read .xlsx, .xls, .csv, .json and .jsonl into numbered rows of {header: value}."""
import codecs
import csv
import io
import itertools
import json
import re
import zipfile
from collections import Counter
from datetime import date, datetime
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from search.analysis import fold

from ..core.schema import mended
from .columns import _norm as _norm_header
from .columns import known_header

MAX_ROWS = 50000
# Hostile workbooks (an .xlsx is a zip of XML): limits checked before openpyxl inflates anything. Python's
# zipfile never inflates a member past the size its directory declares, so the declared sizes are a bound.
XLSX_MAX_UNCOMPRESSED = 100 * 1024 * 1024   # for a file of up to MAX_ROWS rows (the web uploads)
XLSX_BYTES_PER_ROW = XLSX_MAX_UNCOMPRESSED // MAX_ROWS  # ~2 KB: a file allowed more rows (the CLI) may inflate more
XLSX_MAX_RATIO = 100          # per member; real sheets compress about 5-20:1
XLSX_RATIO_FROM = 1024 * 1024  # ... on members past 1 MB inflated (a tiny part may compress better)
XLSX_MAX_MEMBERS = 10000
XLSX_MAX_SHEET_ROWS = 200000  # spreadsheet row numbers scanned, empty rows included
XLSX_MAX_COLUMNS = 500


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, corrupt, undecodable)."""


# Real forms put a title, a "填报单位" line or a blank row above the header, and an instructions sheet before the
# data: the header is the first of a sheet's first HEADER_SCAN rows that names at least two known columns (of
# any library), the sheet the first that has one; without one, the first non-empty row of the first sheet, as
# before (and the import then says which required columns are missing).
HEADER_SCAN = 30
TEMPLATE_NOTES_SHEET = "填写说明"  # imports.excel.template_workbook's second sheet


class Headers(list):
    """A file's header row; `notes`: how it was found (another sheet, rows above it skipped), for the report."""

    def __init__(self, values, notes=()):
        super().__init__(values)
        self.notes = list(notes)


def _known_columns(values) -> int:
    return sum(1 for v in values if v not in (None, "") and known_header(v))


def _header_in(numbered) -> tuple:
    """(row number, values, non-empty rows above it) of the header among the first HEADER_SCAN rows of
    `numbered` ((number, values) pairs), or (None, None, n) if none names two known columns, n the most known
    columns one of them names."""
    above = most = 0
    for number, values in numbered:
        if number > HEADER_SCAN:
            break
        if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        known = _known_columns(values)
        if known >= 2:
            return number, values, above
        above, most = above + 1, max(most, known)
    return None, None, most


# A workbook with one sheet per college (or per year, per batch), each under the same header, is one table: its
# data sheets are read in order, one after the other. A row then carries its sheet (SheetRow): the reports, the
# error file and every message name the sheet with the row number the sheet shows.
SHEET_SPAN = XLSX_MAX_SHEET_ROWS + 1
SAME_TABLE = 0.6  # share of known columns two sheets' headers have in common to be one table (Jaccard)


class SheetRow(int):
    """The number of a row of a workbook read from several sheets: unique and in reading order across them (the
    sheet's place × SHEET_SPAN + its row), with `sheet` (its name) and `row` (the number the sheet shows, which
    str() and format() give: a message written "第{n}行" still names the row as the user sees it)."""

    def __new__(cls, place: int, sheet: str, row: int):
        self = super().__new__(cls, place * SHEET_SPAN + row)
        self.place, self.sheet, self.row = place, sheet, row
        return self

    def __reduce__(self):
        return SheetRow, (self.place, self.sheet, self.row)

    def __str__(self):
        return str(self.row)

    def __format__(self, spec):
        return format(self.row, spec)

    __repr__ = __str__


def row_label(number) -> str:
    """"第5行", or "工作表“化学学院”第5行" for a row of a workbook read from several sheets."""
    sheet = getattr(number, "sheet", None)
    return f"工作表“{sheet}”第{number.row}行" if sheet is not None else f"第{number}行"


def row_fields(number) -> dict:
    """The row as the reports store it (JSON): {"row": the sheet's number} and, from several sheets, {"sheet": …}."""
    sheet = getattr(number, "sheet", None)
    return {"row": number.row, "sheet": sheet} if sheet is not None else {"row": int(number)}


def _skipped_note(number: int, above: int) -> list:
    return [f"表头在第{number}行：其上{above}行（表格标题、填报说明等）已跳过"] if above else []


def _cell(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return value


BIG5_BELOW, BIG5_AT_LEAST = 0.9, 0.95  # share of common characters: a GB18030 reading below, a Big5 one at least
_HAN = re.compile("[\u4e00-\u9fff]")


def _common_share(text: str, sample: int = 200_000) -> float:
    """The share of the Chinese characters of `text` (its first `sample` characters) that are common ones — in GB2312,
    once traditional characters are read as simplified: ≈ 1.0 for any real Chinese text, ≈ 0.6 for Big5 bytes read
    as GB18030 or GBK bytes read as Big5 (1.0 when there is no Chinese character)."""
    counts = Counter(_HAN.findall(text[:sample]))
    total = sum(counts.values())
    if not total:
        return 1.0
    common = 0
    for ch, n in counts.items():
        try:
            fold(ch).encode("gb2312")
            common += n
        except UnicodeEncodeError:
            pass
    return common / total


def decode_text(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312, as Excel saves CSV in China) or Big5
    (cp950, as Excel saves it on a traditional-Chinese Windows) when that is what the bytes read as (_common_share);
    UTF-16 when the file begins with its byte-order mark (Excel's "Unicode 文本", WPS and some systems' exports)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    # Big5 (a Taiwanese- or Hong Kong-invested firm's CSV: Excel saves it so on a traditional-Chinese Windows) decodes
    # as GB18030 without an error, into rare characters (成果名稱 → Θ狦嘿): read as Big5 when that gives common ones
    if text is None or _common_share(text) < BIG5_BELOW:
        try:
            big5 = raw.decode("cp950")
        except UnicodeDecodeError:
            big5 = None
        if big5 is not None and _common_share(big5) >= BIG5_AT_LEAST:
            return big5, "cp950"
    if text is not None:
        return text, "gb18030"
    raise ImportFileError("无法识别文件编码：请将文件另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 文件")


def check_xlsx_archive(raw: bytes, max_rows: int = MAX_ROWS) -> None:
    """Refuse a zip bomb before it is opened: too many parts, too much inflated data (100 MB for the web's
    50,000 rows, in proportion for a larger `max_rows`: 100,000 rows with a 300-character summary inflate to
    ~150 MB), or a part that inflates more than a real spreadsheet ever does (the ratio bounds a bomb
    whatever the row limit; the sheet is streamed, so memory does not grow with the inflated size)."""
    limit = max(XLSX_MAX_UNCOMPRESSED, max_rows * XLSX_BYTES_PER_ROW)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(f"不是有效的 Excel (.xlsx) 文件：{exc.__class__.__name__}") from None
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(f"Excel 文件包含的部件过多（超过 {XLSX_MAX_MEMBERS} 个），已拒绝")
    if sum(m.file_size for m in members) > limit:
        raise ImportFileError(f"Excel 文件解压后超过 {limit // 1024 // 1024} MB，"
                              "已拒绝：请删除无关的工作表、图片或拆分后导入")
    for m in members:
        if m.file_size > XLSX_RATIO_FROM and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1):
            raise ImportFileError(f"Excel 文件中的“{m.filename[:100]}”压缩比异常（超过 {XLSX_MAX_RATIO}:1），"
                                  "文件可能已损坏或被恶意构造，已拒绝")


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_COLUMN_RE = re.compile(r"([A-Z]+)(\d*)$")
_columns: dict[str, int] = {}


def _column(coordinate: str) -> int:
    m = _COLUMN_RE.match(coordinate)
    if m is None:
        raise ValueError(f"invalid cell reference {coordinate[:20]!r}")
    letters = m.group(1)
    col = _columns.get(letters)
    if col is None:
        from openpyxl.utils import column_index_from_string
        col = _columns[letters] = column_index_from_string(letters)
    return col


# Built-in number formats a Chinese (Japanese, Korean) Excel gives a date without writing their codes into the file
# (ECMA-376 Part 1, 18.8.30: 31 = yyyy"年"m"月"d"日", 57 = yyyy"年"m"月", 58 = m"月"d"日" …): openpyxl knows only the
# formats 0–49 every locale shares, so such a cell was read as its serial number (2021年6月8日 → 44355). The times of
# day among them (32–35, 55, 56) are left numbers. xlrd knows them for .xls.
CJK_DATE_FORMATS = frozenset(range(27, 32)) | {36} | frozenset(range(50, 55)) | {57, 58}


def _date_styles(wb) -> set:
    """openpyxl's date styles of the workbook, and those of the CJK built-in date formats."""
    extra = {i for i, style in enumerate(wb._cell_styles) if style.numFmtId in CJK_DATE_FORMATS}
    return wb._date_formats | extra if extra else wb._date_formats


def _sheet_values(ws, chunk: int = 1 << 16):
    """The rows of a read-only worksheet as `ws.iter_rows(values_only=True)` yields them once its dimensions
    are reset (the same values, types and row numbering: a missing row is an empty one), parsed with expat
    directly instead of ElementTree + openpyxl's per-cell objects: ~3 times less CPU per row (openpyxl's
    inline strings are the slow part). The workbook's shared strings, date styles and epoch are openpyxl's
    (it parsed those parts with defusedxml). A DTD in the sheet is refused outright (no entity is ever
    expanded); malformed XML raises ParseError, as openpyxl's iterparse does."""
    from xml.parsers import expat

    from openpyxl.utils.datetime import from_excel, from_ISO8601
    wb = ws.parent
    shared, epoch = ws._shared_strings, wb.epoch
    date_formats, timedelta_formats = _date_styles(wb), wb._timedelta_formats
    ns = SHEET_NS + " "
    done: list = []            # completed (row number, [(column, value)]) since the last feed
    state = {"row": 0, "col": 0, "cells": None, "t": "n", "s": 0, "ref": None, "v": None, "is": None,
             "text": None, "path": []}

    def start(name, attrs):
        if not name.startswith(ns):
            state["path"].append(None)
            return
        tag = name[len(ns):]
        path = state["path"]
        parent = path[-1] if path else None
        path.append(tag)
        if tag == "row":
            r = attrs.get("r")
            state["row"] = int(r) if r else state["row"] + 1
            state["col"], state["cells"] = 0, []
        elif tag == "c" and parent == "row":
            state["t"], state["ref"] = attrs.get("t", "n"), attrs.get("r")
            style = attrs.get("s", 0)
            state["s"] = int(style) if style else style
            state["v"], state["is"] = None, None
        elif tag == "v" and parent == "c":
            state["text"] = []
        elif tag == "is" and parent == "c":
            state["is"] = []
        elif tag == "t" and state["is"] is not None and (parent == "is" or (
                parent == "r" and len(path) >= 3 and path[-3] == "is")):
            state["text"] = []

    def end(name):
        path = state["path"]
        tag = path.pop()
        if tag is None:
            return
        if tag == "v" and state["text"] is not None and path and path[-1] == "c":
            state["v"] = "".join(state["text"])
            state["text"] = None
        elif tag == "t" and state["text"] is not None:
            state["is"].append("".join(state["text"]))
            state["text"] = None
        elif tag == "c" and path and path[-1] == "row":
            t, value, ref = state["t"], state["v"] or None, state["ref"]
            if ref:
                col = _column(ref)
            else:
                col = state["col"] + 1
            state["col"] = col
            if t == "inlineStr":
                value = "".join(state["is"]) if state["is"] is not None else None
                if value and "_x" in value:  # (the test first: a call per cell costs ≈ 3 % of the reader)
                    value = ooxml_text(value)
            elif value is not None:
                if t == "n":
                    value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                    if state["s"] in date_formats:
                        try:
                            value = from_excel(value, epoch, timedelta=state["s"] in timedelta_formats)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"
                elif t == "s":
                    value = shared[int(value)]
                elif t == "str":  # a formula's cached text
                    value = ooxml_text(value)
                elif t == "b":
                    value = bool(int(value))
                elif t == "d":
                    value = from_ISO8601(value)
            state["cells"].append((col, value))
        elif tag == "row" and state["cells"] is not None:
            done.append((state["row"], state["cells"]))
            state["cells"] = None

    def text(data):
        if state["text"] is not None:
            state["text"].append(data)

    def refuse_dtd(*args):
        raise ParseError("DTD not allowed in a worksheet")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse_dtd
    counter = 1
    with ws._get_source() as src:
        while True:
            data = src.read(chunk)
            try:
                parser.Parse(data, not data)
            except expat.ExpatError as exc:
                raise ParseError(str(exc)) from None
            for idx, cells in done:
                for _ in range(counter, idx):  # rows missing from the XML are empty rows
                    counter += 1
                    yield []
                if counter <= idx:
                    counter += 1
                    if not cells:
                        yield ()
                        continue
                    width = cells[-1][0]
                    row = [None] * width
                    for col, value in cells:
                        if 1 <= col <= width:
                            row[col - 1] = value
                    yield tuple(row)
            done.clear()
            if not data:
                break


class _Stop(Exception):
    pass


# Excel writes a character XML cannot keep as is — the carriage return of every line break pasted from Windows
# text, above all — as "_xHHHH_" (ECMA-376 §22.9.2.19 ST_Xstring), and a literal "_x" followed by four hex digits
# and "_" with its underscore escaped as "_x005F_". openpyxl leaves those escapes in the text ("第一段。_x000D_\n第二
# 段。"); read here in one pass, so that "_x005F_x000D_" is the text "_x000D_".
OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def ooxml_text(value: str) -> str:
    if "_x" not in value:
        return value
    return OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def _string_table(src) -> list:
    """The shared strings as openpyxl's read_string_table reads them (formatting runs joined, phonetic guides
    left out), with the escapes read by ooxml_text instead of its removal of "x005F_"."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.functions import iterparse
    tag = "{%s}si" % SHEET_NS
    strings = []
    for _, node in iterparse(src):
        if node.tag == tag:
            strings.append(ooxml_text(Text.from_tree(node).content))
            node.clear()
    return strings


def _load_xlsx(raw: bytes):
    """openpyxl's read-only workbook (shared strings, styles, sheets; every part but the sheets parsed with
    defusedxml), without the scan `load_workbook` makes of each sheet for its declared size: a sheet without
    a <dimension> element (openpyxl's own write-only files, many exports) was parsed a whole extra time."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):  # see _declared_rows
            pass

    class Reader(ExcelReader):
        def read_strings(self):
            from openpyxl.xml.constants import SHARED_STRINGS
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = _string_table(src)

        def read_worksheets(self):  # read-only: what load_workbook does, for worksheets (no chartsheets)
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    reader = Reader(io.BytesIO(raw), read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _declared_rows(ws) -> int:
    """The last row of the sheet's <dimension> if it comes before the data (for the progress bar only)."""
    from xml.parsers import expat

    from openpyxl.utils.cell import range_boundaries
    found = []

    def start(name, attrs):
        local = name.rsplit(" ", 1)[-1]
        if local == "dimension":
            found.append(attrs.get("ref", ""))
        if local in ("dimension", "sheetData"):
            raise _Stop

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = lambda *a: (_ for _ in ()).throw(_Stop)
    try:
        with ws._get_source() as src:
            while data := src.read(1 << 14):
                parser.Parse(data, False)
    except (_Stop, expat.ExpatError):
        pass
    try:
        if found:
            return range_boundaries(found[0])[3] or 0
    except (ValueError, TypeError):
        pass
    # No dimension (openpyxl's write-only files have none): count the row tags, inflating the sheet in
    # chunks (C speed, ~0.1 s per 100 MB; memory flat).
    count, tag = 0, re.compile(rb"<(?:\w+:)?row[\s>/]")
    with ws._get_source() as src:
        while chunk := src.read(1 << 20):
            count += len(tag.findall(chunk))
    return count


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')


def _merged_down(ws) -> dict[int, list]:
    """{first row: [(last row, column)]} of the sheet's merged cells spanning rows ("完成单位" merged over the rows of
    one unit, as offices lay sheets out): the value of a merge's first row belongs to every row it covers. The
    <mergeCells> list follows the rows in the XML, so it is looked for first, in the inflated bytes (C speed)."""
    found: dict[int, set] = {}
    tail = b""
    with ws._get_source() as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            for m in _MERGE_RE.finditer(data) if b"mergeCell" in data else ():  # (a search in C first: most have none)
                r1, r2 = int(m.group(2)), min(int(m.group(4)), XLSX_MAX_SHEET_ROWS)
                if r2 > r1:
                    found.setdefault(r1, set()).add((r2, _column(m.group(1).decode())))
            tail = data[-200:]
    return {r: sorted(v) for r, v in found.items()}


def _merge_note(merged: dict, header_row: int | None) -> list:
    below = [(r1, r2) for r1, spans in merged.items() for r2, _c in spans if header_row is None or r1 > header_row]
    if not below:
        return []
    return [f"表中有跨行合并的单元格（{len(below)}处，第{min(r for r, _ in below)}–{max(r for _, r in below)}行）："
            "合并区域的值已填入它覆盖的每一行"]


def _xlsx_rows(ws, merged: dict | None = None):
    """(row number, values) of the sheet, bounded in rows and columns whatever its XML declares; with `merged`
    (_merged_down), a merge's value is given to each row it covers that has anything else in it."""
    # The declared dimension is not trusted: "A1:XFD1048576" would have openpyxl pad every row to 16384
    # cells. Without it each row holds only the cells it really has.
    ws.reset_dimensions()
    return _bounded(_sheet_values(ws), merged)


def _bounded(sheet_rows, merged: dict | None = None):
    """(row number, values) of a sheet's rows (each row's values, a missing row empty), bounded in rows and
    columns; with `merged` ({first row: [(last row, column)]}), a merge's value is given to each row it covers
    that has anything else in it."""
    active: list = []  # [last row, column, value] of the merges covering the rows to come
    for number, values in enumerate(sheet_rows, start=1):
        if number > XLSX_MAX_SHEET_ROWS:
            raise ImportFileError(f"工作表超过 {XLSX_MAX_SHEET_ROWS} 行（含空行），请删除多余的行或拆分后导入")
        if len(values) > XLSX_MAX_COLUMNS:
            if any(v not in (None, "") for v in values[XLSX_MAX_COLUMNS:]):
                raise ImportFileError(f"工作表超过 {XLSX_MAX_COLUMNS} 列，请删除多余的列后导入")
            values = values[:XLSX_MAX_COLUMNS]
        if merged:
            active = [a for a in active if a[0] >= number]
            if active and any(v not in (None, "") for v in values):  # (a merge running past the data fills nothing)
                values = list(values)
                for _last, col, value in active:
                    if col <= XLSX_MAX_COLUMNS and value not in (None, ""):
                        values += [None] * (col - len(values))
                        if values[col - 1] in (None, ""):
                            values[col - 1] = value
            active += [(last, col, values[col - 1] if col <= len(values) else None)
                       for last, col in merged.get(number, ())]
        yield number, values


def read_xlsx(raw: bytes, max_rows: int = MAX_ROWS, archive_rows: int | None = None):
    check_xlsx_archive(raw, max(archive_rows or max_rows, MAX_ROWS))
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency; openpyxl uses it when installed
        DefusedXmlException = ()  # noqa: N806
    try:
        wb = _load_xlsx(raw)
        try:
            headers, rows = _read_tables(_header_sheet(wb), lambda ws: ws.title, _xlsx_rows, _merged_down, max_rows)
        finally:
            wb.close()
    except ImportFileError:
        raise
    except (BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError, EOFError, ParseError) as exc:
        # openpyxl re-raises a part's parse error as ValueError("Unable to read workbook"): look at the cause.
        cause = exc
        while cause is not None and not isinstance(cause, (DefusedXmlException, ParseError)):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            # defusedxml refuses DTDs and entities in the parts openpyxl parses whole; the standard library's
            # expat (>= 2.4) stops an entity expansion bomb in the sheets it streams.
            raise ImportFileError("Excel 文件含有不允许或无效的 XML 内容（如 DTD、实体定义），文件可能已损坏或被"
                                  f"恶意构造，已拒绝：{cause.__class__.__name__}") from None
        raise ImportFileError(f"不是有效的 Excel (.xlsx) 文件：{exc.__class__.__name__}") from None
    if headers is None:
        raise ImportFileError("文件是空的：第一个工作表没有表头")
    return headers, rows


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound document an Excel 97–2003 workbook is
XLS_ERROR = "不是有效的 Excel 97–2003 (.xls) 文件，请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入"


PASSWORD_ERROR = "Excel 文件设有打开密码，无法读取：请在 Excel 或 WPS 中取消密码（文件 → 信息 → 保护工作簿）后再导入"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")  # the stream's name in the compound file's directory


def _mhtml_page(raw: bytes) -> bytes:
    """The HTML part of a single-file web page (MIME: quoted-printable or base64), as bytes in its own charset."""
    import email
    from email import policy
    try:
        message = email.message_from_bytes(raw, policy=policy.compat32)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                body = part.get_payload(decode=True) or b""
                charset = part.get_content_charset()
                if charset:
                    try:
                        return body.decode(charset).encode("utf-8")
                    except (LookupError, UnicodeDecodeError):
                        pass
                return body
    except Exception:  # noqa: BLE001 - the email parser on a hostile envelope: a bad file
        pass
    raise ImportFileError("该文件是单个文件网页（.mht），其中没有可读的表格：请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入")


def read_xls(raw: bytes, max_rows: int = MAX_ROWS):
    """An Excel 97–2003 workbook (.xls: what older Excel and WPS save, and many offices still send), read with xlrd
    into the rows the .xlsx reader gives — the same header search over the sheets, merges over rows filled down,
    dates as dates. A ".xls" that is really another format, as old systems' "导出Excel" buttons write them, is read
    as what it is: a zipped workbook as .xlsx, tab- or comma-separated text as .csv, a web page's table (HTML) by
    read_html_table."""
    if raw.startswith(b"PK"):
        return read_xlsx(raw, max_rows)
    if not raw.startswith(OLE_MAGIC):
        head = raw[:512].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
        if head.startswith(b"<"):
            return read_html_table(raw, max_rows)
        if head.startswith(b"mime-version"):  # a single-file web page (.mht), as some systems' exports write it
            return read_html_table(_mhtml_page(raw), max_rows)
        try:
            return read_csv(raw, max_rows)
        except ImportFileError:
            raise ImportFileError(XLS_ERROR) from None
    if ENCRYPTED_OOXML in raw[:1 << 20] or ENCRYPTED_OOXML in raw[-(1 << 16):]:
        raise ImportFileError(PASSWORD_ERROR)  # an .xlsx with an opening password is an encrypted compound file
    import xlrd
    try:
        # ragged_rows: a row holds only the cells it has (a cell at IV65536 costs one row, not 16 million cells);
        # formatting_info: the merged cells; the log (xlrd's warnings about odd files) goes nowhere
        book = xlrd.open_workbook(file_contents=raw, formatting_info=True, ragged_rows=True,
                                  logfile=io.StringIO(), verbosity=0)
        sheets = [(sh.name, sh) for sh in book.sheets() if not sh.visibility] \
            or [(sh.name, sh) for sh in book.sheets()]
        if not sheets:
            raise ImportFileError("文件是空的：没有工作表")

        def merged_down(sheet) -> dict:  # as _merged_down's: {first row: [(last row, column)]}, 1-based
            found: dict[int, set] = {}
            for rlo, rhi, clo, _chi in sheet.merged_cells:  # 0-based, half-open
                if rhi - rlo > 1:
                    found.setdefault(rlo + 1, set()).add((min(rhi, XLSX_MAX_SHEET_ROWS), clo + 1))
            return {r: sorted(v) for r, v in found.items()}

        def rows_of(sheet, merged=None):
            return _bounded((_xls_values(book, sheet, r) for r in range(sheet.nrows)), merged)

        headers, rows = _read_tables(_header_among(sheets, rows_of), lambda ws: ws.name, rows_of, merged_down,
                                     max_rows)
    except ImportFileError:
        raise
    except MemoryError:
        raise ImportFileError("Excel 文件过大，无法读取，请拆分后导入") from None
    except Exception as exc:  # noqa: BLE001 - xlrd raises anything on a bad file (XLRDError, struct.error …)
        if "encrypted" in str(exc).lower():
            raise ImportFileError(PASSWORD_ERROR) from None
        raise ImportFileError(f"{XLS_ERROR}（{exc.__class__.__name__}）") from None
    if headers is None:
        raise ImportFileError("文件是空的：第一个工作表没有表头")
    return headers, rows


def _whole(value) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


class _HtmlTable:
    """The rows of a web page's table as a spreadsheet shows them: a cell's text (<br> and a block's end as line
    breaks, entities decoded), colspan as empty cells after it, rowspan as a merge over rows."""

    BREAKS = {"br", "p", "div", "li", "tr"}

    XML_TAGS = {"row": "tr", "cell": "td"}  # Excel 2003's XML workbook (SpreadsheetML): <Row><Cell><Data>

    def __init__(self, xml: bool = False):
        from html.parser import HTMLParser
        self.xml = xml
        self.datetime = False
        self.rows: list = []          # [[values]]
        self.merged: dict = {}        # {first row: {(last row, column)}}, 1-based as the .xlsx reader's
        self.pending: dict = {}       # column (0-based) → rows still covered by a rowspan above
        self.row = None
        self.cell = None
        self.depth = 0                # nested tables: their text belongs to the outer cell
        self.skip = 0                 # inside <script>/<style>
        outer = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                outer.start(tag, dict(attrs))

            def handle_startendtag(self, tag, attrs):
                outer.start(tag, dict(attrs))
                if tag not in ("br",):
                    outer.end(tag)

            def handle_endtag(self, tag):
                outer.end(tag)

            def handle_data(self, data):
                if outer.cell is not None and not outer.skip:
                    outer.cell.append(data)

        self.parser = Parser(convert_charrefs=True)

    @staticmethod
    def _span(attrs, name) -> int:
        try:
            return max(1, min(int(str(attrs.get(name) or 1).strip()), XLSX_MAX_SHEET_ROWS))
        except ValueError:
            return 1

    def start(self, tag, attrs):
        if self.xml:
            if tag == "data" and str(attrs.get("ss:type", "")).lower() == "datetime":
                self.datetime = True
            if tag == "cell":
                attrs = {"colspan": _whole(attrs.get("ss:mergeacross")) + 1,
                         "rowspan": _whole(attrs.get("ss:mergedown")) + 1, "index": attrs.get("ss:index")}
            tag = self.XML_TAGS.get(tag, tag if tag == "table" else "")
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "table":
            self.depth += 1
        elif self.depth > 1:
            if tag in self.BREAKS and self.cell is not None:
                self.cell.append("\n")
        elif tag == "tr":
            self.close_row()
            self.row = []
        elif tag in ("td", "th"):
            if self.row is None:
                self.row = []
            self.close_cell()
            self.skip_covered()
            index = str(attrs.get("index") or "").strip()
            if index.isdigit():  # SpreadsheetML skips empty cells and names the next one's column
                while len(self.row) < min(int(index), XLSX_MAX_COLUMNS + 1) - 1:
                    self.row.append(None)
                    self.skip_covered()
            self.cell, self.spans = [], (self._span(attrs, "colspan"), self._span(attrs, "rowspan"))
        elif tag in self.BREAKS and self.cell is not None:
            self.cell.append("\n")

    def end(self, tag):
        if self.xml:
            tag = self.XML_TAGS.get(tag, tag if tag == "table" else "")
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self.depth = max(0, self.depth - 1)
            if self.depth == 0:
                self.close_row()
        elif self.depth > 1:
            return
        elif tag in ("td", "th"):
            self.close_cell()
        elif tag == "tr":
            self.close_row()
        elif tag in ("p", "div", "li") and self.cell is not None:
            self.cell.append("\n")

    def skip_covered(self):
        while self.pending.get(len(self.row), 0) > 0 and len(self.row) < XLSX_MAX_COLUMNS:  # covered from above
            self.row.append(None)

    def close_cell(self):
        if self.cell is None:
            return
        text = "\n".join(" ".join(line.split()) for line in "".join(self.cell).replace("\xa0", " ").splitlines())
        text = re.sub(r"\n{2,}", "\n", text).strip("\n ")
        if self.datetime and re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00(?:\.0+)?", text):
            text = text[:10]  # a date cell of an XML workbook: 2021-06-08T00:00:00.000
        self.datetime = False
        col = len(self.row)
        if col >= XLSX_MAX_COLUMNS:  # (a row is never held longer than a sheet may be: colspans cost no memory)
            if text:
                raise ImportFileError(f"工作表超过 {XLSX_MAX_COLUMNS} 列，请删除多余的列后导入")
            self.cell = None
            return
        self.row.append(text or None)
        across, down = self.spans
        for _extra in range(1, min(across, XLSX_MAX_COLUMNS - col)):
            self.row.append(None)
        if down > 1:
            number = len(self.rows) + 1
            self.merged.setdefault(number, set()).add((number + down - 1, col + 1))
            for c in range(col, min(col + across, XLSX_MAX_COLUMNS)):
                self.pending[c] = down  # (counted down as rows close, this one included)
        self.cell = None

    def close_row(self):
        self.close_cell()
        if self.row is None:
            return
        self.skip_covered()
        while self.row and self.row[-1] is None:
            self.row.pop()
        self.rows.append(tuple(self.row))
        if len(self.rows) > XLSX_MAX_SHEET_ROWS:
            raise ImportFileError(f"工作表超过 {XLSX_MAX_SHEET_ROWS} 行（含空行），请删除多余的行或拆分后导入")
        self.pending = {c: n - 1 for c, n in self.pending.items() if n > 1}
        self.row = None


def read_html_table(raw: bytes, max_rows: int = MAX_ROWS):
    """A web page's table named .xls, as old systems' "导出Excel" write it (Excel opens it as a sheet): its rows
    read as a sheet's — the header searched among the first rows, rowspans filled down as merges, a cell's line
    breaks kept. Every table of the page is read as one sheet, in order. Excel 2003's XML workbook (SpreadsheetML,
    the other text format such buttons write) is read the same way (<Row>, <Cell ss:Index ss:MergeDown>)."""
    text, _ = decode_text(raw)
    table = _HtmlTable(xml="urn:schemas-microsoft-com:office:spreadsheet" in text[:4096])
    try:
        for at in range(0, len(text), 1 << 16):  # (in pieces: one feed of a long line costs more than linear time)
            table.parser.feed(text[at:at + (1 << 16)])
        table.parser.close()
        table.close_row()
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - html.parser is lenient; anything it still raises is a bad file
        raise ImportFileError(f"无法读取该网页表格（{exc.__class__.__name__}），请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入") \
            from None
    if not any(any(v not in (None, "") for v in r) for r in table.rows):
        raise ImportFileError("该 .xls 文件实为网页（HTML），其中没有表格内容：请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入")
    merged = {r: sorted(v) for r, v in table.merged.items()}
    number, _values, count = _header_in(_bounded(iter(table.rows)))
    headers, rows, header_row = _read_sheet(_bounded(iter(table.rows), merged), max_rows, number)
    if headers is None:
        raise ImportFileError("文件是空的：第一个工作表没有表头")
    kind = "Excel 2003 XML 表格" if table.xml else "网页表格"
    notes = [f"该文件实为{kind}（多见于旧系统的“导出Excel”），已按表格读取"] + (_skipped_note(number, count) if number else [])
    return Headers(headers, notes + _merge_note(merged, header_row)), rows


def _xls_values(book, sheet, r: int) -> tuple:
    """Row `r` of an xlrd sheet as the .xlsx reader's values: text, float, datetime, bool, an error's text, None."""
    import xlrd
    out = []
    for cell in sheet.row(r):
        kind, value = cell.ctype, cell.value
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            value = None
        elif kind == xlrd.XL_CELL_DATE:
            try:
                value = xlrd.xldate_as_datetime(value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                value = "#VALUE!"
        elif kind == xlrd.XL_CELL_BOOLEAN:
            value = bool(value)
        elif kind == xlrd.XL_CELL_ERROR:
            value = xlrd.error_text_from_code.get(value, "#VALUE!")
        out.append(value)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _header_sheet(wb) -> tuple:
    """(worksheet, header row number or None, notes, more sheets) of an openpyxl workbook: see _header_among."""
    return _header_among([(ws.title, ws) for ws in wb.worksheets if ws.sheet_state == "visible"]
                         or [(ws.title, ws) for ws in wb.worksheets], _xlsx_rows)


def _known_set(values) -> frozenset:
    return frozenset(_norm_header(v) for v in values if v not in (None, "") and known_header(v))


def _other_data_sheets(sheets: list, chosen, header_values, rows_of) -> tuple[list, list]:
    """The sheets after `chosen` that hold a table of their own (a header of known columns and a row under it: one
    sheet per college, per year): ([(title, sheet, header row)] of those under the same header as `chosen`'s —
    SAME_TABLE of their known columns in common, or three or more of its columns and none other —, read after it as
    one table; [titles] of the others (another library's table, another layout), which this import does not read
    and names)."""
    same, other = [], []
    mine = _known_set(header_values or ())
    after = False
    for title, ws in sheets:
        if ws is chosen:
            after = True
            continue
        if not after or title == TEMPLATE_NOTES_SHEET:
            continue
        rows = rows_of(ws)
        number, values, _count = _header_in(rows)
        if number is None or not any(any(v not in (None, "") for v in vals) for _n, vals in
                                     itertools.islice(rows, HEADER_SCAN)):
            continue
        theirs = _known_set(values)
        if mine and (len(mine & theirs) >= SAME_TABLE * len(mine | theirs) or (theirs <= mine and len(theirs) >= 3)):
            same.append((title, ws, number))
        else:
            other.append(title)
    return same, other


def _unread_note(others: list, chosen_title: str) -> list:
    if not others:
        return []
    named = "、".join(f"“{t}”" for t in others[:5]) + (f"等{len(others)}个工作表" if len(others) > 5 else "")
    return [f"工作表{named}也有数据表，但表头与工作表“{chosen_title}”的不同，本次没有读取：请把它们分别另存为文件导入"]


def _header_among(sheets: list, rows_of) -> tuple:
    """(sheet, header row number or None, notes, more): the first of `sheets` ((title, sheet) pairs, the visible
    ones: a template's hidden sheet of drop-down lists — 所属产业 | 成熟度 … — names known columns too; `rows_of(sheet)`
    its numbered rows) with a header naming known columns (_header_in), else the first sheet (its first non-empty
    row is the header, as before); `more`: [(title, sheet, header row)] of the sheets after it under the same
    header (_other_data_sheets), to be read after it."""
    first_title, first = sheets[0]
    for title, ws in sheets:
        if ws is not first and title == TEMPLATE_NOTES_SHEET:
            continue  # our template's column list names known columns too: never the data
        number, values, count = _header_in(rows_of(ws))  # count: rows above it, or the most known names
        if number is not None:
            notes = [] if ws is first else [
                f"读取的是工作表“{title}”（前面的工作表“{first_title}”等没有可识别的表头）"]
            same, other = _other_data_sheets(sheets, ws, values, rows_of)
            return ws, number, notes + _skipped_note(number, count) + _unread_note(other, title), same
        if ws is first and count:  # the first sheet names a known column: it is the data, read as before
            break
    return first, None, [], []


def _read_tables(found: tuple, title_of, rows_of, merged_of, max_rows: int) -> tuple:
    """(headers, rows) of a workbook, .xlsx or .xls alike: `found` is _header_among's (sheet, header row, notes,
    more sheets); each sheet's rows are `rows_of(sheet, merges)`, its merges over rows `merged_of(sheet)` (filled
    down, and said); the sheets of `more` are read after the first (_joined_sheets)."""
    ws, number, notes, more = found

    def read(sheet, number):
        merged = merged_of(sheet)
        headers, rows, header_row = _read_sheet(rows_of(sheet, merged), max_rows, number)
        return (None if headers is None else Headers(headers, _merge_note(merged, header_row))), rows

    headers, rows = read(ws, number)
    if headers is not None:
        headers = Headers(headers, notes + headers.notes)
    return _joined_sheets(title_of(ws), headers, rows, more, max_rows, read)


def _joined_sheets(title: str, headers, rows: list, more: list, max_rows: int, read) -> tuple:
    """(headers, rows) of the chosen sheet (`title`, its `headers` and numbered `rows`) followed by the sheets of
    `more` ([(title, sheet, header row)]), each read by `read(sheet, header row)` → (headers, rows): a sheet's
    two-row header read as one (_with_sub_header), its columns put under the first sheet's by their names (a
    column the first sheet lacks is added at the end), its rows numbered SheetRow(place, title, row)."""
    if not more or headers is None:
        return headers, rows
    headers, first = _with_sub_header(headers, rows)
    notes = list(getattr(headers, "notes", []))
    names = list(headers)
    keys = [_norm_header(h) if h not in (None, "") else None for h in names]  # (each header compared normalised)
    out = [(SheetRow(0, title, n), values) for n, values in first]
    counts = [(title, len(out))]
    for place, (name, ws, number) in enumerate(more, start=1):
        their_headers, their_rows = _with_sub_header(*read(ws, number))
        if their_headers is None:
            continue
        where = {}
        for i, h in enumerate(their_headers):
            key = _norm_header(h) if h not in (None, "") else None
            hit = next((j for j, mine in enumerate(keys) if key and mine == key and j not in where.values()), None)
            if hit is None and key:
                names.append(h)
                keys.append(key)
                hit = len(names) - 1
            if hit is not None:
                where[i] = hit
        before = len(out)
        for n, values in their_rows:
            row = [None] * len(names)
            for i, v in enumerate(values):
                if i in where:
                    row[where[i]] = v
            out.append((SheetRow(place, name, n), row))
            if len(out) > max_rows:
                raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
        counts.append((name, len(out) - before))
        notes += [f"工作表“{name}”：" + m for m in getattr(their_headers, "notes", [])
                  if not m.startswith(("工作表", "读取的是"))]
    shown = "、".join(f"“{t}”{c}行" for t, c in counts)
    notes.insert(0, f"读取了{len(counts)}个表头相同的工作表（{shown}），行号为各工作表中的行号")
    return Headers(names, notes), out


def _read_sheet(numbered, max_rows: int = MAX_ROWS, header_row: int | None = None):
    """(headers, rows, the header's row number) of a sheet's numbered rows ((number, values): _xlsx_rows, the .xls and
    the web-page readers'), the header at `header_row` (or the first non-empty row)."""
    headers, rows = None, []
    for number, values in numbered:
        if headers is None:
            if header_row is not None and number < header_row:
                continue
            if any(v not in (None, "") for v in values):
                headers, header_row = [None if v is None else str(v) for v in values], number
            continue
        if all(v in (None, "") for v in values):
            continue
        rows.append((number, [_cell(v) for v in values]))
        if len(rows) > max_rows:
            raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
    return headers, rows, header_row


def _csv_rows(text: str, dialect):
    """(row number, values) of a CSV text — the row as a spreadsheet shows the file, a record with line breaks
    inside a quoted cell being one row (the csv module's line_num is the record's last physical line); a record
    the csv module cannot read (a cell over its 131,072 characters) is the file's error, not a crash."""
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件第{max(reader.line_num, 1)}行附近无法读取（{exc}）：单元格过长或引号不配对，"
                              "请检查后重新导出") from None


class _Semicolon(csv.excel):
    delimiter = ";"


# A system's CSV export keeps Excel from turning a long number into 2.02336E+15 by writing it as a formula of its
# text, ="2023360100000001" (Excel shows the digits): the text is the value.
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def _csv_cell(value: str) -> str:
    m = _EXCEL_TEXT.match(value) if value.startswith("=") else None
    return m.group(1).replace('""', '"') if m else value


BIG5_NOTE = "文件是繁体中文（Big5）编码，已按 Big5 读取"


def read_csv(raw: bytes, max_rows: int = MAX_ROWS):
    text, encoding = decode_text(raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    header_row, _, above = _header_in(_csv_rows(text, dialect))
    if header_row is None:  # a title line above the header can mislead the sniffer: try each separator
        for other in (csv.excel, csv.excel_tab, _Semicolon):
            try:
                found = _header_in(_csv_rows(text, other))
            except ImportFileError:  # (read with the wrong separator, a quote swallowed the file)
                continue
            if found[0] is not None:
                dialect, (header_row, _, above) = other, found
                break
    headers, rows = None, []
    for number, values in _csv_rows(text, dialect):
        if headers is None:
            if header_row is not None and number < header_row:
                continue
            if any(v.strip() for v in values):
                headers = Headers(values, ([BIG5_NOTE] if encoding == "cp950" else [])
                                  + (_skipped_note(number, above) if header_row else []))
            continue
        if not any(v.strip() for v in values):
            continue
        rows.append((number, [_csv_cell(v) for v in values]))
        if len(rows) > max_rows:
            raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
    if headers is None:
        raise ImportFileError("文件是空的：没有表头")
    return headers, rows


def _records_to_rows(records: list[tuple[int, object]]):
    headers: list[str] = []
    records = [(n, {mended(k): v for k, v in rec.items()} if isinstance(rec, dict) else rec)
               for n, rec in records]  # a key holding half a character is an unknown column, its value ignored
    for _, rec in records:
        if isinstance(rec, dict):
            for key in rec:
                if key not in headers:
                    headers.append(key)
    rows = []
    for number, rec in records:
        if not isinstance(rec, dict):
            rows.append((number, None))
            continue
        rows.append((number, [_cell(rec.get(h)) if not isinstance(rec.get(h), (list, dict)) else rec.get(h)
                              for h in headers]))
    return headers, rows


def read_json(raw: bytes, max_rows: int = MAX_ROWS):
    text, _ = decode_text(raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise ImportFileError("JSON 文件应为对象数组，或含 items 数组的对象")
    if len(data) > max_rows:
        raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
    return _records_to_rows(list(enumerate(data, start=1)))


def read_jsonl(raw: bytes, max_rows: int = MAX_ROWS):
    text, _ = decode_text(raw)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError:
            records.append((number, None))
        if len(records) > max_rows:
            raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
    return _records_to_rows(records)


# .xlsm: a workbook with macros (a template with a button), read as .xlsx (the macros never run: they are not read);
# .et: WPS Spreadsheets' own format, an Excel 97–2003 workbook inside (and an .xlsx when WPS saved it so)
READERS = {".xlsx": read_xlsx, ".xlsm": read_xlsx, ".xls": read_xls, ".et": read_xls, ".csv": read_csv,
           ".json": read_json, ".jsonl": read_jsonl}
WORKBOOKS = (".xlsx", ".xlsm")


def _sub_header(headers: list, values) -> list | None:
    """The header when the sheet's header takes two rows — a group over columns with its parts under it (联系人 over
    姓名 | 电话, 知识产权 over 类型 | 专利号 | 授权日期), the group merged across its columns so that only its first
    cell holds it — and `values` is that second row: at least one cell under a group's merged part, and every cell
    text naming a known column, alone or after its group (知识产权 + 类型 = 知识产权类型: the joined name first); None
    when `values` is anything else (a record)."""
    if not isinstance(values, (list, tuple)) or not any(v not in (None, "") for v in values):
        return None
    out, group = list(headers) + [None] * (len(values) - len(headers)), None
    if not any(v not in (None, "") and (i >= len(headers) or headers[i] in (None, "")) for i, v in enumerate(values)):
        return None  # nothing under a group's merged part: a record (or a header row of its own), not the parts
    for i, v in enumerate(values):
        above = out[i] if i < len(out) else None
        if above not in (None, "") and str(above).strip():
            group = str(above).strip()
        if v in (None, "") or (isinstance(v, str) and not v.strip()) or v == above:
            continue  # (v == above: a single column's header merged down over both rows, its value filled down)
        if not isinstance(v, str):
            return None
        v = v.strip()
        joined = (group + v) if group else None
        if joined and known_header(joined):
            out[i] = joined
        elif known_header(v):
            out[i] = v
        else:
            return None
    return out


def _with_sub_header(headers, rows):
    """(headers, rows) with a header's second row (_sub_header) read into the header instead of as a record."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return headers, rows
    if headers is not None and (joined := _sub_header(headers, first[1])) is not None:
        parts = [f"{a}→{b}" if a else str(b) for a, b in itertools.zip_longest(headers, joined) if a != b][:5]
        note = f"表头占两行（第{first[0]}行是上一行的分项：{'，'.join(parts)}），已合并读取"
        return Headers(joined, list(getattr(headers, "notes", [])) + [note]), rows
    return headers, itertools.chain([first], rows)


def read_file(filename: str, raw: bytes, max_rows: int = MAX_ROWS):
    """(headers, [(row_number, values | None)]) — None marks a row that is not a record at all. A file of more
    than `max_rows` rows is refused (the libraries' uploads: 50,000; historical contract registrations: more)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    reader = READERS.get(suffix)
    if reader is None:
        raise ImportFileError(f"不支持的文件类型“{suffix or filename}”：请上传 .xlsx、.xls、.et、.csv、.json 或 .jsonl "
                              "文件（其他格式请在 Excel 或 WPS 中另存为 .xlsx）")
    if suffix in WORKBOOKS and raw.startswith(OLE_MAGIC):  # an Excel 97–2003 workbook renamed .xlsx
        reader = read_xls
    elif suffix in WORKBOOKS and not raw.startswith(b"PK"):
        raise ImportFileError("不是有效的 Excel (.xlsx) 文件")
    headers, rows = reader(raw, max_rows=max_rows)
    headers, rows = _with_sub_header(headers, rows)
    return headers, list(rows)


# -- Streaming (large files: the CLI and the import jobs) ------------------------------------------------------

class RowStream:
    """A file's rows read lazily, for files too large to hold as lists: `headers` (None for .jsonl, whose
    rows are dicts keyed by their own keys), `rows` an iterator of (row number, values | dict | None), and
    `estimate`, the number of rows expected (from the sheet's declared size or a count of lines; for the
    progress bar only)."""

    def __init__(self, headers, rows, estimate: int | None = None, close=None):
        self.headers, self.rows, self.estimate, self._close = headers, rows, estimate, close

    def close(self):
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _limited(rows, max_rows: int):
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise ImportFileError(f"单个文件最多 {max_rows} 行，请拆分后导入")
        yield row


def _stream_xlsx(raw: bytes, max_rows: int) -> RowStream:
    check_xlsx_archive(raw, max_rows)
    wb = None
    try:
        wb = _load_xlsx(raw)
        ws, header_row, notes, more = _header_sheet(wb)
        if more:  # several sheets under one header: read whole, as read_file does (a workbook of ≤ MAX_ROWS rows)
            wb.close()
            wb = None
            headers, rows = read_file("workbook.xlsx", raw, max_rows=max_rows)
            return RowStream(headers, iter(rows), len(rows))
        declared = _declared_rows(ws)
        merged = _merged_down(ws)
        numbered = _xlsx_rows(ws, merged)
        headers = None
        for number, values in numbered:
            if header_row is not None and number < header_row:
                continue
            if any(v not in (None, "") for v in values):
                headers = Headers([None if v is None else str(v) for v in values], notes + _merge_note(merged, number))
                break
    except ImportFileError:
        if wb is not None:
            wb.close()
        raise
    except (BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError, EOFError, ParseError):
        if wb is not None:
            wb.close()
        read_xlsx(raw, max_rows=1, archive_rows=max_rows)  # the same diagnosis (and message) as read_file
        raise ImportFileError("不是有效的 Excel (.xlsx) 文件") from None
    if headers is None:
        wb.close()
        raise ImportFileError("文件是空的：第一个工作表没有表头")

    def rows():
        try:
            for number, values in numbered:
                if all(v in (None, "") for v in values):
                    continue
                yield number, [_cell(v) for v in values]
        except (KeyError, ValueError, TypeError, EOFError, ParseError, BadZipFile) as exc:
            raise ImportFileError(f"Excel 文件读取到中途出错（{exc.__class__.__name__}），文件可能已损坏") from None
    return RowStream(headers, _limited(rows(), max_rows), max(declared - 1, 0), close=wb.close)


def _stream_jsonl(raw: bytes, max_rows: int) -> RowStream:
    text, encoding = decode_text(raw)  # checks that the whole file decodes (the text is dropped at once)
    # lines are decoded one at a time, but a UTF-16 file's newline is two bytes: it is read from the text
    lines = io.StringIO(text) if encoding == "utf-16" else None
    del text

    def rows():
        for number, line in enumerate(lines if lines is not None else io.BytesIO(raw), start=1):
            text = (line if lines is not None else line.decode(encoding)).strip()
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text:
                continue
            try:
                rec = json.loads(text)
            except json.JSONDecodeError:
                rec = None
            if isinstance(rec, dict):  # (a key holding half a character is an unknown column, as in read_json)
                yield number, {mended(k): (v if isinstance(v, (list, dict)) else _cell(v)) for k, v in rec.items()}
            else:
                yield number, None
    return RowStream(None, _limited(rows(), max_rows), raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1))


def stream_file(filename: str, raw: bytes, max_rows: int = MAX_ROWS) -> RowStream:
    """Like read_file, but lazily for .xlsx (openpyxl read-only, row by row) and .jsonl (line by line), so
    memory stays flat whatever the file's length; .csv and .json are read whole (they are text already)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in WORKBOOKS + (".xls", ".et") and raw.startswith(b"PK"):  # (a zipped workbook named .xls: as .xlsx)
        stream = _stream_xlsx(raw, max_rows)
        stream.headers, stream.rows = _with_sub_header(stream.headers, stream.rows)
        return stream
    if suffix in WORKBOOKS and not raw.startswith(OLE_MAGIC):
        raise ImportFileError("不是有效的 Excel (.xlsx) 文件")
    if suffix == ".jsonl":
        return _stream_jsonl(raw, max_rows)
    headers, rows = read_file(filename, raw, max_rows=max_rows)
    return RowStream(headers, iter(rows), len(rows))
