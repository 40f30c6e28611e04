"""Commission agreements and the ledger through the HTTP API (driven by payments and registration), who sees
what, statements (API, Excel, CLI), the check against the seller's income split, and government rewards
computed on known contracts to the fen."""
import json
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.commissions import rewards, services
from marketplace.commissions.models import CommissionEntry
from marketplace.contracts import services as contracts
from marketplace.core.models import AuditLog
from marketplace.extensions import db

TODAY = date.today()
SIGNED = (TODAY - timedelta(days=60)).isoformat()


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


@pytest.fixture()
def deal(client, f):
    """A registered licence (南昌) of 500,000 with a broker; its parties, broker and registrar."""
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="南昌")
    broker = f.user("broker", city="南昌")
    registrar = f.user("admin", admin_level="city", city="南昌")
    r = client.post("/api/v1/contracts", headers=bearer(f, inst), json={
        "kind": "技术转让", "transfer_form": "许可", "title": "稀土永磁专利实施许可合同", "seller_org_id": inst.org_id,
        "buyer_org_id": company.org_id, "amount": "500000", "signed_on": SIGNED, "city": "南昌", "industry": "新材料",
        "broker_id": broker.id, "terms": {"kind": "lump_sum", "amount": "500000", "due_days": 30}})
    assert r.status_code == 201, r.json
    return {"inst": inst, "company": company, "broker": broker, "registrar": registrar, "contract": r.json["id"]}


def register(client, f, d):
    assert client.post(f"/api/v1/contracts/{d['contract']}/submit", headers=bearer(f, d["inst"])).status_code == 200
    r = client.post(f"/api/v1/contracts/{d['contract']}/register", json={}, headers=bearer(f, d["registrar"]))
    assert r.status_code == 200, r.json
    return r.json


def agreement(client, f, d, **over):
    body = {"contract_id": d["contract"], "payer": "both", "seller_share": "60", "basis": "received", "rate": "3",
            "cap": "12000", "propose": True, **over}
    r = client.post("/api/v1/commissions/agreements", json=body, headers=bearer(f, d["inst"]))
    assert r.status_code == 201, r.json
    return r.json


def confirm_all(client, f, d, ag):
    r = client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm", headers=bearer(f, d["inst"]))
    assert r.status_code == 200 and r.json["status"] == "proposed" and r.json["seller_confirmed"], r.json
    r = client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm", headers=bearer(f, d["company"]))
    assert r.status_code == 200 and r.json["status"] == "confirmed", r.json
    return r.json


def pay(client, f, d, amount):
    r = client.post(f"/api/v1/contracts/{d['contract']}/payments", headers=bearer(f, d["inst"]),
                    json={"amount": amount, "received_on": TODAY.isoformat()})
    assert r.status_code == 201, r.json


def statement(client, f, user, **params):
    r = client.get("/api/v1/commissions/statement", query_string=params, headers=bearer(f, user))
    assert r.status_code == 200, r.json
    return r.json


def test_a_recorded_payment_accrues_commission_pro_rata_up_to_the_cap(client, f, deal):
    ag = agreement(client, f, deal)
    assert ag["status"] == "proposed" and ag["brokers"] == [{"broker_id": deal["broker"].id, "name": deal["broker"].name,
                                                              "share": "100"}]
    # The broker may not confirm for the payers; each paying side confirms once.
    assert client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm",
                       headers=bearer(f, deal["broker"])).status_code == 403
    confirm_all(client, f, deal, ag)
    register(client, f, deal)
    assert statement(client, f, deal["broker"])["accrued"] == "0.00"  # received basis: nothing at registration
    pay(client, f, deal, "200000")
    st = statement(client, f, deal["broker"])
    assert (st["accrued"], st["outstanding"]) == ("6000.00", "6000.00")
    assert sorted((e["payer"], e["amount"]) for e in st["entries"]) == [("buyer", "2400.00"), ("seller", "3600.00")]
    pay(client, f, deal, "300000")  # 3% of 500,000 = 15,000, capped at 12,000: this payment earns 6,000
    st = statement(client, f, deal["broker"])
    assert st["accrued"] == "12000.00" and len(st["entries"]) == 4
    assert st["deals"][0]["accrued"] == "12000.00"
    assert CommissionEntry.query.filter_by(kind="accrual").count() == 4
    # The broker was told.
    from marketplace.notifications.models import Notification
    assert Notification.query.filter_by(user_id=deal["broker"].id).filter(Notification.title.like("佣金计提%")).count() == 2


