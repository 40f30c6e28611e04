"""Spreadsheets as offices fill them in: an instructions sheet first, a title and a "填报单位" line above the header,
a 序号 column, a footnote under the data. The header is found (the first of a sheet's first rows naming two known
columns, on the first sheet that has one), what was skipped is said, and row numbers stay the sheet's."""
import datetime
import io
import json
import re
import zipfile
from xml.sax.saxutils import escape

import pytest
import xlwt
from openpyxl import Workbook

from marketplace.accounts.models import Organisation
from marketplace.achievements.models import Achievement
from marketplace.demands.models import Demand
from marketplace.imports.readers import read_file, stream_file
from marketplace.imports.service import import_file, import_rows

from .conftest import login
from .test_imports import ROWS, ZH, csv_bytes, xlsx_bytes


def form_bytes(instructions: bool = True) -> bytes:
    wb = Workbook()
    if instructions:
        wb.active.title = "填表说明"
        wb.active["A1"] = "请在“成果汇总”工作表中填写；带*为必填项"
        ws = wb.create_sheet("成果汇总")
    else:
        ws = wb.active
    ws.merge_cells("A1:F1")
    ws["A1"] = "2026年度江西省高校科技成果汇总表"
    ws["A2"] = "填报单位（盖章）：江西理工大学        填报日期：2026年11月"
    ws.append(["序号", "成果名称*"] + ZH[2:] + ["备注"])       # row 3
    for n, row in enumerate(ROWS, 1):
        ws.append([n, row[1]] + row[2:] + [""])             # rows 4, 5
    ws.append([])
    ws.append(["注：价格单位为万元；本表共2项。"])              # row 7
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_header_under_a_title_on_the_second_sheet_is_found_by_both_readers():
    raw = form_bytes()
    headers, rows = read_file("汇总.xlsx", raw)
    assert headers[:3] == ["序号", "成果名称*", "成果简介"]
    assert [n for n, _ in rows] == [4, 5, 7] and rows[0][1][1] == ROWS[0][1]
    assert any("成果汇总" in n for n in headers.notes) and any("第3行" in n and "2行" in n for n in headers.notes)
    with stream_file("汇总.xlsx", raw) as stream:
        assert list(stream.headers) == list(headers) and stream.headers.notes == headers.notes
        assert [(n, v) for n, v in stream.rows] == rows


def test_a_form_imports_its_rows_and_says_what_it_skipped(ctx):
    report = import_file("achievements", "汇总.xlsx", form_bytes(), publish=True)
    assert (report.created, report.rejected, report.skipped, report.blank) == (2, 0, 1, 1), report.errors
    assert Achievement.query.filter_by(ref="A-2").count() == 0  # no 编号 column here: matched by title
    assert {a.title for a in Achievement.query} == {ROWS[0][1], ROWS[1][1]}
    said = "\n".join(report.warnings)
    assert "工作表“成果汇总”" in said and "表头在第3行" in said and "第7行没有任何可识别列的内容" in said
    assert "跳过无内容的行1" in report.summary() and "示例行" not in report.summary()


def test_on_the_first_sheet_a_title_row_is_skipped_too_and_a_plain_file_is_read_as_before():
    headers, rows = read_file("汇总.xlsx", form_bytes(instructions=False))
    assert headers[1] == "成果名称*" and [n for n, _ in rows] == [4, 5, 7]
    assert headers.notes == ["表头在第3行：其上2行（表格标题、填报说明等）已跳过"]
    headers, rows = read_file("成果.xlsx", xlsx_bytes(ZH, ROWS))
    assert headers == ZH and headers.notes == [] and [n for n, _ in rows] == [2, 3]


def test_a_csv_with_a_title_line_above_its_header(ctx):
    raw = ("江西省科技成果汇总表（2026年）\n".encode("utf-8-sig") + csv_bytes(ZH, ROWS, encoding="utf-8"))
    headers, rows = read_file("成果.csv", raw)
    assert headers == ZH and [n for n, _ in rows] == [3, 4] and headers.notes
    report = import_rows("achievements", headers, rows, publish=True)
    assert (report.created, report.rejected) == (2, 0) and "表头在第2行" in "\n".join(report.warnings)


