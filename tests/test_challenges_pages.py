"""揭榜挂帅 pages: list (filters, stats), detail per role, the form (errors next to fields, values kept), the demand's
next step, RSS, confirmations before irreversible steps."""
from datetime import date, timedelta

from marketplace.challenges.models import Challenge
from marketplace.extensions import db

from . import factories_challenges as fc
from .conftest import login


def test_list_filters_pages_and_shows_the_statistics(client, f):
    fc.challenge(status="published")
    fc.challenge(status="published", title="陶瓷岩板低温快烧配方攻关", industry="陶瓷", city="宜春")
    fc.challenge()  # a draft: never listed
    html = client.get("/challenges").get_data(as_text=True)
    assert "高速铜线拉丝断线率攻关" in html and "陶瓷岩板" in html and 'id="challenge-stats"' in html
    assert 'id="stat-posted">2<' in html
    only = client.get("/challenges?industry=陶瓷").get_data(as_text=True)
    assert "陶瓷岩板" in only and "高速铜线" not in only
    assert "高速铜线" in client.get("/challenges?city=鹰潭&status=published").get_data(as_text=True)
    assert client.get("/challenges?city=火星").status_code == 400
    assert 'id="stat-posted">1<' in client.get("/challenges?city=宜春").get_data(as_text=True)
    for _ in range(20):
        fc.challenge(status="published")
    second = client.get("/challenges?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second


def test_rss_lists_published_challenges_only(client, f):
    fc.challenge(status="published")
    fc.challenge(title="尚未发布的草稿榜单")
    resp = client.get("/challenges/feed.xml")
    assert resp.mimetype == "application/rss+xml"
    xml = resp.get_data(as_text=True)
    assert "高速铜线拉丝断线率攻关" in xml and "尚未发布" not in xml and "JX-BANG-" in xml


def test_the_form_keeps_values_and_shows_errors_next_to_fields(client, f):
    company = fc.company()
    login(client, company)
    assert client.get("/challenges/new").status_code == 200
    form = {"title": "稀土永磁废料回收率提升攻关", "problem": "现有氢破碎回收工艺回收率只有85%，需要提升到95%以上。",
            "industry": "新材料", "city": "赣州", "deadline": (date.today() + timedelta(days=40)).isoformat(),
            "bounty": "500000", "enterprise_funding": "400000", "fiscal_funding": "99999.99",
            "ms_name_0": "小试", "ms_criteria_0": "回收率达到92%", "ms_share_0": "40",
            "ms_name_1": "中试", "ms_criteria_1": "回收率达到95%", "ms_share_1": "50",
            "cr_name_0": "技术可行性", "cr_weight_0": "60", "cr_name_1": "团队能力", "cr_weight_1": "40", "then": "save"}
    resp = client.post("/challenges/new", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "之和应等于悬赏金额" in html and 'value="99999.99"' in html
    assert 'value="稀土永磁废料回收率提升攻关"' in html and "field-error" in html
    form["fiscal_funding"] = "100000"
    resp = client.post("/challenges/new", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "合计应为 100%" in html and 'value="50"' in html
    form["ms_share_1"] = "60"
    resp = client.post("/challenges/new", data={**form, "then": "submit"})
    assert resp.status_code == 302
    ch = Challenge.query.one()
    assert ch.status == "submitted" and [m.share for m in ch.milestones] == [40, 60]
    page = client.get(resp.headers["Location"])
    assert "已保存并提交审核" in page.get_data(as_text=True)


def test_detail_page_by_role_and_confirmations(client, f):
    ch, rows, members = fc.reviewed()
    poster = fc.ch_poster(ch)
    html = client.get(f"/challenges/{ch.id}").get_data(as_text=True)
    assert ch.ref in html and "评审指标" in html and "btn-award" not in html and "applications" not in html.split("评审指标")[1][:50]
    login(client, poster)
    html = client.get(f"/challenges/{ch.id}").get_data(as_text=True)
    assert 'id="award-form"' in html and 'data-confirm="确定选择该方案为揭榜方吗' in html and "btn-unaward" in html
    assert rows[0].org.name in html and rows[1].org.name in html
    resp = client.post(f"/challenges/{ch.id}/award", data={"application_id": "abc"})
    assert resp.status_code == 422 and "field-error" in resp.get_data(as_text=True)
    resp = client.post(f"/challenges/{ch.id}/award", data={"application_id": str(rows[0].id), "note": "综合得分最高"})
    assert resp.status_code == 302
    html = client.get(f"/challenges/{ch.id}").get_data(as_text=True)
    assert "已确定揭榜方，技术开发合同草稿已生成" in html and 'id="contract-link"' in html
    client.post("/logout")
    login(client, members[0])
    html = client.get(f"/challenges/applications/{rows[0].id}").get_data(as_text=True)
    assert "评审评分与意见" in html and members[0].name in html


def test_panel_member_scores_through_the_page(client, f):
    ch = fc.challenge(status="published")
    row = fc.apply(ch)
    member = fc.expert(ch)
    fc.close(ch)
    from marketplace.challenges import services as svc
    svc.transition(fc.ch_poster(ch), ch, "review")
    db.session.commit()
    login(client, member)
    html = client.get(f"/challenges/applications/{row.id}").get_data(as_text=True)
    assert 'id="score-form"' in html
    data = {f"score_{c.id}": "85" for c in ch.criteria}
    data[f"score_{ch.criteria[1].id}"] = "120"
    resp = client.post(f"/challenges/applications/{row.id}/scores", data=data)
    assert resp.status_code == 422 and 'value="120"' in resp.get_data(as_text=True)
    data[f"score_{ch.criteria[1].id}"] = "75"
    assert client.post(f"/challenges/applications/{row.id}/scores", data=data).status_code == 302
    assert "加权得分 82.00" in client.get(f"/challenges/applications/{row.id}").get_data(as_text=True)


def test_demand_owner_turns_a_demand_into_a_draft_challenge(client, f):
    company = fc.company()
    demand = f.record("demands", company, status="published")
    outsider = fc.company()
    login(client, outsider)
    resp = client.post(f"/challenges/from-demand/{demand.id}")
    assert resp.status_code == 302 and Challenge.query.count() == 0
    client.post("/logout")
    login(client, company)
    resp = client.post(f"/challenges/from-demand/{demand.id}")
    assert resp.status_code == 302 and "/edit" in resp.headers["Location"]
    ch = Challenge.query.one()
    assert (ch.title, ch.problem, ch.indicators, ch.industry, ch.city, ch.demand_id, ch.status) == (
        demand.title, demand.description, demand.indicators, demand.industry, demand.city, demand.id, "draft")
    assert ch.bounty == demand.budget and ch.enterprise_funding == demand.budget
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="from-demand-note"' in html and demand.title in html
    again = client.post(f"/challenges/from-demand/{demand.id}")
    assert again.status_code == 302 and Challenge.query.count() == 1
    from marketplace.matching.models import NextStep
    assert NextStep.query.filter_by(demand_id=demand.id, step="challenge").count() == 1


def test_the_from_demand_partial_renders_for_the_owner_only(app, f):
    from flask import render_template_string
    from flask_login import login_user
    company = fc.company()
    demand = f.record("demands", company, status="published")
    with app.test_request_context("/"):
        login_user(company)
        html = render_template_string('{% include "challenges/_from_demand.html" %}', obj=demand)
        assert f"/challenges/from-demand/{demand.id}" in html and "data-confirm" in html
    with app.test_request_context("/"):
        login_user(fc.company())
        assert "from-demand" not in render_template_string('{% include "challenges/_from_demand.html" %}', obj=demand)


def test_templates_have_no_inline_script_or_style():
    import pathlib
    for path in pathlib.Path("templates/challenges").glob("*.html"):
        text = path.read_text()
        assert "style=" not in text and "<script>" not in text and "onclick" not in text, path
