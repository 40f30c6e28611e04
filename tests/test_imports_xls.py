"""Excel 97–2003 workbooks (.xls): what older Excel and WPS save and many offices still send. Read with xlrd into
the same rows as an .xlsx (header search, merges over rows, dates, line breaks); files named .xls that are really
another format are read as what they are, or refused with the way out — never a 500."""
import datetime
import io

import pytest
import xlwt

from marketplace.achievements.models import Achievement
from marketplace.extensions import db
from marketplace.imports.readers import ImportFileError, read_file, stream_file
from marketplace.imports.service import import_file
from marketplace.stats.imports import read_and_import
from marketplace.stats.models import ContractFact

from .conftest import login
from .test_imports import ROWS, ZH, wait_for
from .test_stats_import import CN, GOOD

DAY = xlwt.easyxf(num_format_str="YYYY-MM-DD")


def xls_bytes(headers, rows, title: str | None = None, notes_sheet: bool = False) -> bytes:
    """An .xls as an office sends it: optionally an instructions sheet first and a title merged across the
    columns above the header; dates as date cells, numbers as numbers."""
    wb = xlwt.Workbook(encoding="utf-8")
    if notes_sheet:
        wb.add_sheet("说明").write(0, 0, "请按第二个工作表填写，红色为必填项")
    ws = wb.add_sheet("成果")
    top = 0
    if title:
        ws.write_merge(0, 0, 0, len(headers) - 1, title)
        top = 1
    for c, h in enumerate(headers):
        ws.write(top, c, h)
    for r, row in enumerate(rows, start=top + 1):
        for c, v in enumerate(row):
            if isinstance(v, datetime.date):
                ws.write(r, c, v, DAY)
            elif v not in (None, ""):
                ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def office_rows():
    rows = [list(r) for r in ROWS]
    rows[0][8] = datetime.date(2021, 6, 8)     # 授权日期 as a date cell
    rows[0][13] = 120                          # 意向价格 as a number
    rows[1][2] = "基于LAMP等温扩增的黄龙病现场检测。\r\n30分钟出结果，灵敏度达10拷贝。"
    return rows


def test_an_xls_reads_as_the_same_rows_as_its_xlsx():
    raw = xls_bytes(ZH, office_rows(), title="江西理工大学科技成果汇总表", notes_sheet=True)
    headers, rows = read_file("成果.xls", raw)
    assert list(headers) == ZH
    assert any("成果" in n and "说明" in n for n in headers.notes), headers.notes  # the instructions sheet skipped
    assert [n for n, _ in rows] == [3, 4]  # the title row and the header counted as a spreadsheet shows them
    first, second = rows[0][1], rows[1][1]
    assert first[8] == datetime.date(2021, 6, 8) and first[13] == "120"
    assert second[2].startswith("基于LAMP") and "\r\n30分钟" in second[2]
    with stream_file("成果.xls", raw) as stream:  # the jobs' and the CLI's reader
        assert list(stream.rows) == rows