def test_without_a_recognisable_header_the_missing_columns_are_named_as_before(ctx):
    wb = Workbook()
    wb.active.append(["说明：本表为汇总"])
    wb.active.append(["项目", "金额"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("achievements", "x.xlsx", buf.getvalue())
    assert report.errors[0]["row"] == 1 and "缺少必需的列" in report.errors[0]["message"]


def test_a_refused_row_with_formula_like_text_is_written_to_the_error_file_as_text(ctx):
    # the error file is a write-only workbook: a refused row holding text a spreadsheet would run ("+86 …", "-高温")
    # made writing it fail (a TypeError: a 500 on the web upload) instead of writing the text as text
    from openpyxl import load_workbook
    bad = ["A-9", "产业写错的成果", "这一行的所属产业不在可选范围之内，应被拒绝并原样写回。", "-高温", "火星产业", "南昌大学", "",
           "", "", "", "", "中试", "", "", ""]
    headers = ZH + ["联系电话"]
    out = io.BytesIO()
    report = import_file("achievements", "x.xlsx", xlsx_bytes(headers, [ROWS[0] + [""], bad + ["+86 0797 8312345"]]),
                         dry_run=True, errors_out=out)
    assert (report.created, report.rejected) == (1, 1) and report.errors_file
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    row = [c.value for c in ws[2]]
    assert "-高温" in row and "+86 0797 8312345" in row and ws[2][headers.index("联系电话")].data_type == "s"


def test_an_amount_with_its_unit_and_a_date_shown_as_a_day_number_are_read_and_reported(ctx):
    rows = [r[:] for r in ROWS]
    rows[0][ZH.index("意向价格（万元）")], rows[0][ZH.index("授权日期")] = "50万元", "45000"
    rows[1][ZH.index("意向价格（万元）")] = "１２.５ 万"
    bad = [r[:] for r in ROWS]
    bad[0][0], bad[1][0] = "A-7", "A-8"
    bad[0][ZH.index("意向价格（万元）")], bad[1][ZH.index("授权日期")] = "50元", "12345"
    report = import_file("achievements", "x.xlsx", xlsx_bytes(ZH, rows + bad), publish=True)
    assert (report.created, report.rejected) == (2, 2), report.errors
    a1, a2 = (Achievement.query.filter_by(ref=r).one() for r in ("A-1", "A-2"))
    assert str(a1.asking_price) == "500000.00" and a1.ip_items[0].granted_on.isoformat() == "2023-03-15"
    assert str(a2.asking_price) == "125000.00"
    lines = "\n".join(report.mapping_lines())
    assert "50万元 → 50" in lines and "45000 → 2023-03-15" in lines
    said = " ".join(e["message"] for e in report.errors)
    assert "“50元”不是有效的金额" in said and "授权日期：日期格式应为" in said


def test_a_header_with_an_explanation_after_it_is_its_column_but_never_an_amount_in_another_unit():
    from marketplace.imports.columns import map_headers
    mapping, unknown = map_headers("demands", ["需求名称", "需求描述（问题、现状、目标）", "预算(万元)", "所属领域（单选）"])
    assert sorted(mapping.values()) == ["budget_wan", "description", "industry", "title"] and not unknown
    mapping, unknown = map_headers("achievements", ["成果名称", "意向价格（美元）", "成果简介(300字以内)"])
    assert sorted(mapping.values()) == ["summary", "title"] and unknown == ["意向价格（美元）"]
    mapping, unknown = map_headers("achievements", ["成果名称", "意向价格（元）"])  # its own column, in 元
    assert mapping == {0: "title", 1: "asking_price"} and not unknown


def test_a_demand_form_with_a_total_row_and_everyday_cooperation_words(ctx):
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "赣州市2026年企业技术需求征集表"
    ws.append([])
    ws.append(["序号", "需求企业", "需求名称", "需求描述（问题、现状、目标）", "所属领域", "所在地", "合作方式", "预算（万元）"])
    ws.append([1, "赣州某稀土冶炼有限公司", "萃取槽乳化严重", "P507萃取段经常乳化，分相时间长，想找解决办法，最好能现场中试。",
               "有色金属", "赣州市", "委托研发", "30万元"])
    ws.append([2, "赣州某铜业有限公司", "铜杆表面氧化发黑", "连铸连轧出来的铜杆表面发黑，客户投诉，想改进冷却和保护。", "有色",
               "赣州", "合作研发", "面议"])
    ws.append(["合计", "", "", "", "", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("demands", "需求.xlsx", buf.getvalue(), dry_run=True)
    assert (report.created, report.rejected, report.footer, report.blank) == (2, 0, 1, 0), report.errors
    lines = "\n".join(report.mapping_lines())
    assert "委托研发 → 委托开发" in lines and "合作研发 → 合作开发" in lines and "30万元 → 30" in lines


def test_a_csv_cell_longer_than_the_csv_module_reads_is_a_400_with_a_reason_not_a_500(client, f):
    from .conftest import login
    login(client, f.user("institution"))
    raw = ("成果名称,成果简介\n标题,\"" + "长" * 140000 + "\"\n").encode("utf-8")
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(raw), "成果.csv")},
                     content_type="multipart/form-data")
    assert up.status_code == 400 and "CSV 文件第2行附近无法读取" in up.get_data(as_text=True)


def test_a_first_sheet_with_a_known_column_stays_the_data_even_if_a_later_sheet_names_more():
    # a data sheet whose header was mistyped (one known column) is still the one read (the import then names the
    # missing columns), not the template's 填写说明 or another sheet that lists column names
    wb = Workbook()
    wb.active.append(["成果名称", "简 介 内 容", "产业类别"])
    wb.active.append(["高强高导铜合金", "采用连续挤压……", "有色金属"])
    listing = wb.create_sheet("字段")
    listing.append(["成果名称", "成果简介", "所属产业", "成熟度"])
    buf = io.BytesIO()
    wb.save(buf)
    headers, rows = read_file("x.xlsx", buf.getvalue())
    assert headers == ["成果名称", "简 介 内 容", "产业类别"] and headers.notes == [] and [n for n, _ in rows] == [2]


def test_the_templates_notes_sheet_is_never_read_as_the_data(client, f):
    from .conftest import login
    login(client, f.user("institution"))
    raw = client.get("/achievements/template.xlsx").data
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(raw))
    wb.worksheets[0].delete_rows(1, wb.worksheets[0].max_row)  # an emptied data sheet
    wb.worksheets[0]["A1"] = "请在此填写"
    buf = io.BytesIO()
    wb.save(buf)
    headers, _rows = read_file("t.xlsx", buf.getvalue())
    assert headers == ["请在此填写"] and headers.notes == []


def test_a_tab_separated_export_with_a_title_line_is_read():
    # a title line without separators misleads csv.Sniffer (it answered with the wrong separator)
    text = ("江西省科技成果汇总表\r\n\r\n" + "\t".join(["序号"] + ZH) + "\r\n"
            + "\r\n".join("\t".join([str(n)] + row) for n, row in enumerate(ROWS, 1)) + "\r\n")
    for encoding in ("gbk", "utf-8"):
        headers, rows = read_file("成果.csv", text.encode(encoding))
        assert headers == ["序号"] + ZH and [n for n, _ in rows] == [4, 5], encoding
        assert rows[0][1][2] == ROWS[0][1] and headers.notes == ["表头在第3行：其上1行（表格标题、填报说明等）已跳过"]


@pytest.mark.parametrize("name,raw", [
    # Excel's "Unicode 文本" (tab-separated UTF-16 with its byte-order mark) saved as .csv, and the same little- and
    # big-endian with commas; JSON lines in UTF-16 too
    ("成果.csv", "\n".join("\t".join(r) for r in [ZH] + ROWS).encode("utf-16")),
    ("成果.csv", csv_bytes(ZH, ROWS, encoding="utf-16-le").join([b"\xff\xfe", b""])),
    ("成果.csv", csv_bytes(ZH, ROWS, encoding="utf-16-be").join([b"\xfe\xff", b""])),
])
def test_a_utf16_file_with_its_byte_order_mark_is_read(ctx, name, raw):
    headers, rows = read_file(name, raw)
    assert headers == ZH and [n for n, _ in rows] == [2, 3]
    report = import_rows("achievements", headers, rows, publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert Achievement.query.filter_by(title=ROWS[0][1]).count() == 1


def test_json_lines_in_utf16_stream_as_in_utf8(ctx):
    from marketplace.imports.readers import stream_file
    lines = "\n".join(json.dumps({"title": f"第{i}项成果", "industry": "新材料"}, ensure_ascii=False) for i in (1, 2))
    utf8 = [(n, r) for n, r in stream_file("a.jsonl", lines.encode("utf-8")).rows]
    utf16 = [(n, r) for n, r in stream_file("a.jsonl", lines.encode("utf-16")).rows]
    assert utf16 == utf8 and [r["title"] for _, r in utf16] == ["第1项成果", "第2项成果"]


def test_a_deadline_written_to_the_month_is_its_last_day_and_a_grant_date_so_written_is_explained(ctx):
    heads = ["需求名称", "需求描述", "所属产业", "所在地区", "企业名称", "合作方式", "截止日期"]
    body = [["拉丝断线", "拉丝速度一提上去就老断线，换了几家的铜杆都不行。", "有色金属", "鹰潭", "鹰潭市华鑫铜业有限公司", "委托开发",
             "2027年2月"],
            ["尾渣堆存", "每年产生20万吨锂云母尾渣，堆存成本高，想做成建材。", "新能源", "宜春", "宜春市锂源新材料有限公司", "合作开发",
             "2027.11月底"],
            ["窑炉能耗", "隧道窑天然气单耗偏高，想降低能耗。", "陶瓷", "景德镇", "景德镇市华窑陶瓷有限公司", "技术转让", "2027-13"]]
    report = import_file("demands", "d.csv", csv_bytes(heads, body), publish=True)
    from marketplace.demands.models import Demand
    assert (report.created, report.rejected) == (2, 1), report.errors
    assert sorted(d.deadline.isoformat() for d in Demand.query.all()) == ["2027-02-28", "2027-11-30"]
    assert "2027年2月 → 2027-02-28" in "\n".join(report.mapping_lines())
    said = " ".join(f["message"] for e in report.errors for f in e["fields"]) or report.errors[0]["message"]
    assert "日期格式应为" in said and "只写到月" not in said  # 2027-13 is no month
    rows = [r[:] for r in ROWS]
    rows[0][ZH.index("授权日期")] = "2021年6月"
    report = import_file("achievements", "x.xlsx", xlsx_bytes(ZH, rows))
    assert report.rejected == 1 and "“2021年6月”只写到月：日期应写到日" in report.errors[0]["message"]


def test_a_sheets_numbered_empty_rows_total_row_and_footer_are_skipped_and_said(ctx):
    # a template numbered down to row 30 in advance, a 合计 row summing the prices, the signatures under the table
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "成果名称"] + ZH[2:])                  # row 1
    for n, row in enumerate(ROWS, 1):
        ws.append([n, row[1]] + row[2:])                     # rows 2, 3
    ws.append([3, None, "只有简介的一行", None, "有色金属"])     # row 4: a real row without its title
    for n in range(4, 30):
        ws.append([n])                                       # rows 5–30: numbered, empty
    ws.append(["合 计"] + [None] * 12 + [120])                 # row 31
    ws.append([None, "合计："] + [None] * 11 + [120])          # row 32: the total written in the title's column
    ws.append(["填表人：张三", None, "填表日期：2026年11月30日"])  # row 33
    ws.append(["单位（盖章）"])                                 # row 34
    ws.append(["注：价格单位为万元"])                            # row 35
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("achievements", "汇总.xlsx", buf.getvalue(), publish=True)
    assert (report.created, report.rejected) == (2, 1), report.errors
    assert report.errors[0]["row"] == 4  # data without a title is still an error, not a footer
    said = "\n".join(report.warnings)
    assert "序号" not in said  # the row counter is no unknown column
    assert "第5行" not in said and "第30行" not in said  # numbered empty rows: counted, not told one by one
    for row, text in ((31, "合 计"), (32, "合计："), (33, "填表人：张三"), (34, "单位（盖章）")):
        assert f"第{row}行是表格的合计行或表尾（“{text}”）" in said
    assert "第35行没有任何可识别列的内容（“注：价格单位为万元”）" in said  # a footnote is still told
    assert (report.blank, report.footer) == (27, 4)
    assert "拒绝1，跳过无内容的行27，跳过合计行或表尾4" in report.summary()


