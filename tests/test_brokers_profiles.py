"""Broker profiles: filing (备案) workflow and its scope, the directory, privacy of the profile page, ratings,
the workbench's paging and filters, and one step from an introduction to a contract draft."""
from decimal import Decimal

from marketplace.brokers import profiles, services
from marketplace.brokers.models import BrokerProfile
from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract
from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.notifications.models import Notification

from .conftest import login


def _centre(f, level="city", city="南昌"):
    return f.user("admin", admin_level=level, city=city)


def _profile(f, broker=None, city="南昌", centre=None, submit=True, **over):
    broker = broker or f.user("broker", city=city)
    centre = centre or _centre(f, "city", city)
    data = {"real_name": "赵经纪", "level": "中级技术经纪人", "certificate_no": "JX-001", "certificate_issuer": "省科技厅",
            "specialties": ["有色金属", "新材料"], "cities": [city], "filed_with_org_id": centre.org_id,
            "training": [{"year": 2025, "hours": "24"}], **over}
    p = profiles.save(broker, data)
    if submit:
        profiles.submit(broker, p)
    db.session.commit()
    return p, broker, centre


def test_filing_workflow_scope_audit_and_notice(client, f):
    p, broker, centre = _profile(f, city="南昌")
    assert p.status == "submitted"
    other_city = _centre(f, "city", "赣州")
    login(client, other_city)
    assert client.post(f"/api/v1/brokers/{p.id}/approve").status_code == 404  # not in its scope: not even seen
    assert client.get(f"/brokers/{p.id}").status_code == 404
    login(client, f.user("admin", admin_level="institution", city="南昌", parent_id=f.org("institution").id))
    assert client.post(f"/api/v1/brokers/{p.id}/approve").status_code == 404
    login(client, centre)
    resp = client.post(f"/api/v1/brokers/{p.id}/reject", json={"reason": ""})
    assert resp.status_code == 422  # a rejection needs a reason
    assert client.post(f"/api/v1/brokers/{p.id}/reject", json={"reason": "证书编号无法核实"}).status_code == 200
    login(client, broker)
    assert client.put("/api/v1/brokers/me/profile", json={"certificate_no": "JX-002"}).status_code == 200
    assert client.post("/api/v1/brokers/me/profile/submit").json["status"] == "submitted"
    login(client, centre)
    body = client.post(f"/api/v1/brokers/{p.id}/approve").json
    assert body["status"] == "active" and body["filed_on"]
    login(client, broker)  # once filed, the filing's facts are locked; specialties are not
    assert client.put("/api/v1/brokers/me/profile", json={"level": "高级技术经理人"}).status_code == 409
    assert client.put("/api/v1/brokers/me/profile", json={"cities": ["南昌", "九江"]}).status_code == 200
    login(client, centre)
    assert client.post(f"/api/v1/brokers/{p.id}/suspend", json={"reason": "违规收费"}).json["status"] == "suspended"
    assert client.get(f"/api/v1/brokers/{p.id}", headers={}).status_code == 200  # the centre still sees it
    client.post("/logout")
    assert client.get(f"/api/v1/brokers/{p.id}").status_code == 404  # the public does not
    login(client, centre)
    assert client.post(f"/api/v1/brokers/{p.id}/reinstate").json["status"] == "active"
    actions = [a.action for a in AuditLog.query.filter_by(entity_type="broker_profile", entity_id=p.id)
               .order_by(AuditLog.id)]
    assert [a for a in actions if a != "update"] == ["submit", "reject", "submit", "approve", "suspend", "reinstate"]
    told = [n.title for n in Notification.query.filter_by(user_id=broker.id).order_by(Notification.id)]
    assert any("驳回备案" in t for t in told) and any("备案通过" in t for t in told)


def test_a_broker_files_only_with_its_city_or_the_province(client, f):
    broker = f.user("broker", city="南昌")
    login(client, broker)
    resp = client.put("/api/v1/brokers/me/profile", json={
        "real_name": "钱经纪", "level": "初级技术经纪人", "filed_with_org_id": _centre(f, "city", "赣州").org_id})
    assert resp.status_code == 422 and "备案中心" in resp.json["error"]["message"]
    resp = client.put("/api/v1/brokers/me/profile", json={
        "real_name": "钱经纪", "level": "初级技术经纪人", "filed_with_org_id": _centre(f, "province").org_id})
    assert resp.status_code == 200
    assert client.post("/api/v1/brokers/me/profile/submit").status_code == 422  # certificate missing
    login(client, f.user("company"))
    assert client.put("/api/v1/brokers/me/profile", json={"real_name": "某某", "level": "初级技术经纪人"}
                      ).status_code == 403


def _active(f, name, level, specialties, cities, city="南昌"):
    p, broker, centre = _profile(f, city=city, real_name=name, level=level, specialties=specialties, cities=cities)
    profiles.decide(centre, p, "approve")
    db.session.commit()
    return p