def test_an_xls_imports_with_its_dates_amounts_and_line_breaks(ctx):
    report = import_file("achievements", "成果.xls", xls_bytes(ZH, office_rows(), title="成果汇总"), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(title="高强高导铜合金连续挤压技术").one()
    assert str(a.asking_price) == "1200000.00"
    assert a.ip_items[0].granted_on == datetime.date(2021, 6, 8)
    b = Achievement.query.filter_by(title="脐橙黄龙病快速检测试剂盒").one()
    assert b.summary == "基于LAMP等温扩增的黄龙病现场检测。\n30分钟出结果，灵敏度达10拷贝。"


def test_cells_merged_over_rows_in_an_xls_fill_each_row():
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    for c, h in enumerate(["成果名称", "成果简介", "所属产业", "完成单位", "成熟度"]):
        ws.write(0, c, h)
    data = [["铜合金连续挤压技术", "采用连续挤压工艺制备铜铬锆合金，导电率≥80%IACS。", "中试"],
            ["稀土永磁废料回收", "从钕铁硼废料中回收稀土氧化物，回收率98%以上。", "小试"],
            ["钨尾矿综合利用", "钨尾矿中回收萤石与长石，尾矿减量六成，已建示范线。", "工业化"]]
    for r, (title, text, stage) in enumerate(data, start=1):
        ws.write(r, 0, title)
        ws.write(r, 1, text)
        ws.write(r, 4, stage)
    ws.write_merge(1, 3, 2, 2, "有色金属")
    ws.write_merge(1, 3, 3, 3, "江西理工大学")
    buf = io.BytesIO()
    wb.save(buf)
    headers, rows = read_file("汇总.xls", buf.getvalue())
    assert [(r[2], r[3]) for _, r in rows] == [("有色金属", "江西理工大学")] * 3
    assert any("跨行合并的单元格（2处" in n for n in headers.notes), headers.notes


def test_the_contracts_history_reads_an_xls(ctx):
    rows = [list(r) for r in GOOD]
    report = read_and_import(None, "登记.xls", xls_bytes(CN, rows), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (len(GOOD), 0), report.errors
    assert ContractFact.query.count() == len(GOOD)


def test_files_named_xls_that_are_another_format_are_read_as_what_they_are_or_refused_plainly():
    # an old system's "导出Excel": tab-separated text named .xls
    text = "\n".join("\t".join(r) for r in [ZH[:5], ROWS[0][:5]]).encode("gbk")
    headers, rows = read_file("导出.xls", text)
    assert list(headers) == ZH[:5] and rows[0][1][1] == ROWS[0][1]
    # an Excel 97–2003 workbook renamed .xlsx
    headers, rows = read_file("成果.xlsx", xls_bytes(ZH, ROWS))
    assert rows[0][1][1] == ROWS[0][1]
    with pytest.raises(ImportFileError, match="没有表格内容"):
        read_file("导出.xls", '<html><body><p>系统繁忙，请稍后再试</p></body></html>'.encode())
    broken = xls_bytes(ZH, ROWS)
    for bad in (broken[:600], broken[:8] + b"\x00" * 2000, broken[:3000] + b"\xff" * 500 + broken[3500:]):
        with pytest.raises(ImportFileError, match="xls"):
            read_file("坏.xls", bad)


def test_the_web_upload_takes_an_xls_and_refuses_a_broken_one_with_400(client, f):
    inst = f.user("institution", name="江西理工大学")
    login(client, inst)
    rows = [r[:5] + ["江西理工大学"] + r[6:] for r in ROWS]
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(xls_bytes(ZH, rows)), "成果.xls")},
                     content_type="multipart/form-data")
    assert up.status_code == 302, up.get_data(as_text=True)[:500]
    job_url = up.headers["Location"]
    assert "可新增 <strong>2</strong>" in client.get(job_url).get_data(as_text=True)
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/imports/job/{job_id}/run", data={"submit": "1"})
    assert wait_for(client, job_id)["created"] == 2
    bad = client.post("/imports/achievements", data={"file": (io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
                                                                "坏.xls")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "另存为 .xlsx" in bad.get_data(as_text=True)
    assert 'accept=".xlsx,.xlsm,.xls,.et,' in client.get("/imports/achievements").get_data(as_text=True)


def test_a_damaged_xls_is_refused_or_read_never_a_crash():
    import random
    base = xls_bytes(ZH, ROWS * 5, title="成果汇总")
    rnd = random.Random(7)
    outcomes = set()
    for _ in range(150):
        b = bytearray(base)
        for _ in range(rnd.choice([1, 5, 20])):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            b = b[:rnd.randrange(len(b))]
        try:
            read_file("x.xls", bytes(b))
            outcomes.add("read")
        except ImportFileError as exc:
            assert "xls" in str(exc) or "文件" in str(exc)
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}  # (the damage reached both kinds of bytes)


EXPORTED_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<style>td {{ mso-number-format:\\@; }}</style></head><body><table border="1">
<tr><td colspan="{n}">江西省技术合同登记汇总（导出时间：2024-01-05）</td></tr>
<tr>{head}</tr>{body}
</table><script>window.print()</script></body></html>"""


def test_a_web_page_named_xls_is_read_as_its_table(ctx):
    # the old registration system's "导出Excel": an HTML table in GBK named .xls (Excel opens it as a sheet)
    rows = [list(r) for r in GOOD]
    rows[0][3] = "南昌<br>大学"   # a name broken in its cell
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
    page = EXPORTED_PAGE.format(n=len(CN), head="".join(f"<th>{h}</th>" for h in CN), body=body)
    report = read_and_import(None, "登记汇总.xls", page.encode("gb18030"), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (len(GOOD), 0), report.errors
    assert ContractFact.query.filter_by(seller="南昌大学").count() >= 1
    assert any("网页表格" in n for n in report.notes) and any("表头在第2行" in n for n in report.notes)


def test_an_html_tables_rowspans_and_an_excel_2003_xml_workbooks_merges_fill_their_rows():
    page = ("<table><tr><th>成果名称</th><th>成果简介</th><th>所属产业</th><th>完成单位</th></tr>"
            "<tr><td>铜合金&nbsp;连续挤压</td><td>第一段。<br/>第二段：粒径&lt;5μm。</td><td rowspan='2'>有色金属</td>"
            "<td>江西理工大学</td></tr><tr><td>稀土回收</td><td>回收率98%以上。</td><td>南昌大学</td></tr></table>")
    headers, rows = read_file("导出.xls", page.encode())
    assert rows == [(2, ["铜合金 连续挤压", "第一段。\n第二段：粒径<5μm。", "有色金属", "江西理工大学"]),
                    (3, ["稀土回收", "回收率98%以上。", "有色金属", "南昌大学"])]
    assert any("网页表格" in n for n in headers.notes)
    cell = '<Cell{}><Data ss:Type="{}">{}</Data></Cell>'
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table>'
           "<Row>" + "".join(cell.format("", "String", h) for h in ["成果名称", "成果简介", "所属产业", "授权日期"]) + "</Row>"
           "<Row>" + cell.format("", "String", "铜合金") + cell.format("", "String", "简介&#10;第二行")
           + cell.format(' ss:MergeDown="1"', "String", "有色金属") + cell.format("", "DateTime", "2021-06-08T00:00:00.000")
           + "</Row><Row>" + cell.format("", "String", "稀土") + cell.format(' ss:Index="4"', "Number", "45000")
           + "</Row></Table></Worksheet></Workbook>")
    headers, rows = read_file("导出.xls", xml.encode())
    assert rows == [(2, ["铜合金", "简介\n第二行", "有色金属", "2021-06-08"]), (3, ["稀土", None, "有色金属", "45000"])]
    assert any("Excel 2003 XML" in n for n in headers.notes)


def test_a_workbook_with_macros_and_a_wps_spreadsheet_are_read():
    import zipfile

    from .test_imports import xlsx_bytes
    plain = xlsx_bytes(ZH, ROWS)
    src, out = zipfile.ZipFile(io.BytesIO(plain)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:  # .xlsm: the workbook part is declared macro-enabled
        for name in src.namelist():
            data = src.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            z.writestr(name, data)
    for name, raw in (("模板.xlsm", out.getvalue()), ("成果.et", xls_bytes(ZH, ROWS)), ("成果.et", plain)):
        headers, rows = read_file(name, raw)
        assert list(headers) == ZH and [r[1] for _, r in rows] == [ROWS[0][1], ROWS[1][1]], name
        with stream_file(name, raw) as stream:
            assert list(stream.rows) == rows
    with pytest.raises(ImportFileError, match="另存为 .xlsx"):
        read_file("成果.ods", b"PK\x03\x04")


def test_an_office_xls_with_everything_at_once_reads_as_its_rows(ctx):
    # an instructions sheet, a hidden sheet of lists, a title merged across, single columns merged down over a
    # two-row header with 联系人 over 姓名 | 电话 | 邮箱, Windows line breaks, a college in brackets, 50万元整, a
    # zero-width space, a #N/A, and a second college's sheet
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("填报说明").write(0, 0, "请在“成果”表中填写")
    lists = wb.add_sheet("下拉选项")
    lists.write(0, 0, "所属产业")
    lists.write(0, 1, "成熟度")
    lists.visibility = 1
    ws = wb.add_sheet("成果")
    ws.write_merge(0, 0, 0, 9, "南昌大学2026年度科技成果汇总表")
    for c, h in enumerate(["序号", "成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "意向价格（万元）"]):
        ws.write_merge(1, 2, c, c, h)
    ws.write_merge(1, 1, 7, 9, "联系人")
    for c, h in enumerate(["姓名", "电话", "邮箱"], start=7):
        ws.write(2, c, h)
    rows = [[1, "稻米深加工\r\n副产物综合利用技术", "米糠稳定化与米糠油精炼一体化工艺。\r\n已建成示范线。", "食品加工",
             "南昌大学（食品学院）", "中试阶段（已完成）", "50万元整", "李教授", "0791-83969999", "li@ncu.edu.cn"],
            [2, "脐橙采后处理\u200b保鲜剂", "以天然提取物替代化学杀菌剂，好果率95%。", "#N/A", "南昌大学", "工业化", "30",
             "张工", "0791-88888888", ""]]
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row):
            if v not in (None, ""):
                ws.write(r, c, v)
    other = wb.add_sheet("化学学院")
    for c, v in enumerate(["成果名称", "成果简介"]):
        other.write(0, c, v)
        other.write(1, c, "某成果的内容")
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("achievements", "汇总.xls", buf.getvalue(), publish=True)
    assert (report.created, report.rejected) == (1, 1), report.errors
    assert [e["row"] for e in report.errors] == [5] and "#N/A" in report.errors[0]["message"]
    a = Achievement.query.one()
    assert (a.title, a.summary) == ("稻米深加工副产物综合利用技术", "米糠稳定化与米糠油精炼一体化工艺。\n已建成示范线。")
    assert (a.industry, a.maturity, str(a.asking_price), a.owner_org.name) == ("食品", "中试", "500000.00", "南昌大学")
    assert (a.contact_name, a.contact_phone, a.contact_email, a.team) == (
        "李教授", "0791-83969999", "li@ncu.edu.cn", "完成院系：食品学院")
    said = "\n".join(report.warnings)
    assert "表头占两行（第3行" in said and "工作表“化学学院”也有数据表" in said and "读取的是工作表“成果”" in said


def test_a_workbook_with_an_opening_password_is_refused_saying_so():
    # tests/data/password-secret.xlsx: the import template's rows, encrypted by msoffcrypto-tool 6.1 with the
    # password "secret" (an .xlsx with a password is an encrypted compound file, as an .xls is); before, "不是有效的
    # Excel (.xlsx) 文件"
    from pathlib import Path
    raw = (Path(__file__).parent / "data" / "password-secret.xlsx").read_bytes()
    for name in ("成果.xlsx", "成果.xls"):
        with pytest.raises(ImportFileError, match="设有打开密码"):
            read_file(name, raw)


def test_a_single_file_web_page_named_xls_is_read_as_its_table():
    import quopri
    page = ("<html><head><meta charset='gb2312'></head><body><table><tr><td>成果名称</td><td>成果简介</td>"
            "<td>所属产业</td></tr><tr><td>铜合金连续挤压技术</td><td>导电率≥80%IACS</td><td>有色金属</td></tr>"
            "</table></body></html>").encode("gb18030")
    mht = (b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="----=_NextPart_01"\r\n\r\n'
           b'------=_NextPart_01\r\nContent-Type: text/html; charset="gb2312"\r\n'
           b'Content-Transfer-Encoding: quoted-printable\r\n\r\n' + quopri.encodestring(page) +
           b"\r\n------=_NextPart_01--\r\n")
    headers, rows = read_file("导出.xls", mht)
    assert list(headers) == ["成果名称", "成果简介", "所属产业"] and rows[0][1] == ["铜合金连续挤压技术", "导电率≥80%IACS", "有色金属"]
    with pytest.raises(ImportFileError, match="单个文件网页"):
        read_file("导出.xls", b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello")
