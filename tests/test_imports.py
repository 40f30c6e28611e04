"""Import and export: every format, Chinese and English headers, re-import by ref, bad rows and files."""
import csv
import io
import json
import time

import pytest
from openpyxl import Workbook, load_workbook

from marketplace.accounts.models import Organisation
from marketplace.achievements.models import Achievement
from marketplace.demands.models import Demand
from marketplace.imports.columns import COLUMNS, READ_ONLY_COLUMNS
from marketplace.imports.readers import ImportFileError, read_file
from marketplace.imports.service import import_file

from .conftest import login

ZH = ["编号", "成果名称", "成果简介", "关键词", "所属产业", "完成单位", "知识产权类型", "专利号", "授权日期",
      "资金来源", "成果类别", "成熟度", "转化方式", "意向价格（万元）", "实施日期"]
ROWS = [
    ["A-1", "高强高导铜合金连续挤压技术", "采用连续挤压制备Cu-Cr-Zr合金，导电率≥80%IACS，抗拉强度≥550MPa。", "铜合金、连续挤压",
     "有色金属", "江西理工大学", "发明专利", "ZL201910234567.8", "2021-06-08", "财政资金", "应用技术", "中试",
     "许可、转让", "120", ""],
    ["A-2", "脐橙黄龙病快速检测试剂盒", "基于LAMP等温扩增的黄龙病现场检测，30分钟出结果，灵敏度达10拷贝。", "脐橙、黄龙病",
     "现代农业", "赣南师范大学", "发明专利", "ZL202010111111.1", "2022/3/5", "财政", "应用", "小试阶段",
     "许可", "面议", "2023-01-01"],
]
BAD_ROWS = [
    ["A-3", "", "缺少名称的行，简介足够长但没有名称。", "", "新材料", "南昌大学", "", "", "", "", "", "中试", "", "", ""],
    ["A-4", "产业不对的成果", "这一行的所属产业不在可选范围之内。", "", "火星产业", "南昌大学", "", "", "", "", "", "中试", "", "", ""],
    ["A-5", "价格写错的成果", "这一行的意向价格不是数字，应被拒绝。", "", "新材料", "南昌大学", "", "", "", "", "", "中试", "",
     "很贵", ""],
    ["A-1", "重复编号的成果", "这一行与第二行的编号重复，应被拒绝。", "", "新材料", "南昌大学", "", "", "", "", "", "中试", "", "", ""],
    ["A-6", "超长简介的成果", "长" * 6000, "", "新材料", "南昌大学", "", "", "", "", "", "中试", "", "", ""],
]


