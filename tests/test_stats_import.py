"""Import of historical registered contracts: Chinese and English headers, every file type, GBK CSV,
re-import by registration number, bad rows reported with their row number and reason, amounts exact."""

import json
from io import BytesIO

import pytest
from openpyxl import Workbook

from marketplace.extensions import db
from marketplace.stats import service
from marketplace.stats.imports import read_and_import
from marketplace.stats.models import ContractFact

CN = [
    "登记编号",
    "合同名称",
    "合同类型",
    "卖方",
    "卖方类型",
    "卖方所在地",
    "买方",
    "买方所在地",
    "合同成交额（元）",
    "技术交易额（元）",
    "签订日期",
    "登记日期",
    "技术领域",
    "所属产业",
]
EN = [
    "registration_no",
    "title",
    "kind",
    "seller",
    "seller_type",
    "seller_region",
    "buyer",
    "buyer_region",
    "amount",
    "tech_amount",
    "signed_on",
    "registered_on",
    "field",
    "industry",
]
GOOD = [
    [
        "2023360100000001",
        "稀土永磁材料技术开发",
        "技术开发",
        "南昌大学",
        "高校",
        "南昌市",
        "鹰潭某铜业公司",
        "鹰潭",
        "1,234,567.89",
        "1000000.01",
        "2023-03-01",
        "2023/3/15",
        "新材料",
        "新材料",
    ],
    [
        "2023360100000002",
        "铜加工工艺咨询",
        "咨询",
        "江西铜业技术研究院",
        "科研机构",
        "江西省鹰潭市",
        "广东某公司",
        "广东省",
        "0.01",
        "",
        "2023年5月1日",
        "2023.5.2",
        "",
        "",
    ],
    [
        "2023360100000003",
        "软件开发服务",
        "技术服务",
        "上海某软件公司",
        "企业",
        "上海",
        "南昌某企业",
        "南昌",
        "99999999999.99",
        "99999999999.99",
        "2023-12-30",
        "2023-12-31",
        "电子信息",
        "电子信息",
    ],
]


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def jsonl_bytes(headers, rows) -> bytes:
    return "\n".join(json.dumps(dict(zip(headers, r)), ensure_ascii=False) for r in rows).encode()


@pytest.mark.parametrize(
    "name, make, headers, encoding",
    [
        ("h.csv", csv_bytes, CN, "utf-8"),
        ("h.csv", csv_bytes, CN, "gbk"),
        ("h.csv", csv_bytes, EN, "utf-8"),
        ("h.xlsx", xlsx_bytes, CN, None),
        ("h.jsonl", jsonl_bytes, EN, None),
    ],
)
def test_every_format_and_both_header_languages_import_exactly(ctx, name, make, headers, encoding):
    raw = make(headers, GOOD, encoding) if encoding else make(headers, GOOD)
    report = read_and_import(None, name, raw, batch="t")
    db.session.commit()
    assert (report.created, report.updated, report.rejected) == (3, 0, 0), report.errors
    rows = {r.registration_no: r for r in ContractFact.query.all()}
    a, b, c = (rows[g[0]] for g in GOOD)
    assert str(a.amount) == "1234567.89" and str(a.tech_amount) == "1000000.01" and a.city == "南昌"
    assert (
        a.registered_on.isoformat() == "2023-03-15"
        and a.field == "新材料及其应用"
        and a.seller_type == "高校"
    )
    assert (
        b.kind == "技术咨询" and b.seller_type == "科研院所" and b.city == "鹰潭" and b.buyer_region == "广东"
    )
    assert str(b.tech_amount) == "0.01" and b.field == "其他" and b.industry == "其他"
    assert c.city is None and c.seller_region == "上海" and str(c.amount) == "99999999999.99"
    assert all(r.source == "historical" for r in rows.values())


def test_reimport_updates_by_registration_number(ctx, f):
    read_and_import(None, "a.csv", csv_bytes(CN, GOOD), batch="first")
    db.session.commit()
    changed = [list(GOOD[0]), list(GOOD[1])]
    changed[0][8] = "2000000.00"
    changed[0][9] = "1500000.00"
    report = read_and_import(None, "b.csv", csv_bytes(CN, changed), batch="second")
    db.session.commit()
    assert (report.created, report.updated) == (0, 2)
    assert ContractFact.query.count() == 3
    row = ContractFact.query.filter_by(registration_no=GOOD[0][0]).one()
    assert str(row.amount) == "2000000.00" and row.batch == "second"
    prov = f.user("admin", admin_level="province")
    out = service.contract_stats(prov, 2023, "kind")
    assert (
        out["total"]["amount"] == "2000000.01"
    )  # 2,000,000.00 + 0.01 (the 上海 seller is not registered here)


