"""Forms: the contract entry form (groups, organisation picker values, records by their visible code, kind-specific
sections, errors next to fields with values kept, a flash after saving) and the money forms of a contract page."""
import re
from datetime import date

from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract, Payment
from marketplace.extensions import db

from .conftest import login


def _parties(f):
    inst, company = f.user("institution"), f.user("company")
    return inst, company


def _form(inst, company, **over):
    return {"kind": "技术转让", "transfer_form": "许可", "title": "钕铁硼晶界扩散专利实施许可合同",
            "seller_org_id": str(inst.org_id), "buyer_org_id": str(company.org_id), "amount": "1200000",
            "signed_on": "2025-03-01", "city": "南昌", "industry": "新材料", **over}


def test_contract_by_visible_code_and_confirmation(client, f):
    inst, company = _parties(f)
    ach = f.record("achievements", inst, status="published", ref="JX-ACH-0069")
    login(client, inst)
    page = client.get("/contracts/new").get_data(as_text=True)
    for legend in ("合同基本信息", "合同双方", "关联记录（可选）"):
        assert legend in page
    assert "data-org-picker" in page and f'value="{inst.org_id}" selected' in page  # the actor's side preset
    resp = client.post("/contracts/new", data=_form(inst, company, achievement_code="jx-ach-0069 "))
    assert resp.status_code == 302
    c = Contract.query.one()
    assert c.achievement_id == ach.id
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "合同草稿“钕铁硼晶界扩散专利实施许可合同”已保存" in detail


