"""Matching through the API and the CLI on realistic records."""
import json

from marketplace.searching import sync

from .conftest import login


def seed(f):
    inst = f.user("institution", city="鹰潭")
    wire = f.record("achievements", inst, status="published", ref="M-A1", title="铜线拉丝张力智能控制与断线预测技术",
                    summary="针对铜线高速拉丝断线频繁的问题，建立张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
                    keywords="拉丝、断线、张力控制、铜线", industry="有色金属", maturity="中试",
                    transfer_modes="许可", asking_price_wan="30")
    f.record("achievements", inst, status="published", ref="M-A2", title="脐橙采后保鲜涂膜技术",
             summary="壳聚糖复合涂膜用于脐橙采后保鲜，常温贮藏90天腐烂率低于3%，适合果品企业。",
             keywords="脐橙、保鲜", industry="现代农业", maturity="工业化")
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="M-D1", title="铜杆拉丝老断线",
                      description="拉丝速度一提上去就老断线，换了几家的铜杆都不行，想找办法降低断线。",
                      industry="有色金属", city="鹰潭", budget_wan="50", cooperation="技术许可")
    lonely = f.record("demands", company, status="published", ref="M-D2", title="跨境电商报关单据自动识别",
                      description="我们做跨境电商，每天要手工录入几百张报关单据，想找人做自动识别系统。",
                      industry="数字经济", city="南昌", budget_wan="20", cooperation="委托开发")
    sync.apply_pending()
    return company, wire, demand, lonely


def test_demand_matches_are_scored_explained_and_abstain_when_nothing_fits(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, company)
    found = client.get(f"/api/v1/demands/{demand.id}/matches?limit=5").json
    assert found["abstained"] is False and found["items"][0]["id"] == wire.id, found
    top = found["items"][0]
    assert {"id", "ref", "title", "score", "band", "reasons"} <= set(top) and top["band"] in ("强", "中")
    assert any("拉丝" in r or "断线" in r for r in top["reasons"])
    none = client.get(f"/api/v1/demands/{lonely.id}/matches").json
    assert none["abstained"] is True and {s["code"] for s in none["next_steps"]} == {"broker", "challenge", "push"}
    back = client.get(f"/api/v1/achievements/{wire.id}/matches").json
    assert back["items"][0]["id"] == demand.id


def test_other_companies_see_matches_without_the_reasons(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, f.user("company"))
    items = client.get(f"/api/v1/demands/{demand.id}/matches").json["items"]
    assert items and "reasons" not in items[0]
    assert client.get(f"/api/v1/demands/{demand.id}/matches?limit=0").status_code == 400


def test_cli_prints_the_same_json(app, f):
    seed(f)
    out = app.test_cli_runner().invoke(args=["match", "demand", "M-D1", "--limit", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["abstained"] is False and data["items"][0]["ref"] == "M-A1"
    missing = app.test_cli_runner().invoke(args=["match", "demand", "NOPE", "--json"])
    assert missing.exit_code != 0 and "没有编号" in missing.output



def test_detail_pages_show_matches_and_reasons_to_the_owner(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, company)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="matches"' in html and "铜线拉丝张力智能控制与断线预测技术" in html and "技术要点相同" in html
    html = client.get(f"/demands/{lonely.id}").get_data(as_text=True)
    assert 'id="abstained"' in html and "揭榜挂帅" in html
    client.post("/logout")
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "铜线拉丝张力智能控制与断线预测技术" in html and "技术要点相同" not in html