def test_confirm_pay_and_reverse_through_the_api_and_balances(client, f, deal):
    ag = confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")
    entries = client.get(f"/api/v1/commissions/agreements/{ag['id']}", headers=bearer(f, deal["company"])).json["entries"]
    buyer = next(e for e in entries if e["payer"] == "buyer")
    seller = next(e for e in entries if e["payer"] == "seller")
    assert (buyer["amount"], seller["amount"]) == ("1200.00", "1800.00")
    url = "/api/v1/commissions/entries/{}/{}"
    # The seller may not confirm the buyer's part; the broker may not record it paid before confirmation.
    assert client.post(url.format(buyer["id"], "confirm"), headers=bearer(f, deal["inst"])).status_code == 403
    paid = {"invoice_no": "FP-2026-0001", "bank_ref": "HD20260101", "paid_on": TODAY.isoformat()}
    assert client.post(url.format(buyer["id"], "paid"), json=paid, headers=bearer(f, deal["broker"])).status_code == 409
    assert client.post(url.format(buyer["id"], "confirm"), headers=bearer(f, deal["company"])).status_code == 201
    assert client.post(url.format(buyer["id"], "confirm"), headers=bearer(f, deal["company"])).status_code == 409
    assert client.post(url.format(buyer["id"], "paid"), json=paid, headers=bearer(f, deal["company"])).status_code == 403
    r = client.post(url.format(buyer["id"], "paid"), json=paid, headers=bearer(f, deal["broker"]))
    assert r.status_code == 201 and r.json["items"][0]["invoice_no"] == "FP-2026-0001"
    st = statement(client, f, deal["broker"])
    assert (st["accrued"], st["confirmed"], st["paid"], st["outstanding"]) == ("3000.00", "1200.00", "1200.00", "1800.00")
    # A refund of the buyer's part: reversing entries for accrual, confirmation and payment; nothing edited.
    before = {e.id: (e.kind, e.amount) for e in CommissionEntry.query.all()}
    r = client.post(url.format(buyer["id"], "reverse"), json={"reason": "买方退款，佣金退回"},
                    headers=bearer(f, deal["broker"]))
    assert r.status_code == 201 and sorted(x["amount"] for x in r.json["items"]) == ["-1200.00"] * 3
    assert {e.id: (e.kind, e.amount) for e in CommissionEntry.query.all() if e.id in before} == before
    st = statement(client, f, deal["broker"])
    assert (st["accrued"], st["confirmed"], st["paid"], st["outstanding"]) == ("1800.00", "0.00", "0.00", "1800.00")
    assert client.post(url.format(buyer["id"], "reverse"), json={"reason": "再次冲销试试"},
                       headers=bearer(f, deal["broker"])).status_code == 409
    # A repeated signal never accrues twice (idempotent by source), and a reversed accrual is not re-accrued.
    services.on_contract_money(db.session.get(type(CommissionEntry.query.first().agreement.contract), deal["contract"]))
    db.session.commit()
    assert CommissionEntry.query.filter_by(kind="accrual").count() == 2
    assert AuditLog.query.filter_by(entity_type="commission_agreement", action="entry-reverse").count() == 1


def test_contract_basis_accrues_at_registration_and_splits_among_brokers_to_the_fen(client, f, deal):
    other = f.user("broker", city="南昌")
    ag = agreement(client, f, deal, payer="seller", seller_share=None, basis="contract", rate="1.5", cap=None,
                   brokers=[{"broker_id": deal["broker"].id, "share": "33.33"}, {"broker_id": other.id, "share": "66.67"}])
    r = client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm", headers=bearer(f, deal["inst"]))
    assert r.json["status"] == "confirmed"
    assert statement(client, f, deal["broker"])["accrued"] == "0.00"
    register(client, f, deal)
    mine, theirs = statement(client, f, deal["broker"]), statement(client, f, other)
    assert (mine["accrued"], theirs["accrued"]) == ("2499.75", "5000.25")  # 7,500 split 33.33 / 66.67
    # Each broker sees only its own entries, on the agreement too.
    seen = client.get(f"/api/v1/commissions/agreements/{ag['id']}", headers=bearer(f, other)).json["entries"]
    assert {e["broker_id"] for e in seen} == {other.id}
    assert len(client.get(f"/api/v1/commissions/agreements/{ag['id']}",
                          headers=bearer(f, deal["inst"])).json["entries"]) == 2


def test_equity_commission_is_recorded_as_equity_not_cash(client, f, deal):
    h = bearer(f, deal["inst"])
    r = client.put(f"/api/v1/contracts/{deal['contract']}/terms", headers=h,
                   json={"kind": "equity", "amount": "2000000", "equity_percent": "20"})
    assert r.status_code == 200, r.json
    ag = agreement(client, f, deal, payer="seller", seller_share=None, basis="equity", rate=None, cap=None,
                   equity_mode="percent", equity_percent="5")
    client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm", headers=h)
    register(client, f, deal)
    st = statement(client, f, deal["broker"])
    assert st["accrued"] == "0.00"
    assert st["deals"][0]["equity"] == [{"shares": None, "company_percent": "1", "value": "100000.00"}]
    bad = client.post("/api/v1/commissions/agreements", headers=h, json={
        "contract_id": deal["contract"], "payer": "buyer", "basis": "equity", "equity_mode": "shares",
        "equity_shares": "1000"})
    assert bad.status_code in (409, 422)