def test_wrong_code_is_an_error_next_to_the_field_and_values_are_kept(client, f):
    inst, company = _parties(f)
    login(client, inst)
    resp = client.post("/contracts/new", data=_form(inst, company, achievement_code="JX-ACH-9999", amount="12万"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and Contract.query.count() == 0
    err = re.search(r'id="err-achievement_code">([^<]+)<', html)
    assert err and "JX-ACH-9999" in err.group(1)
    assert 'value="JX-ACH-9999"' in html and 'value="钕铁硼晶界扩散专利实施许可合同"' in html
    assert f'<option value="{company.org_id}" selected>' in html  # the chosen buyer is still chosen
    # A code that exists but belongs to another organisation is refused by the service, still by the field.
    other = f.user("institution")
    f.record("achievements", other, status="published", ref="JX-ACH-0070")
    resp = client.post("/contracts/new", data=_form(inst, company, achievement_code="JX-ACH-0070"))
    assert resp.status_code == 422 and 'id="err-achievement_code"' in resp.get_data(as_text=True)


def test_service_errors_land_by_their_fields(client, f):
    inst, company = _parties(f)
    login(client, inst)
    resp = client.post("/contracts/new", data=_form(inst, company, amount="-5", title="", buyer_org_id="abc"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="err-buyer_org_id"' in html
    resp = client.post("/contracts/new", data=_form(inst, company, amount="-5", title="短"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="err-title"' in html and 'value="-5"' in html


def test_kind_specific_sections(client, f):
    inst, company = _parties(f)
    login(client, inst)
    page = client.get("/contracts/new").get_data(as_text=True)  # 技术开发 first: no licence terms shown
    assert re.search(r'id="terms-section" hidden', page)
    assert not re.search(r'id="no-terms-note" hidden', page)
    # Licence terms typed into a 技术开发 contract are ignored, not saved.
    resp = client.post("/contracts/new", data=_form(inst, company, kind="技术开发", transfer_form="许可",
                                                    t_kind="lump_sum", t_amount="100", t_due_days="30"))
    assert resp.status_code == 302
    c = Contract.query.one()
    assert c.kind == "技术开发" and c.transfer_form is None and c.terms is None
    detail = client.get(f"/contracts/{c.id}").get_data(as_text=True)
    assert "<summary>设置条款</summary>" not in detail and "t_royalty_rate" not in detail
    # A 技术转让 contract has them, and a bad term comes back by its field.
    resp = client.post("/contracts/new", data=_form(inst, company, t_kind="zero_threshold", t_royalty_rate="150",
                                                    m_name=["样机验收"], m_trigger=["验收"], m_amount=["abc"]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="err-t_royalty_rate"' in html and 'value="150"' in html and 'value="样机验收"' in html
    assert not re.search(r'id="terms-section" hidden', html)
    ok = client.post("/contracts/new", data=_form(inst, company, t_kind="lump_sum", t_amount="1200000", t_due_days="30"))
    assert ok.status_code == 302
    assert Contract.query.order_by(Contract.id.desc()).first().terms.kind == "lump_sum"
    assert "<summary>设置条款</summary>" in client.get(ok.headers["Location"]).get_data(as_text=True)


def _registered(f, inst, company, terms=None):
    admin = f.user("admin")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "专利实施许可合同",
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "100000",
                                "signed_on": "2025-03-01", "city": "南昌", "industry": "新材料",
                                "terms": terms or {"kind": "lump_sum", "amount": "100000", "due_days": 30}})
    contracts.submit(inst, c)
    contracts.register(admin, c, {})
    db.session.commit()
    return c


def test_payment_form_flash_and_error_redisplay(client, f):
    inst, company = _parties(f)
    c = _registered(f, inst, company)
    login(client, inst)
    page = client.get(f"/contracts/{c.id}").get_data(as_text=True)
    assert 'data-confirm="确定登记这笔到账吗' in page
    bad = client.post(f"/contracts/{c.id}/payment", data={"amount": "999999", "received_on": date.today().isoformat(),
                                                         "note": "流水 123"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and Payment.query.count() == 0
    assert 'id="err-amount"' in html and 'value="999999"' in html and 'value="流水 123"' in html
    assert "到账金额超过尚未支付的应付金额" in html.split('id="payment-form"')[1].split("</form>")[0]
    bad = client.post(f"/contracts/{c.id}/payment", data={"amount": "1000", "received_on": "2031-01-01"})
    assert bad.status_code == 422 and 'id="err-received_on"' in bad.get_data(as_text=True)
    ok = client.post(f"/contracts/{c.id}/payment", data={"amount": "1000", "received_on": date.today().isoformat()})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("#payment-form")
    assert "到账已登记" in client.get(ok.headers["Location"]).get_data(as_text=True)
    assert Payment.query.count() == 1


def test_report_and_split_forms_keep_values(client, f):
    inst, company = _parties(f)
    c = _registered(f, inst, company, {"kind": "zero_threshold", "royalty_rate": "3", "report_period": "quarter",
                                       "milestones": []})
    login(client, company)
    bad = client.post(f"/contracts/{c.id}/report", data={"period_start": "2025-03-01", "period_end": "2025-05-31",
                                                        "net_sales": "很多"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="err-net_sales"' in html and 'value="很多"' in html
    assert 'value="2025-03-01"' in html
    ok = client.post(f"/contracts/{c.id}/report", data={"period_start": "2025-03-01", "period_end": "2025-05-31",
                                                       "net_sales": "100000"})
    assert ok.status_code == 302 and "提成报告已提交" in client.get(ok.headers["Location"]).get_data(as_text=True)
    client.post("/logout")
    login(client, inst)
    bad = client.post(f"/contracts/{c.id}/split", data={"net_income": "100000", "team_percent": "60",
                                                       "institution_percent": "40", "broker_percent": "0",
                                                       "inv_name": ["张明", "李华"], "inv_percent": ["50", "50"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="err-team_percent"' in html
    assert 'value="张明"' in html and 'value="60"' in html
    ok = client.post(f"/contracts/{c.id}/split", data={"net_income": "100000", "team_percent": "70",
                                                      "institution_percent": "30", "broker_percent": "0",
                                                      "inv_name": ["张明", "李华"], "inv_percent": ["50", "50"]})
    assert ok.status_code == 302 and "收益分配已保存" in client.get(ok.headers["Location"]).get_data(as_text=True)


# The library forms: several IP items per achievement; a demand needs a contact --------------------------

ACH_FORM = {"title": "钕铁硼稀土永磁材料晶界扩散技术", "summary": "通过重稀土晶界扩散提高钕铁硼磁体矫顽力，重稀土用量降低60%。",
            "industry": "新材料", "category": "应用技术", "funding_source": "财政资金", "maturity": "中试"}


def test_achievement_form_takes_several_ip_items_each_validated(client, f):
    from marketplace.achievements.models import Achievement
    inst = f.user("institution")
    login(client, inst)
    page = client.get("/achievements/new").get_data(as_text=True)
    assert "data-add-row" in page and "<template data-row-template>" in page
    rows = {"ip_type": ["发明专利", "软件著作权", "实用新型"], "patent_no": ["ZL201910000001.1", "2023SR0001", "ZL2020"],
            "ip_filed_on": ["2019-01-10", "", "2020-05-01"], "ip_granted_on": ["2021-05-20", "2023-01-01", "2019-01-01"]}
    bad = client.post("/achievements/new", data={**ACH_FORM, **rows})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and Achievement.query.count() == 0
    assert "授权日期不能早于申请日期" in html  # the third row's dates, shown by that row
    assert 'value="2023SR0001"' in html and 'value="ZL2020"' in html  # every row kept
    assert html.count("data-remove-row") == 4  # three rows and the template's
    rows["ip_granted_on"][2] = "2021-01-01"
    ok = client.post("/achievements/new", data={**ACH_FORM, **rows})
    assert ok.status_code == 302
    a = Achievement.query.one()
    assert [(ip.ip_type, ip.number) for ip in a.ip_items] == [("发明专利", "ZL201910000001.1"),
                                                             ("软件著作权", "2023SR0001"), ("实用新型", "ZL2020")]
    edit = client.get(f"/achievements/{a.id}/edit").get_data(as_text=True)
    assert 'value="2023SR0001"' in edit and edit.count("data-remove-row") == 4
    # Removing a row on the form removes the item; a row with a number but no type is refused by its row.
    client.post(f"/achievements/{a.id}/edit", data={**ACH_FORM, "ip_type": ["发明专利"], "patent_no": ["ZL201910000001.1"],
                                                  "ip_filed_on": [""], "ip_granted_on": [""]})
    db.session.refresh(a)
    assert len(a.ip_items) == 1
    bad = client.post(f"/achievements/{a.id}/edit", data={**ACH_FORM, "ip_type": ["发明专利", ""],
                                                         "patent_no": ["ZL1", "ZL2"], "ip_filed_on": ["", ""],
                                                         "ip_granted_on": ["", ""]})
    assert bad.status_code == 422


DEMAND_FORM = {"title": "铜线拉丝频繁断线问题攻关", "description": "拉丝速度提到每秒20米以上就断线，换了几家的铜杆都不行。",
               "industry": "有色金属", "city": "鹰潭", "cooperation": "合作开发", "budget_wan": "50"}


def test_demand_needs_a_contact_prefilled_from_the_account(client, f):
    from marketplace.demands.models import Demand
    company = f.user("company")
    login(client, company)
    page = client.get("/demands/new").get_data(as_text=True)
    assert f'value="{company.name}"' in page and f'value="{company.email}"' in page
    bad = client.post("/demands/new", data={**DEMAND_FORM, "contact_name": "", "contact_phone": "", "contact_email": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="err-contact_name"' in html and Demand.query.count() == 0
    assert 'value="铜线拉丝频繁断线问题攻关"' in html
    bad = client.post("/demands/new", data={**DEMAND_FORM, "contact_name": "王经理", "contact_phone": "", "contact_email": ""})
    assert bad.status_code == 422 and 'id="err-contact_phone"' in bad.get_data(as_text=True)
    ok = client.post("/demands/new", data={**DEMAND_FORM, "contact_name": "王经理", "contact_phone": "0701-6200000",
                                           "contact_email": ""})
    assert ok.status_code == 302
    assert Demand.query.one().contact_phone == "0701-6200000"
    assert "需求已保存为草稿" in client.get(ok.headers["Location"]).get_data(as_text=True)


# Notifications added for the events a user wants to know about -----------------------------------------

def test_registration_payment_return_report_due_and_org_approval_are_told(client, f):
    from marketplace.accounts import services as accounts
    from marketplace.notifications.models import Notification
    inst, company = _parties(f)
    c = _registered(f, inst, company, {"kind": "zero_threshold", "royalty_rate": "3", "report_period": "quarter",
                                       "milestones": []})
    titles = lambda u: [n.title for n in Notification.query.filter_by(user_id=u.id)]  # noqa: E731
    assert any(t.startswith("合同已登记") for t in titles(company)) and any(t.startswith("合同已登记") for t in titles(inst))
    contracts.record_payment(inst, _registered(f, inst, company), {"amount": "100", "received_on": "2025-04-01"})
    db.session.commit()
    assert "到账已登记：100.00 元" in titles(company)
    sent = contracts.send_reminders(date(2025, 9, 5))  # two quarters ended (Mar–May, Jun–Aug), none reported
    assert sent.get("reports") == 2
    assert contracts.send_reminders(date(2025, 9, 6)).get("reports") is None  # each once
    db.session.commit()
    assert sum(t.startswith("提成报告待提交") for t in titles(company)) == 2
    # A contract sent back: both parties read why.
    admin = f.user("admin")
    d = contracts.create(inst, {"kind": "技术开发", "title": "稀土分离工艺技术开发合同", "seller_org_id": inst.org_id,
                                "buyer_org_id": company.org_id, "amount": "50000", "signed_on": "2025-03-01",
                                "city": "南昌", "industry": "新材料"})
    contracts.submit(inst, d)
    contracts.return_for_changes(admin, d, {"reason": "缺少技术合同登记表"})
    db.session.commit()
    note = Notification.query.filter(Notification.user_id == company.id, Notification.title.startswith("合同被退回")).one()
    assert "缺少技术合同登记表" in note.body
    # Real-name approval of an organisation.
    pending = f.user("company", approved=False)
    accounts.review_org(admin, pending.org, False, "营业执照不清晰")
    db.session.commit()
    note = Notification.query.filter_by(user_id=pending.id, kind="review").one()
    assert "营业执照不清晰" in note.body


def test_a_refused_licence_terms_form_comes_back_as_typed(client, f):
    """设置条款 on a draft 技术转让 contract: a bad term brings the page back (422) with every term and milestone as
    typed and the message by its field, the section open; nothing saved. (It was a redirect that lost them.)"""
    inst, company = _parties(f)
    login(client, inst)
    ok = client.post("/contracts/new", data=_form(inst, company))
    c = Contract.query.one()
    assert ok.status_code == 302 and c.terms is None
    typed = {"t_kind": "zero_threshold", "t_royalty_rate": "150", "t_royalty_min": "2000", "t_report_period": "half",
             "m_name": ["样机验收", "量产"], "m_trigger": ["验收合格", "首批出货"], "m_amount": ["50000", "abc"]}
    resp = client.post(f"/contracts/{c.id}/terms", data=typed)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, resp.status_code
    assert re.search(r"<details open\s*><summary>设置条款</summary>", html)
    for shown in ('value="150"', 'value="2000"', 'value="样机验收"', 'value="首批出货"', 'value="abc"',
                  '<option value="half" selected>', '<option value="zero_threshold" selected>'):
        assert shown in html, shown
    assert 'id="err-t_royalty_rate"' in html and 'id="err-m_amount.1"' in html  # each message by its field
    db.session.expire_all()
    assert Contract.query.one().terms is None
    fixed = dict(typed, t_royalty_rate="5", m_amount=["50000", "80000"], t_due_days="30")
    resp = client.post(f"/contracts/{c.id}/terms", data=fixed)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert Contract.query.one().terms.kind == "zero_threshold"
