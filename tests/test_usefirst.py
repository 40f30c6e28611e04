"""先用后转: the scan (boundary dates, each exclusion), decisions, listing, applications and trials."""
import json
from datetime import date

import pytest

from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.usefirst import services as uf
from marketplace.usefirst.models import UseFirstItem

from .conftest import login


def achievement(f, owner, **over):
    return f.record("achievements", owner, status="published", **over)


def refs(as_of):
    return [c["ref"] for c in uf.scan(as_of)["candidates"]]


def test_scan_boundary_dates_including_29_february(f):
    inst = f.user("institution")
    achievement(f, inst, ref="LEAP", ip_granted_on="2020-02-29")
    achievement(f, inst, ref="JUNE", ip_granted_on="2021-06-15")
    assert refs(date(2023, 2, 28)) == []            # 2020-02-29 + 3 full years has not passed
    assert refs(date(2023, 3, 1)) == ["LEAP"]
    assert refs(date(2024, 6, 14)) == ["LEAP"]      # one day short of three years for JUNE
    assert set(refs(date(2024, 6, 15))) == {"LEAP", "JUNE"}


def test_scan_exclusions_each_keep_an_achievement_off(f, app):
    from marketplace.achievements.models import Achievement
    inst = f.user("institution")
    achievement(f, inst, ref="OK", ip_granted_on="2019-06-01")
    achievement(f, inst, ref="NOT-FISCAL", ip_granted_on="2019-06-01", funding_source="非财政资金")
    achievement(f, inst, ref="BASIC", ip_granted_on="2019-06-01", category="基础研究")
    achievement(f, inst, ref="NO-GRANT", ip_granted_on="")
    used = achievement(f, inst, ref="USED", ip_granted_on="2019-06-01")
    used.implemented_on = date(2022, 1, 1)
    later = achievement(f, inst, ref="USED-LATER", ip_granted_on="2019-06-01")
    later.implemented_on = date(2026, 6, 1)  # put to use after the scan date: still a candidate then
    licensed = achievement(f, inst, ref="LICENSED", ip_granted_on="2019-06-01")
    db.session.commit()
    company = f.user("company")
    c = _registered_contract(f, inst, company, licensed)
    assert c.status == "registered"
    assert set(refs(date(2026, 1, 1))) == {"OK", "USED-LATER"}
    assert Achievement.query.filter_by(ref="NO-GRANT").one().first_granted_on is None


def _registered_contract(f, inst, company, ach, signed_on="2025-03-01"):
    from marketplace.contracts import services as contracts
    admin = f.user("admin")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "专利实施许可合同",
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "100000",
                                "signed_on": signed_on, "city": "南昌", "industry": "新材料", "achievement_id": ach.id})
    contracts.submit(inst, c)
    contracts.register(admin, c, {})
    db.session.commit()
    return c


def test_scan_is_idempotent_audited_and_voids_what_no_longer_fits(f):
    inst = f.user("institution")
    a = achievement(f, inst, ref="A1", ip_granted_on="2019-06-01")
    first = uf.scan(date(2026, 1, 1))
    db.session.commit()
    again = uf.scan(date(2026, 1, 1))
    db.session.commit()
    assert first["new"] == 1 and again["new"] == 0 and first["candidates"] == again["candidates"]
    item = UseFirstItem.query.one()
    assert item.status == "candidate" and item.ip_granted_on == date(2019, 6, 1) and item.org_id == inst.org_id
    a.implemented_on = date(2026, 2, 1)
    db.session.commit()
    assert uf.scan(date(2026, 3, 1))["voided"] == 1 and item.status == "void"
    trail = AuditLog.query.filter_by(entity_type="usefirst", entity_id=item.id).order_by(AuditLog.id)
    assert [e.action for e in trail] == ["found", "void"]