def bad(ref: str, title: str, reason: str, **changed) -> tuple[list, str]:
    """A row of CN's columns that is valid but for `changed` (English keys), and the reason expected."""
    row = dict(zip(EN, [ref, title, "技术开发", "甲", "企业", "南昌", "乙", "南昌", "100", "", "2023-01-01",
                        "2023-01-02", "", ""]))
    assert set(changed) <= set(row)
    row.update(changed)
    return list(row.values()), reason


BAD = [
    bad('', '无编号', '登记编号不能为空'),
    bad('X2', '金额负数', '负数', amount='-100'),
    bad('X3', '金额科学计数', '合同成交额', amount='1e5'),
    bad('X4', '三位小数', '小数', amount='1.001'),
    bad('X5', '类型不对', '合同类型', kind='技术买卖'),
    bad('X6', '地区不明', '卖方所在地', seller_region='火星'),
    bad('X7', '只写江西', '买方所在地', buyer_region='江西'),
    bad('X8', '日期倒置', '早于', signed_on='2023-02-01'),
    bad('X9', '日期坏', '签订日期', signed_on='2023-02-30', registered_on='2023-03-02'),
    bad('X10', '技术额过大', '技术交易额', tech_amount='100.01'),
    bad('X11', '产业不对', '所属产业', industry='挖矿'),
    bad('2023360100000001', '文件内重复', '重复'),
]


def test_bad_rows_reported_with_row_number_and_reason_good_rows_kept(ctx):
    rows = [GOOD[0]] + [r for r, _ in BAD] + [GOOD[1]]
    report = read_and_import(None, "bad.csv", csv_bytes(CN, rows), batch="t")
    db.session.commit()
    assert report.created == 2 and report.rejected == len(BAD)
    by_row = {e["row"]: e["message"] for e in report.errors}
    for i, (_, reason) in enumerate(BAD):
        assert reason in by_row[i + 3], (i + 3, by_row.get(i + 3))  # the header is line 1, GOOD[0] line 2
    assert ContractFact.query.count() == 2


def test_a_total_row_and_the_lines_under_the_table_are_skipped_and_said_not_counted(ctx):
    # the old registration system's export: a 序号 column, a 合计 row summing the amounts, the signatures under it
    total = ["合计", None, None, None, None, None, None, None, None, "9,999,999.99"]
    rows = [[n] + r for n, r in enumerate(GOOD, 1)] + [total, ["填报人：李四", None, "填报日期：2024年1月5日"]]
    report = read_and_import(None, "h.xlsx", xlsx_bytes(["序号"] + CN, rows), batch="t")
    db.session.commit()
    assert (report.created, report.rejected, report.unknown_headers) == (len(GOOD), 0, []), report.errors
    assert report.skipped == [f"第{len(GOOD) + 2}行是表格的合计行或表尾（“合计”），已跳过",
                              f"第{len(GOOD) + 3}行是表格的合计行或表尾（“填报人：李四”），已跳过"]
    assert "跳过合计行或表尾 2" in report.summary()
    assert ContractFact.query.count() == len(GOOD)  # the total is no contract: the statistics are not counted twice


def test_dry_run_writes_nothing_and_site_rows_are_never_overwritten(ctx):
    report = read_and_import(None, "a.csv", csv_bytes(CN, GOOD), batch="t", dry_run=True)
    assert report.created == 3 and ContractFact.query.count() == 0
    read_and_import(None, "a.csv", csv_bytes(CN, GOOD[:1]), batch="t")
    ContractFact.query.one().source = "site"
    db.session.commit()
    report = read_and_import(None, "a.csv", csv_bytes(CN, GOOD[:1]), batch="t")
    assert report.rejected == 1 and "本站登记" in report.errors[0]["message"]


def test_missing_columns_and_unreadable_files_are_refused(ctx):
    from marketplace.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="缺少必需的列"):
        read_and_import(None, "a.csv", csv_bytes(CN[:3], [r[:3] for r in GOOD]), batch="t")
    with pytest.raises(ValidationFailed):
        read_and_import(None, "a.xlsx", b"not a zip", batch="t")