@pytest.mark.parametrize("body, field", [
    ({"payer": "both", "basis": "received", "rate": "3"}, "seller_share"),
    ({"payer": "seller", "basis": "received", "rate": "0"}, "rate"),
    ({"payer": "seller", "basis": "received", "rate": "150"}, "rate"),
    ({"payer": "seller", "basis": "fixed"}, "fee"),
    ({"payer": "seller", "basis": "tiered", "tiers": [{"upto": "100", "rate": "1"}, {"upto": "50", "rate": "1"}]},
     "tiers"),
    ({"payer": "seller", "basis": "contract", "rate": "2", "brokers": [{"broker_id": 1, "share": "50"}]}, "brokers"),
    ({"payer": "seller", "basis": "bartering"}, "basis"),
])
def test_bad_agreements_are_refused_with_the_field(client, f, deal, body, field):
    if field == "brokers":
        body["brokers"][0]["broker_id"] = deal["broker"].id
    r = client.post("/api/v1/commissions/agreements", json={"contract_id": deal["contract"], **body},
                    headers=bearer(f, deal["inst"]))
    assert r.status_code == 422 and any(k.startswith(field) for k in r.json["error"]["fields"]), r.json


def test_who_sees_an_agreement_and_a_ledger(client, f, deal):
    ag = confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")
    url = f"/api/v1/commissions/agreements/{ag['id']}"
    for party in (deal["inst"], deal["company"], deal["broker"], deal["registrar"],
                  f.user("admin", admin_level="province")):
        assert client.get(url, headers=bearer(f, party)).status_code == 200
    outsiders = (f.user("broker"), f.user("company"), f.user("institution"), f.user("admin", admin_level="city", city="赣州"))
    entry = CommissionEntry.query.first().id
    for outsider in outsiders:
        h = bearer(f, outsider)
        assert client.get(url, headers=h).status_code == 404
        assert client.post(f"{url}/confirm", headers=h).status_code == 404
        assert client.post(f"/api/v1/commissions/entries/{entry}/confirm", headers=h).status_code == 404
        assert client.get("/api/v1/commissions/agreements", headers=h).json["total"] == 0
        assert client.get("/api/v1/commissions/statement", headers=h,
                          query_string={"broker_id": deal["broker"].id}).status_code == 404
    # A broker's statement holds only its own ledger; an administrator in scope reads a broker's statement.
    assert statement(client, f, outsiders[0])["entries"] == []
    assert statement(client, f, deal["registrar"], broker_id=deal["broker"].id)["accrued"] == "3000.00"
    admin = client.get("/api/v1/commissions/admin-statement", headers=bearer(f, deal["registrar"])).json
    assert admin["accrued"] == "3000.00"
    far = client.get("/api/v1/commissions/admin-statement", headers=bearer(f, outsiders[3])).json
    assert far["accrued"] == "0.00"
    assert client.get(url).status_code == 401


def test_the_ledger_service_offers_no_edit_or_delete():
    """Append-only: the services write entries through one function that only adds (and PostgreSQL refuses
    UPDATE/DELETE by trigger, migration 0010)."""
    import inspect
    source = inspect.getsource(services)
    assert "def update" not in source and "def delete" not in source and "session.delete" not in source
    assert not [n for n in dir(services) if n.startswith(("edit", "update", "delete", "remove"))]


def test_postgresql_refuses_to_edit_a_ledger_entry(client, f, deal, app):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    from sqlalchemy import text
    confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE commission_entries SET amount = 0"))
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM commission_entries"))
    db.session.rollback()


def test_the_income_split_is_checked_against_the_agreement(client, f, deal):
    ag = agreement(client, f, deal, payer="seller", seller_share=None, basis="contract", rate="2", cap=None)
    url = f"/api/v1/commissions/agreements/{ag['id']}"
    assert client.get(url, headers=bearer(f, deal["inst"])).json["split_check"] is None  # no split yet
    split = {"net_income": "500000", "team_percent": "70", "institution_percent": "28", "broker_percent": "2"}
    assert client.put(f"/api/v1/contracts/{deal['contract']}/income-split", json=split,
                      headers=bearer(f, deal["inst"])).status_code == 200
    check = client.get(url, headers=bearer(f, deal["inst"])).json["split_check"]
    assert check["ok"] and check["expected"] == "10000.00" == check["split_broker_amount"]
    split.update(institution_percent="29", broker_percent="1")
    client.put(f"/api/v1/contracts/{deal['contract']}/income-split", json=split, headers=bearer(f, deal["inst"]))
    check = client.get(url, headers=bearer(f, deal["broker"])).json["split_check"]
    assert not check["ok"] and "5000.00" in check["message"] and "10000.00" in check["message"]
    # The seller says why; the broker may not.
    assert client.put(f"{url}/split-note", json={"split_note": "另5000元由学院从管理费中支付"},
                      headers=bearer(f, deal["broker"])).status_code == 403
    r = client.put(f"{url}/split-note", json={"split_note": "另5000元由学院从管理费中支付"}, headers=bearer(f, deal["inst"]))
    assert r.json["split_check"]["explained"] and "学院从管理费中支付" in r.json["split_check"]["message"]