def test_cli_scan_prints_json_candidates(app, f):
    inst = f.user("institution", name="江西理工大学测试")
    achievement(f, inst, ref="CLI-1", ip_granted_on="2020-02-29", title="离子型稀土原地浸矿尾水处理技术")
    out = app.test_cli_runner().invoke(args=["transfer", "scan", "--as-of", "2023-03-01", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{"ref": "CLI-1", "title": "离子型稀土原地浸矿尾水处理技术",
                                       "institution": "江西理工大学测试", "ip_granted_on": "2020-02-29"}]
    bad = app.test_cli_runner().invoke(args=["transfer", "scan", "--as-of", "2023-02-30"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_confirm_keep_off_and_challenge(client, f):
    inst = f.user("institution")
    achievement(f, inst, ref="K1", ip_granted_on="2019-06-01")
    achievement(f, inst, ref="K2", ip_granted_on="2019-06-01", title="稀土永磁电机转子结构")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    k1, k2 = UseFirstItem.query.order_by(UseFirstItem.id).all()
    h = {"Authorization": f"Bearer {f.token(inst)}"}
    # Another institution can neither see nor decide.
    other = {"Authorization": f"Bearer {f.token(f.user('institution'))}"}
    assert client.post(f"/api/v1/usefirst/{k1.id}/confirm", json={}, headers=other).status_code == 404
    r = client.post(f"/api/v1/usefirst/{k1.id}/confirm", json={"publicity_days": 20}, headers=h)
    assert r.status_code == 200 and r.json["status"] == "listed" and r.json["in_publicity"] is True
    # A justified reason needs a reason from the list and evidence.
    assert client.post(f"/api/v1/usefirst/{k2.id}/keep-off", json={"reason": "不想"}, headers=h).status_code == 422
    r = client.post(f"/api/v1/usefirst/{k2.id}/keep-off", headers=h, json={
        "reason": "涉及国家安全或保密", "evidence": "项目任务书第5条保密要求，文号赣科密〔2021〕3号"})
    assert r.status_code == 200 and r.json["status"] == "kept_off"
    # The public list shows the listed one only.
    listed = client.get("/api/v1/usefirst").json
    assert [i["ref"] for i in listed["items"]] == ["K1"]
    # An administrator in scope sees the reason and challenges it: back to the institution.
    admin = {"Authorization": f"Bearer {f.token(f.user('admin'))}"}
    seen = client.get("/api/v1/usefirst/decisions?status=kept_off", headers=admin).json
    assert seen["items"][0]["evidence"].startswith("项目任务书")
    assert client.post(f"/api/v1/usefirst/{k2.id}/challenge", json={"note": "x"}, headers=admin).status_code == 422
    r = client.post(f"/api/v1/usefirst/{k2.id}/challenge", json={"note": "保密要求已于2024年解除，请重新确认"},
                    headers=admin)
    assert r.status_code == 200 and r.json["status"] == "candidate" and r.json["challenge"]
    assert client.post(f"/api/v1/usefirst/{k2.id}/challenge", json={"note": "再次质询"}, headers=h).status_code == 403
    actions = [e.action for e in AuditLog.query.filter_by(entity_type="usefirst", entity_id=k2.id).order_by(AuditLog.id)]
    assert actions == ["found", "keep-off", "challenge"]


def test_trial_life_cycle_and_exclusivity(client, f):
    inst = f.user("institution")
    achievement(f, inst, ref="T1", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    item = UseFirstItem.query.one()
    hi = {"Authorization": f"Bearer {f.token(inst)}"}
    assert client.post(f"/api/v1/usefirst/{item.id}/confirm", json={"exclusive": True}, headers=hi).status_code == 200
    c1, c2 = f.user("company"), f.user("company")
    h1, h2 = ({"Authorization": f"Bearer {f.token(c)}"} for c in (c1, c2))
    plan = {"plan": "拟在我司烧结车间一条线上试用，12个月内完成小批量验证"}
    a1 = client.post(f"/api/v1/usefirst/{item.id}/applications", json=plan, headers=h1)
    assert a1.status_code == 201
    assert client.post(f"/api/v1/usefirst/{item.id}/applications", json=plan, headers=h1).status_code == 409
    a2 = client.post(f"/api/v1/usefirst/{item.id}/applications", json=plan, headers=h2).json
    # Institutions cannot apply; companies cannot accept.
    assert client.post(f"/api/v1/usefirst/{item.id}/applications", json=plan, headers=hi).status_code == 403
    accept = {"starts_on": "2026-02-01", "months": 12, "trial_fee": "0", "after_terms": "零门槛费，提成3%"}
    assert client.post(f"/api/v1/usefirst/applications/{a1.json['id']}/accept", json=accept,
                       headers=h1).status_code == 403
    t = client.post(f"/api/v1/usefirst/applications/{a1.json['id']}/accept", json=accept, headers=hi)
    assert t.status_code == 201 and t.json["ends_on"] == "2027-01-31" and t.json["exclusive"] is True
    # Exclusive: the other application is declined, and nobody else may apply now.
    assert client.get(f"/api/v1/usefirst/applications/{a2['id']}", headers=h2).json["status"] == "declined"
    assert client.post(f"/api/v1/usefirst/{item.id}/applications", json=plan,
                       headers={"Authorization": f"Bearer {f.token(f.user('company'))}"}).status_code == 409
    # Reminder before the end, once.
    from marketplace.usefirst.services import remind_trials
    assert remind_trials(date(2026, 12, 1)) == 0
    assert remind_trials(date(2027, 1, 5)) == 1 and remind_trials(date(2027, 1, 6)) == 0
    # Termination needs a reason; a stranger cannot see the trial.
    tid = t.json["id"]
    assert client.get(f"/api/v1/usefirst/trials/{tid}", headers=h2).status_code == 404
    assert client.post(f"/api/v1/usefirst/trials/{tid}/terminate", json={}, headers=h1).status_code == 422
    for odd in (1.5, ["试用效果未达预期"], {"x": 1}, True):  # not text: a 400 naming the field, not a 500
        r = client.post(f"/api/v1/usefirst/trials/{tid}/terminate", json={"reason": odd}, headers=h1)
        assert r.status_code == 400 and r.json["error"]["message"] == "理由应为文字", (odd, r.json)
    r = client.post(f"/api/v1/usefirst/trials/{tid}/terminate", json={"reason": "试用效果未达预期指标"}, headers=h1)
    assert r.status_code == 200 and r.json["status"] == "terminated"
    assert client.post(f"/api/v1/usefirst/trials/{tid}/terminate", json={"reason": "再次终止"},
                       headers=h1).status_code == 409


def test_trial_converts_into_a_licence_contract(client, f):
    inst = f.user("institution")
    achievement(f, inst, ref="C1", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    item = UseFirstItem.query.one()
    hi = {"Authorization": f"Bearer {f.token(inst)}"}
    terms = {"kind": "zero_threshold", "royalty_rate": "3", "royalty_min": "10000", "report_period": "quarter",
             "milestones": [{"name": "小批量验证通过", "trigger": "试产1000件合格", "amount": "50000"}]}
    client.post(f"/api/v1/usefirst/{item.id}/confirm", json={"terms": terms}, headers=hi)
    company = f.user("company")
    hc = {"Authorization": f"Bearer {f.token(company)}"}
    app_id = client.post(f"/api/v1/usefirst/{item.id}/applications", headers=hc,
                         json={"plan": "在我司二号线试用十二个月，验证降本效果"}).json["id"]
    tid = client.post(f"/api/v1/usefirst/applications/{app_id}/accept", headers=hi, json={
        "starts_on": "2026-02-01", "after_terms": "按挂牌标准条款许可"}).json["id"]
    assert client.post(f"/api/v1/usefirst/trials/{tid}/convert", headers=hc,
                       json={"amount": "300000", "signed_on": "2027-02-01"}).status_code == 403
    r = client.post(f"/api/v1/usefirst/trials/{tid}/convert", headers=hi, json={"amount": "300000",
                                                                                   "signed_on": "2027-02-01"})
    assert r.status_code == 201, r.json
    contract = r.json
    assert contract["kind"] == "技术转让" and contract["transfer_form"] == "许可" and contract["trial_id"] == tid
    assert contract["terms"]["kind"] == "zero_threshold" and contract["terms"]["royalty_rate"].startswith("3")
    assert [line["kind"] for line in contract["statement"]["lines"]] == ["milestone"]
    assert client.get(f"/api/v1/usefirst/trials/{tid}", headers=hc).json["status"] == "converted"


def test_public_page_feed_and_excel_export(client, f):
    inst = f.user("institution", city="赣州")
    achievement(f, inst, ref="P1", ip_granted_on="2019-06-01", title="钨尾矿综合回收技术", industry="有色金属")
    achievement(f, inst, ref="P2", ip_granted_on="2019-06-01", title="脐橙保鲜技术", industry="现代农业")
    uf.scan(date(2026, 1, 1))
    for item in UseFirstItem.query:
        uf.confirm(inst, item, {})
    db.session.commit()
    html = client.get("/usefirst").get_data(as_text=True)
    assert "钨尾矿综合回收技术" in html and "脐橙保鲜技术" in html and "公示" in html
    narrowed = client.get("/usefirst?industry=有色金属").get_data(as_text=True)
    assert "钨尾矿综合回收技术" in narrowed and "脐橙保鲜技术" not in narrowed
    assert [i["ref"] for i in client.get("/api/v1/usefirst?industry=现代农业").json["items"]] == ["P2"]
    feed = client.get("/usefirst/feed.xml")
    assert feed.status_code == 200 and b"<rss" in feed.data and "钨尾矿".encode() in feed.data
    xlsx = client.get("/usefirst/export.xlsx")
    assert xlsx.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook
    rows = list(load_workbook(BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "成果编号" and {r[0] for r in rows[1:]} == {"P1", "P2"}
    assert client.get("/api/v1/usefirst?stage=bad").status_code == 400


@pytest.mark.parametrize("payload", [{"publicity_days": 0}, {"publicity_days": "abc"}, {"exclusive": "maybe"},
                                     {"unknown": 1}])
def test_confirm_validates(client, f, payload):
    inst = f.user("institution")
    achievement(f, inst, ref="V1", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    item = UseFirstItem.query.one()
    login(client, inst)
    r = client.post(f"/api/v1/usefirst/{item.id}/confirm", json=payload,
                    headers={"Authorization": f"Bearer {f.token(inst)}"})
    assert r.status_code == 422 and r.json["error"]["message"]


def test_admin_page_runs_the_scan_and_pages_answer(client, f):
    inst = f.user("institution")
    achievement(f, inst, ref="ADM-1", ip_granted_on="2019-06-01", title="铜冶炼烟气余热回收技术")
    admin = f.user("admin")
    login(client, admin)
    assert "运行先用后转扫描" in client.get("/admin/").get_data(as_text=True)
    r = client.post("/usefirst/scan", follow_redirects=True)
    assert r.status_code == 200 and "新发现 1 项" in r.get_data(as_text=True)
    assert "铜冶炼烟气余热回收技术" in client.get("/usefirst/manage").get_data(as_text=True)
    item = UseFirstItem.query.one()
    assert client.get(f"/usefirst/{item.id}").status_code == 200
    client.post("/logout")
    assert client.get(f"/usefirst/{item.id}").status_code == 404  # a candidate is not public
    login(client, f.user("company"))
    assert client.post("/usefirst/scan").status_code == 403


def test_public_list_pages(client, f):
    inst = f.user("institution")
    for n in range(21):
        achievement(f, inst, ref=f"PG-{n:02d}", ip_granted_on="2019-06-01", title=f"分页测试成果{n:02d}号技术")
    uf.scan(date(2026, 1, 1))
    for item in UseFirstItem.query:
        uf.confirm(inst, item, {})
    db.session.commit()
    first = client.get("/usefirst").get_data(as_text=True)
    assert "共 21 项" in first and 'rel="next"' in first and first.count('data-item="') == 20
    second = client.get("/usefirst?page=2").get_data(as_text=True)
    assert second.count('data-item="') == 1 and 'rel="prev"' in second
    api = client.get("/api/v1/usefirst?page=2").json
    assert (api["total"], api["page"], len(api["items"])) == (21, 2, 1)


# Object-level permissions (issue 9) ----------------------------------------------------------------------

def _listed(f, inst, **over):
    achievement(f, inst, ref=over.pop("ref", "PUB-1"), ip_granted_on="2019-06-01", **over)
    uf.scan(date(2026, 1, 1))
    item = UseFirstItem.query.one()
    uf.confirm(inst, item, {})
    db.session.commit()
    return item


def test_public_detail_page_answers_visitors_who_are_not_logged_in(client, f):
    inst = f.user("institution")
    item = _listed(f, inst, title="铜渣贫化综合利用技术")
    company = f.user("company")
    uf.apply(company, item, {"plan": "在我司冶炼车间试用十二个月，验证回收率"})
    db.session.commit()
    r = client.get(f"/usefirst/{item.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "铜渣贫化综合利用技术" in html and "登录</a>后企业用户可申请" in html
    assert "状态变更记录" not in html and 'id="applications"' not in html  # internals stay with the parties
    # An invalid Bearer token is an anonymous visitor too.
    assert client.get(f"/api/v1/usefirst/{item.id}", headers={"Authorization": "Bearer nope"}).status_code == 200
    login(client, inst)
    html = client.get(f"/usefirst/{item.id}").get_data(as_text=True)
    assert "状态变更记录" in html and 'id="applications"' in html
    login(client, f.user("company"))  # another company sees the public page, not the others' applications
    html = client.get(f"/usefirst/{item.id}").get_data(as_text=True)
    assert "状态变更记录" not in html and 'id="applications"' not in html and 'id="apply-form"' in html


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_scan_considers_only_published_achievements(f, status):
    inst = f.user("institution")
    f.record("achievements", inst, status=status, ref="UNREVIEWED", ip_granted_on="2019-06-01")
    achievement(f, inst, ref="REVIEWED", ip_granted_on="2019-06-01")
    assert refs(date(2026, 1, 1)) == ["REVIEWED"]
    assert [i.achievement.ref for i in UseFirstItem.query] == ["REVIEWED"]


def test_withdrawn_achievement_cannot_be_listed_and_its_candidate_is_voided(client, f):
    from marketplace.core import listings
    inst = f.user("institution")
    a = achievement(f, inst, ref="WD-1", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    item = UseFirstItem.query.one()
    listings.transition(inst, listings.LIBRARIES["achievements"], a, "withdraw")
    a.title = "撤回后改写、未经审核的标题"
    db.session.commit()
    r = client.post(f"/api/v1/usefirst/{item.id}/confirm", json={}, headers={"Authorization": f"Bearer {f.token(inst)}"})
    assert r.status_code == 409 and "未发布" in r.json["error"]["message"]
    assert client.get("/api/v1/usefirst").json["total"] == 0
    out = uf.scan(date(2026, 1, 2))
    db.session.commit()
    assert out["voided"] == 1 and out["candidates"] == [] and item.status == "void"


def test_a_listed_item_leaves_the_public_list_when_its_achievement_is_withdrawn(client, f):
    from marketplace.core import listings
    inst = f.user("institution")
    item = _listed(f, inst, title="原标题：稀土废料回收技术")
    listings.transition(inst, listings.LIBRARIES["achievements"], item.achievement, "withdraw")
    item.achievement.title = "撤回后改写、未经审核的标题"
    db.session.commit()
    assert client.get("/api/v1/usefirst").json["total"] == 0
    assert "未经审核" not in client.get("/usefirst").get_data(as_text=True)
    assert "未经审核" not in client.get("/usefirst/feed.xml").get_data(as_text=True)
    assert client.get(f"/usefirst/{item.id}").status_code == 404
    assert client.get(f"/api/v1/usefirst/{item.id}").status_code == 404
    h = {"Authorization": f"Bearer {f.token(inst)}"}
    assert client.get(f"/api/v1/usefirst/{item.id}", headers=h).status_code == 200  # the institution still follows it


@pytest.mark.parametrize("level", ["city", "institution"])
def test_only_provincial_administrators_run_the_province_wide_scan(client, f, level):
    inst = f.user("institution", city="赣州")
    achievement(f, inst, ref="SC-1", ip_granted_on="2019-06-01", title="赣州钨矿尾砂综合利用技术")
    parent = f.org("institution", city="赣州")
    admin = f.user("admin", admin_level=level, city="赣州", parent_id=parent.id if level == "institution" else None)
    r = client.post("/api/v1/usefirst/scan", json={"as_of": "2026-01-01"},
                    headers={"Authorization": f"Bearer {f.token(admin)}"})
    assert r.status_code == 403 and "省级" in r.json["error"]["message"] and "钨矿" not in r.get_data(as_text=True)
    assert UseFirstItem.query.count() == 0
    login(client, admin)
    assert "省级" in client.post("/usefirst/scan", follow_redirects=True).get_data(as_text=True)
    assert UseFirstItem.query.count() == 0
    assert 'id="btn-scan"' not in client.get("/usefirst/manage").get_data(as_text=True)
    client.post("/logout")
    province = {"Authorization": f"Bearer {f.token(f.user('admin'))}"}
    r = client.post("/api/v1/usefirst/scan", json={"as_of": "2026-01-01"}, headers=province)
    assert r.status_code == 200 and [c["ref"] for c in r.json["candidates"]] == ["SC-1"]