def test_cli_import_commits_and_reports(app, ctx, tmp_path):
    path = tmp_path / "历史.csv"
    path.write_bytes(csv_bytes(CN, GOOD + [BAD[1][0]], "gbk"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "contracts", str(path), "--dry-run"])
    assert "试运行" in result.output and "第5行" in result.output, result.output
    result = runner.invoke(args=["import", "contracts", str(path), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert (body["created"], body["rejected"]) == (3, 1)
    assert ContractFact.query.count() == 3


def test_web_import_is_for_the_provincial_centre(client, f):
    from tests.conftest import login

    prov = f.user("admin", admin_level="province")
    city = f.user("admin", admin_level="city", city="鹰潭")
    login(client, city)
    assert client.get("/stats/contracts/import").status_code == 403
    client.post("/logout")
    client.get("/logout")
    client2 = client.application.test_client()
    login(client2, prov)
    assert client2.get("/stats/contracts/import").status_code == 200
    r = client2.post(
        "/stats/contracts/import",
        data={"file": (BytesIO(csv_bytes(CN, GOOD, "gbk")), "h.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and "新增 3" in r.get_data(as_text=True)
    assert ContractFact.query.count() == 3


@pytest.mark.parametrize("header", ["买方规模", "buyer_scale"])
def test_optional_buyer_scale_column(ctx, header):
    """买方规模 / buyer_scale, when the file has it: 大型/中型/小型/微型 (common spellings mapped), blank = not
    known, anything else a row error; without the column nothing changes (re-imports keep a known scale)."""
    rows = [list(r) + [s] for r, s in zip(GOOD, ["小型企业", "", "large"])]
    rows.append(list(GOOD[0]) + ["巨型"])
    rows[-1][0] = "2023360100000009"
    report = read_and_import(None, "s.csv", csv_bytes(CN + [header], rows), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (3, 1) and "买方规模“巨型”不在可选范围内" in report.errors[0]["message"]
    scales = {r.registration_no: r.buyer_scale for r in ContractFact.query.all()}
    assert scales == {GOOD[0][0]: "小型", GOOD[1][0]: None, GOOD[2][0]: "大型"}
    report = read_and_import(None, "again.csv", csv_bytes(CN, GOOD), batch="t2")  # no such column
    db.session.commit()
    assert report.updated == 3
    db.session.expire_all()
    assert ContractFact.query.filter_by(registration_no=GOOD[0][0]).one().buyer_scale == "小型"


def test_a_historical_export_larger_than_a_library_upload_is_read(ctx):
    """The old system exports a year at a time: more rows than the libraries' 50,000 per upload."""
    from marketplace.imports.readers import MAX_ROWS, ImportFileError, read_file
    from marketplace.stats.imports import MAX_FILE_ROWS
    raw = ("登记编号,合同名称\n" + "".join(f"R{i},合同{i}\n" for i in range(MAX_ROWS + 5))).encode()
    with pytest.raises(ImportFileError):
        read_file("big.csv", raw)
    headers, rows = read_file("big.csv", raw, max_rows=MAX_FILE_ROWS)
    assert len(rows) == MAX_ROWS + 5


def test_a_contracts_region_written_as_a_district_or_county_is_its_city():
    from marketplace.stats.imports import RowError, region
    assert [region(v, "卖方所在地") for v in ("赣州市章贡区", "南康区", "江西省共青城市", "南昌", "广东省")] == \
        ["赣州", "赣州", "九江", "南昌", "广东"]
    with pytest.raises(RowError):
        region("火星", "卖方所在地")


def test_a_seller_wrapped_in_its_cell_is_the_same_seller(ctx):
    # an old export wraps long names by hand (Alt+Enter; a Windows CSV: CR LF): "南昌\r\n大学" was a seller of its
    # own in the ranking
    wrapped = [list(r) for r in GOOD[:2]]
    wrapped[1][0], wrapped[1][3] = wrapped[1][0] + "9", "南昌\r\n大学"
    wrapped[1][1] = "稀土永磁材料\n技术服务"
    wrapped[0][3] = "南昌大学"
    report = read_and_import(None, "w.csv", csv_bytes(CN, wrapped), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert {f.seller for f in ContractFact.query} == {"南昌大学"}
    assert "稀土永磁材料技术服务" in {f.title for f in ContractFact.query}


def test_amounts_in_wan_yuan_columns_are_read_exactly_into_yuan(ctx):
    # the registration system's statistics export gives 合同金额（万元）: before, the file was refused for a missing
    # 合同成交额 column; now 123.4567 万元 is 1,234,567.00 元 exactly, and 1.0000001 万元 (not a whole fen) is refused
    headers = [h for h in CN]
    headers[8], headers[9] = "合同金额（万元）", "技术交易额（万元）"
    rows = [list(r) for r in GOOD[:2]]
    rows[0][8], rows[0][9] = "123.4567", "100"
    rows[1][8], rows[1][9] = "1.0000001", ""
    report = read_and_import(None, "统计.csv", csv_bytes(headers, rows), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (1, 1), report.errors
    assert "合同成交额（万元）" in report.errors[0]["message"] and "6位小数" in report.errors[0]["message"]
    fact = ContractFact.query.one()
    assert (fact.amount_fen, fact.tech_amount_fen) == (123456700, 100000000)
    both = [h for h in CN] + ["合同金额（万元）"]
    report = read_and_import(None, "两列.csv", csv_bytes(both, [GOOD[2] + ["999"]]), batch="t")
    db.session.commit()
    assert report.created == 1 and ContractFact.query.filter_by(registration_no=GOOD[2][0]).one().amount_fen == \
        9999999999999  # the 元 column is read when both are there


def test_registration_numbers_kept_as_text_by_an_export_are_read_as_numbers(ctx):
    # ="2023360100000001" (a CSV's way to keep Excel from showing 2.02336E+15) and '2023360100000002
    rows = [list(r) for r in GOOD[:2]]
    rows[0][0], rows[1][0] = f'="{GOOD[0][0]}"', f"'{GOOD[1][0]}"
    raw = ("\n".join(",".join(f'"{v}"' if not v.startswith("=") else '"=""' + v[2:-1] + '"""' for v in r)
                     for r in [CN] + rows) + "\n").encode()
    report = read_and_import(None, "导出.csv", raw, batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (2, 0), report.errors
    assert {f.registration_no for f in ContractFact.query} == {GOOD[0][0], GOOD[1][0]}


def test_a_date_shown_as_its_day_serial_is_that_date(ctx):
    # a 签订日期 cell formatted as a number shows 44986: refused before (日期格式应为 YYYY-MM-DD), as the libraries'
    # import already read it
    rows = [list(GOOD[0])]
    rows[0][10], rows[0][11] = "44986", "45000"
    report = read_and_import(None, "登记.csv", csv_bytes(CN, rows), batch="t")
    db.session.commit()
    assert report.created == 1, report.errors
    fact = ContractFact.query.one()
    assert (fact.signed_on.isoformat(), fact.registered_on.isoformat()) == ("2023-03-01", "2023-03-15")


def test_registrations_by_month_on_several_sheets_import_together_errors_named_by_sheet(ctx):
    # the old system's yearly export, one sheet per month: every sheet read, a bad row named with its sheet
    wb = Workbook()
    for n, month in enumerate(["1月", "2月"]):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = month
        ws.append(CN)
        ws.append(GOOD[n])
    bad = list(GOOD[2])
    bad[8] = "很多"
    wb["2月"].append(bad)
    wb["2月"].append(GOOD[0])  # (the same registration as 1月's row: a duplicate, named with its sheet)
    out = BytesIO()
    wb.save(out)
    report = read_and_import(None, "2023年.xlsx", out.getvalue(), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (2, 2), report.errors
    assert [(e["sheet"], e["row"]) for e in report.errors] == [("2月", 3), ("2月", 4)]
    assert "与工作表“1月”第2行重复" in report.errors[1]["message"]


@pytest.mark.parametrize("column, written, field, kept", [
    ("合同成交额（元）", "1,234,567.89元", "amount_fen", 123456789),
    ("合同成交额（元）", "RMB 1234567.89", "amount_fen", 123456789),
    ("合同成交额（元）", "123.4万元", "amount_fen", 123400000),
    ("合同成交额（元）", "1.2亿", "amount_fen", 12000000000),
    ("合同成交额（元）", "1234567.89（含税）", "amount_fen", 123456789),
    ("合同成交额（元）", "50（万元）", "amount_fen", 50000000),  # (a unit in brackets is the unit, not a remark)
    ("合同成交额（元）", "人民币50万元整", "amount_fen", 50000000),
    ("合同类型", "技术开发合同", "kind", "技术开发"),
    ("合同类型", "技术开发（委托）", "kind", "技术开发"),
    ("合同类型", "专利申请权转让", "kind", "技术转让"),
    ("卖方类型", "民营企业", "seller_type", "企业"),
    ("卖方类型", "独立科研机构", "seller_type", "科研院所"),
    ("卖方所在地", "江西省赣州市章贡区", "seller_region", "赣州"),
    ("买方所在地", "广东省深圳市", "buyer_region", "广东"),
    ("签订日期", "2023/3/1 9:30", "signed_on", "2023-03-01"),
])
def test_a_registration_as_old_exports_write_it_is_read(ctx, column, written, field, kept):
    row = list(GOOD[0])
    row[CN.index(column)] = written
    if column == "合同成交额（元）":
        row[CN.index("技术交易额（元）")] = ""  # (the whole amount is technology's)
    report = read_and_import(None, "h.csv", csv_bytes(CN, [row]), batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (1, 0), report.errors
    got = getattr(ContractFact.query.one(), field)
    assert (got.isoformat() if hasattr(got, "isoformat") else got) == kept


@pytest.mark.parametrize("written", ["壹佰万元", "约100万", "100-200万", "1,234.567元", "-5元"])
def test_an_amount_that_would_be_a_guess_is_refused_naming_it(ctx, written):
    row = list(GOOD[0])
    row[CN.index("合同成交额（元）")] = written
    report = read_and_import(None, "h.csv", csv_bytes(CN, [row]), batch="t")
    assert report.rejected == 1 and "合同成交额" in report.errors[0]["message"], report.errors
