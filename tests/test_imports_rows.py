"""Import, as users asked (issue 10): every error of a row at once with its column, an error file of the failed
rows (+ 错误原因) from the preview, the job page and the CLI, common variants mapped onto the controlled values
and each mapping reported, a natural key when there is no 编号, the template's sample row skipped. And the
batch writer (issue 14): a row the database refuses costs only itself; outbox, match queue, audit in bulk."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.achievements.models import Achievement
from marketplace.core.models import AuditLog
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.imports import service
from marketplace.imports.models import ImportJob, title_key
from marketplace.imports.progress import Progress
from marketplace.imports.readers import stream_file
from marketplace.imports.service import import_file, import_rows
from marketplace.resources.models import ServiceResource
from marketplace.searching.models import SearchOutbox

from .conftest import login
from .test_imports import ROWS, ZH, xlsx_bytes

NO_REF = ZH[1:]  # the same columns without 编号


def row(title, institution="江西理工大学", maturity="中试", industry="有色金属", price="120", **extra):
    values = {"成果名称": title, "成果简介": f"{title}的简介，足够长的一段文字说明。", "所属产业": industry,
              "完成单位": institution, "成熟度": maturity, "意向价格（万元）": price, **extra}
    return [values.get(h, "") for h in NO_REF]


def test_a_row_reports_every_error_at_once_each_with_its_column(ctx):
    bad = row("", industry="火星产业", maturity="很成熟", price="很贵")
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [bad]))
    assert report.rejected == 1
    err = report.errors[0]
    columns = {f["column"] for f in err["fields"]}
    assert {"成果名称", "所属产业", "成熟度", "意向价格（万元）"} <= columns, err
    for name in ("成果名称", "所属产业", "成熟度", "意向价格（万元）"):
        assert name in err["message"]
    assert "火星产业" in err["message"] and "很成熟" in err["message"]


def test_variants_are_mapped_and_every_mapping_is_reported(ctx):
    rows = [row("高强高导铜合金连续挤压技术", maturity="工业化应用", industry="绿色食品", price="１２０．５",
                **{"授权日期": "２０２１－０６－０８", "知识产权类型": "发明", "转化方式": "技术转让，许可使用"}),
            row("锂云母提锂尾渣综合利用技术", maturity="实验室阶段", industry="新一代信息技术")]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, rows), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(title="高强高导铜合金连续挤压技术").one()
    assert (a.maturity, a.industry, str(a.asking_price)) == ("工业化", "食品", "1205000.00")
    assert a.transfer_modes == "转让、许可" and a.ip_items[0].ip_type == "发明专利"
    assert a.ip_items[0].granted_on.isoformat() == "2021-06-08"
    b = Achievement.query.filter_by(title="锂云母提锂尾渣综合利用技术").one()
    assert (b.maturity, b.industry) == ("实验室", "电子信息")
    lines = report.mapping_lines()
    assert "第 2 行 成熟度：工业化应用 → 工业化" in lines
    assert "第 2 行 所属产业：绿色食品 → 食品" in lines
    assert "第 3 行 成熟度：实验室阶段 → 实验室" in lines
    assert "第 2 行 意向价格（万元）：１２０．５ → 120.5" in lines
    assert any("技术转让 → 转让" in line for line in lines)
    assert "规范化取值" in report.summary()


def test_a_cell_of_web_markup_is_read_as_its_text_and_reported(ctx):
    # an older platform's export keeps its rich-text editor's HTML; technical text with a "<" of its own stays
    rich = ('<p style="text-indent:2em"><span style="FONT-FAMILY: 宋体">本成果针对铜冶炼烟气中SO<sub>2</sub>浓度'
            '波动大的问题&nbsp;，耐温120&#8451;。</span></p><p>已在&lt;3家&gt;企业应用。</p><br/>')
    plain = "粒径<5μm，当a<b时取>3的值；R&D 投入。"
    rows = [row("烟气制酸转化催化剂", **{"成果简介": rich}), row("超细粉体分级技术", **{"成果简介": plain})]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, rows), publish=True)
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(title="烟气制酸转化催化剂").one()
    assert a.summary == "本成果针对铜冶炼烟气中SO2浓度波动大的问题 ，耐温120℃。\n已在<3家>企业应用。"
    assert Achievement.query.filter_by(title="超细粉体分级技术").one().summary == plain
    assert report.mapping_lines() == ["第 2 行 成果简介：含网页标记（HTML） → 已转为纯文字"]


def test_cooperation_any_becomes_other_and_is_reported(ctx):
    records = [{"需求名称": "拉丝断线问题攻关", "需求描述": "拉丝速度一提上去就断线，换了几家的铜杆都不行。", "所属产业": "有色金属",
                "所在城市": "鹰潭市", "需求企业": "鹰潭市华鑫铜业有限公司", "合作方式": "不限", "预算（万元）": "５０"}]
    report = import_file("demands", "d.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode())
    assert report.created == 1, report.errors
    d = Demand.query.one()
    assert d.cooperation == "其他" and d.city == "鹰潭" and str(d.budget) == "500000.00"
    assert "第 1 行 合作方式：不限 → 其他" in report.mapping_lines()
    assert "第 1 行 所在城市：鹰潭市 → 鹰潭" in report.mapping_lines()


def test_controlled_values_and_headers_in_traditional_characters_are_the_vocabularys_and_reported(ctx):
    # a Taiwanese-invested firm's sheet: 電子信息, 贛州市, 委託開發; before, each refused as not a value of the list
    from search.analysis import _FOLD
    traditional = str.maketrans({chr(simp): chr(trad) for trad, simp in sorted(_FOLD.items()) if 0x4E00 <= simp <= 0x9FFF})
    records = [{"需求名称": "觸控面板貼合氣泡", "需求描述": "全貼合後邊緣有氣泡，良率只有九成。", "所属产业": "電子信息",
                "所在城市": "贛州市", "需求企业": "赣州台达光电有限公司", "合作方式": "委託開發", "预算（万元）": "80"}]
    report = import_file("demands", "d.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode())
    assert report.created == 1, report.errors
    d = Demand.query.one()
    assert (d.industry, d.city, d.cooperation) == ("电子信息", "赣州", "委托开发")
    assert d.title == "觸控面板貼合氣泡"  # the text itself is kept as written (search and matching read it folded)
    assert {"第 1 行 所属产业：電子信息 → 电子信息", "第 1 行 所在城市：贛州市 → 赣州",
            "第 1 行 合作方式：委託開發 → 委托开发"} <= set(report.mapping_lines())
    assert service.vocab_value("industry", "火星產業") == "火星产业"  # unknown stays unknown (refused by validation)
    assert service.vocab_value("industry", "火星产业") == "火星产业"
    rows = [row("銅合金連鑄技術", maturity="工業化", industry="有色金屬", **{"转化方式": "轉讓、許可"})]
    headers = [h.translate(traditional) for h in NO_REF]  # 成果名稱, 所屬產業, 意向價格（萬元）…
    assert headers[:2] == ["成果名稱", "成果簡介"]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(headers, rows))
    assert (report.created, report.rejected) == (1, 0), report.errors
    a = Achievement.query.filter_by(title="銅合金連鑄技術").one()
    assert (a.maturity, a.industry, a.transfer_modes) == ("工业化", "有色金属", "转让、许可")
    assert not report.warnings  # every column recognised


def test_values_with_a_remark_or_a_word_around_them_are_the_vocabularys_and_reported(ctx):
    # 中试阶段（已完成）, 发明专利（已授权）, 新材料产业, 已产业化, 国家发明专利: before, each refused
    rows = [row("铜合金连续挤压技术", maturity="中试阶段（已完成）", industry="新材料产业",
                **{"知识产权类型": "发明专利（已授权）", "授权日期": "20210608"}),
            row("稀土永磁回收技术", maturity="已产业化", industry="电子信息产业", **{"知识产权类型": "国家发明专利"}),
            row("两个产业的成果", industry="新材料、新能源")]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, rows))
    assert (report.created, report.rejected) == (2, 1), report.errors
    assert "新材料、新能源" in report.errors[0]["message"]  # two values for one: still refused, not guessed
    a = Achievement.query.filter_by(title="铜合金连续挤压技术").one()
    assert (a.maturity, a.industry, a.ip_items[0].ip_type) == ("中试", "新材料", "发明专利")
    assert a.ip_items[0].granted_on.isoformat() == "2021-06-08"
    b = Achievement.query.filter_by(title="稀土永磁回收技术").one()
    assert (b.maturity, b.industry, b.ip_items[0].ip_type) == ("工业化", "电子信息", "发明专利")
    lines = report.mapping_lines()
    for said in ("成熟度：中试阶段（已完成） → 中试", "所属产业：新材料产业 → 新材料", "成熟度：已产业化 → 工业化",
                 "知识产权类型：国家发明专利 → 发明专利"):
        assert any(said in line for line in lines), said


@pytest.mark.parametrize("column, typed, stored, said", [
    ("所在城市", "南昌市红谷滩区", ("city", "南昌"), "所在城市：南昌市红谷滩区 → 南昌"),
    ("所在城市", "南康区", ("city", "赣州"), "所在城市：南康区 → 赣州"),
    ("所在城市", "共青城市", ("city", "九江"), "所在城市：共青城市 → 九江"),
    ("预算（万元）", "待定", ("budget_negotiable", True), "预算（万元）：待定 → 面议"),
    ("预算（万元）", "50万以内", ("budget", Decimal("500000.00")), "预算（万元）：50万以内 → 50"),
    ("预算（万元）", "不超过100万", ("budget", Decimal("1000000.00")), "预算（万元）：不超过100万 → 100"),
    ("截止日期", "长期有效", ("deadline", None), "截止日期：长期有效 → 不设截止日期（长期有效）"),
    ("截止日期", "2027年底", ("deadline", date(2027, 12, 31)), "截止日期：2027年底 → 2027-12-31"),
    ("截止日期", "2027年6月30日前", ("deadline", date(2027, 6, 30)), "截止日期：2027年6月30日前 → 2027年6月30日"),
])
def test_a_demand_sheets_everyday_wording_is_read_and_reported(ctx, column, typed, stored, said):
    record = {"需求名称": "铜杆表面氧化发黑", "需求描述": "连铸连轧出来的铜杆表面发黑，客户投诉，想改进冷却和保护。",
              "所属产业": "有色金属", "所在城市": "鹰潭", "需求企业": "鹰潭某铜业有限公司", "合作方式": "委托开发",
              "预算（万元）": "30", column: typed}
    report = import_file("demands", "d.jsonl", json.dumps(record, ensure_ascii=False).encode())
    assert report.created == 1, report.errors
    assert getattr(Demand.query.one(), stored[0]) == stored[1]
    assert any(said in line for line in report.mapping_lines()), report.mapping_lines()


@pytest.mark.parametrize("column, typed", [("预算（万元）", "50~100"), ("合作方式", "合作开发、委托开发"),
                                           ("所在城市", "广州"), ("截止日期", "明年")])
def test_what_cannot_be_read_without_guessing_stays_an_error(ctx, column, typed):
    record = {"需求名称": "铜杆表面氧化发黑", "需求描述": "连铸连轧出来的铜杆表面发黑，客户投诉，想改进冷却和保护。",
              "所属产业": "有色金属", "所在城市": "鹰潭", "需求企业": "鹰潭某铜业有限公司", "合作方式": "委托开发", column: typed}
    report = import_file("demands", "d.jsonl", json.dumps(record, ensure_ascii=False).encode())
    assert report.rejected == 1 and column in report.errors[0]["message"], report.errors


def test_every_industry_has_aliases_onto_the_vocabulary():
    from marketplace.core import vocab
    targets = set(vocab.ALIASES["industry"].values())
    assert targets == set(vocab.INDUSTRIES)
    assert vocab.ALIASES["industry"]["食品加工"] == "食品" and vocab.ALIASES["industry"]["医药"] == "生物医药"


@pytest.mark.parametrize("written, industry", [("LED产业", "电子信息"), ("钨", "有色金属"), ("锂电新能源", "新能源"),
                                               ("生物产业", "生物医药"), ("数字创意", "数字经济"), ("汽车零部件", "汽车"),
                                               ("光电", "电子信息"), ("装备", "装备制造")])
def test_jiangxis_chains_and_the_emerging_industries_names_are_industries(written, industry):
    # a sheet's 所属产业 names the province's chain (钨, LED, 锂电) or a strategic emerging industry: refused before
    from marketplace.imports.service import vocab_value
    assert vocab_value("industry", written) == industry


def test_without_ref_the_natural_key_updates_instead_of_duplicating(ctx):
    first = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("高强高导 铜合金技术", price="100"),
                                                                     row("脐橙黄龙病检测试剂盒")]))
    assert first.created == 2, first.errors
    # Same institution and title, spelled with other whitespace and full-width letters: an update.
    again = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("高强高导铜合金技术", price="200"),
                                                                     row("脐橙黄龙病检测试剂盒 ")]))
    assert (again.created, again.updated, again.rejected) == (0, 2, 0), again.errors
    assert Achievement.query.count() == 2
    assert str(Achievement.query.filter_by(title="高强高导铜合金技术").one().asking_price) == "2000000.00"
    # Another institution with the same title is another record.
    other = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("高强高导铜合金技术", institution="南昌大学")]))
    assert other.created == 1 and Achievement.query.count() == 3
    assert title_key("高强 高导Ｃｕ合金") == title_key("高强高导cu合金")


def test_with_ref_the_ref_wins_and_the_title_may_change(ctx):
    rows = [r[:] for r in ROWS]
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows))
    rows[0][1] = "完全不同的新名称的成果"
    again = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows))
    # the renamed row is updated; the other one holds the same values: reported as unchanged, not rewritten
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    # ... and the renamed record is then found by its new title when a file has no 编号.
    no_ref = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [r[1:] for r in rows[:1]]))
    assert (no_ref.created, no_ref.updated + no_ref.unchanged) == (0, 1), no_ref.errors
    assert Achievement.query.count() == 2


def test_natural_key_finds_records_created_in_the_site(ctx, f):
    inst = f.user("institution", name="江西理工大学")
    from marketplace.achievements.models import Achievement as A
    a = A(title="稀土永磁 回收技术", summary="稀土永磁废料的回收与再利用技术。", industry="有色金属", maturity="中试",
          owner_org=inst.org, owner_org_id=inst.org_id, source="local")
    db.session.add(a)
    db.session.commit()
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("稀土永磁回收技术")]))
    assert (report.created, report.updated) == (0, 1), report.errors
    assert A.query.count() == 1


def test_demands_and_services_have_natural_keys_too(ctx):
    d = {"需求名称": "铜线拉丝断线攻关", "需求描述": "拉丝速度一提上去就断线，换了几家的铜杆都不行。", "所属产业": "有色金属",
         "所在城市": "鹰潭", "需求企业": "鹰潭市华鑫铜业有限公司", "合作方式": "合作开发"}
    for _ in range(2):
        import_file("demands", "d.json", json.dumps([d], ensure_ascii=False).encode())
    assert Demand.query.count() == 1
    s = {"资源名称": "铜基新材料中试平台", "资源类型": "中试平台", "运营机构": "江西省铜基新材料研究院",
         "服务内容": "提供熔铸、连续挤压、拉拔等中试线。", "所在城市": "鹰潭", "服务产业": "有色，新材料"}
    first = import_file("services", "s.json", json.dumps([s], ensure_ascii=False).encode())
    assert first.created == 1, first.errors
    assert ServiceResource.query.one().industries == "有色金属、新材料"
    again = import_file("services", "s.json", json.dumps([s], ensure_ascii=False).encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    s["服务内容"] += "另可提供检测。"
    changed = import_file("services", "s.json", json.dumps([s], ensure_ascii=False).encode())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)


def test_two_rows_with_the_same_natural_key_in_one_file_are_refused(ctx):
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("同名成果技术"), row("同名 成果技术")]))
    assert (report.created, report.rejected) == (1, 1)
    assert "第2行" in report.errors[0]["message"]


def test_the_first_column_marker_skips_a_sample_row(ctx):
    rows = [["示例"] + ROWS[0][1:], ROWS[1]]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows))
    assert (report.created, report.skipped, report.rejected) == (1, 1, 0)
    assert "跳过示例行1" in report.summary()


def test_error_file_has_the_original_rows_and_a_reason_and_reimports(ctx, tmp_path):
    good, bad = row("合格的成果技术"), row("产业不对的成果", industry="火星产业")
    out = tmp_path / "errors.xlsx"
    report = import_rows("achievements", NO_REF, [(2, good), (3, bad)], errors_out=str(out))
    assert (report.created, report.rejected, report.errors_file) == (1, 1, True)
    ws = load_workbook(out).active
    table = [[c.value for c in r] for r in ws.iter_rows()]
    assert table[0] == NO_REF + ["错误原因", "原行号"]
    assert len(table) == 2 and table[1][:len(bad)] == [v or None for v in bad]
    assert "所属产业" in table[1][-2] and table[1][-1] == 3
    # Corrected in place and uploaded again: imports, and the added columns raise no warning.
    wb = load_workbook(out)
    wb.active.cell(2, NO_REF.index("所属产业") + 1).value = "新材料"
    buf = io.BytesIO()
    wb.save(buf)
    again = import_file("achievements", "errors.xlsx", buf.getvalue())
    assert (again.created, again.rejected, again.warnings) == (1, 0, [])


def test_error_file_of_a_jsonl_import_uses_the_template_columns(ctx, tmp_path):
    lines = [json.dumps({"title": "缺少产业的成果", "summary": "这一行没有所属产业，应被拒绝。", "maturity": "中试",
                         "institution": "南昌大学"}, ensure_ascii=False), "{broken"]
    out = tmp_path / "e.xlsx"
    with stream_file("a.jsonl", "\n".join(lines).encode()) as stream:
        report = import_rows("achievements", stream.headers, stream.rows, errors_out=str(out))
    assert report.rejected == 2
    table = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
    assert table[0][:3] == ["编号", "成果名称", "成果简介"] and table[1][1] == "缺少产业的成果"
    assert "不是有效的记录" in table[2][-2]


def test_cli_writes_the_error_file_and_shows_mappings(app, ctx, tmp_path):
    path = tmp_path / "成果.xlsx"
    path.write_bytes(xlsx_bytes(NO_REF, [row("合格的成果技术", maturity="工业化应用"), row("坏的成果", industry="火星")]))
    out = tmp_path / "err.xlsx"
    res = app.test_cli_runner().invoke(args=["import", "achievements", str(path), "--errors-out", str(out)])
    assert res.exit_code == 0, res.output
    assert "第 2 行 成熟度：工业化应用 → 工业化" in res.output and "第3行" in res.output
    assert out.exists() and load_workbook(out).active.max_row == 2
    assert "每秒" in res.output  # the progress line (stderr is mixed in by the runner)


def test_web_preview_and_job_page_link_the_error_file(client, f):
    user = f.user("institution", name="江西理工大学")
    login(client, user)
    raw = xlsx_bytes(NO_REF, [row("合格的成果技术", maturity="工业化应用"), row("坏的成果", industry="火星产业")])
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(raw), "成果.xlsx")},
                     content_type="multipart/form-data")
    job_url = up.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="errors-file"' in page and "成熟度：工业化应用 → 工业化" in page and "所属产业" in page
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    file = client.get(f"/imports/job/{job_id}/errors.xlsx")
    assert file.status_code == 200 and "attachment" in file.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(file.data)).active
    assert ws.cell(2, 1).value == "坏的成果" and "火星产业" in ws.cell(2, len(NO_REF) + 1).value
    client.post(f"/imports/job/{job_id}/run")
    done = db.session.get(ImportJob, job_id)
    db.session.refresh(done)
    assert (done.status, done.created, done.rejected) == ("done", 1, 1)
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="errors-file"' in page and "工业化应用 → 工业化" in page
    assert client.get(f"/imports/job/{job_id}/errors.xlsx").status_code == 200
    # Nobody else gets it.
    login(client, f.user("institution"))
    assert client.get(f"/imports/job/{job_id}/errors.xlsx").status_code == 404


def test_a_row_the_database_refuses_costs_only_itself(ctx, monkeypatch):
    from sqlalchemy.exc import IntegrityError
    real = service.Importer.write

    def refuse_one(self, creates, updates):
        ids = real(self, creates, updates)
        if any(p.data["title"] == "数据库拒绝的成果" for p, _ in creates):
            raise IntegrityError("INSERT", {}, Exception("refused"))
        return ids
    monkeypatch.setattr(service.Importer, "write", refuse_one)
    rows = [row(f"正常的成果技术{i}") for i in range(5)] + [row("数据库拒绝的成果")] + [row("最后一个正常的成果")]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, rows))
    assert (report.created, report.rejected) == (6, 1)
    assert report.errors[0]["row"] == 7 and "数据库拒绝" in report.errors[0]["message"]
    assert Achievement.query.count() == 6
    assert not Achievement.query.filter_by(title="数据库拒绝的成果").count()


def test_bulk_writes_leave_outbox_match_queue_audit_and_ip_items(ctx, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 3)
    rows = [r[:] for r in ROWS] + [[f"A-{i}", f"批量成果技术{i}", "一段足够长的成果简介文字。", "", "新材料", "南昌大学",
                                   "发明专利", f"ZL20201{i}；ZL20202{i}", "", "", "", "中试", "", "", ""]
                                  for i in range(10, 17)]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert report.created == 9, report.errors
    ids = set(report.ids)
    outbox = set(db.session.scalars(select(SearchOutbox.entity_id).where(SearchOutbox.entity_type == "achievement")))
    assert ids <= outbox
    audits = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "create"))
    assert audits == 9
    a = Achievement.query.filter_by(ref="A-12").one()
    assert sorted(ip.number for ip in a.ip_items) == ["ZL2020112", "ZL2020212"] and a.status == "published"
    try:
        from marketplace.matching.models import MatchRefresh
    except ImportError:  # pragma: no cover
        return
    queued = set(db.session.scalars(select(MatchRefresh.entity_id).where(MatchRefresh.entity_type == "achievement")))
    assert ids <= queued
    # Re-import with every summary changed: updates replace the IP items, never add to them.
    for r in rows:
        r[2] += "（修订）"
    again = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert (again.updated, again.unchanged) == (9, 0)
    db.session.expire_all()
    assert len(Achievement.query.filter_by(ref="A-12").one().ip_items) == 2


def test_bulk_index_path_makes_imported_records_searchable_once(ctx, monkeypatch):
    import search.whoosh_backend as wb
    from marketplace.searching import sync
    monkeypatch.setattr(wb, "BULK_FROM", 2)
    rows = [[f"S-{i}", f"稀土永磁回收技术{i}", "稀土永磁废料的高效回收与再利用技术。", "", "新材料", "南昌大学", "", "", "", "",
             "", "中试", "", "", ""] for i in range(6)]
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert sync.apply_pending(limit=2, bulk_limit=10) >= 6
    be = sync.backend()
    be.refresh()
    assert len({i for i in be.all_ids() if i.startswith("achievement:")}) == 6
    rows[0][1] = "锂云母提锂技术"
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    sync.apply_pending(limit=2, bulk_limit=10)
    be.refresh()
    assert len(be.all_ids()) == 6 and sync.check()["stale"] == []


def test_web_reimport_cannot_change_a_published_record(client, f):
    user = f.user("institution", name="江西理工大学")
    import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("已发布的成果技术")]), publish=True,
                source=f"org:{user.org_id}")
    login(client, user)
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(xlsx_bytes(NO_REF, [row("已发布的成果技术")])),
                                                             "a.xlsx")}, content_type="multipart/form-data")
    page = client.get(up.headers["Location"]).get_data(as_text=True)
    assert "撤回后才能修改" in page


def test_streamed_files_and_row_limits():
    lines = "\n".join(json.dumps({"title": f"t{i}"}) for i in range(5)).encode()
    with stream_file("a.jsonl", lines) as stream:
        assert stream.headers is None and stream.estimate == 5
        assert [n for n, _ in stream.rows] == [1, 2, 3, 4, 5]
    from marketplace.imports.readers import ImportFileError
    with stream_file("a.jsonl", lines, max_rows=3) as stream, pytest.raises(ImportFileError):
        list(stream.rows)
    raw = xlsx_bytes(ZH, ROWS)
    with stream_file("a.xlsx", raw) as stream:
        assert stream.headers[:2] == ["编号", "成果名称"] and [n for n, _ in stream.rows] == [2, 3]


def test_progress_line_shows_rate_and_time_left():
    out = io.StringIO()
    bar = Progress("导入", 1000, stream=out, every=0)
    bar.started -= 10
    bar.update(250)
    line = out.getvalue()
    assert "250/1000" in line and "25%" in line and "每秒 25 行" in line and "约剩 30秒" in line


def test_a_deleted_draft_takes_its_natural_key_with_it(ctx, f):
    from marketplace.core import listings
    from marketplace.imports.models import ImportKey
    inst = f.user("institution", name="江西理工大学")
    import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF, [row("将被删除的草稿成果")]))
    a = Achievement.query.one()
    assert ImportKey.query.filter_by(entity_id=a.id).count() == 1
    listings.delete(inst, listings.LIBRARIES["achievements"], a)
    db.session.commit()
    assert ImportKey.query.filter_by(entity_id=a.id).count() == 0


def test_a_joint_achievement_belongs_to_its_first_unit_and_keeps_the_others_in_its_team(ctx):
    # 完成单位 "南昌大学、江西省农业科学院": before, one organisation was created under that whole name
    rows = [row("脐橙保鲜涂膜技术", institution="南昌大学、江西省农业科学院；赣南师范大学") + ["陈教授团队"],
            row("稀土永磁回收技术", institution="江西理工大学") + [""]]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(NO_REF + ["研发团队"], rows))
    assert (report.created, report.rejected) == (2, 0), report.errors
    a = Achievement.query.filter_by(title="脐橙保鲜涂膜技术").one()
    assert a.owner_org.name == "南昌大学"
    assert a.team == "陈教授团队；合作完成单位：江西省农业科学院、赣南师范大学"
    assert "完成单位：南昌大学、江西省农业科学院；赣南师范大学 → 南昌大学（其余单位写入研发团队）" in "\n".join(report.mapping_lines())
    assert Achievement.query.filter_by(title="稀土永磁回收技术").one().team is None
