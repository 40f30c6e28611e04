"""In Chromium: the seller records the buyer's payment on the contract page, and the broker sees the commission
accrue on its statement page (received basis, through the payment_recorded signal)."""
from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By

from marketplace.commissions import services as commissions
from marketplace.commissions.models import CommissionEntry
from marketplace.contracts import payments
from marketplace.contracts import services as contracts
from marketplace.extensions import db

from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser


def _licence_with_commission(f, title: str, amount: str):
    """A registered licence (南昌) with a broker and a confirmed 2.5 % commission the seller pays on what it
    receives: (seller, broker, contract, agreement)."""
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="南昌")
    broker = f.user("broker", city="南昌")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": title,
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": amount,
                                "signed_on": (date.today() - timedelta(days=30)).isoformat(), "city": "南昌",
                                "industry": "新材料", "broker_id": broker.id,
                                "terms": {"kind": "lump_sum", "amount": amount}})
    contracts.submit(inst, c)
    contracts.register(f.user("admin", admin_level="province"), c, {})
    ag = commissions.create(inst, {"contract_id": c.id, "payer": "seller", "basis": "received", "rate": "2.5",
                                   "propose": True})
    commissions.confirm(inst, ag)
    return inst, broker, c, ag


def test_the_buyers_payment_accrues_the_brokers_commission_on_its_statement(live, browser, f):
    inst, broker, c, ag = _licence_with_commission(f, "钕铁硼晶界扩散专利许可合同", "400000")
    db.session.commit()

    sign_in(browser, live, broker)
    click_and_wait(browser, browser.find_element(By.ID, "commissions-link"))
    click_and_wait(browser, browser.find_element(By.ID, "statement-link"))
    assert browser.find_element(By.ID, "total-accrued").text == "0.00"
    sign_out(browser)

    sign_in(browser, live, inst)  # the seller records the money received from the buyer
    browser.get(f"{live}/contracts/{c.id}")
    browser.find_element(By.ID, "pay_amount").send_keys("120000")
    _set(browser, "received_on", date.today().isoformat())
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-payment"))
    assert browser.find_element(By.ID, "received").text == "120000.00"
    sign_out(browser)

    sign_in(browser, live, broker)
    browser.get(f"{live}/commissions/statement")
    assert browser.find_element(By.ID, "total-accrued").text == "3000.00"  # 2.5% of 120,000
    assert browser.find_element(By.ID, "total-outstanding").text == "3000.00"
    assert "钕铁硼晶界扩散专利许可合同" in browser.find_element(By.ID, "deals").text


def test_a_refused_payment_record_comes_back_as_typed_with_the_date_marked(live, browser, f):
    """A small form the server refuses (core.web.attempt: flash and redirect) loses nothing: the broker's invoice
    and bank numbers come back, the date at fault is marked; the next page forgets them."""
    inst, broker, c, ag = _licence_with_commission(f, "稀土抛光粉回收工艺许可合同", "200000")
    payments.record_payment(inst, c, {"amount": "80000", "received_on": date.today().isoformat()})
    db.session.flush()
    entry = CommissionEntry.query.filter_by(agreement_id=ag.id, kind="accrual").one()
    commissions.confirm_entry(inst, entry)
    db.session.commit()

    sign_in(browser, live, broker)
    browser.get(f"{live}/commissions/agreements/{ag.id}")
    form = f"form[action='/commissions/entries/{entry.id}/paid']"
    browser.find_element(By.CSS_SELECTOR, f"{form} input[name=invoice_no]").send_keys("FP-2026-0001")
    browser.find_element(By.CSS_SELECTOR, f"{form} input[name=bank_ref]").send_keys("HD-889")
    future = (date.today() + timedelta(days=3)).isoformat()
    browser.execute_script("arguments[0].value = arguments[1]",
                           browser.find_element(By.CSS_SELECTOR, f"{form} input[name=paid_on]"), future)
    confirm_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]"))

    assert "支付日期应在" in browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    field = lambda name: browser.find_element(By.CSS_SELECTOR, f"{form} [name={name}]")  # noqa: E731
    assert field("invoice_no").get_attribute("value") == "FP-2026-0001"
    assert field("bank_ref").get_attribute("value") == "HD-889"
    assert field("paid_on").get_attribute("value") == future
    assert field("paid_on").get_attribute("aria-invalid") == "true"
    assert field("invoice_no").get_attribute("aria-invalid") is None
    assert CommissionEntry.query.filter_by(agreement_id=ag.id, kind="payment").count() == 0

    browser.refresh()  # a page without a refusal: nothing given back, nothing kept in the tab
    assert field("invoice_no").get_attribute("value") == ""
    assert not [k for k in browser.execute_script("return Object.keys(window.sessionStorage)") if k.startswith("typed:")]