def test_statement_excel_and_cli(client, f, deal, app):
    ag = confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")
    r = client.get("/api/v1/commissions/statement.xlsx", headers=bearer(f, deal["broker"]))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.data)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert 3000.0 in values and "计提" in values
    runner = app.test_cli_runner()
    out = runner.invoke(args=["commissions", "statement", "--broker", deal["broker"].email, "--year",
                              str(TODAY.year), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {"broker", "accrued", "confirmed", "paid", "outstanding", "entries"} <= set(data)
    assert (data["broker"], data["accrued"], data["paid"]) == (deal["broker"].email, "3000.00", "0.00")
    assert all(isinstance(e["amount"], str) for e in data["entries"]) and len(data["entries"]) == 2
    out = runner.invoke(args=["commissions", "statement", "--broker", deal["broker"].email, "--year",
                              str(TODAY.year - 1), "--json"])
    assert json.loads(out.output)["accrued"] == "0.00"
    assert runner.invoke(args=["commissions", "statement", "--broker", "nobody@x.cn"]).exit_code != 0
    assert ag["id"]


def test_an_agreement_from_an_introduction_follows_the_contract_that_results(client, f):
    from marketplace.brokers import services as brokers
    inst = f.user("institution", city="鹰潭")
    company = f.user("company", city="鹰潭")
    broker = f.user("broker", city="南昌")
    ach = f.record("achievements", inst, status="published")
    dem = f.record("demands", company, status="published")
    intro = brokers.claim(broker, dem)
    brokers.introduce(broker, intro, ach)
    db.session.commit()
    r = client.post("/api/v1/commissions/agreements", headers=bearer(f, broker), json={
        "introduction_id": intro.id, "payer": "buyer", "basis": "fixed", "fee": "8000", "propose": True})
    assert r.status_code == 201 and r.json["contract_id"] is None, r.json
    assert client.post(f"/api/v1/commissions/agreements/{r.json['id']}/confirm",
                       headers=bearer(f, company)).json["status"] == "confirmed"
    c = contracts.create(inst, {"kind": "技术开发", "title": "铜线拉丝断线攻关技术开发合同", "seller_org_id": inst.org_id,
                                "buyer_org_id": company.org_id, "amount": "300000", "signed_on": SIGNED,
                                "city": "鹰潭", "industry": "有色金属", "introduction_id": intro.id})
    contracts.submit(inst, c)
    contracts.register(f.user("admin", admin_level="province"), c, {})
    db.session.commit()
    st = statement(client, f, broker)
    assert st["accrued"] == "8000.00" and st["deals"][0]["contract_id"] == c.id
    assert st["entries"][0]["payer"] == "buyer"


# Rewards --------------------------------------------------------------------------------------------------

TIERED = {"name": "鹰潭市技术交易奖补（经纪人）", "year": TODAY.year, "city": "鹰潭", "recipient_kind": "broker",
          "method": "tiered", "annual_cap": "5000", "require_payment": True, "require_invoice": True,
          "tiers": [{"upto": "100000", "rate": "1"}, {"upto": "1000000", "rate": "0.5"}, {"upto": None, "rate": "0.1"}]}


def _registered(f, inst, company, broker, amount, admin, paid=None, invoice=True, city="鹰潭"):
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": f"许可合同{amount}",
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": amount,
                                "signed_on": SIGNED, "city": city, "industry": "有色金属", "broker_id": broker.id,
                                "terms": {"kind": "lump_sum", "amount": amount}})
    contracts.submit(inst, c)
    contracts.register(admin, c, {})
    if paid:
        p = contracts.record_payment(inst, c, {"amount": paid, "received_on": TODAY.isoformat()})
        if invoice:
            services.record_invoice(inst, p.id, {"invoice_no": f"FP{c.id:06d}", "contract_no": c.registration_no})
    db.session.commit()
    return c


def test_an_invoice_whose_contract_number_was_typed_in_full_width_is_the_contracts_invoice(client, f):
    # the number printed on the invoice, typed with a Chinese input method's full-width mode on (２０２６－鹰潭－０００００１)
    admin = f.user("admin", admin_level="city", city="鹰潭")
    inst, company, broker = f.user("institution", city="鹰潭"), f.user("company", city="鹰潭"), f.user("broker")
    c = _registered(f, inst, company, broker, "50000", admin, paid="50000", invoice=False)
    wide = str.maketrans({ch: chr(ord(ch) + 0xFEE0) for ch in "0123456789-"})
    p = c.payments[0]
    services.record_invoice(inst, p.id, {"invoice_no": "FP000001", "contract_no": c.registration_no.translate(wide)})
    db.session.commit()
    h = bearer(f, admin)
    rule = client.post("/api/v1/rewards/rules", json=TIERED, headers=h)
    r = client.post(f"/api/v1/rewards/rules/{rule.json['id']}/compute", headers=h)
    assert r.status_code == 201, r.json
    assert r.json["left_out"] == [] and r.json["total"] == "500.00"  # 50,000 × 1 %