def merged_sheet() -> bytes:
    # 所属产业 and 完成单位 merged over the rows of one unit, as offices lay sheets out; the merge of 完成单位 runs on
    # past the data (rows 5–8 are empty), and a title is merged across the columns above the header
    wb = Workbook()
    ws = wb.active
    ws.append(["江西理工大学成果汇总"])
    ws.append(["序号", "成果名称", "成果简介", "所属产业", "完成单位", "成熟度"])
    ws.append([1, "铜合金连续挤压技术", "采用连续挤压工艺制备铜铬锆合金，导电率≥80%IACS。", "有色金属", "江西理工大学", "中试"])
    ws.append([2, "稀土永磁废料回收", "从钕铁硼废料中回收稀土氧化物，回收率98%以上。", None, None, "小试"])
    ws.append([3, "钨尾矿综合利用", "钨尾矿中回收萤石与长石，尾矿减量六成，已建示范线。", None, None, "工业化"])
    ws.merge_cells("A1:F1")
    ws.merge_cells("D3:D5")
    ws.merge_cells("E3:E9")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_cells_merged_over_rows_give_their_value_to_every_row_they_cover(ctx):
    # before, the second and third rows were refused: 缺少完成单位, 所属产业 必填项
    raw = merged_sheet()
    headers, rows = read_file("汇总.xlsx", raw)
    assert [n for n, _ in rows] == [3, 4, 5]  # the merge running past the data makes no rows of its own
    assert [(r[3], r[4]) for _, r in rows] == [("有色金属", "江西理工大学")] * 3
    assert any("跨行合并的单元格（2处" in n for n in headers.notes)
    with stream_file("汇总.xlsx", raw) as stream:
        assert [(n, v) for n, v in stream.rows] == rows and stream.headers.notes == headers.notes
    report = import_file("achievements", "汇总.xlsx", raw)
    assert (report.created, report.rejected) == (3, 0), report.errors
    assert {a.industry for a in Achievement.query} == {"有色金属"}
    assert "跨行合并" in "\n".join(report.warnings)


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
PKG = "http://schemas.openxmlformats.org/package/2006/"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def excel_written(rows, shared: bool = True) -> bytes:
    """A workbook laid out as Excel writes one (openpyxl writes neither): text in the shared strings table (or
    inline), a carriage return escaped as _x000D_ (every character XML cannot hold likewise: Word's line break
    _x000B_), a literal "_x" escaped as _x005F_."""
    strings: list = []
    sheet_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            text = re.sub("[\x00-\x08\x0b-\x1f]", lambda m: f"_x{ord(m.group()):04X}_",
                          escape(v.replace("_x", "_x005F_x")))
            if shared:
                strings.append(text)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'{XML}<Types xmlns="{PKG}content-types"><Default Extension="rels" '
                               f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                               f'<Default Extension="xml" ContentType="application/xml"/>'
                               f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
                               f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
                               f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>'
                               "</Types>",
        "_rels/.rels": f'{XML}<Relationships xmlns="{PKG}relationships"><Relationship Id="rId1" '
                       f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{XML}<workbook {MAIN} xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{XML}<Relationships xmlns="{PKG}relationships">'
                                      f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
                                      f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>'
                                      "</Relationships>",
        "xl/worksheets/sheet1.xml": f'{XML}<worksheet {MAIN}><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'{XML}<sst {MAIN} count="{len(strings)}" uniqueCount="{len(strings)}">'
                                + "".join(f'<si><t xml:space="preserve">{t}</t></si>' for t in strings) + "</sst>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()


WRAPPED = [["成果名称", "成果简介", "所属产业", "完成单位", "成熟度"],
           ["铜合金\r\n连续挤压技术", "第一段：工艺。\r\n第二段：指标，导电率≥80%IACS。", "有色金属", "江西理工\r\n大学", "中试"],
           ["Lithium\nbattery 正极包覆", "简介写明了文件名 data_x0041_.csv 的来历。", "新能源", "江西理工大学", "中\n试"],
           ["稀土永磁废料回收", "从钕铁硼废料中回收稀土氧化物，回收率98%以上。", "有色金属", "南昌大学\n江西省农业科学院", "小试"]]


@pytest.mark.parametrize("shared", [True, False], ids=["shared strings", "inline strings"])
def test_an_excel_written_workbooks_escaped_characters_are_read_as_the_text(shared):
    # before: "铜合金_x000D_\n连续挤压技术" — openpyxl leaves Excel's escapes in the text
    headers, rows = read_file("成果.xlsx", excel_written(WRAPPED, shared))
    assert rows[0][1][:2] == ["铜合金\r\n连续挤压技术", "第一段：工艺。\r\n第二段：指标，导电率≥80%IACS。"]
    assert rows[1][1][1] == "简介写明了文件名 data_x0041_.csv 的来历。"  # an escaped "_x" stays the text
    assert "_x000D_" not in repr(rows)


