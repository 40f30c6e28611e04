"""Contracts through the API: terms → schedules, milestones, royalty reports, payments, overdue on a date,
registration by the right administrator, income split, permissions, reminders, Excel."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.contracts import services as contracts
from marketplace.core.models import AuditLog
from marketplace.extensions import db


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


@pytest.fixture()
def deal(f):
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="南昌")
    return inst, company


def new_contract(client, f, inst, company, terms=None, **over):
    body = {"kind": "技术转让", "transfer_form": "许可", "title": "稀土永磁专利实施许可合同",
            "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "500000",
            "signed_on": "2026-01-01", "city": "南昌", "industry": "新材料", **over}
    if terms:
        body["terms"] = terms
    r = client.post("/api/v1/contracts", json=body, headers=bearer(f, inst))
    assert r.status_code == 201, r.json
    return r.json


def register(client, f, c, inst):
    h = bearer(f, inst)
    assert client.post(f"/api/v1/contracts/{c['id']}/submit", headers=h).status_code == 200
    admin = f.user("admin", admin_level="city", city="南昌")
    r = client.post(f"/api/v1/contracts/{c['id']}/register", json={}, headers=bearer(f, admin))
    assert r.status_code == 200, r.json
    return r.json


ZERO = {"kind": "zero_threshold", "royalty_rate": "2.5", "royalty_min": "20000", "royalty_cap": "100000",
        "report_period": "quarter", "due_days": 30,
        "milestones": [{"name": "中试通过", "trigger": "中试报告验收", "amount": "50000"},
                       {"name": "量产", "amount": "80000.50", "due_on": "2026-12-31"}]}


def test_each_term_kind_generates_its_schedule(client, f, deal):
    inst, company = deal
    lump = new_contract(client, f, inst, company, {"kind": "lump_sum", "amount": "500000", "due_days": 15})
    assert [(x["amount"], x["due_on"]) for x in lump["statement"]["lines"]] == [("500000.00", "2026-01-16")]
    deferred = new_contract(client, f, inst, company, {"kind": "deferred", "amount": "100000", "defer_months": 12,
                                                       "instalments": 3, "interval_months": 6})
    assert [(x["amount"], x["due_on"]) for x in deferred["statement"]["lines"]] == [
        ("33333.33", "2027-01-01"), ("33333.33", "2027-07-01"), ("33333.34", "2028-01-01")]
    assert deferred["statement"]["total_due"] == "100000.00"
    zero = new_contract(client, f, inst, company, ZERO)
    assert [(x["kind"], x["amount"], x["due_on"], x["status"]) for x in zero["statement"]["lines"]] == [
        ("milestone", "50000.00", None, "waiting"), ("milestone", "80000.50", "2026-12-31", "not_due")]
    equity = new_contract(client, f, inst, company, {"kind": "equity", "amount": "2000000", "equity_percent": "20"},
                          kind="技术转让", transfer_form="转让")
    assert equity["statement"]["lines"][0]["kind"] == "equity"


@pytest.mark.parametrize("terms, field", [
    ({"kind": "zero_threshold", "royalty_rate": "150"}, "royalty_rate"),
    ({"kind": "zero_threshold", "royalty_rate": "3", "royalty_min": "9", "royalty_cap": "5"}, "royalty_min"),
    ({"kind": "lump_sum", "amount": "-5"}, "amount"),
    ({"kind": "lump_sum", "amount": "面议"}, "amount"),
    ({"kind": "deferred", "amount": "1000", "instalments": 0}, "instalments"),
    ({"kind": "bartering"}, "kind"),
])
def test_bad_terms_answer_422_and_save_nothing(client, f, deal, terms, field):
    from marketplace.contracts.models import Contract
    inst, company = deal
    r = client.post("/api/v1/contracts", headers=bearer(f, inst), json={
        "kind": "技术转让", "transfer_form": "许可", "title": "许可合同测试", "seller_org_id": inst.org_id,
        "buyer_org_id": company.org_id, "amount": "1000", "signed_on": "2026-01-01", "city": "南昌",
        "industry": "新材料", "terms": terms})
    assert r.status_code == 422 and r.json["error"]["message"]
    assert any(k.split(".")[-1] == field or k.startswith(f"terms.{field}") or k == field
               for k in r.json["error"]["fields"]), r.json
    assert Contract.query.count() == 0


@pytest.mark.parametrize("over, field", [
    ({"amount": "0"}, "amount"), ({"amount": "abc"}, "amount"), ({"signed_on": "2026-02-30"}, "signed_on"),
    ({"kind": "技术买卖"}, "kind"), ({"transfer_form": None}, "transfer_form"), ({"city": "长沙"}, "city"),
    ({"title": ""}, "title")])
def test_contract_fields_are_validated(client, f, deal, over, field):
    inst, company = deal
    body = {"kind": "技术转让", "transfer_form": "许可", "title": "许可合同测试", "seller_org_id": inst.org_id,
            "buyer_org_id": company.org_id, "amount": "1000", "signed_on": "2026-01-01", "city": "南昌",
            "industry": "新材料", **over}
    r = client.post("/api/v1/contracts", json=body, headers=bearer(f, inst))
    assert r.status_code == 422 and field in r.json["error"]["fields"], r.json


def test_only_parties_brokers_and_competent_admins_see_a_contract(client, f, deal):
    inst, company = deal
    c = new_contract(client, f, inst, company, ZERO)
    url = f"/api/v1/contracts/{c['id']}"
    assert client.get(url, headers=bearer(f, company)).status_code == 200
    for outsider in (f.user("company"), f.user("institution"), f.user("broker"),
                     f.user("admin", admin_level="city", city="赣州")):
        assert client.get(url, headers=bearer(f, outsider)).status_code == 404
        assert client.put(f"{url}/terms", json=ZERO, headers=bearer(f, outsider)).status_code == 404
    assert client.get(url, headers=bearer(f, f.user("admin", admin_level="city", city="南昌"))).status_code == 200
    assert client.get(url).status_code == 401
    # A company cannot create a contract between two other organisations.
    stranger = f.user("company")
    r = client.post("/api/v1/contracts", headers=bearer(f, stranger), json={
        "kind": "技术服务", "title": "技术服务合同测试", "seller_org_id": inst.org_id, "buyer_org_id": company.org_id,
        "amount": "1000", "signed_on": "2026-01-01", "city": "南昌", "industry": "新材料"})
    assert r.status_code == 403
    # Lists hold only what one may see.
    assert [x["id"] for x in client.get("/api/v1/contracts", headers=bearer(f, stranger)).json["items"]] == []
    assert [x["id"] for x in client.get("/api/v1/contracts", headers=bearer(f, company)).json["items"]] == [c["id"]]


def test_registration_by_the_right_administrator(client, f, deal):
    inst, company = deal
    c = new_contract(client, f, inst, company, ZERO)
    h = bearer(f, inst)
    assert client.post(f"/api/v1/contracts/{c['id']}/register", json={},
                       headers=bearer(f, f.user("admin"))).status_code == 409  # not submitted yet
    assert client.post(f"/api/v1/contracts/{c['id']}/submit", headers=h).json["status"] == "submitted"
    # Terms are frozen once submitted.
    assert client.put(f"/api/v1/contracts/{c['id']}/terms", json=ZERO, headers=h).status_code == 409
    other_city = f.user("admin", admin_level="city", city="九江")
    assert client.post(f"/api/v1/contracts/{c['id']}/register", json={},
                       headers=bearer(f, other_city)).status_code == 404  # not in its scope at all
    in_house = f.user("admin", admin_level="institution", parent_id=inst.org_id)
    assert client.get(f"/api/v1/contracts/{c['id']}", headers=bearer(f, in_house)).status_code == 200
    assert client.post(f"/api/v1/contracts/{c['id']}/register", json={},
                       headers=bearer(f, in_house)).status_code == 403
    city = f.user("admin", admin_level="city", city="南昌")
    hc = bearer(f, city)
    assert client.post(f"/api/v1/contracts/{c['id']}/return", json={"reason": ""}, headers=hc).status_code == 422
    back = client.post(f"/api/v1/contracts/{c['id']}/return", json={"reason": "买方盖章页缺失"}, headers=hc).json
    assert back["status"] == "returned" and back["return_reason"] == "买方盖章页缺失"
    client.post(f"/api/v1/contracts/{c['id']}/submit", headers=h)
    done = client.post(f"/api/v1/contracts/{c['id']}/register", json={}, headers=hc).json
    assert done["status"] == "registered" and done["registration_no"].startswith(f"{date.today().year}-南昌-")
    actions = [e.action for e in AuditLog.query.filter_by(entity_type="contract", entity_id=c["id"]).order_by(AuditLog.id)]
    assert actions == ["create", "submit", "return", "submit", "register"]


def test_milestones_royalties_payments_and_overdue_on_a_date(client, f, deal):
    inst, company = deal
    c = register(client, f, new_contract(client, f, inst, company, ZERO), inst)
    cid, hi, hb = c["id"], bearer(f, inst), bearer(f, company)
    m1 = c["statement"]["lines"][0]["id"]
    # A milestone reached (with evidence) falls due 30 days later.
    assert client.post(f"/api/v1/contracts/{cid}/milestones/{m1}/reached", json={"reached_on": "2026-03-01"},
                       headers=hb).status_code == 422
    r = client.post(f"/api/v1/contracts/{cid}/milestones/{m1}/reached",
                    json={"reached_on": "2026-03-01", "evidence": "中试验收报告 编号ZS-2026-01"}, headers=hb)
    line = r.json["statement"]["lines"][0]
    assert line["due_on"] == "2026-03-31" and line["reached_on"] == "2026-03-01"
    # Royalty reports: only the licensee, whole quarters, once each; cap per licence year.
    q1 = {"period_start": "2026-01-01", "period_end": "2026-03-31", "net_sales": "1000000"}
    assert client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=q1, headers=hi).status_code == 403
    r = client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=q1, headers=hb)
    assert r.status_code == 201
    royalty = [x for x in r.json["statement"]["lines"] if x["kind"] == "royalty"]
    assert [(x["amount"], x["due_on"]) for x in royalty] == [("25000.00", "2026-04-30")]
    assert client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=q1, headers=hb).status_code == 409
    bad = {"period_start": "2026-02-01", "period_end": "2026-04-30", "net_sales": "10"}
    assert client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=bad, headers=hb).status_code == 422
    neg = {"period_start": "2026-04-01", "period_end": "2026-06-30", "net_sales": "-10"}
    assert client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=neg, headers=hb).status_code == 422
    big = {"period_start": "2026-04-01", "period_end": "2026-06-30", "net_sales": "10000000"}  # 250,000 raw
    r = client.post(f"/api/v1/contracts/{cid}/royalty-reports", json=big, headers=hb).json
    capped = [x for x in r["statement"]["lines"] if x["kind"] == "royalty"][-1]
    assert capped["amount"] == "75000.00"  # the cap of 100,000 a year minus the 25,000 already due
    # Status on given dates.
    st = client.get(f"/api/v1/contracts/{cid}?as_of=2026-04-15", headers=hb).json["statement"]
    assert [x["status"] for x in st["lines"]][:2] == ["overdue", "not_due"] and st["status"] == "overdue"
    # Payments (到账): only the receiving side records them; they settle the oldest due first.
    pay = {"amount": "60000", "received_on": "2026-04-20", "note": "银行流水 0001"}
    assert client.post(f"/api/v1/contracts/{cid}/payments", json=pay, headers=hb).status_code == 403
    r = client.post(f"/api/v1/contracts/{cid}/payments", json=pay, headers=hi)
    assert r.status_code == 201
    st = client.get(f"/api/v1/contracts/{cid}?as_of=2026-04-21", headers=hi).json["statement"]
    m = next(x for x in st["lines"] if x["id"] == m1)
    first_royalty = next(x for x in st["lines"] if x["kind"] == "royalty")
    assert (m["paid"], m["status"]) == ("50000.00", "paid")
    assert (first_royalty["paid"], first_royalty["status"]) == ("10000.00", "partly_paid")
    assert st["received"] == "60000.00" and st["outstanding"] == str(Decimal(st["total_due"]) - 60000)
    too_much = {"amount": "999999999", "received_on": "2026-04-21"}
    assert client.post(f"/api/v1/contracts/{cid}/payments", json=too_much, headers=hi).status_code == 422


def test_annual_minimum_is_topped_up_at_the_year_end(client, f, deal):
    inst, company = deal
    terms = {"kind": "zero_threshold", "royalty_rate": "5", "royalty_min": "20000", "report_period": "half"}
    c = register(client, f, new_contract(client, f, inst, company, terms, signed_on="2025-01-01"), inst)
    hb = bearer(f, company)
    for start, end, sales in (("2025-01-01", "2025-06-30", "100000"), ("2025-07-01", "2025-12-31", "60000")):
        r = client.post(f"/api/v1/contracts/{c['id']}/royalty-reports", headers=hb,
                        json={"period_start": start, "period_end": end, "net_sales": sales})
        assert r.status_code == 201
    lines = r.json["statement"]["lines"]
    assert [(x["kind"], x["amount"]) for x in lines] == [("royalty", "5000.00"), ("royalty", "3000.00"),
                                                          ("minimum", "12000.00")]


def test_income_split_exact_warned_and_private(client, f, deal):
    inst, company = deal
    c = register(client, f, new_contract(client, f, inst, company, ZERO), inst)
    url, hi = f"/api/v1/contracts/{c['id']}/income-split", bearer(f, inst)
    body = {"net_income": "100000.01", "team_percent": "60", "institution_percent": "40",
            "inventors": [{"name": "张明", "percent": "50"}, {"name": "李华", "percent": "50"}]}
    r = client.put(url, json=body, headers=hi)
    assert r.status_code == 422 and "70%" in r.json["error"]["message"]
    r = client.put(url, json={**body, "confirm_low_team_share": True}, headers=hi)
    assert r.status_code == 200
    split = r.json["income_split"]
    assert split["warning"] and split["team_amount"] == "60000.01" and split["institution_amount"] == "40000.00"
    assert sum(float(i["amount"]) for i in split["inventors"]) == pytest.approx(60000.01)
    assert {i["amount"] for i in split["inventors"]} == {"30000.01", "30000.00"}
    ok = client.put(url, headers=hi, json={"net_income": "90000", "team_percent": "70", "institution_percent": "30",
                                           "inventors": [{"name": "张明", "percent": "100"}]}).json["income_split"]
    assert ok["warning"] is None and ok["team_amount"] == "63000.00"
    assert client.put(url, headers=hi, json={"net_income": "1", "team_percent": "70",
                                             "institution_percent": "20"}).status_code == 422  # not 100%
    assert client.put(url, headers=hi, json={"net_income": "1", "team_percent": "70", "institution_percent": "25",
                                             "broker_percent": "5"}).status_code == 422  # no broker on this deal
    # The buyer sees the contract but not how the seller splits its income; it cannot set it either.
    hb = bearer(f, company)
    assert "income_split" not in client.get(f"/api/v1/contracts/{c['id']}", headers=hb).json
    assert client.put(url, json=body, headers=hb).status_code == 403


def test_reminders_before_and_after_due_dates_once(client, f, deal):
    from marketplace.notifications.models import EmailMessage, Notification
    inst, company = deal
    c = register(client, f, new_contract(client, f, inst, company, {"kind": "lump_sum", "amount": "1000",
                                                                     "due_days": 30}), inst)
    assert c["statement"]["lines"][0]["due_on"] == "2026-01-31"
    assert contracts.send_reminders(date(2026, 1, 10)) == {"before": 0, "after": 0}
    assert contracts.send_reminders(date(2026, 1, 25)) == {"before": 1, "after": 0}
    assert contracts.send_reminders(date(2026, 1, 26)) == {"before": 0, "after": 0}
    assert contracts.send_reminders(date(2026, 2, 1)) == {"before": 0, "after": 1}
    db.session.commit()
    titles = [n.title for n in Notification.query.filter_by(kind="contract", user_id=company.id)]
    assert any("付款提醒" in t for t in titles) and any("逾期" in t for t in titles)
    assert EmailMessage.query.filter(EmailMessage.to_email == company.email).count() >= 2


def test_excel_exports_of_schedule_and_contracts(client, f, deal):
    inst, company = deal
    c = new_contract(client, f, inst, company, {"kind": "deferred", "amount": "100000", "instalments": 3})
    x = client.get(f"/api/v1/contracts/{c['id']}/schedule.xlsx", headers=bearer(f, inst))
    rows = list(load_workbook(BytesIO(x.data)).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("序号", "类型", "款项", "应付金额（元）")
    assert sum(r[3] for r in rows[2:-1]) == pytest.approx(100000) and rows[-1][0] == "合计"
    x = client.get("/api/v1/contracts/export.xlsx", headers=bearer(f, company))
    rows = list(load_workbook(BytesIO(x.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "稀土永磁专利实施许可合同" and rows[1][7] == 500000
    assert client.get(f"/api/v1/contracts/{c['id']}/schedule.xlsx",
                      headers=bearer(f, f.user("company"))).status_code == 404


def test_contract_links_the_brokers_introduction(client, f, deal):
    from marketplace.brokers import services as brokers
    inst, company = deal
    ach = f.record("achievements", inst, status="published")
    dem = f.record("demands", company, status="published")
    broker = f.user("broker")
    intro = brokers.claim(broker, dem)
    brokers.introduce(broker, intro, ach)
    db.session.commit()
    r = client.post("/api/v1/contracts", headers=bearer(f, broker), json={
        "kind": "技术开发", "title": "联合开发合同测试", "seller_org_id": inst.org_id, "buyer_org_id": company.org_id,
        "amount": "300000", "signed_on": "2026-05-01", "city": "南昌", "industry": "新材料",
        "introduction_id": intro.id})
    assert r.status_code == 201, r.json
    assert (r.json["broker_id"], r.json["demand_id"], r.json["achievement_id"]) == (broker.id, dem.id, ach.id)
    assert client.get(f"/api/v1/contracts/{r.json['id']}", headers=bearer(f, broker)).status_code == 200


def test_openapi_documents_the_deal_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, method in (("/api/v1/contracts", "post"), ("/api/v1/contracts/{contract_id}/royalty-reports", "post"),
                         ("/api/v1/usefirst/{item_id}/confirm", "post"), ("/api/v1/usefirst", "get"),
                         ("/api/v1/usefirst/trials/{trial_id}/convert", "post")):
        assert method in spec["paths"][path], path
    terms = spec["components"]["schemas"]["TermsIn"]["properties"]
    assert {"kind", "royalty_rate", "royalty_min", "royalty_cap", "milestones"} <= set(terms)