def test_reward_list_on_known_contracts_to_the_fen(client, f):
    admin = f.user("admin", admin_level="city", city="鹰潭")
    inst, company = f.user("institution", city="鹰潭"), f.user("company", city="鹰潭")
    b1, b2 = f.user("broker"), f.user("broker")
    a = _registered(f, inst, company, b1, "123456.78", admin, paid="10000")    # 1000 + 23456.78×0.5% = 1117.28
    b = _registered(f, inst, company, b1, "800000", admin, paid="800000")      # 1000 + 700000×0.5% = 4500 → cap left 3882.72
    _registered(f, inst, company, b2, "3000000", admin, paid="1")             # 1000 + 4500 + 2000 = 7500 → cap 5000
    _registered(f, inst, company, b2, "50000", admin)                          # no payment: left out
    _registered(f, inst, company, b2, "60000", admin, paid="60000", invoice=False)  # no invoice: left out
    h = bearer(f, admin)
    rule = client.post("/api/v1/rewards/rules", json=TIERED, headers=h)
    assert rule.status_code == 201, rule.json
    r = client.post(f"/api/v1/rewards/rules/{rule.json['id']}/compute", headers=h)
    assert r.status_code == 201, r.json
    lines = {{b1.id: "甲经纪人", b2.id: "乙经纪人"}[x["recipient_user_id"]]: x for x in r.json["lines"]}
    assert (lines["甲经纪人"]["computed"], lines["甲经纪人"]["amount"]) == ("5617.28", "5000.00")
    assert [c["granted"] for c in lines["甲经纪人"]["evidence"]["contracts"]] == ["1117.28", "3882.72"]
    assert [c["registration_no"] for c in lines["甲经纪人"]["evidence"]["contracts"]] == [a.registration_no,
                                                                                         b.registration_no]
    assert (lines["乙经纪人"]["computed"], lines["乙经纪人"]["amount"]) == ("7500.00", "5000.00")
    assert r.json["total"] == "10000.00"
    assert sorted(x["reason"] for x in r.json["left_out"]) == ["尚未登记首笔到账", "没有载明合同登记编号的发票"]
    # Review → publicity (public) → final after the period → disbursed; every step audited.
    list_id = r.json["id"]
    assert client.get(f"/api/v1/rewards/lists/{list_id}").status_code == 404  # not public while under review
    assert client.post(f"/api/v1/rewards/lists/{list_id}/publish", json={"publicity_days": 7}, headers=h).status_code == 200
    public = client.get(f"/api/v1/rewards/lists/{list_id}")
    assert public.status_code == 200 and public.json["status"] == "publicity" and "left_out" not in public.json
    assert client.post(f"/api/v1/rewards/lists/{list_id}/finalise", headers=h).status_code == 409  # period running
    assert client.post(f"/api/v1/rewards/rules/{rule.json['id']}/compute", headers=h).status_code == 409
    lst = rewards.get_list(admin, list_id)
    rewards.finalise(admin, lst, today=TODAY + timedelta(days=8))
    db.session.commit()
    line = lst.lines[0].id
    d = client.post(f"/api/v1/rewards/lines/{line}/disburse", headers=h,
                    json={"disbursed_on": TODAY.isoformat(), "disbursement_ref": "BF-2026-001"})
    assert d.status_code == 200 and d.json["disbursement_ref"] == "BF-2026-001"
    assert client.post(f"/api/v1/rewards/lines/{line}/disburse", headers=h,
                       json={"disbursed_on": TODAY.isoformat(), "disbursement_ref": "BF-2026-001"}).status_code == 409
    actions = [e.action for e in AuditLog.query.filter_by(entity_type="reward_list").order_by(AuditLog.id)]
    assert actions == ["compute", "publish", "finalise", "disburse"]


