"""Hostile workbooks: zip bombs, XML entity bombs and sheets that declare a huge size get a clear error."""
import io
import struct
import zipfile

import pytest
from openpyxl import Workbook

from marketplace.achievements.models import Achievement
from marketplace.imports.models import ImportJob
from marketplace.imports.readers import ImportFileError, read_file

from .conftest import login

HEADERS = ["编号", "成果名称", "成果简介", "所属产业", "成熟度"]
ROW = ["B-1", "高强高导铜合金连续挤压技术", "采用连续挤压制备Cu-Cr-Zr合金，导电率≥80%IACS。", "有色金属", "中试"]
SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(ROW)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def replace_parts(raw: bytes, parts: dict[str, bytes]) -> bytes:
    """The same workbook with some parts' XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, parts.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def declare_size(raw: bytes, name: str, size: int) -> bytes:
    """Rewrite the central directory so that `name` declares `size` bytes once inflated (a few KB file
    that claims hundreds of MB, as a crafted bomb does)."""
    data = bytearray(raw)
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        assert pos >= 0, name
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_len].decode() == name:
            struct.pack_into("<I", data, pos + 24, size)
            return bytes(data)
        pos += 4


def sheet_xml(body: str, prolog: str = "", dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {NS}>{dim}'
            f"<sheetData>{body}</sheetData></worksheet>").encode()


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + "]>")


def zip_bomb_declared() -> bytes:
    return declare_size(workbook_bytes(), SHEET, 400 * 1024 * 1024)


def zip_bomb_ratio() -> bytes:
    # 30 MB of blanks inside the sheet XML: a real member that inflates about 1000 times.
    padding = " " * (30 * 1024 * 1024)
    body = f'<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c></row>{padding}'
    return replace_parts(workbook_bytes(), {SHEET: sheet_xml(body)})


def entity_bomb_in_sheet() -> bytes:
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return replace_parts(workbook_bytes(), {SHEET: sheet_xml(body, BILLION_LAUGHS)})


def entity_bomb_in_workbook() -> bytes:
    raw = workbook_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        xml = z.read("xl/workbook.xml").decode()
    body = xml.split("?>", 1)[-1].replace("<workbookPr />", "<workbookPr>&lol9;</workbookPr>", 1)
    xml = BILLION_LAUGHS + body
    return replace_parts(raw, {"xl/workbook.xml": xml.encode()})


def huge_row_number() -> bytes:
    # One cell on row 300000, under a dimension that claims the whole grid.
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c></row>'
            '<row r="300000"><c r="A300000" t="inlineStr"><is><t>X</t></is></c></row>')
    return replace_parts(workbook_bytes(), {SHEET: sheet_xml(body, dimension="A1:XFD1048576")})


def wide_row() -> bytes:
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c>'
            '<c r="ZZ1" t="inlineStr"><is><t>多余</t></is></c></row>')
    return replace_parts(workbook_bytes(), {SHEET: sheet_xml(body)})


HOSTILE = [
    pytest.param(zip_bomb_declared, "解压后超过", id="zip-bomb-declared-400MB"),
    pytest.param(zip_bomb_ratio, "压缩比异常", id="zip-bomb-ratio"),
    pytest.param(entity_bomb_in_sheet, "XML", id="billion-laughs-sheet"),
    pytest.param(entity_bomb_in_workbook, "XML", id="billion-laughs-workbook"),
    pytest.param(huge_row_number, "200000 行", id="row-300000"),
    pytest.param(wide_row, "500 列", id="column-ZZ"),
]


@pytest.mark.parametrize("build,fragment", HOSTILE)
def test_hostile_workbooks_are_refused_with_a_clear_error(build, fragment):
    raw = build()
    assert len(raw) < 200 * 1024  # a small upload
    with pytest.raises(ImportFileError) as exc:
        read_file("bomb.xlsx", raw)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("build,fragment", HOSTILE[:4])
def test_web_upload_of_a_bomb_answers_400_and_imports_nothing(client, f, build, fragment):
    login(client, f.user("institution"))
    resp = client.post("/imports/achievements", data={"file": (io.BytesIO(build()), "成果.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400
    assert fragment in resp.get_data(as_text=True)
    assert Achievement.query.count() == 0 and ImportJob.query.count() == 0


def test_an_ordinary_workbook_still_reads(ctx):
    headers, rows = read_file("a.xlsx", workbook_bytes())
    assert headers == HEADERS and rows == [(2, ROW)]


def test_a_sheet_with_a_wrong_small_dimension_loses_no_cells():
    def cell(ref, text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    body = (f'<row r="1">{cell("A1", "编号")}{cell("B1", "成果名称")}</row>'
            f'<row r="2">{cell("A2", "B-1")}{cell("B2", "名称")}</row>')
    raw = replace_parts(workbook_bytes(), {SHEET: sheet_xml(body, dimension="A1")})
    headers, rows = read_file("a.xlsx", raw)
    assert headers == ["编号", "成果名称"] and rows == [(2, ["B-1", "名称"])]


def test_defusedxml_is_installed_for_openpyxl():
    import openpyxl
    assert openpyxl.DEFUSEDXML is True
