"""The .xlsx sheet reader (issue 14): the sheet XML parsed with expat directly gives exactly what openpyxl's
read-only `iter_rows(values_only=True)` gives (values, types, row numbering), for the shapes real files have —
shared strings, rich text, inline strings, dates by style, booleans, errors, formulas' cached values, missing
rows and cells, cells without references, prefixed namespaces — refuses a DTD, and estimates the row count of a
sheet without <dimension>."""
import datetime
import io
import re
import zipfile
from types import SimpleNamespace
from xml.etree.ElementTree import ParseError

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import WINDOWS_EPOCH

from marketplace.imports.readers import (
    ImportFileError,
    _load_xlsx,
    _sheet_values,
    read_file,
    stream_file,
)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SST = (f'<sst {NS} count="3" uniqueCount="3"><si><t>编号</t></si><si><r><t>富</t></r><r><rPr/>'
       '<t xml:space="preserve">文本 </t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></si><si><t/></si></sst>')
SHEET = f'''<worksheet {NS}><dimension ref="A1:F8"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
<row><c t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c><c t="b"><v>0</v></c>
<c t="e"><v>#DIV/0!</v></c></row>
<row r="5" spans="1:3"><c r="B5" t="str"><f>A1</f><v>结果</v></c><c r="D5"><v></v></c><c r="E5" t="s"><v>2</v></c>
<c r="F5" t="d"><v>2021-06-08T00:00:00</v></c></row>
<row r="4"><c r="A4"><v>3</v></c></row>
<row r="7"/>
<row r="8"><c r="A8" t="inlineStr"/><c r="B8"><v>1.5E3</v></c></row>
</sheetData></worksheet>'''


def craft(sheet_xml: str, sst: str | None = None) -> bytes:
    """A workbook written by openpyxl whose first sheet (and shared strings) are replaced by `sheet_xml`."""
    wb = Workbook()
    wb.active["A1"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    zin, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            if item.filename == "[Content_Types].xml" and sst:
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            zout.writestr(item, data)
        if sst:
            zout.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def both(raw: bytes):
    wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    expected = list(ws.iter_rows(values_only=True))
    wb.close()
    mine = _load_xlsx(raw)
    ws = mine.worksheets[0]
    ws.reset_dimensions()
    got = list(_sheet_values(ws))
    mine.close()
    return expected, got


def typed(rows):
    return [[(type(v), v) for v in r] for r in rows]


def test_same_rows_as_openpyxl_for_an_openpyxl_workbook_with_every_type():
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "名称", "日期", "数", "布尔", None, "浮点"])
    ws.append(["A-1", "  空格 ", datetime.date(2021, 6, 8), 12, True, None, 1.5])
    ws["C5"] = datetime.datetime(2020, 1, 2, 3, 4)
    ws["A5"] = "=1+1"
    ws["J7"] = "远"
    ws["B9"] = 1e20
    ws["D3"] = datetime.time(3, 4)
    ws["E3"] = datetime.timedelta(days=1, hours=2)
    buf = io.BytesIO()
    wb.save(buf)
    expected, got = both(buf.getvalue())
    assert typed(got) == typed(expected) and len(got) == 9
    assert got[1][2] == datetime.datetime(2021, 6, 8) and got[1][4] is True


@pytest.mark.parametrize("prefixed", [False, True])
def test_same_rows_as_openpyxl_for_shared_strings_rich_text_and_missing_rows(prefixed):
    sheet = SHEET
    if prefixed:  # some generators write <x:row> with a prefix bound to the main namespace
        sheet = sheet.replace(f"<worksheet {NS}>", '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                                   'spreadsheetml/2006/main">').replace("</worksheet>", "</x:worksheet>")
        sheet = re.sub(r"<(/?)(dimension|sheetData|row|c|v|f|is|r|t|rPh|rPr)\b", r"<\1x:\2", sheet)
    expected, got = both(craft(sheet, SST))
    assert typed(got) == typed(expected)
    assert got[0] == ("编号", None, "富文本 ") and got[1] == ("内联", False, "#DIV/0!")
    assert got[2] == got[3] == [] and got[4] == (None, "结果", None, None, "", datetime.datetime(2021, 6, 8))
    # row 4 written after row 5 is dropped, as openpyxl does; row 6 is missing, row 7 has no cells
    assert got[5:] == [[], (), (None, 1500.0)]


def test_a_dtd_in_a_sheet_is_refused_and_broken_xml_raises_parse_error():
    def sheet(xml):
        parent = SimpleNamespace(epoch=WINDOWS_EPOCH, _date_formats=set(), _timedelta_formats=set(), _cell_styles=[])
        return SimpleNamespace(parent=parent, _shared_strings=[], _get_source=lambda: io.BytesIO(xml.encode()))
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            f'<worksheet {NS}><sheetData><row r="1"><c t="inlineStr"><is><t>&b;</t></is></c></row></sheetData>'
            '</worksheet>')
    with pytest.raises(ParseError, match="DTD"):
        list(_sheet_values(sheet(bomb)))
    with pytest.raises(ParseError):
        list(_sheet_values(sheet(f'<worksheet {NS}><sheetData><row r="1"><c><v>1</v></c></row><row>')))
    # through the readers: a clear error, never a crash
    raw = craft(bomb.replace("&b;", "x"), None)
    with pytest.raises(ImportFileError, match="XML"):
        read_file("a.xlsx", raw)
    with pytest.raises(ImportFileError, match="XML"):
        stream_file("a.xlsx", raw)


def test_row_estimate_with_and_without_a_dimension():
    with stream_file("a.xlsx", craft(SHEET, SST)) as stream:  # <dimension ref="A1:F8">
        assert stream.estimate == 7 and stream.headers == ["编号", None, "富文本 "]
    wb = Workbook(write_only=True)  # openpyxl's write-only files have no <dimension>
    ws = wb.create_sheet()
    for i in range(120):
        ws.append([f"R-{i}", f"第{i}行"])
    buf = io.BytesIO()
    wb.save(buf)
    with stream_file("a.xlsx", buf.getvalue()) as stream:
        assert stream.estimate == 119
        assert [values for _, values in stream.rows][-1] == ["R-119", "第119行"]


def test_the_inflated_size_limit_grows_with_the_row_limit(monkeypatch):
    """100 MB for the web's 50,000 rows; a CLI import allowed 100,000 rows may inflate to 200 MB (a real
    100,000-row file with 300-character summaries inflates to ~150 MB). The ratio check still stops bombs."""
    from marketplace.imports import readers
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 20000)
    monkeypatch.setattr(readers, "XLSX_BYTES_PER_ROW", 1)  # 50,000 bytes at the web limit, 1 MB at 20 times it
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for i in range(200):
        ws.append([f"R-{i}", "一段较长的成果简介文字" * 3])
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    with pytest.raises(ImportFileError, match="解压后超过"):
        stream_file("a.xlsx", raw)
    with stream_file("a.xlsx", raw, max_rows=readers.MAX_ROWS * 20) as stream:
        assert sum(1 for _ in stream.rows) == 199