def test_reward_rules_are_for_administrators_in_scope(client, f):
    city = f.user("admin", admin_level="city", city="鹰潭")
    other_city = f.user("admin", admin_level="city", city="赣州")
    base = {**TIERED, "method": "base_permille", "base": "2000", "permille": "5", "tiers": []}
    assert client.post("/api/v1/rewards/rules", json={**base, "city": "赣州"}, headers=bearer(f, city)).status_code == 403
    assert client.post("/api/v1/rewards/rules", json={**base, "city": None}, headers=bearer(f, city)).status_code == 403
    for user in (f.user("broker"), f.user("company")):
        assert client.post("/api/v1/rewards/rules", json=base, headers=bearer(f, user)).status_code == 403
    r = client.post("/api/v1/rewards/rules", json=base, headers=bearer(f, city))
    assert r.status_code == 201 and r.json["permille"] == "5"
    assert client.get(f"/api/v1/rewards/rules/{r.json['id']}", headers=bearer(f, other_city)).status_code == 404
    assert client.get("/api/v1/rewards/rules", headers=bearer(f, other_city)).json["total"] == 0
    assert AuditLog.query.filter_by(entity_type="reward_rule", action="create").count() == 1
    inst, company, broker = f.user("institution", city="鹰潭"), f.user("company", city="鹰潭"), f.user("broker")
    _registered(f, inst, company, broker, "800000", city, paid="1000")
    r = client.post(f"/api/v1/rewards/rules/{r.json['id']}/compute", headers=bearer(f, city))
    assert r.json["lines"][0]["amount"] == "5000.00"  # 2000 + 800000 × 5‰ = 6000, capped at 5000


def test_pages_render_for_broker_party_and_admin(client, f, deal):
    from .conftest import login
    ag = confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")
    login(client, deal["broker"])
    for url in ("/commissions", f"/commissions/agreements/{ag['id']}", "/commissions/statement",
                "/commissions/statement?view=agency", "/commissions/agreements/new", "/rewards"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "<script>" not in r.get_data(as_text=True) and 'style="' not in r.get_data(as_text=True)
    assert "3000.00" in client.get("/commissions/statement").get_data(as_text=True)
    client.post("/logout")
    login(client, deal["registrar"])
    assert client.get("/commissions/statement").status_code == 200
    assert client.get("/rewards/rules/new").status_code == 200
    r = client.post("/rewards/rules/new", data={"name": "南昌市技术交易奖补", "year": str(TODAY.year), "city": "南昌",
                                                "recipient_kind": "agency", "method": "tiered",
                                                "tier_upto": ["100000", ""], "tier_rate": ["1", "0.5"],
                                                "annual_cap": "50000", "require_payment": "1"})
    assert r.status_code == 302 and "/rewards/rules/" in r.headers["Location"]
    page = client.post(r.headers["Location"] + "/compute")
    assert page.status_code == 302
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "江西" in html or "测试单位" in html  # the agency (the broker's organisation) is on the list


# Brokers ↔ commissions: commission earned on the profile and in the score; the agreement proposed with the draft;
# irreversible actions ask first --------------------------------------------------------------------------

def _filed(f, broker, centre):
    """An active (filed) profile of this broker with this centre."""
    from marketplace.brokers import profiles
    p = profiles.save(broker, {"real_name": "冯经纪", "level": "中级技术经纪人", "certificate_no": "JX-088",
                               "certificate_issuer": "省科技厅", "specialties": ["新材料"], "cities": ["南昌"],
                               "filed_with_org_id": centre.org_id})
    profiles.submit(broker, p)
    profiles.decide(centre, p, "approve")
    db.session.commit()
    return p


def test_commission_earned_is_on_the_brokers_profile_and_in_its_credit_score(client, f, deal):
    from marketplace.brokers import profiles
    from .conftest import login
    p = _filed(f, deal["broker"], deal["registrar"])
    api = f"/api/v1/brokers/{p.id}"
    assert client.get(api).json["performance"]["commission"] == "0.00"  # the ledger answers: nothing yet
    ag = confirm_all(client, f, deal, agreement(client, f, deal))
    register(client, f, deal)
    pay(client, f, deal, "100000")  # accrues 1,800 (seller) + 1,200 (buyer): accrued, not yet earned
    assert client.get(api).json["performance"]["commission"] == "0.00"
    entries = client.get(f"/api/v1/commissions/agreements/{ag['id']}", headers=bearer(f, deal["company"])).json["entries"]
    buyer = next(e for e in entries if e["payer"] == "buyer")
    seller = next(e for e in entries if e["payer"] == "seller")
    url = "/api/v1/commissions/entries/{}/{}"
    assert client.post(url.format(buyer["id"], "confirm"), headers=bearer(f, deal["company"])).status_code == 201
    paid = {"invoice_no": "FP-2026-0009", "bank_ref": "HD20260109", "paid_on": TODAY.isoformat()}
    assert client.post(url.format(buyer["id"], "paid"), json=paid, headers=bearer(f, deal["broker"])).status_code == 201
    assert client.post(url.format(seller["id"], "confirm"), headers=bearer(f, deal["inst"])).status_code == 201
    assert client.post(url.format(seller["id"], "reverse"), json={"reason": "卖方部分更正，重新计提"},
                       headers=bearer(f, deal["inst"])).status_code == 201  # confirmed, then reversed: nets out
    perf = client.get(api).json["performance"]
    assert perf["commission"] == "1200.00"
    part = next(c for c in perf["components"] if c["key"] == "commission")
    assert part["label"] == "佣金" and "0.12 万元" in part["detail"] and Decimal(part["points"]) > 0
    assert Decimal(perf["score"]) == sum(Decimal(c["points"]) for c in perf["components"])
    html = client.get(f"/brokers/{p.id}").get_data(as_text=True)
    assert "¥1,200.00" in html and "暂无记录" not in html
    # Many brokers at once (the ranking): one answer each, zero for a broker without a ledger.
    other = f.user("broker")
    got = profiles.performance([deal["broker"].id, other.id])
    assert (got[deal["broker"].id].commission, got[other.id].commission) == (Decimal("1200.00"), Decimal("0.00"))
    login(client, deal["broker"])
    assert "¥1,200.00" in client.get("/brokers/me").get_data(as_text=True)


def _introduced(f):
    from marketplace.brokers import services as brokers
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="鹰潭")
    broker = f.user("broker", city="南昌")
    ach = f.record("achievements", inst, status="published", title="稀土发光材料低温合成技术")
    dem = f.record("demands", company, status="published", title="LED 荧光粉降本需求")
    intro = brokers.claim(broker, dem)
    brokers.introduce(broker, intro, ach)
    db.session.commit()
    return intro, inst, company, broker