def test_line_breaks_in_cells_are_kept_in_texts_and_joined_in_one_line_columns(ctx):
    # before: the title "铜合金_x000D_\n连续挤压技术" was stored as such, the unit "江西理工_x000D_\n大学" was split
    # into "江西理工_x000D_" owning the record and a co-unit "大学", and 中\n试 was refused
    report = import_file("achievements", "成果.xlsx", excel_written(WRAPPED), publish=True)
    assert (report.created, report.rejected) == (3, 0), report.errors
    got = {a.title: a for a in Achievement.query}
    assert set(got) == {"铜合金连续挤压技术", "Lithium battery 正极包覆", "稀土永磁废料回收"}
    assert got["铜合金连续挤压技术"].summary == "第一段：工艺。\n第二段：指标，导电率≥80%IACS。"
    assert got["Lithium battery 正极包覆"].maturity == "中试"
    owner = {t: a.owner_org.name for t, a in got.items()}
    assert owner == {"铜合金连续挤压技术": "江西理工大学", "Lithium battery 正极包覆": "江西理工大学",
                     "稀土永磁废料回收": "南昌大学"}  # one unit, not two; two units on two lines stay two
    assert "合作完成单位：江西省农业科学院" in got["稀土永磁废料回收"].team
    lines = report.mapping_lines()
    assert "第 2、3 行 成果名称：单元格内换行 → 已合并为一行" in lines, lines
    assert "第 2 行 完成单位：单元格内换行 → 已合并为一行" in lines, lines


def test_a_csvs_windows_line_breaks_inside_a_quoted_cell_are_plain_line_breaks(ctx):
    raw = csv_bytes(["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "合作方式"],
                    [["窑炉\r\n节能改造", "现有辊道窑能耗高。\r\n希望降低单位能耗。", "陶瓷", "景德镇", "景德镇某瓷业\r\n有限公司", "委托开发"],
                     ["窑炉\n余热回收", "烟气余热\n未利用。", "陶瓷", "景德镇", "景德镇某瓷业有限公司", "技术开发"]])
    report = import_file("demands", "需求.csv", raw, publish=True)
    assert (report.created, report.rejected) == (1, 1), report.errors
    assert report.errors[0]["row"] == 3  # the row a spreadsheet shows, not the file's fifth line
    d = Demand.query.one()
    assert (d.title, d.description) == ("窑炉节能改造", "现有辊道窑能耗高。\n希望降低单位能耗。")
    assert d.owner_org.name == "景德镇某瓷业有限公司" and Organisation.query.filter(Organisation.name.contains("瓷业")).count() == 1


def test_a_header_over_two_rows_is_read_as_one(ctx):
    # 联系人 merged over 姓名 | 电话 | 邮箱 and 知识产权 over 类型 | 专利号, their parts in the row below: the second
    # row was read as a record (refused: 缺少成果名称) and the three contact columns as one 联系人 column
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "知识产权", None, "联系人", None, None])
    ws.append([None, None, None, None, None, None, "类型", "专利号", "姓名", "电话", "邮箱"])
    ws.append([1, "铜合金连续挤压技术", "采用连续挤压工艺制备铜铬锆合金，导电率≥80%IACS。", "有色金属", "江西理工大学", "中试",
               "发明专利", "ZL201910234567.8", "张工", "0797-8312345", "zhang@jxust.edu.cn"])
    for a, b in (("B1", "B2"), ("C1", "C2"), ("D1", "D2"), ("E1", "E2"), ("F1", "F2")):
        ws.merge_cells(f"{a}:{b}")
    ws.merge_cells("G1:H1")
    ws.merge_cells("I1:K1")
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    headers, rows = read_file("成果.xlsx", raw)
    assert list(headers)[6:] == ["知识产权类型", "专利号", "联系人姓名", "联系人电话", "联系人邮箱"]
    assert any("表头占两行（第2行" in n for n in headers.notes), headers.notes
    assert [n for n, _ in rows] == [3]
    with stream_file("成果.xlsx", raw) as stream:
        assert list(stream.headers) == list(headers) and list(stream.rows) == rows
    report = import_file("achievements", "成果.xlsx", raw, publish=True)
    assert (report.created, report.rejected) == (1, 0), report.errors
    a = Achievement.query.one()
    assert (a.contact_name, a.contact_phone, a.contact_email) == ("张工", "0797-8312345", "zhang@jxust.edu.cn")
    assert a.ip_items[0].number == "ZL201910234567.8"


def test_a_first_record_is_never_taken_for_a_second_header_row():
    rows = [["联系人", "电话"], ["铜合金连续挤压技术", "0797-8312345"]]
    headers, got = read_file("a.csv", csv_bytes(["成果名称", "联系电话"], rows))
    assert list(headers) == ["成果名称", "联系电话"] and len(got) == 2  # words only, but under no group's merged part


def test_a_hidden_sheet_of_drop_down_lists_before_the_data_is_not_the_data(ctx):
    wb = Workbook()
    lists = wb.active
    lists.title = "下拉选项"
    lists.append(["所属产业", "成熟度", "转化方式"])
    lists.append(["有色金属", "小试", "转让"])
    lists.sheet_state = "hidden"
    data = wb.create_sheet("成果")
    data.append(ZH)
    for row in ROWS:
        data.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    headers, rows = read_file("成果.xlsx", buf.getvalue())
    assert list(headers) == ZH and len(rows) == 2  # before: the hidden list was read as two records
    book = xlwt.Workbook(encoding="utf-8")
    hidden = book.add_sheet("下拉选项")
    for c, v in enumerate(["所属产业", "成熟度"]):
        hidden.write(0, c, v)
    hidden.visibility = 1
    sheet = book.add_sheet("成果")
    for c, v in enumerate(ZH[:5]):
        sheet.write(0, c, v)
    for c, v in enumerate(ROWS[0][:5]):
        sheet.write(1, c, v)
    out = io.BytesIO()
    book.save(out)
    headers, rows = read_file("成果.xls", out.getvalue())
    assert list(headers) == ZH[:5] and len(rows) == 1