def xlsx_bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(headers, rows, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def test_xlsx_with_chinese_headers_imports_and_reimport_updates(ctx):
    raw = xlsx_bytes(ZH, ROWS)
    first = import_file("achievements", "成果.xlsx", raw, publish=True)
    assert (first.created, first.updated, first.rejected) == (2, 0, 0), first.errors
    a2 = Achievement.query.filter_by(ref="A-2").one()
    assert a2.maturity == "小试" and a2.funding_source == "财政资金" and a2.category == "应用技术"
    assert a2.price_negotiable and a2.asking_price is None and str(a2.implemented_on) == "2023-01-01"
    assert a2.ip_items[0].granted_on.isoformat() == "2022-03-05" and a2.status == "published"
    assert Organisation.query.filter_by(name="赣南师范大学").one().kind == "institution"
    rows = [r[:] for r in ROWS]
    rows[0][1] = "高强高导铜合金连续挤压技术（第二版）"
    again = import_file("achievements", "成果.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 1, 1, 0)
    assert Achievement.query.count() == 2
    assert Achievement.query.filter_by(ref="A-1").one().title.endswith("（第二版）")


def test_bad_rows_are_reported_and_good_rows_kept(ctx):
    report = import_file("achievements", "mixed.xlsx", xlsx_bytes(ZH, ROWS + BAD_ROWS))
    assert (report.created, report.rejected) == (2, 5)
    by_row = {e["row"]: e["message"] for e in report.errors}
    assert set(by_row) == {4, 5, 6, 7, 8}  # header is row 1
    assert "成果名称" in by_row[4] and "所属产业" in by_row[5] and "意向价格" in by_row[6]
    assert "重复" in by_row[7] and "第2行" in by_row[7] and "成果简介" in by_row[8]
    assert Achievement.query.count() == 2


def test_gbk_csv_is_decoded(ctx):
    report = import_file("achievements", "gbk.csv", csv_bytes(ZH, ROWS, "gbk"))
    assert report.created == 2, report.errors
    assert Achievement.query.filter_by(ref="A-1").one().title == "高强高导铜合金连续挤压技术"


BIG5_HEADERS = ["編號", "成果名稱", "成果簡介", "所屬產業", "完成單位", "成熟度", "意向價格（萬元）"]
BIG5_ROWS = [["T-1", "高強高導銅合金連續擠壓技術", "採用連續擠壓製備銅鉻鋯合金，導電率達80%IACS。", "有色金屬", "江西理工大學", "中試", "120"],
             ["T-2", "臍橙黃龍病快速檢測試劑盒", "基於等溫擴增的黃龍病現場檢測，30分鐘出結果。", "現代農業", "贛南師範大學", "小試", "面議"]]


def test_a_big5_csv_is_read_as_big5_not_as_gbk_garble(ctx):
    # a Taiwanese-invested firm's CSV saved by Excel on a traditional-Chinese Windows: Big5 bytes decode as GB18030
    # without an error, into rare characters (成果名稱 → Θ狦嘿): every column unknown, or worse, garbage imported
    report = import_file("achievements", "big5.csv", csv_bytes(BIG5_HEADERS, BIG5_ROWS, "cp950"), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(ref="T-1").one()
    assert (a.title, a.industry, str(a.asking_price)) == ("高強高導銅合金連續擠壓技術", "有色金属", "1200000.00")
    assert "文件是繁体中文（Big5）编码，已按 Big5 读取" in report.warnings


@pytest.mark.parametrize("names", ["研发人员：张喆、王堃、李玥、赵珺、钱燊", "", " Zhang San"])
def test_a_gbk_csv_with_rare_or_no_chinese_characters_stays_gbk(ctx, names):
    # names outside the common characters (喆 堃 玥), a file with little Chinese: still GBK, as before
    rows = [[*r[:2], r[2] + names, *r[3:]] for r in ROWS]
    report = import_file("achievements", "gbk.csv", csv_bytes(ZH, rows, "gbk"))
    assert report.created == 2, report.errors
    assert not any("Big5" in w for w in report.warnings)
    assert Achievement.query.filter_by(ref="A-2").one().title == "脐橙黄龙病快速检测试剂盒"


def test_english_keys_in_json_and_jsonl(ctx):
    records = [{"ref": "D-1", "title": "锂云母提锂尾渣综合利用", "description": "我们每年产生20万吨锂云母尾渣，堆存成本高，想做成建材。",
                "industry": "新能源", "city": "宜春市", "company": "宜春市锂源新材料有限公司", "budget_wan": 200,
                "cooperation": "合作开发", "deadline": "2027-06-30"},
               {"ref": "D-2", "title": "拉丝断线", "description": "拉丝速度一提上去就老断线，换了几家的铜杆都不行。",
                "industry": "有色金属", "city": "鹰潭", "company": "鹰潭市华鑫铜业有限公司", "budget_wan": "面议",
                "cooperation": "委托", "deadline": "2027-12-31"}]
    as_json = import_file("demands", "d.json", json.dumps(records, ensure_ascii=False).encode())
    assert as_json.created == 2, as_json.errors
    d1 = Demand.query.filter_by(ref="D-1").one()
    assert d1.city == "宜春" and str(d1.budget) == "2000000.00" and d1.owner_org.uscc
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n{broken"
    as_jsonl = import_file("demands", "d.jsonl", lines.encode())
    assert (as_jsonl.updated, as_jsonl.unchanged, as_jsonl.rejected) == (0, 2, 1)  # same values: not rewritten
    assert Demand.query.count() == 2


def test_dry_run_writes_nothing(ctx):
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, ROWS + BAD_ROWS), dry_run=True)
    assert (report.created, report.rejected) == (2, 5)
    assert Achievement.query.count() == 0 and Organisation.query.count() == 0


@pytest.mark.parametrize("name,raw,fragment", [
    ("a.xls", b"\xd0\xcf\x11\xe0", "不是有效的 Excel 97–2003 (.xls) 文件"),  # (.xls is read since 2026-12-03)
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "另存为 .xlsx"),
    ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "(.xls)"),  # an .xls renamed: read as one
    ("a.xlsx", b"this is not a zip", "Excel"),
    ("a.xlsx", b"PK\x03\x04broken", "Excel"),
    ("a.txt", b"hello", "不支持"),
    ("a.json", b'{"no": "items"}', "对象数组"),
    ("a.json", b"[1, 2", "JSON"),
    ("a.csv", b"", "空"),
    ("a.csv", b"\x80\x80\xff\xfe", "编码"),
    ("a.csv", b"\xff\xfe\x00\xd8", "编码"),  # a UTF-16 byte-order mark, then a broken surrogate pair
])
def test_unreadable_files_get_a_clear_error(name, raw, fragment):
    with pytest.raises(ImportFileError) as exc:
        read_file(name, raw)
    assert fragment in str(exc.value)


def test_missing_required_columns_rejects_everything(ctx):
    report = import_file("achievements", "a.csv", csv_bytes(["成果名称", "备注"], [["x", "y"]]))
    assert report.created == 0 and "缺少必需的列" in report.errors[0]["message"]
    assert "备注" in report.warnings[0]