DRAFT = {"kind": "技术转让", "transfer_form": "许可", "title": "", "amount": "400000", "signed_on": "2026-05-06"}


def test_the_broker_proposes_the_commission_agreement_with_the_contract_draft(client, f):
    from marketplace.commissions.models import CommissionAgreement
    from marketplace.contracts.models import Contract
    from marketplace.notifications.models import Notification
    from .conftest import login
    intro, inst, company, broker = _introduced(f)
    login(client, broker)
    page = client.get(f"/brokers/introductions/{intro.id}").get_data(as_text=True)
    assert 'name="commission_propose"' in page and 'name="commission_basis"' in page
    # A bad proposal refuses the whole step: no contract without its agreement, the typed figures kept.
    r = client.post(f"/brokers/introductions/{intro.id}/contract", data={
        **DRAFT, "commission_propose": "1", "commission_payer": "both", "commission_basis": "contract",
        "commission_rate": "150"})
    assert r.status_code == 200 and Contract.query.count() == 0 and CommissionAgreement.query.count() == 0
    html = r.get_data(as_text=True)
    assert "0–100" in html and 'value="400000"' in html
    r = client.post(f"/brokers/introductions/{intro.id}/contract", data={
        **DRAFT, "commission_propose": "1", "commission_payer": "both", "commission_seller_share": "50",
        "commission_basis": "contract", "commission_rate": "3", "commission_cap": "10000"})
    c = Contract.query.one()
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/contracts/{c.id}")
    ag = CommissionAgreement.query.one()
    assert (ag.status, ag.contract_id, ag.introduction_id, ag.payer, ag.basis, ag.rate, ag.cap) == \
        ("proposed", c.id, intro.id, "both", "contract", Decimal("3"), Decimal("10000.00"))
    assert [(b.broker_id, b.share) for b in ag.brokers] == [(broker.id, Decimal("100"))]
    assert "佣金协议已提交付款方确认" in client.get(r.headers["Location"]).get_data(as_text=True)
    # Both paying parties are told and see it to confirm; each confirms on the page.
    for party, last in ((inst, False), (company, True)):
        assert Notification.query.filter_by(user_id=party.id).filter(Notification.title.like("佣金协议待确认%")).count() == 1
        login(client, party)
        html = client.get(f"/commissions/agreements/{ag.id}").get_data(as_text=True)
        assert 'id="btn-confirm"' in html and "待确认" in html
        r = client.post(f"/commissions/agreements/{ag.id}/confirm")
        flashed = client.get(r.headers["Location"]).get_data(as_text=True)
        assert ("佣金协议已确认生效" if last else "已确认，等待另一付款方确认") in flashed
    db.session.expire_all()
    assert db.session.get(CommissionAgreement, ag.id).status == "confirmed"
    # Without the box ticked, only the contract draft is made (a second draft of the same introduction).
    login(client, broker)
    r = client.post(f"/brokers/introductions/{intro.id}/contract", data={**DRAFT, "commission_basis": "contract",
                                                                          "commission_rate": "3"})
    assert r.status_code == 302 and Contract.query.count() == 2 and CommissionAgreement.query.count() == 1


def test_the_contract_draft_api_takes_the_commission_proposal_too(client, f):
    from marketplace.commissions.models import CommissionAgreement
    intro, _inst, _company, broker = _introduced(f)
    url = f"/api/v1/brokers/introductions/{intro.id}/contract"
    body = {"kind": "技术开发", "amount": "200000"}
    r = client.post(url, headers=bearer(f, broker), json={**body, "commission": {"payer": "seller", "basis": "bartering"}})
    assert r.status_code == 422 and "basis" in r.json["error"]["fields"], r.json
    r = client.post(url, headers=bearer(f, broker), json={**body, "commission": {"payer": "seller", "basis": "fixed",
                                                                                 "fee": "6000"}})
    assert r.status_code == 201, r.json
    ag = CommissionAgreement.query.one()
    assert (ag.contract_id, ag.status, ag.fee) == (r.json["id"], "proposed", Decimal("6000.00"))


