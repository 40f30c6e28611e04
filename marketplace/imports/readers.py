"""Read .xlsx, .csv, .json and .jsonl into numbered rows of {header: value}."""
import csv
import io
import json
from datetime import date, datetime
from zipfile import BadZipFile

MAX_ROWS = 50000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, corrupt, undecodable)."""


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


def decode_text(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312, as Excel saves CSV in China)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别文件编码：请将文件另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 文件")


def read_xlsx(raw: bytes):
    from openpyxl import load_workbook
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"不是有效的 Excel (.xlsx) 文件：{exc.__class__.__name__}") from None
    ws = wb.worksheets[0]
    headers, rows = None, []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if headers is None:
            if any(v not in (None, "") for v in values):
                headers = [None if v is None else str(v) for v in values]
            continue
        if all(v in (None, "") for v in values):
            continue
        rows.append((number, [_cell(v) for v in values]))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"单个文件最多 {MAX_ROWS} 行，请拆分后导入")
    wb.close()
    if headers is None:
        raise ImportFileError("文件是空的：第一个工作表没有表头")
    return headers, rows


def read_csv(raw: bytes):
    text, _ = decode_text(raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers, rows = None, []
    for values in reader:
        number = reader.line_num
        if headers is None:
            if any(v.strip() for v in values):
                headers = values
            continue
        if not any(v.strip() for v in values):
            continue
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"单个文件最多 {MAX_ROWS} 行，请拆分后导入")
    if headers is None:
        raise ImportFileError("文件是空的：没有表头")
    return headers, rows


def _records_to_rows(records: list[tuple[int, object]]):
    headers: list[str] = []
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


def read_json(raw: bytes):
    text, _ = decode_text(raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise ImportFileError("JSON 文件应为对象数组，或含 items 数组的对象")
    return _records_to_rows(list(enumerate(data, start=1)))


def read_jsonl(raw: bytes):
    text, _ = decode_text(raw)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError:
            records.append((number, None))
    return _records_to_rows(records)


READERS = {".xlsx": read_xlsx, ".csv": read_csv, ".json": read_json, ".jsonl": read_jsonl}


def read_file(filename: str, raw: bytes):
    """(headers, [(row_number, values | None)]) — None marks a row that is not a record at all."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    reader = READERS.get(suffix)
    if reader is None:
        raise ImportFileError(f"不支持的文件类型“{suffix or filename}”：请上传 .xlsx、.csv、.json 或 .jsonl 文件")
    if suffix == ".xlsx" and not raw.startswith(b"PK"):
        raise ImportFileError("不是有效的 Excel (.xlsx) 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）")
    return reader(raw)