def test_cli_import_prints_summary_and_rows(app, ctx, tmp_path):
    path = tmp_path / "成果.xlsx"
    path.write_bytes(xlsx_bytes(ZH, ROWS + BAD_ROWS[:1]))
    out = app.test_cli_runner().invoke(args=["import", "achievements", str(path), "--dry-run"])
    assert out.exit_code == 0 and "试运行" in out.output and "第4行" in out.output
    assert Achievement.query.count() == 0
    out = app.test_cli_runner().invoke(args=["import", "achievements", str(path), "--publish", "--json"])
    summary = json.loads(out.output[out.output.index("{"):])
    assert (summary["created"], summary["rejected"]) == (2, 1)
    assert Achievement.query.filter_by(status="published").count() == 2


def test_export_reimports_to_the_same_records(client, ctx):
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, ROWS), publish=True)
    exported = client.get("/achievements/export.xlsx")
    assert exported.status_code == 200
    ws = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in ws[1]][:3] == ["编号", "成果名称", "成果简介"] and ws.max_row == 3
    again = import_file("achievements", "export.xlsx", exported.data, publish=True)
    # the export holds exactly what is stored (prices, dates, IP items): nothing to rewrite
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0), again.errors
    a1 = Achievement.query.filter_by(ref="A-1").one()
    assert str(a1.asking_price) == "1200000.00" and a1.transfer_modes == "许可、转让"


@pytest.mark.parametrize("library", ["achievements", "demands", "services"])
def test_templates_have_every_column_and_import_cleanly(client, ctx, library):
    resp = client.get(f"/{library}/template.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    headers = [c.value for c in wb.active[1]]
    assert headers == [names[0] for f, names in COLUMNS[library].items() if f not in READ_ONLY_COLUMNS]
    assert "填写说明" in wb.sheetnames
    # The sample row is marked and skipped, with a note; once the user gives it a real 编号 it imports.
    report = import_file(library, "t.xlsx", resp.data)
    assert (report.created, report.rejected, report.skipped) == (0, 0, 1), report.errors
    assert any("示例行" in w and "第2行" in w for w in report.warnings)
    ws = wb.active
    assert ws.cell(2, 1).value == "示例-请删除"
    ws.cell(2, 1).value = "REAL-1"
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file(library, "t.xlsx", buf.getvalue())
    assert (report.created, report.rejected, report.skipped) == (1, 0, 0), report.errors


def wait_for(client, job_id, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = client.get(f"/imports/job/{job_id}/status.json").json
        if status["status"] not in ("running", "previewed"):
            return status
        time.sleep(0.2)
    raise AssertionError("import job did not finish")


def test_web_upload_previews_then_imports_with_progress(client, f):
    inst = f.user("institution", name="江西理工大学")
    login(client, inst)
    rows = [r[:5] + ["江西理工大学"] + r[6:] for r in ROWS] + [BAD_ROWS[1][:5] + ["江西理工大学"] + BAD_ROWS[1][6:]]
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(xlsx_bytes(ZH, rows)), "成果.xlsx")},
                     content_type="multipart/form-data")
    assert up.status_code == 302
    job_url = up.headers["Location"]
    preview = client.get(job_url).get_data(as_text=True)
    assert "可新增 <strong>2</strong>" in preview and "第4行" in preview and "尚未写入" in preview
    assert Achievement.query.count() == 0
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/imports/job/{job_id}/run", data={"submit": "1"})
    status = wait_for(client, job_id)
    assert (status["status"], status["created"], status["rejected"], status["processed"]) == ("done", 2, 1, 3)
    assert {a.status for a in Achievement.query.all()} == {"submitted"}
    assert {a.owner_org_id for a in Achievement.query.all()} == {inst.org_id}
    # Running the same job twice does nothing.
    client.post(f"/imports/job/{job_id}/run")
    assert Achievement.query.count() == 2


def test_web_upload_cannot_write_for_another_institution(client, f):
    inst = f.user("institution", name="南昌大学")
    login(client, inst)
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(xlsx_bytes(ZH, ROWS)), "a.xlsx")},
                     content_type="multipart/form-data")
    html = client.get(up.headers["Location"]).get_data(as_text=True)
    assert "与当前账号所属单位" in html and "可新增 <strong>0</strong>" in html


def test_web_upload_refuses_other_roles_and_bad_files(client, f):
    login(client, f.user("company"))
    assert client.get("/imports/achievements").status_code == 403
    login(client, f.user("institution"))
    bad = client.post("/imports/achievements", data={"file": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "不支持的文件类型" in bad.get_data(as_text=True)
    none = client.post("/imports/achievements", data={}, content_type="multipart/form-data")
    assert none.status_code == 400


def test_another_org_cannot_see_an_import_job(client, f):
    a = f.user("institution")
    login(client, a)
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(xlsx_bytes(ZH, ROWS)), "a.xlsx")},
                     content_type="multipart/form-data")
    job_url = up.headers["Location"]
    login(client, f.user("institution"))
    assert client.get(job_url).status_code == 404
    assert client.post(job_url + "/run").status_code == 404
