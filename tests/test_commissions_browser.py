"""In Chromium: the seller records the buyer's payment on the contract page, and the broker sees the commission
accrue on its statement page (received basis, through the payment_recorded signal)."""
from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By

from marketplace.commissions import services as commissions
from marketplace.contracts import services as contracts
from marketplace.extensions import db

from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_the_buyers_payment_accrues_the_brokers_commission_on_its_statement(live, browser, f):
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="南昌")
    broker = f.user("broker", city="南昌")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "钕铁硼晶界扩散专利许可合同",
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "400000",
                                "signed_on": (date.today() - timedelta(days=30)).isoformat(), "city": "南昌",
                                "industry": "新材料", "broker_id": broker.id,
                                "terms": {"kind": "lump_sum", "amount": "400000"}})
    contracts.submit(inst, c)
    contracts.register(f.user("admin", admin_level="province"), c, {})
    ag = commissions.create(inst, {"contract_id": c.id, "payer": "seller", "basis": "received", "rate": "2.5",
                                   "propose": True})
    commissions.confirm(inst, ag)
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
