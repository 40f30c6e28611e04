"""Statistics pages: the dashboards in each administrator's scope (tables equal to the API, Excel of each
table, the monthly report), the home page's figures, and the institution ranking from the site's records with
its freeze / publish workflow (audited)."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.stats import ranking
from marketplace.stats.models import ContractFact, StatTarget

from .conftest import login
from .test_browser import sign_in

YEAR = 2025


def fact(no, city, amount, *, kind="技术开发", year=YEAR, month=3, received="0", buyer_region=None,
         seller_org_id=None, industry="新材料", seller_type="企业"):
    fen = int(Decimal(amount) * 100)
    day = date(year, month, 15)
    return {"registration_no": no, "title": f"合同{no}", "kind": kind, "seller": f"卖方{no}", "seller_type": seller_type,
            "seller_region": city or "广东", "seller_org_id": seller_org_id, "buyer": f"买方{no}",
            "buyer_region": buyer_region or city or "南昌", "city": city, "amount_fen": fen, "tech_amount_fen": fen,
            "received_fen": int(Decimal(received) * 100), "signed_on": day, "registered_on": day, "year": year,
            "month": month, "field": "新材料及其应用", "industry": industry, "source": "historical",
            "contract_id": None, "batch": "test"}


@pytest.fixture()
def facts(ctx):
    rows = [
        fact("N1", "南昌", "123456.78", month=1, received="100000.00"),
        fact("N2", "南昌", "1000.01", kind="技术服务", month=5, buyer_region="广东"),
        fact("Y1", "鹰潭", "987654.32", kind="技术转让", month=6, received="987654.32", industry="有色金属"),
        fact("Y2", "鹰潭", "55.55", kind="技术咨询", month=6),
        fact("G0", "赣州", "4242.42", year=YEAR - 1, month=7),
        # a Jiangxi-wide formula-looking label in an Excel cell stays text
        fact("Z1", "南昌", "10.00", month=2, industry="=HYPERLINK(\"http://x\",\"y\")"),
    ]
    db.session.execute(insert(ContractFact), rows)
    db.session.add(StatTarget(year=YEAR, scope="province", value=Decimal("100000000000"), source="001 测试目标"))
    db.session.add(StatTarget(year=YEAR, scope="鹰潭", value=Decimal("9200000000"), source="002 测试目标"))
    db.session.commit()


def admin(f, level, city=None, parent=None):
    kw = {"admin_level": level, "city": city}
    if parent is not None:
        kw["parent_id"] = parent.id
    return f.user("admin", **kw)


def table_values(html: str, table_id: str) -> dict:
    """{row key: {column: data-value}} of one statistics table in a page."""
    import re
    from html import unescape
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    out = {}
    for key, row in re.findall(r'<tr[^>]*? data-key="([^"]*)"[^>]*>(.*?)</tr>', body, re.S):
        out[unescape(key)] = dict(re.findall(r'<td data-col="([^"]+)" data-value="([^"]*)"', row))
    return out


# Access -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/stats/", "/stats/report", "/stats/export.xlsx"])
def test_only_administrators_see_the_dashboards(client, f, path):
    assert client.get(path).status_code in (302, 401)  # visitors: to the login page
    for role in ("institution", "company", "broker"):
        c = client.application.test_client()
        login(c, f.user(role))
        assert c.get(path).status_code == 403


def test_province_dashboard_tables_equal_the_api(client, f, facts):
    login(client, admin(f, "province"))
    html = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    for by in ("kind", "city", "industry", "seller_type", "flow"):
        api = client.get(f"/api/v1/stats/contracts?year={YEAR}&by={by}").get_json()
        shown = table_values(html, f"t-{by}")
        assert {r["key"]: (str(r["count"]), r["amount"], r["received"]) for r in api["rows"]} == \
            {k: (v["count"], v["amount"], v["received"]) for k, v in shown.items() if k != "_total"}, by
    months = table_values(html, "t-month")
    assert months["1"]["amount"] == "123456.78" and months["6"]["amount"] == "987709.87"
    assert months["_total"]["amount"] == "1112176.66"  # to the fen
    assert months["3"]["pace"] == "25000000000.00"  # 1,000亿 × 3/12
    assert months["7"]["previous"] == "4242.42"
    assert 'data-chart="map"' in html and "vendor/maps/jiangxi.json" in html
    assert "vendor/echarts/echarts.min.js" in html and "js/charts.js" in html
    assert 'id="tile-share"' in html and "目标完成率" in html


def test_filters_go_to_the_service(client, f, facts):
    login(client, admin(f, "province"))
    html = client.get(f"/stats/?year={YEAR}&city=鹰潭&period=q2&kind=技术转让").get_data(as_text=True)
    kinds = table_values(html, "t-kind")
    assert kinds["技术转让"]["amount"] == "987654.32" and kinds["技术咨询"]["amount"] == "0.00"
    assert set(table_values(html, "t-city")) == {"鹰潭", "_total"}
    api = client.get(f"/api/v1/stats/contracts?year={YEAR}&by=kind&city=鹰潭&period=4-6&kind=技术转让").get_json()
    assert api["total"]["amount"] == table_values(html, "t-kind")["_total"]["amount"]
    assert client.get(f"/stats/?year={YEAR}&period=q9").status_code == 400
    assert client.get("/stats/?year=abc").status_code == 400


def test_city_admin_never_sees_another_city(client, f, facts):
    login(client, admin(f, "city", city="鹰潭"))
    # Asking for another city changes nothing: the city centre always sees its own.
    for path in (f"/stats/?year={YEAR}", f"/stats/?year={YEAR}&city=南昌", f"/stats/report?year={YEAR}&month=6"):
        html = client.get(path).get_data(as_text=True)
        for other in ("123456.78", "1000.01", "4242.42"):  # 南昌's contracts, 赣州's last year
            assert other not in html, (path, other)
        assert set(table_values(html, "t-city")) <= {"鹰潭", "_total"}
    html = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert set(table_values(html, "t-city")) == {"鹰潭", "_total"}
    assert set(table_values(html, "t-targets")) == {"鹰潭"}
    assert 'id="f-city"' not in html  # no city filter for a city centre
    wb = load_workbook(BytesIO(client.get(f"/stats/export.xlsx?year={YEAR}&table=all").data))
    cells = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert "南昌" not in cells and not any("12.345678" in c for c in cells)


def test_institution_centre_sees_its_institution_only(client, f, facts):
    inst = f.org("institution", name="测试大学", city="南昌")
    db.session.execute(insert(ContractFact), [fact("I1", "南昌", "5000.00", seller_org_id=inst.id, seller_type="高校")])
    db.session.commit()
    login(client, admin(f, "institution", parent=inst))
    html = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    assert table_values(html, "t-month")["_total"]["amount"] == "5000.00"
    assert "t-targets" not in html  # city targets are for the province and city centres


def test_excel_export_of_each_table(client, f, facts):
    login(client, admin(f, "province"))
    r = client.get(f"/stats/export.xlsx?year={YEAR}&table=industry")
    assert r.status_code == 200 and "spreadsheetml" in r.content_type
    ws = load_workbook(BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:3] == ("分组", "项数", "合同成交额（万元）")
    by_label = {row[0]: row for row in rows[2:]}
    assert by_label["有色金属"][2] == pytest.approx(98.765432)
    formula = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert formula.data_type == "s" and formula.quotePrefix  # stays text
    wb = load_workbook(BytesIO(client.get(f"/stats/export.xlsx?year={YEAR}&table=all").data))
    assert len(wb.sheetnames) == 8
    assert client.get(f"/stats/export.xlsx?year={YEAR}&table=nonsense").status_code == 400


def test_monthly_report(client, f, facts):
    login(client, admin(f, "province"))
    html = client.get(f"/stats/report?year={YEAR}&month=6").get_data(as_text=True)
    assert "2025年6月" in html and 'id="report-summary"' in html
    assert "98.77" in html  # June: 987,709.87 yuan = 98.77万元
    assert "1–6月累计" in html
    assert client.get(f"/stats/report?year={YEAR}&month=13").status_code == 400


def test_home_page_shows_live_figures(client, f, facts):
    year = date.today().year
    db.session.execute(insert(ContractFact), [fact("T1", "南昌", "250000000.00", year=year, month=1)])
    db.session.commit()
    f.record("achievements", f.user("institution"), status="published")
    html = client.get("/").get_data(as_text=True)
    assert 'id="home-figures"' in html
    assert f"{year}年技术合同成交额" in html and "2.50" in html


# The ranking ------------------------------------------------------------------------------------------------

def _bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def _registered(client, f, seller, buyer, registrar, **over):
    from tests.test_contracts import new_contract
    c = new_contract(client, f, seller, buyer, **over)
    assert client.post(f"/api/v1/contracts/{c['id']}/submit", headers=_bearer(f, seller)).status_code == 200
    r = client.post(f"/api/v1/contracts/{c['id']}/register", json={}, headers=_bearer(f, registrar))
    assert r.status_code == 200, r.get_json()
    return c


@pytest.fixture()
def institutions(client, f):
    """甲大学 (南昌): a 50万 licence, fully paid, split 80% to the team; 乙学院 (鹰潭): a 5万 技术开发 contract,
    nothing paid; 丙研究院: nothing. Known order: 甲, 乙, 丙."""
    today = date.today()
    a = f.user("institution", name="甲大学", city="南昌")
    b = f.user("institution", name="乙学院", city="鹰潭")
    f.user("institution", name="丙研究院", city="赣州")
    buyer = f.user("company", city="南昌", scale="小型")  # a 中小企业
    prov = admin(f, "province")
    ca = _registered(client, f, a, buyer, prov, terms={"kind": "lump_sum", "amount": "500000", "due_days": 15},
                     signed_on=today.isoformat())
    r = client.post(f"/api/v1/contracts/{ca['id']}/payments", headers=_bearer(f, a),
                    json={"amount": "500000", "received_on": today.isoformat()})
    assert r.status_code == 201, r.get_json()
    r = client.put(f"/api/v1/contracts/{ca['id']}/income-split", headers=_bearer(f, a),
                   json={"net_income": "400000", "team_percent": "80", "institution_percent": "20",
                         "inventors": [{"name": "张明", "percent": "100"}]})
    assert r.status_code == 200, r.get_json()
    _registered(client, f, b, buyer, prov, kind="技术开发", transfer_form=None, amount="50000", city="鹰潭",
                signed_on=today.isoformat())
    return a, b, prov


def test_ranking_from_the_sites_records(ctx, institutions):
    a, b, _ = institutions
    rows = ranking.live(date.today().year)
    assert [r["name"] for r in rows] == ["甲大学", "乙学院", "丙研究院"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    first = rows[0]["figures"]
    assert first["by_mode"]["许可"] == {"count": 1, "amount": "500000.00"}
    assert first["cash_ratio"] == "1" and first["team_percent"] == "80.00" and first["jiangxi_share"] == "1"
    assert first["sme_share"] == "1" and rows[0]["scores"]["sme_share"] == "100.00"  # the buyer's scale counts
    assert rows[1]["figures"]["by_mode"]["技术开发"]["count"] == 1
    assert rows[1]["scores"]["cash_ratio"] == "0.00" and rows[1]["scores"]["team_ratio"] is None


def test_each_institution_sees_its_own_components_and_rank(client, f, institutions):
    a, b, prov = institutions
    year = date.today().year
    login(client, b)
    html = client.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert "乙学院" in html and "甲大学" not in html and "丙研究院" not in html  # not published: own row only
    assert 'id="ranking-table"' not in html and 'id="detail-table"' in html
    assert 'id="btn-freeze"' not in html
    wb = load_workbook(BytesIO(client.get(f"/stats/ranking.xlsx?year={year}").data))
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row}
    assert "乙学院" in cells and "甲大学" not in cells
    # A city centre sees its city's institutions; a company nothing before publication.
    c2 = client.application.test_client()
    login(c2, admin(f, "city", city="鹰潭"))
    html = c2.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert "乙学院" in html and "甲大学" not in html
    c3 = client.application.test_client()
    login(c3, f.user("company"))
    html = c3.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert "尚未发布" in html and "乙学院" not in html
    # The formula and weights are published to everyone.
    assert "计算方法与权重" in html and "25.00%" in html


def test_freeze_and_publish_are_the_provincial_centres_and_audited(client, f, institutions):
    a, b, prov = institutions
    year = date.today().year
    city = admin(f, "city", city="鹰潭")
    login(client, city)
    client.post(f"/stats/ranking/{year}/freeze")
    assert ranking.snapshot(year) is None  # refused
    client.post("/logout")
    login(client, prov)
    html = client.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert 'id="ranking-table"' in html and 'id="btn-freeze"' in html  # the province sees the live ranking
    r = client.post(f"/stats/ranking/{year}/freeze", follow_redirects=True)
    assert "已冻结" in r.get_data(as_text=True)
    snap = ranking.snapshot(year)
    assert snap.status == "frozen" and [row["name"] for row in snap.rows] == ["甲大学", "乙学院", "丙研究院"]
    # A contract registered after the freeze does not change the frozen ranking.
    c = f.user("institution", name="丁大学", city="南昌")
    _registered(client, f, c, f.user("company", city="南昌"), prov, amount="9000000", signed_on=date.today().isoformat())
    db.session.expire_all()
    assert len(ranking.snapshot(year).rows) == 3
    r = client.post(f"/stats/ranking/{year}/publish", data={"note": "经省级中心审定"}, follow_redirects=True)
    assert "已发布" in r.get_data(as_text=True)
    db.session.expire_all()
    snap = ranking.snapshot(year)
    assert snap.status == "published" and snap.published_by_id == prov.id
    trail = [(e.action, e.from_state, e.to_state, e.actor_id) for e in
             AuditLog.query.filter_by(entity_type="index_ranking", entity_id=snap.id).order_by(AuditLog.id)]
    assert trail == [("freeze", None, "frozen", prov.id), ("publish", "frozen", "published", prov.id)]
    assert AuditLog.query.filter_by(entity_type="index_ranking", action="publish").one().reason == "经省级中心审定"
    # Published: final (no refreeze), and public: a visitor sees the list, not the components.
    r = client.post(f"/stats/ranking/{year}/freeze", follow_redirects=True)
    assert "已发布，不能重新冻结" in r.get_data(as_text=True)
    visitor = client.application.test_client()
    html = visitor.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert 'id="ranking-table"' in html and "甲大学" in html and "丁大学" not in html
    assert 'id="detail-table"' not in html
    # The institution still sees its own components, now beside the published list.
    login(visitor, b)
    html = visitor.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert 'id="ranking-table"' in html and 'id="detail-table"' in html
    assert html.count('data-org="%d"' % a.org_id) == 1  # 甲 in the list only, not in the detail


def test_ranking_weights_are_configuration(client, f, institutions, monkeypatch, tmp_path):
    year = date.today().year
    path = tmp_path / "weights.json"
    path.write_text('{"service_amount": 1}', encoding="utf-8")
    monkeypatch.setitem(client.application.config, "STATS_INDEX_WEIGHTS", str(path))
    assert [r["name"] for r in ranking.live(year)][0] == "乙学院"
    monkeypatch.setitem(client.application.config, "STATS_INDEX_WEIGHTS", {"cash_ratio": 2, "transfer_amount": 2})
    assert ranking.weights()["cash_ratio"] == "2"
    html = client.get(f"/stats/ranking?year={year}").get_data(as_text=True)
    assert "50.00%" in html


def test_ranking_year_is_checked(client):
    assert client.get("/stats/ranking?year=1800").status_code == 400
    assert client.get("/stats/ranking?year=x").status_code == 400


# In a browser -------------------------------------------------------------------------------------------------

@pytest.mark.browser
def test_dashboard_charts_render_and_tables_match_the_api(live, browser, f, facts, client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    prov = admin(f, "province")
    sign_in(browser, live, prov)
    browser.get(f"{live}/stats/?year={YEAR}&period=h1")
    # ECharts draws into a canvas once charts.js has read the table.
    WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '.chart[data-chart="cumulative"][data-rendered="1"] canvas'))
    WebDriverWait(browser, 20).until(  # the map waits for its GeoJSON
        lambda d: d.find_elements(By.CSS_SELECTOR, '.chart[data-chart="map"][data-rendered="1"] canvas'))
    canvas = browser.find_element(By.CSS_SELECTOR, '.chart[data-chart="cumulative"] canvas')
    assert canvas.size["width"] > 200 and canvas.size["height"] > 200
    rendered = browser.execute_script("return document.querySelectorAll('.chart[data-rendered=\"1\"]').length")
    assert rendered == len(browser.find_elements(By.CSS_SELECTOR, ".chart[data-chart]"))
    # The table beside the kind chart equals the API for the same filters (first half of the year).
    api = client.get(f"/api/v1/stats/contracts?year={YEAR}&by=kind&period=1-6", headers=_bearer(f, prov)).get_json()
    shown = {}
    for tr in browser.find_elements(By.CSS_SELECTOR, "#t-kind tbody tr[data-key]"):
        cells = {td.get_attribute("data-col"): td.get_attribute("data-value")
                 for td in tr.find_elements(By.CSS_SELECTOR, "td[data-col]")}
        shown[tr.get_attribute("data-key")] = (int(cells["count"]), cells["amount"], cells["tech_amount"],
                                               cells["received"])
    assert shown == {r["key"]: (r["count"], r["amount"], r["tech_amount"], r["received"]) for r in api["rows"]}
    total = browser.find_element(By.CSS_SELECTOR, '#t-kind tfoot td[data-col="amount"]').get_attribute("data-value")
    assert total == api["total"]["amount"] == "1112176.66"
    # What the reader sees is the same figure in 万元.
    text = browser.find_element(By.CSS_SELECTOR, '#t-kind tr[data-key="技术转让"] td[data-col="amount"]').text
    assert text == "98.77"


# The targets page (/stats/targets) ------------------------------------------------------------------------------

def _post_forms_carry_csrf(html: str) -> bool:
    import re
    forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
    return bool(forms) and all('<input type="hidden" name="csrf_token" value="' in body for body in forms)


def test_targets_page_lists_the_scope_and_adds_a_target(client, f, facts):
    prov = admin(f, "province")
    login(client, prov)
    assert 'href="/stats/targets?year=2025"' in client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    html = client.get("/stats/targets").get_data(as_text=True)
    assert 'id="targets-2025"' in html and "001 测试目标" in html and "002 测试目标" in html
    assert "1,000" in html and "100,000,000,000.00" in html  # 亿元 and 元
    assert "92" in html and "9,200,000,000.00" in html
    assert "现行" in html and _post_forms_carry_csrf(html)
    r = client.post("/stats/targets", data={"year": "2026", "scope": "province", "value": "1800.5", "unit": "亿元",
                                            "source": "《2026年工作要点》主要目标", "is_current": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/stats/targets?year=2026")
    t = StatTarget.query.filter_by(year=2026).one()
    assert t.value == Decimal("180050000000.00") and t.is_current and t.created_by_id == prov.id
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已添加 2026 年全省的目标：1,800.5 亿元" in html and "180,050,000,000.00" in html
    entry = AuditLog.query.filter_by(entity_type="stat_target", entity_id=t.id).one()
    assert entry.action == "create" and entry.actor_id == prov.id
    # A county under its city, the value in 万元.
    r = client.post("/stats/targets", data={"year": "2025", "scope": "赣州", "county": "瑞金", "value": "80000",
                                            "unit": "万元", "source": "瑞金市规划", "indicator": "技术合同成交额"})
    assert r.status_code == 302
    assert StatTarget.query.filter_by(scope="赣州/瑞金").one().value == Decimal("800000000.00")


def test_targets_form_errors_stand_by_their_fields_and_keep_the_typed_values(client, f, facts):
    login(client, admin(f, "province"))
    before = StatTarget.query.count()
    r = client.post("/stats/targets", data={"year": "2026", "scope": "province", "value": "一千", "unit": "亿元",
                                            "source": "我输入的来源文件", "note": "我的备注"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    value_field = html.split('for="tn-value"', 1)[1].split('<div class="field', 1)[0]
    assert 'class="error"' in value_field and "不是有效" in value_field
    assert 'value="一千"' in html and ">我输入的来源文件</textarea>" in html and ">我的备注</textarea>" in html
    assert 'name="year" min="2000" max="2100" value="2026"' in html
    assert '<option value="province" selected>' in html
    r = client.post("/stats/targets", data={"year": "2026", "scope": "", "value": "10", "unit": "亿元", "source": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "不能为空" in html.split('for="tn-scope"', 1)[1].split('<div class="field', 1)[0]
    assert "不能为空" in html.split('for="tn-source"', 1)[1].split('<div class="field', 1)[0]
    r = client.post("/stats/targets", data={"year": "2026", "scope": "province", "value": "0.0000001",
                                            "unit": "万元", "source": "不到一分"})  # 0.001 元
    assert r.status_code == 422 and "两位小数" in r.get_data(as_text=True)
    assert StatTarget.query.count() == before


def test_a_city_centre_keeps_its_city_and_counties_only(client, f, facts):
    yt = admin(f, "city", city="鹰潭")
    login(client, yt)
    html = client.get("/stats/targets").get_data(as_text=True)
    assert "002 测试目标" in html and "001 测试目标" not in html  # not the province's
    assert '<option value="province"' not in html and '<option value="南昌"' not in html
    r = client.post("/stats/targets", data={"year": "2025", "scope": "鹰潭", "county": "贵溪", "value": "10",
                                            "unit": "亿元", "source": "贵溪市科技工作要点", "is_current": "1"})
    assert r.status_code == 302
    assert StatTarget.query.filter_by(scope="鹰潭/贵溪").one().value == Decimal("1000000000.00")
    before = StatTarget.query.count()
    r = client.post("/stats/targets", data={"year": "2025", "scope": "南昌", "value": "10", "unit": "亿元",
                                            "source": "越权"})
    assert r.status_code == 403 and 'value="10"' in r.get_data(as_text=True)
    assert "维护目标" in r.get_data(as_text=True).split('for="tn-scope"', 1)[1].split('<div class="field', 1)[0]
    province = StatTarget.query.filter_by(scope="province").one()
    assert client.get(f"/stats/targets/{province.id}").status_code == 403
    assert client.post(f"/stats/targets/{province.id}", data={"value": "1", "unit": "元", "source": "越权"}
                       ).status_code == 403
    assert client.post(f"/stats/targets/{province.id}/delete").status_code == 302  # refused: flashed, kept
    db.session.expire_all()
    assert StatTarget.query.count() == before and db.session.get(StatTarget, province.id).value == Decimal(
        "100000000000")


@pytest.mark.parametrize("who", ["company", "institution", "broker", "institution_centre"])
def test_only_province_and_city_centres_open_the_targets_page(client, f, who):
    if who == "institution_centre":
        user = admin(f, "institution", parent=f.org("institution", name="某大学"))
    else:
        user = f.user(who)
    login(client, user)
    assert client.get("/stats/targets").status_code == 403
    assert client.post("/stats/targets", data={"year": "2025", "scope": "province", "value": "1",
                                               "source": "越权的目标"}).status_code == 403
    assert StatTarget.query.count() == 0


def test_edit_mark_current_and_the_audit_trail_on_the_detail_page(client, f, facts):
    prov = admin(f, "province")
    login(client, prov)
    first = StatTarget.query.filter_by(scope="province").one()
    client.post("/stats/targets", data={"year": "2025", "scope": "province", "value": "1200", "unit": "亿元",
                                        "source": "另一文件"})  # not current: the box left unticked
    second = StatTarget.query.filter_by(source="另一文件").one()
    assert not second.is_current and first.is_current
    html = client.get(f"/stats/targets/{second.id}").get_data(as_text=True)
    assert 'name="value" value="1200"' in html and ">另一文件</textarea>" in html and _post_forms_carry_csrf(html)
    r = client.post(f"/stats/targets/{second.id}", data={"value": "1250", "unit": "亿元", "source": "另一文件（修订）",
                                                         "is_current": "1"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已保存" in html and "1,250 亿元" in html
    db.session.expire_all()
    assert db.session.get(StatTarget, second.id).is_current and not db.session.get(StatTarget, first.id).is_current
    assert service_target(prov)["value"] == "125000000000.00"
    # The trail: created, then edited (what changed, in words), on the detail page via trail_table.
    assert "状态变更记录" in html
    trail = html.split("状态变更记录", 1)[1]
    assert "创建" in trail and "修改" in trail
    assert "目标值 120,000,000,000.00元 → 125,000,000,000.00元" in trail and "设为现行目标" in trail
    assert "非现行版本 → 现行目标" in trail
    # The replaced version has its own entry: who retired it, and by which version.
    html = client.get(f"/stats/targets/{first.id}").get_data(as_text=True)
    assert f"由目标 #{second.id}" in html and "现行目标 → 非现行版本" in html
    # A bad edit: the error by its field, what was typed kept, nothing changed.
    r = client.post(f"/stats/targets/{second.id}", data={"value": "-3", "unit": "亿元", "source": "改坏了"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="-3"' in html and ">改坏了</textarea>" in html
    assert 'class="error"' in html.split('for="te-value"', 1)[1].split('<div class="field', 1)[0]
    db.session.expire_all()
    assert db.session.get(StatTarget, second.id).source == "另一文件（修订）"


def service_target(user):
    from marketplace.stats import service
    return service.contract_stats(user, YEAR, "month")["target"]


def test_delete_asks_for_confirmation_and_is_audited(client, f, facts):
    prov = admin(f, "province")
    login(client, prov)
    t = StatTarget.query.filter_by(scope="鹰潭").one()
    html = client.get(f"/stats/targets/{t.id}").get_data(as_text=True)
    form = html.split('id="target-delete"', 1)[1].split("</form>", 1)[0]
    assert 'data-confirm="确定删除 2025 年鹰潭的目标 92 亿元' in html.split('id="target-delete"', 1)[1][:200]
    assert '<input type="hidden" name="csrf_token" value="' in form
    r = client.post(f"/stats/targets/{t.id}/delete")
    assert r.status_code == 302 and r.headers["Location"].endswith("/stats/targets?year=2025")
    assert "已删除：2025 年鹰潭目标 92 亿元" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert StatTarget.query.filter_by(scope="鹰潭").count() == 0
    entry = AuditLog.query.filter_by(entity_type="stat_target", entity_id=t.id, action="delete").one()
    assert entry.actor_id == prov.id and entry.details["before"]["value"] == "9200000000.00"


# by=flow on the pages: 输出, 吸纳 and 省内 do not overlap (service.py), so the table has a total ----------------

def test_flow_table_adds_up_to_its_total_with_each_row_explained(client, f, facts):
    # A purchase by a Jiangxi buyer (鹰潭) from a seller outside Jiangxi: 吸纳 for the province and for 鹰潭.
    db.session.execute(insert(ContractFact), [fact("W1", None, "700.07", buyer_region="鹰潭")])
    db.session.commit()
    login(client, admin(f, "province"))
    html = client.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    flow = table_values(html, "t-flow")
    api = client.get(f"/api/v1/stats/contracts?year={YEAR}&by=flow").get_json()
    assert flow["_total"]["amount"] == api["total"]["amount"] == "1112876.73"  # registered + 吸纳 700.07
    assert flow["_total"]["count"] == str(api["total"]["count"]) == "6"
    assert sum(Decimal(v["amount"]) for k, v in flow.items() if k != "_total") == Decimal("1112876.73")
    assert flow["in"]["amount"] == "700.07" and flow["out"]["amount"] == "1000.01"
    assert flow["_total"]["share"] == "100.0"
    body = html.split('id="t-flow"', 1)[1].split("</table>", 1)[0]
    for note in ("江西卖方卖给省外买方", "江西买方从省外卖方购买", "买卖双方都在江西省内"):
        assert note in body
    assert "互不重叠" in html and "overlap" not in html
    # A city centre: the same rule relative to its city.
    c = client.application.test_client()
    login(c, admin(f, "city", city="鹰潭"))
    html = c.get(f"/stats/?year={YEAR}").get_data(as_text=True)
    flow = table_values(html, "t-flow")
    assert flow["_total"]["amount"] == "988409.94"  # 鹰潭's two contracts + the purchase from outside
    assert "本市买方从市外卖方购买" in html.split('id="t-flow"', 1)[1].split("</table>", 1)[0]


def test_the_stats_views_do_not_hide_an_import_error_of_the_pages():
    """views.py imports pages.py plainly: a broken pages module stops the app instead of vanishing."""
    import subprocess
    import sys
    code = (
        "import sys, importlib.abc\n"
        "class Broken(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'marketplace.stats.pages':\n"
        "            raise ImportError('broken pages')\n"
        "sys.meta_path.insert(0, Broken())\n"
        "try:\n"
        "    import marketplace.stats.views\n"
        "except ImportError as exc:\n"
        "    print('raised', exc)\n"
        "else:\n"
        "    print('hidden')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "raised broken pages" in out.stdout, out.stdout + out.stderr