def test_a_price_column_in_yuan_is_read_as_yuan(ctx):
    # 意向价格（元）was an unknown column: the price was lost (the record became 面议) with only a warning
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "意向价格（元）"]
    base = ["采用连续挤压工艺制备铜铬锆合金，导电率≥80%IACS。", "有色金属", "江西理工大学", "中试"]
    rows = [["铜合金连续挤压技术", *base, "1,200,000.50"], ["稀土永磁废料回收", *base, "面议"],
            ["钨尾矿综合利用", *base, "12万"], ["锂云母提锂", *base, "人民币80,000元整"]]
    report = import_file("achievements", "成果.csv", csv_bytes(headers, rows), publish=True)
    assert (report.created, report.rejected) == (4, 0), report.errors
    assert str(Achievement.query.filter_by(title="锂云母提锂").one().asking_price) == "80000.00"
    # (12万 in the 元 column: the unit written is the one meant — it was refused before 2026-12-03 evening)
    assert str(Achievement.query.filter_by(title="钨尾矿综合利用").one().asking_price) == "120000.00"
    assert "第 4 行 意向价格（元）：12万 → 120000" in report.mapping_lines()
    got = {a.title: (a.asking_price, a.price_negotiable) for a in Achievement.query}
    assert str(got["铜合金连续挤压技术"][0]) == "1200000.50" and got["稀土永磁废料回收"] == (None, True)
    demand = import_file("demands", "需求.csv", csv_bytes(
        ["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "合作方式", "预算（元）"],
        [["窑炉节能改造", "现有辊道窑能耗高，希望降低单位能耗。", "陶瓷", "景德镇", "景德镇某瓷业有限公司", "委托开发", "80000"]]),
        publish=True)
    assert demand.created == 1, demand.errors
    assert (str(Demand.query.one().budget), Demand.query.one().budget_negotiable) == ("80000.00", False)


def _college_workbook(errors_row=True) -> bytes:
    """One sheet per college under the same header (the second's columns in another order, a title row above the
    third's), a college's sheet with its header only, a hidden sheet of drop-down lists and a sheet of another table."""
    wb = Workbook()
    lists = wb.active
    lists.title, lists.sheet_state = "下拉选项", "hidden"
    lists.append(["所属产业", "成熟度", "转化方式"])
    lists.append(["有色金属", "中试", "许可"])
    first = wb.create_sheet("材料学院")
    first.append(ZH)
    first.append(ROWS[0])
    second = wb.create_sheet("化学学院")
    order = list(reversed(range(len(ZH))))
    second.append([ZH[i] for i in order])
    second.append([ROWS[1][i] for i in order])
    if errors_row:
        bad = list(ROWS[1])
        bad[0], bad[1], bad[11] = "A-3", "无机非金属膜材料", "还在想"
        second.append([bad[i] for i in order])
    wb.create_sheet("物理学院").append(ZH)  # (its header only: nothing to read)
    third = wb.create_sheet("食品学院")
    third.append(["南昌大学食品学院科技成果汇总表"])
    third.append(ZH[:-1])  # (without 实施日期)
    row = list(ROWS[0][:-1])
    row[0], row[1] = "A-4", "稻米深加工副产物综合利用技术"
    third.append(row)
    demands = wb.create_sheet("企业需求")
    demands.append(["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "合作方式"])
    demands.append(["窑炉节能改造", "现有辊道窑能耗高。", "陶瓷", "景德镇", "某瓷业有限公司", "委托开发"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_of_one_sheet_per_college_is_read_as_one_table(ctx, tmp_path):
    # one sheet per college: only the first was read and the others named ("请分别另存为文件导入")
    out = tmp_path / "errors.xlsx"
    report = import_file("achievements", "各学院成果.xlsx", _college_workbook(), publish=True, errors_out=str(out))
    assert (report.total, report.created, report.rejected) == (4, 3, 1), report.errors
    assert {a.title for a in Achievement.query} == {ROWS[0][1], ROWS[1][1], "稻米深加工副产物综合利用技术"}
    assert Achievement.query.filter_by(title=ROWS[1][1]).one().maturity == "小试"  # (its columns put in place)
    assert [(e["sheet"], e["row"]) for e in report.errors] == [("化学学院", 3)]
    said = "\n".join(report.warnings)
    assert "读取了3个表头相同的工作表（“材料学院”1行、“化学学院”2行、“食品学院”1行）" in said
    assert "工作表“企业需求”也有数据表，但表头与工作表“材料学院”的不同，本次没有读取" in said
    assert "物理学院" not in said and "下拉选项" not in said
    lines = report.mapping_lines()
    assert any(line.startswith("工作表“化学学院”第 2 行 成熟度：小试阶段 → 小试") for line in lines), lines
    from openpyxl import load_workbook
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "原行号" and rows[1][-1] == "工作表“化学学院”第3行" and rows[1][1] == "无机非金属膜材料"
    # the error file, fixed, imports (its 原行号 and 错误原因 ignored)
    fixed = [list(r) for r in rows]
    fixed[1][fixed[0].index("成熟度")] = "中试"
    wb = Workbook()
    for r in fixed:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    again = import_file("achievements", "有问题的行.xlsx", buf.getvalue(), publish=True)
    assert (again.created, again.rejected) == (1, 0), again.errors


def test_the_sheets_of_a_workbook_stream_as_they_read(ctx):
    # the import jobs and the CLI stream a workbook: the same rows, numbered by sheet
    raw = _college_workbook()
    headers, rows = read_file("x.xlsx", raw)
    with stream_file("x.xlsx", raw) as stream:
        streamed = list(stream.rows)
        assert list(stream.headers) == list(headers)
    assert streamed == rows and [(n.sheet, n.row) for n, _v in rows] == [
        ("材料学院", 2), ("化学学院", 2), ("化学学院", 3), ("食品学院", 3)]
    assert sorted(rows) == rows  # (in reading order)


def test_sheets_with_one_header_each_in_an_xls_workbook_are_read_as_one_table(ctx):
    wb = xlwt.Workbook()
    for n, college in enumerate(["材料学院", "化学学院"]):
        ws = wb.add_sheet(college)
        ws.write(0, 0, f"{college}成果汇总")
        for c, h in enumerate(ZH):
            ws.write(1, c, h)
        for c, v in enumerate(ROWS[n]):
            ws.write(2, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("achievements", "汇总.xls", buf.getvalue(), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert "读取了2个表头相同的工作表（“材料学院”1行、“化学学院”1行）" in "\n".join(report.warnings)


def test_what_a_pasted_cell_brings_unseen_is_read_as_the_reader_sees_it(ctx):
    # Word's manual line break (a vertical tab, _x000B_ in the file) refused the whole row (不可见的控制字符); a web
    # page's zero-width space made a second 江西理工大学; a byte-order mark and a direction mark stuck to the title
    rows = [["成果名称", "成果简介", "所属产业", "完成单位", "成熟度"],
            ["\ufeff铜合金连续挤压技术\u200f", "第一段：工艺。\x0b第二段：指标。\x0c第三段：应用。", "有色金属", "江西理工\u200b大学",
             "中试"],
            ["稀土永磁废料回收", "从钕铁硼废料中回收稀土氧化物，回收率98%以上。", "有色金属", "江西理工大学", "小\u00ad试"]]
    report = import_file("achievements", "成果.xlsx", excel_written(rows), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(title="铜合金连续挤压技术").one()
    assert a.summary == "第一段：工艺。\n第二段：指标。\n第三段：应用。"
    assert {x.owner_org.name for x in Achievement.query} == {"江西理工大学"}
    assert any("完成单位：不可见字符" in line and "已删除" in line for line in report.mapping_lines())


def chinese_excel_dates(headers, rows, date_columns) -> bytes:
    """A workbook whose date cells carry the built-in format 31 (yyyy"年"m"月"d"日") without its code, as a Chinese
    Excel saves a date shown as 2021年6月8日."""
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
        for c in date_columns:
            ws.cell(ws.max_row, c + 1).number_format = 'yyyy"年"m"月"d"日"'
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/styles.xml":
                text = data.decode()
                fid = re.search(r'numFmtId="(\d+)" formatCode="yyyy&quot;年', text).group(1)
                text = re.sub(rf'<numFmt numFmtId="{fid}"[^>]*/>', "", text).replace(f'numFmtId="{fid}"', 'numFmtId="31"')
                data = text.encode()
            z.writestr(name, data)
    return out.getvalue()


def test_dates_in_a_chinese_excels_built_in_format_are_dates(ctx):
    # 2021年6月8日 shown by format 31 was read as 44355: the contracts' history refused every row (日期格式应为…)
    from marketplace.stats.imports import read_and_import
    from marketplace.stats.models import ContractFact

    from .test_stats_import import CN, GOOD
    rows = [list(r) for r in GOOD[:2]]
    for r in rows:
        r[10], r[11] = datetime.date(2023, 3, 1), datetime.date(2023, 3, 15)
    raw = chinese_excel_dates(CN, rows, (10, 11))
    headers, got = read_file("登记.xlsx", raw)
    assert got[0][1][10:12] == [datetime.date(2023, 3, 1), datetime.date(2023, 3, 15)]
    report = read_and_import(None, "登记.xlsx", raw, batch="t")
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert {f.signed_on for f in ContractFact.query} == {datetime.date(2023, 3, 1)}


@pytest.mark.parametrize("written, price, negotiable", [
    ("50万元整", "500000.00", False), ("人民币 50 万元", "500000.00", False), ("50（万元）", "500000.00", False),
    ("RMB 50", "500000.00", False), ("50w", "500000.00", False), ("可面议", None, True), ("面议（可商）", None, True),
    ("待定（视规模）", None, True)])
def test_a_price_as_finance_and_sheets_write_it(ctx, written, price, negotiable):
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "意向价格（万元）"]
    report = import_rows("achievements", headers, [(2, ["铜合金连续挤压技术", "简介内容足够长的一段文字说明。", "新材料",
                                                        "南昌大学", "中试", written])], publish=True)
    assert report.created == 1, report.errors
    a = Achievement.query.one()
    assert (None if a.asking_price is None else str(a.asking_price), a.price_negotiable) == (price, negotiable)
    assert any(written.replace("（", "(").replace("）", ")") in line or written in line for line in report.mapping_lines())


@pytest.mark.parametrize("written", ["50万/项", "约50万", "50-80万", "伍拾万元", "面议面议"])
def test_a_price_that_says_something_else_is_still_refused(ctx, written):
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "意向价格（万元）"]
    report = import_rows("achievements", headers, [(2, ["铜合金连续挤压技术", "简介内容足够长的一段文字说明。", "新材料",
                                                        "南昌大学", "中试", written])], publish=True)
    assert report.created == 0 and "意向价格（万元）" in report.errors[0]["message"]


def test_a_unit_written_with_its_college_is_the_universitys(ctx):
    # "江西理工大学（材料学院）" made an organisation of its own; the college now goes to 研发团队
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "研发团队"]
    text = "简介内容足够长的一段文字说明。"
    rows = [(2, ["铜合金连续挤压技术", text, "有色金属", "江西理工大学（材料学院）", "中试", "张教授团队"]),
            (3, ["稀土永磁废料回收", text, "有色金属", "江西理工大学", "小试", ""]),
            (4, ["离子型稀土浸矿", text, "有色金属", "中国科学院赣江创新研究院(稀土材料课题组)", "中试", ""]),
            (5, ["钨尾矿综合利用", text, "有色金属", "南昌大学（前湖校区）", "中试", ""])]  # a campus: not a sub-unit
    report = import_rows("achievements", headers, rows, publish=True)
    assert report.created == 4, report.errors
    got = {a.title: (a.owner_org.name, a.team) for a in Achievement.query}
    assert got["铜合金连续挤压技术"] == ("江西理工大学", "张教授团队；完成院系：材料学院")
    assert got["稀土永磁废料回收"][0] == "江西理工大学"
    assert got["离子型稀土浸矿"] == ("中国科学院赣江创新研究院", "完成院系：稀土材料课题组")
    assert got["钨尾矿综合利用"][0] == "南昌大学（前湖校区）"
    assert "第 2 行 完成单位：江西理工大学（材料学院） → 江西理工大学（院系写入研发团队）" in report.mapping_lines()


def test_a_college_or_co_units_that_would_overflow_the_team_column_are_said_not_refused(ctx):
    # the college was appended to a 研发团队 already near its 200 characters: the row was refused for a length the
    # uploader never wrote (研发团队 最多200字)
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "研发团队"]
    text, team = "简介内容足够长的一段文字说明。", "甲" * 195
    rows = [(2, ["铜合金连续挤压技术", text, "有色金属", "江西理工大学（材料学院）", "中试", team]),
            (3, ["稀土永磁废料回收", text, "有色金属", "南昌大学、江西省农业科学院", "小试", team]),
            (4, ["钨尾矿综合利用", text, "有色金属", "南昌大学（食品学院）", "中试", "乙" * 180])]
    report = import_rows("achievements", headers, rows, publish=True)
    assert (report.created, report.rejected) == (3, 0), report.errors
    got = {a.title: (a.owner_org.name, a.team) for a in Achievement.query}
    assert got["铜合金连续挤压技术"] == ("江西理工大学", team) and got["稀土永磁废料回收"] == ("南昌大学", team)
    assert got["钨尾矿综合利用"] == ("南昌大学", "乙" * 180 + "；完成院系：食品学院")  # (still fits: added)
    lines = "\n".join(report.mapping_lines())
    assert "江西理工大学（研发团队已满200字，院系“材料学院”未写入，请在成果中补充）" in lines
    assert "南昌大学（研发团队已满200字，其余单位“江西省农业科学院”未写入，请在成果中补充）" in lines


def test_a_universitys_own_upload_may_name_its_college(client, f):
    # the university's staff write their college: refused before as another unit's (与当前账号所属单位不一致)
    inst = f.user("institution", name="南昌大学")
    login(client, inst)
    rows = [["南昌大学食品科学与技术国家重点实验室" if i == 5 else v for i, v in enumerate(ROWS[0])],
            ["南昌大学（食品学院）" if i == 5 else v for i, v in enumerate(ROWS[1])]]
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(csv_bytes(ZH, rows)), "成果.csv")},
                     content_type="multipart/form-data")
    html = client.get(up.headers["Location"]).get_data(as_text=True)
    assert "可新增 <strong>2</strong>" in html and "与当前账号所属单位" not in html


def test_a_formulas_error_value_refuses_its_row_naming_the_cell(ctx):
    # a 完成单位 filled by a VLOOKUP that found nothing: the unit "#N/A" was created and owned the record
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度"]
    rows = [(2, ["铜合金连续挤压技术", "简介内容足够长的一段文字说明。", "有色金属", "#N/A", "中试"]),
            (3, ["稀土永磁废料回收", "简介内容足够长的一段文字说明。", "#REF!", "南昌大学", "中试"])]
    report = import_rows("achievements", headers, rows, publish=True)
    assert (report.created, report.rejected) == (0, 2)
    assert [(e["row"], [(x["column"], x["message"][:12]) for x in e["fields"]]) for e in report.errors] == [
        (2, [("完成单位", "单元格是公式的错误值“#")]), (3, [("所属产业", "单元格是公式的错误值“#")])]
    assert "#N/A" in report.errors[0]["message"] and "粘贴为数值" in report.errors[0]["message"]
    from marketplace.accounts.models import Organisation
    assert not Organisation.query.filter_by(name="#N/A").count()


def test_the_contracts_history_refuses_a_formulas_error_value(ctx):
    from marketplace.stats.imports import read_and_import

    from .test_stats_import import CN, GOOD
    rows = [list(GOOD[0])]
    rows[0][3] = "#N/A"
    report = read_and_import(None, "登记.csv", csv_bytes(CN, rows), batch="t")
    assert report.created == 0 and "卖方：单元格是公式的错误值“#N/A”" in report.errors[0]["message"]


def test_codes_kept_as_text_by_a_csv_export_are_read(ctx):
    raw = ('成果名称,成果简介,所属产业,完成单位,成熟度,联系电话,编号\n'
           '铜合金连续挤压技术,简介内容足够长的一段文字说明。,有色金属,南昌大学,中试,="13807912345",\'A-0001\n').encode()
    report = import_file("achievements", "导出.csv", raw, publish=True)
    assert report.created == 1, report.errors
    a = Achievement.query.one()
    assert (a.contact_phone, a.ref) == ("13807912345", "A-0001")


def test_one_unit_however_its_name_is_spaced_or_bracketed_is_one_organisation(ctx):
    from marketplace.accounts.models import Organisation
    headers = ["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "合作方式"]
    text = "连铸连轧出来的铜杆表面发黑，客户投诉。"
    companies = {"铜杆表面氧化发黑": "江西铜业股份有限公司(贵溪冶炼厂)", "阳极泥提金": "江西铜业股份有限公司（贵溪冶炼厂）",
                 "烟气制酸尾气": "江西铜业 股份有限公司", "冶炼渣综合利用": "江西铜业股份有限公司"}
    rows = [(n, [title, text, "有色金属", "鹰潭", company, "委托开发"])
            for n, (title, company) in enumerate(companies.items(), start=2)]
    report = import_rows("demands", headers, rows, publish=True)
    assert report.created == 4, report.errors
    # before: four organisations for two units
    assert sorted(o.name for o in Organisation.query) == ["江西铜业股份有限公司", "江西铜业股份有限公司（贵溪冶炼厂）"]


@pytest.mark.parametrize("written, kept", [
    ("专利号：ZL201910234567.8", "ZL201910234567.8"), ("zl 2019 1 0234567.8", "ZL201910234567.8"),
    ("CN 112345678 B", "CN112345678B"), ("2021SR0123456", "2021SR0123456"),
    ("ZL201910234567.8（已授权）", "ZL201910234567.8(已授权)"), ("某某技术秘密", "某某技术秘密")])  # (a remark: as written)
def test_a_patent_number_is_kept_in_one_form_whoever_typed_it(ctx, written, kept):
    headers = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "知识产权类型", "专利号"]
    report = import_rows("achievements", headers, [(2, ["铜合金连续挤压技术", "简介内容足够长的一段文字说明。", "新材料",
                                                        "南昌大学", "中试", "发明专利", written])], publish=True)
    assert report.created == 1, report.errors
    assert [ip.number for ip in Achievement.query.one().ip_items] == [kept]


def test_the_preview_lists_how_the_file_was_read_one_line_each(client, f):
    login(client, f.user("institution", name="南昌大学"))
    wb = Workbook()
    ws = wb.active
    ws.title = "食品学院"
    ws.append(["南昌大学科技成果汇总表"])
    ws.append(ZH)
    ws.append(["南昌大学" if i == 5 else v for i, v in enumerate(ROWS[0])])
    other = wb.create_sheet("化学学院")
    other.append(ZH)
    other.append(["南昌大学" if i == 5 else v for i, v in enumerate(ROWS[1])])
    bad = ["南昌大学" if i == 5 else v for i, v in enumerate(ROWS[1])]
    bad[0], bad[11] = "A-9", "还在想"
    other.append(bad)
    buf = io.BytesIO()
    wb.save(buf)
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(buf.getvalue()), "成果.xlsx")},
                     content_type="multipart/form-data")
    html = client.get(up.headers["Location"]).get_data(as_text=True)
    box = html[html.index('id="job-message"'):html.index("</ul>", html.index('id="job-message"'))]
    assert box.count("<li>") == 2 and "<li>表头在第2行" in box and "<li>读取了2个表头相同的工作表" in box
    assert '<td rowspan="1" data-label="行号">工作表“化学学院”第3行</td>' in html