def test_directory_filters_and_paging(client, f):
    _active(f, "甲一", "高级技术经理人", ["有色金属"], ["鹰潭"])
    _active(f, "乙二", "中级技术经纪人", ["新材料", "有色金属"], ["南昌", "鹰潭"])
    _active(f, "丙三", "初级技术经纪人", ["生物医药"], ["南昌"])
    _profile(f, real_name="丁四", specialties=["有色金属"], cities=["鹰潭"])  # submitted, not yet filed: not listed
    names = lambda **q: [i["real_name"] for i in client.get("/api/v1/brokers", query_string=q).json["items"]]  # noqa: E731
    assert names() == ["甲一", "乙二", "丙三"]  # senior first
    assert names(industry="有色金属") == ["甲一", "乙二"]
    assert names(city="南昌") == ["乙二", "丙三"]
    assert names(city="鹰潭", level="中级技术经纪人") == ["乙二"]
    page = client.get("/api/v1/brokers", query_string={"per_page": 2, "page": 2}).json
    assert page["total"] == 3 and page["pages"] == 2 and [i["real_name"] for i in page["items"]] == ["丙三"]
    assert client.get("/api/v1/brokers", query_string={"industry": "火星"}).status_code == 400
    html = client.get("/brokers/directory?city=鹰潭").get_data(as_text=True)
    assert "甲一" in html and "丙三" not in html


def _deal(f, broker, amount="360000", register=True):
    """A demand of a company (鹰潭) introduced to an institution's achievement (南昌), contract drafted in one step."""
    company = f.user("company", city="鹰潭")
    demand = f.record("demands", company, status="published", title=f"铜杆拉丝断线问题{amount}")
    inst = f.user("institution", city="南昌")
    ach = f.record("achievements", inst, status="published", title=f"铜杆连铸在线检测技术{amount}")
    intro = services.claim(broker, demand)
    services.introduce(broker, intro, ach)
    c = services.contract_draft(broker, intro, {"kind": "技术开发", "amount": amount, "signed_on": "2026-03-01"})
    if register:
        contracts.submit(inst, c)
        contracts.register(f.user("admin"), c, {})
    db.session.commit()
    return c, company, inst


def test_profile_page_shows_only_registered_deals_and_the_amount_only_when_both_agree(client, f):
    p = _active(f, "周经纪", "中级技术经纪人", ["有色金属"], ["鹰潭"])
    shown, company, inst = _deal(f, p.user, "360000")
    hidden, *_ = _deal(f, p.user, "540000", register=False)
    deals = client.get(f"/api/v1/brokers/{p.id}").json["deals"]
    assert [d["contract_id"] for d in deals] == [shown.id]  # the draft is not public
    assert deals[0]["amount"] is None and deals[0]["amount_band"] == "10万–100万元" and deals[0]["year"] == 2026
    html = client.get(f"/brokers/{p.id}").get_data(as_text=True)
    assert "360,000" not in html and "36万元" not in html.split("撮合成交")[1] and hidden.title not in html
    login(client, company)
    assert client.post("/api/v1/brokers/disclosures", json={"contract_id": shown.id, "allow_amount": True}).status_code == 200
    assert client.get(f"/api/v1/brokers/{p.id}").json["deals"][0]["amount"] is None  # one side is not enough
    login(client, inst)
    client.post("/api/v1/brokers/disclosures", json={"contract_id": shown.id, "allow_amount": True})
    client.post("/logout")
    assert client.get(f"/api/v1/brokers/{p.id}").json["deals"][0]["amount"] == "360000.00"
    login(client, f.user("company"))  # a stranger cannot consent for the parties
    assert client.post("/api/v1/brokers/disclosures", json={"contract_id": shown.id, "allow_amount": False}
                       ).status_code == 404


def test_ratings_once_per_party_per_registered_deal(client, f):
    p = _active(f, "吴经纪", "中级技术经纪人", ["有色金属"], ["鹰潭"])
    draft, company, inst = _deal(f, p.user, "200000", register=False)
    login(client, company)
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 5}).status_code == 409
    contracts.submit(inst, draft)
    contracts.register(f.user("admin"), draft, {})
    db.session.commit()
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 6}).status_code == 422
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 5, "comment": "好"}
                       ).status_code == 201
    colleague = f.user("company", organisation=company.org)
    login(client, colleague)  # the same party (organisation), another person: still once
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 1}).status_code == 409
    login(client, inst)
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 3}).status_code == 201
    login(client, f.user("company"))
    assert client.post("/api/v1/brokers/ratings", json={"contract_id": draft.id, "score": 1}).status_code == 404
    perf = client.get(f"/api/v1/brokers/{p.id}").json["performance"]
    assert perf["ratings"] == 2 and perf["rating_mean"] == "4.00" and perf["registered"] == 1