def _forms(html):
    """(action, attributes) of every POST form of a page's content (not the header's 退出)."""
    import re
    return [(m.group(1), m.group(0)) for m in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>', html)
            if m.group(1) != "/logout"]


def test_irreversible_actions_ask_first_and_every_action_says_what_it_did(client, f, deal):
    from .conftest import login
    ag = agreement(client, f, deal, propose=False)
    login(client, deal["inst"])
    html = client.get(f"/commissions/agreements/{ag['id']}").get_data(as_text=True)
    assert all("data-confirm=" in attrs for action, attrs in _forms(html) if action.endswith("/propose"))
    r = client.post(f"/commissions/agreements/{ag['id']}/propose")
    assert "已提交付款方确认" in client.get(r.headers["Location"]).get_data(as_text=True)
    confirm_all(client, f, deal, ag)
    register(client, f, deal)
    pay(client, f, deal, "100000")
    html = client.get(f"/commissions/agreements/{ag['id']}").get_data(as_text=True)
    forms = _forms(html)
    asked = [a for a, attrs in forms if "data-confirm=" in attrs]
    assert any(a.endswith("/confirm") and "/entries/" in a for a in asked)  # confirming an accrual
    assert any(a.endswith("/reverse") for a in asked)
    assert any("/invoice" in a for a in asked)  # on the form, where site.js looks, not on the button
    entry = next(e for e in client.get(f"/api/v1/commissions/agreements/{ag['id']}").json["entries"]
                 if e["payer"] == "seller")
    r = client.post(f"/commissions/entries/{entry['id']}/confirm")
    assert "已确认该笔佣金" in client.get(r.headers["Location"]).get_data(as_text=True)
    login(client, deal["broker"])
    html = client.get(f"/commissions/agreements/{ag['id']}").get_data(as_text=True)
    assert all("data-confirm=" in attrs for a, attrs in _forms(html) if a.endswith(("/paid", "/reverse")))
    assert any(a.endswith("/paid") for a, _ in _forms(html))
    # The broker's introduction page: introducing, moving a stage and the draft (with its agreement) ask first.
    intro, *_ = _introduced(f)
    login(client, intro.broker)
    from marketplace.brokers import services as brokers
    html = client.get(f"/brokers/introductions/{intro.id}").get_data(as_text=True)
    forms = _forms(html)
    assert forms and all("data-confirm=" in attrs for a, attrs in forms), forms
    claimed = brokers.claim(intro.broker, f.record("demands", f.user("company"), status="published"))
    db.session.commit()
    html = client.get(f"/brokers/introductions/{claimed.id}").get_data(as_text=True)
    assert 'id="introduce-form"' in html and all("data-confirm=" in attrs for _, attrs in _forms(html))


def test_a_refused_small_form_is_marked_on_the_page_it_returns_to_once_and_nothing_is_written(client, f, deal):
    """core.web.attempt: the page a refused action redirects to names the form and the fields at fault (for
    static/js/site.js to give the form back as typed); the next page no longer does."""
    from .conftest import login
    ag = agreement(client, f, deal, payer="seller", seller_share=None, rate="2.5", cap=None)
    r = client.post(f"/api/v1/commissions/agreements/{ag['id']}/confirm", headers=bearer(f, deal["inst"]))
    assert r.status_code == 200 and r.json["status"] == "confirmed", r.json  # the seller pays alone
    register(client, f, deal)
    pay(client, f, deal, "100000")
    entry = next(e for e in client.get(f"/api/v1/commissions/agreements/{ag['id']}", headers=bearer(f, deal["inst"]))
                 .json["entries"] if e["kind"] == "accrual")
    login(client, deal["inst"])
    client.post(f"/commissions/entries/{entry['id']}/confirm")
    login(client, deal["broker"])
    future = (TODAY + timedelta(days=3)).isoformat()
    r = client.post(f"/commissions/entries/{entry['id']}/paid",
                    data={"invoice_no": "FP-2026-0001", "bank_ref": "HD-889", "paid_on": future})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "支付日期应在" in page
    assert (f'id="refused-form" data-action="/commissions/entries/{entry["id"]}/paid" data-fields="paid_on"'
            in page)
    assert "FP-2026-0001" not in page  # what was typed stays in the browser, not in the cookie or the page
    assert 'id="refused-form"' not in client.get(r.headers["Location"]).get_data(as_text=True)
    assert CommissionEntry.query.filter_by(kind="payment").count() == 0
    r = client.post(f"/commissions/entries/{entry['id']}/paid",
                    data={"invoice_no": "FP-2026-0001", "bank_ref": "HD-889", "paid_on": TODAY.isoformat()})
    assert 'id="refused-form"' not in client.get(r.headers["Location"]).get_data(as_text=True)
    assert CommissionEntry.query.filter_by(kind="payment").count() == 1