def test_a_credit_code_held_by_a_unit_under_another_name_is_that_unit(ctx, f):
    # "江西铜业" with 江西铜业股份有限公司's code: the import created a second organisation with the same code and the
    # database refused it mid-import (an IntegrityError: a 500 on the web, a traceback in the CLI)
    from marketplace.accounts.models import Organisation
    from marketplace.core.uscc import make_uscc
    from marketplace.demands.models import Demand
    f.org("company", name="江西铜业股份有限公司")  # (its code: make_uscc of its name)
    code = make_uscc("江西铜业股份有限公司")
    headers = ["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "统一社会信用代码", "合作方式"]
    text = "连铸连轧出来的铜杆表面发黑，客户投诉。"
    rows = [(2, ["铜杆表面氧化发黑", text, "有色金属", "鹰潭", "江西铜业", code, "委托开发"]),
            (3, ["阳极泥提金", text, "有色金属", "鹰潭", "江西铜业集团", code, "委托开发"]),
            (4, ["烟气制酸尾气", text, "有色金属", "鹰潭", "鹰潭新公司", make_uscc("鹰潭新公司"), "委托开发"]),
            (5, ["冶炼渣综合利用", text, "有色金属", "鹰潭", "鹰潭新公司（筹）", make_uscc("鹰潭新公司"), "委托开发"])]
    report = import_rows("demands", headers, rows, publish=True)
    assert (report.created, report.rejected) == (4, 0), report.errors
    assert {d.title: d.owner_org.name for d in Demand.query} == {
        "铜杆表面氧化发黑": "江西铜业股份有限公司", "阳极泥提金": "江西铜业股份有限公司", "烟气制酸尾气": "鹰潭新公司",
        "冶炼渣综合利用": "鹰潭新公司"}  # (a code first seen in this file: the unit it made)
    assert Organisation.query.count() == 2
    assert "第 2 行 需求企业：江西铜业 → 江西铜业股份有限公司（按统一社会信用代码）" in report.mapping_lines()


def test_sheets_each_with_a_two_row_header_are_read_as_one_table(ctx):
    # 联系人 over 姓名 | 电话 on every college's sheet: each sheet's second header row is read into its header
    wb = Workbook()
    for n, college in enumerate(["材料学院", "化学学院"]):
        ws = wb.active if n == 0 else wb.create_sheet(college)
        ws.title = college
        ws.append(["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "联系人", None])
        ws.append([None, None, None, None, None, "姓名", "电话"])
        ws.merge_cells(start_row=1, start_column=6, end_row=1, end_column=7)
        ws.append([f"{college}的铜合金连续挤压技术", "采用连续挤压制备铜铬锆合金。", "有色金属", "江西理工大学", "中试",
                   f"{college[:2]}老师", "0797-8312345"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file("achievements", "成果.xlsx", buf.getvalue(), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert sorted(a.contact_name for a in Achievement.query) == ["化学老师", "材料老师"]
    said = "\n".join(report.warnings)
    assert any(w.startswith("表头占两行（第2行") for w in report.warnings), said
    assert "工作表“化学学院”：表头占两行（第2行" in said
    assert "读取了2个表头相同的工作表（“材料学院”1行、“化学学院”1行）" in said


SPELLINGS_HEADERS = ["成果名称", "成果简介", "所属产业", "完成单位", "成熟度", "转化方式", "意向价格（万元）", "知识产权类型", "专利号",
                     "授权日期"]
SPELLINGS_BASE = ["铜合金连续挤压技术", "采用连续挤压制备铜铬锆合金，导电率高。", "有色金属", "江西理工大学", "中试", "转让", "120",
                  "发明专利", "ZL201910234567.8", "2021-06-08"]


def _imported_with(library: str, headers: list, base: list, column: str, written: str):
    """One row (`base`) with its `column` written as `written`, imported and published: its report (the row created)."""
    row = list(base)
    row[headers.index(column)] = written
    report = import_rows(library, headers, [(2, row)], publish=True)
    assert (report.created, report.rejected) == (1, 0), report.errors
    return report


@pytest.mark.parametrize("column, written, field, kept", [
    # dates as exported or typed: with a time, 号 for 日, a dash Word put in, a float's .0, a weekday, a last dot
    ("授权日期", "2021/06/08 10:30", "granted_on", "2021-06-08"),
    ("授权日期", "2021年06月08号", "granted_on", "2021-06-08"),
    ("授权日期", "2021\u201006\u201008", "granted_on", "2021-06-08"),
    ("授权日期", "20210608.0", "granted_on", "2021-06-08"),
    ("授权日期", "44355.0", "granted_on", "2021-06-08"),
    ("授权日期", "2021/6/8 星期二", "granted_on", "2021-06-08"),
    ("授权日期", "2021.6.8.", "granted_on", "2021-06-08"),
    # amounts with their unit, exactly: 亿, 元 in a 万元 column, the currency after; 面议 in other words
    ("意向价格（万元）", "1.2亿", "price", "120000000.00"),
    ("意向价格（万元）", "1,200,000.50元", "price", "1200000.50"),
    ("意向价格（万元）", "120万元人民币", "price", "1200000.00"),
    ("意向价格（万元）", "协商确定", "price", "面议"),
    ("意向价格（万元）", "待议", "price", "面议"),
    # stages, modes, industries and IP kinds as offices word them
    ("成熟度", "小批量生产", "maturity", "中试"),
    ("成熟度", "已应用", "maturity", "工业化"),
    ("成熟度", "概念验证", "maturity", "实验室"),
    ("转化方式", "转让或许可", "modes", "转让、许可"),
    ("转化方式", "独占许可", "modes", "许可"),
    ("转化方式", "技术入股、委托开发", "modes", "作价入股、合作开发"),
    ("所属产业", "畜牧", "industry", "现代农业"),
    ("所属产业", "先进制造", "industry", "装备制造"),
    ("知识产权类型", "发明专利申请", "ip", "发明专利"),
    ("知识产权类型", "PCT", "ip", "发明专利"),
])
def test_values_as_offices_write_them_are_read(ctx, column, written, field, kept):
    _imported_with("achievements", SPELLINGS_HEADERS, SPELLINGS_BASE, column, written)
    a = Achievement.query.one()
    got = {"granted_on": lambda: a.ip_items[0].granted_on.isoformat(),
           "price": lambda: "面议" if a.price_negotiable else str(a.asking_price),
           "maturity": lambda: a.maturity, "modes": lambda: "、".join(a.transfer_mode_list),
           "industry": lambda: a.industry, "ip": lambda: a.ip_items[0].ip_type}[field]()
    assert got == kept


def test_no_ip_written_as_a_word_is_no_ip_and_guesses_are_still_refused(ctx):
    rows = [(2, [*SPELLINGS_BASE[:7], "无", "", ""]),
            (3, [*SPELLINGS_BASE[:6], "约120", *SPELLINGS_BASE[7:]]),
            (4, [*SPELLINGS_BASE[:6], "120-150", *SPELLINGS_BASE[7:]]),
            (5, [*SPELLINGS_BASE[:9], "6/8/2021"])]  # (June 8 or August 6: not guessed)
    rows = [(n, [f"{v}{n}" if i == 0 else v for i, v in enumerate(r)]) for n, r in rows]
    report = import_rows("achievements", SPELLINGS_HEADERS, rows, publish=True)
    assert (report.created, report.rejected) == (1, 3), report.errors
    assert Achievement.query.one().ip_items == []
    assert [e["row"] for e in report.errors] == [3, 4, 5]
    assert "第 2 行 知识产权类型：无 → （不填）" in report.mapping_lines()


DEMAND_HEADERS = ["需求名称", "需求描述", "所属产业", "所在城市", "需求企业", "合作方式", "预算（万元）", "截止日期", "联系电话", "联系邮箱"]
DEMAND_BASE = ["窑炉节能改造", "现有辊道窑能耗高，希望降低单位能耗。", "陶瓷", "景德镇", "景德镇某瓷业有限公司", "委托开发", "80", "2027-12-31",
               "0798-8888888", "zhang@example.com"]


@pytest.mark.parametrize("column, written, field, kept", [
    ("合作方式", "技术攻关", "cooperation", "合作开发"),
    ("合作方式", "产学研", "cooperation", "合作开发"),
    ("合作方式", "技术引进", "cooperation", "技术转让"),
    ("合作方式", "专利许可", "cooperation", "技术许可"),
    ("合作方式", "技术指导", "cooperation", "技术服务"),
    ("预算（万元）", "50万元（可追加）", "budget", "500000.00"),
    ("预算（万元）", "0.5亿", "budget", "50000000.00"),
    ("截止日期", "2027年底前", "deadline", "2027-12-31"),
    ("截止日期", "至2027年6月", "deadline", "2027-06-30"),
    ("截止日期", "截至2027年6月30日", "deadline", "2027-06-30"),
    ("截止日期", "2027年12月31日截止", "deadline", "2027-12-31"),  # (read as "2027年12月31日截" before the review)
    ("联系电话", "13800138000（微信同号）", "contact_phone", "13800138000"),
    ("联系电话", "0791—88888888", "contact_phone", "0791-88888888"),
    ("联系电话", "13800138000、0791-88888888", "contact_phone", "13800138000/0791-88888888"),
    ("联系邮箱", "zhang@example.com。", "contact_email", "zhang@example.com"),
])
def test_a_demand_as_companies_write_it_is_read(ctx, column, written, field, kept):
    report = _imported_with("demands", DEMAND_HEADERS, DEMAND_BASE, column, written)
    got = getattr(Demand.query.one(), field)
    assert (got.isoformat() if hasattr(got, "isoformat") else str(got)) == kept
    assert report.mapping_lines()  # (each reading reported)


@pytest.mark.parametrize("column, written", [
    ("合作方式", "技术转让或许可"), ("预算（万元）", "50-100万"), ("预算（万元）", "100万以上"), ("截止日期", "一年内"),
    ("所在城市", "赣江新区"), ("联系邮箱", "zhang@example.com；li@example.com")])
def test_what_would_be_a_guess_in_a_demand_is_still_refused_naming_the_column(ctx, column, written):
    row = list(DEMAND_BASE)
    row[DEMAND_HEADERS.index(column)] = written
    report = import_rows("demands", DEMAND_HEADERS, [(2, row)], publish=True)
    assert report.rejected == 1 and report.errors[0]["fields"][0]["column"] == column


@pytest.mark.parametrize("written, kept", [("大型仪器共享", "共享仪器"), ("第三方检测", "检验检测"), ("专利代理", "知识产权服务"),
                                           ("科技担保", "科技金融"), ("中试基地", "中试平台"), ("技术转移中心", "技术转移机构"),
                                           ("概念验证", "概念验证中心")])
def test_a_service_resources_kind_as_platforms_list_it_is_read(ctx, written, kept):
    from marketplace.resources.models import ServiceResource
    headers = ["资源名称", "资源类型", "运营机构", "服务内容", "所在城市", "服务产业"]
    row = ["稀土材料中试平台", written, "赣州稀土中试基地有限公司", "提供稀土材料中试放大服务。", "赣州", "全行业"]
    report = import_rows("services", headers, [(2, row)], publish=True)
    assert (report.created, report.rejected) == (1, 0), report.errors
    s = ServiceResource.query.one()
    assert (s.kind, s.industries) == (kept, "")  # (a service for every industry names none)
    assert f"第 2 行 资源类型：{written} → {kept}" in report.mapping_lines()
    assert "第 2 行 服务产业：全行业 → （不限产业）" in report.mapping_lines()