def test_workbench_pages_through_all_open_demands_with_filters(client, f):
    company = f.user("company")
    for i in range(25):
        f.record("demands", company, status="published", ref=f"WB-{i}", title=f"待撮合需求第{i:02d}号",
                 city="鹰潭" if i % 5 == 0 else "南昌", budget_wan=str(10 * (i + 1)))
    broker = f.user("broker")
    login(client, broker)
    first = client.get("/api/v1/brokers/workbench/demands").json
    assert first["total"] == 25 and len(first["items"]) == 20 and first["pages"] == 2
    second = client.get("/api/v1/brokers/workbench/demands?page=2").json
    assert len(second["items"]) == 5
    assert not {d["id"] for d in first["items"]} & {d["id"] for d in second["items"]}
    assert client.get("/api/v1/brokers/workbench/demands?city=鹰潭").json["total"] == 5
    assert client.get("/api/v1/brokers/workbench/demands?budget=50-100").json["total"] == 5  # 50万 … 90万
    assert client.get("/api/v1/brokers/workbench/demands?budget=10-50").json["total"] == 4
    top = client.get("/api/v1/brokers/workbench/demands?sort=budget&per_page=1").json["items"][0]
    assert top["budget"] == "2500000.00"
    assert client.get("/api/v1/brokers/workbench/demands?age=7").json["total"] == 25
    page2 = client.get("/brokers/workbench?page=2").get_data(as_text=True)
    assert "待撮合需求第24号" not in page2 and "待撮合需求第00号" in page2 and "上一页" in page2
    assert "待撮合需求第06号" not in client.get("/brokers/workbench?city=鹰潭&age=30").get_data(as_text=True)
    assert client.get("/api/v1/brokers/workbench/demands?sort=random").status_code == 400
    login(client, company)
    assert client.get("/api/v1/brokers/workbench/demands").status_code == 403


def test_one_step_from_introduction_to_contract_draft(client, f):
    company = f.user("company", city="鹰潭")
    demand = f.record("demands", company, status="published")
    inst = f.user("institution", city="南昌")
    ach = f.record("achievements", inst, status="published")
    broker = f.user("broker")
    intro = services.claim(broker, demand)
    db.session.commit()
    login(client, broker)
    assert client.post(f"/api/v1/brokers/introductions/{intro.id}/contract",
                       json={"kind": "技术开发", "amount": "100000"}).status_code == 422  # not introduced yet
    services.introduce(broker, services.get(broker, intro.id), ach)
    db.session.commit()
    page = client.get(f"/brokers/introductions/{intro.id}").get_data(as_text=True)
    assert 'id="contract-draft-form"' in page and 'id="contract-draft-more"' not in page
    resp = client.post(f"/brokers/introductions/{intro.id}/contract",
                       data={"kind": "技术转让", "transfer_form": "许可", "amount": "250000", "title": "",
                             "signed_on": "2026-05-06"})
    c = Contract.query.one()
    assert resp.headers["Location"].endswith(f"/contracts/{c.id}")
    assert (c.seller_org_id, c.buyer_org_id, c.achievement_id, c.demand_id, c.introduction_id, c.broker_id) == \
        (inst.org_id, company.org_id, ach.id, demand.id, intro.id, broker.id)
    assert (c.status, c.city, c.industry, c.amount, c.transfer_form) == ("draft", "鹰潭", demand.industry,
                                                                         Decimal("250000.00"), "许可")
    # Before any contract the form is open; once the introduction has one it folds away under a note (a second
    # contract from one introduction is allowed, but it is not what the page offers first).
    page = client.get(f"/brokers/introductions/{intro.id}").get_data(as_text=True)
    assert 'id="contract-draft-more"' in page and page.index("本撮合已有合同") < page.index('id="contract-draft-form"')
    login(client, f.user("broker"))  # another broker: not its introduction
    assert client.post(f"/api/v1/brokers/introductions/{intro.id}/contract",
                       json={"kind": "技术开发", "amount": "100000"}).status_code == 404


def test_evidence_export_lists_registered_deals_with_numbers(client, f):
    from io import BytesIO
    from openpyxl import load_workbook
    p = _active(f, "郑经纪", "高级技术经理人", ["有色金属"], ["鹰潭"])
    done, *_ = _deal(f, p.user, "300000")
    login(client, p.user)
    resp = client.get("/brokers/me/deals.xlsx")
    rows = list(load_workbook(BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "登记号" and len(rows) == 2 and rows[1][0] == done.registration_no
    login(client, f.user("company"))
    assert client.get("/api/v1/brokers/me/deals.xlsx").status_code == 403


def test_pages_render(client, f):
    p = _active(f, "孙经纪", "中级技术经纪人", ["有色金属"], ["鹰潭"])
    _deal(f, p.user)
    for url in ("/brokers/directory", f"/brokers/{p.id}", f"/brokers/agencies/{p.agency_org_id}", "/brokers/ranking",
                "/api/v1/brokers/ranking", f"/api/v1/brokers/agencies/{p.agency_org_id}"):
        assert client.get(url).status_code == 200, url
    login(client, p.user)
    for url in ("/brokers/", "/brokers/me", "/brokers/workbench"):
        assert client.get(url).status_code == 200, url
    assert BrokerProfile.query.count() == 1
