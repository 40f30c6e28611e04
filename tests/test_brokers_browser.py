"""A broker in headless Chromium: claims a demand on the workbench, introduces an achievement and makes the
contract draft in one step, proposing the commission agreement in the same form (each irreversible step asks
first: the browser's confirmation dialog is accepted)."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from marketplace.commissions.models import CommissionAgreement
from marketplace.contracts.models import Contract

from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in

pytestmark = pytest.mark.browser


def test_broker_claims_introduces_and_drafts_the_contract_in_one_step(live, browser, f):
    from marketplace.searching import sync
    from .test_matching_api import seed
    company, wire, demand, lonely = seed(f)
    sync.apply_pending()
    broker = f.user("broker")
    sign_in(browser, live, broker)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "撮合工作台"))
    assert browser.find_element(By.ID, "pipeline-board")
    row = browser.find_element(By.CSS_SELECTOR, f"#open-demands li[data-demand='{demand.id}']")
    WebDriverWait(browser, 20).until(lambda _d: "铜线拉丝" in row.text)  # candidates fetched after the page
    click_and_wait(browser, row.find_element(By.CSS_SELECTOR, ".btn-claim"))
    assert "已认领" in browser.find_element(By.ID, "stage").text
    Select(browser.find_element(By.ID, "achievement_id")).select_by_index(0)
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-introduce"))
    assert "已引荐" in browser.find_element(By.ID, "stage").text
    form = browser.find_element(By.ID, "contract-draft-form")
    assert browser.find_element(By.ID, "amount").get_attribute("value") == "500000.00"  # the demand's budget
    Select(form.find_element(By.ID, "kind")).select_by_visible_text("技术转让")
    _set(browser, "signed_on", "2026-06-01")
    browser.find_element(By.ID, "commission_propose").click()
    Select(form.find_element(By.ID, "commission_payer")).select_by_visible_text("买方支付")
    Select(form.find_element(By.ID, "commission_basis")).select_by_visible_text("按合同成交额比例")
    browser.find_element(By.ID, "commission_rate").send_keys("2")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-contract-draft"))
    assert "/contracts/" in browser.current_url
    c = Contract.query.one()
    assert (c.status, c.broker_id, c.demand_id, c.achievement_id, c.buyer_org_id, c.seller_org_id) == \
        ("draft", broker.id, demand.id, wire.id, company.org_id, wire.owner_org_id)
    assert "已生成合同草稿" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert "佣金协议已提交付款方确认" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    ag = CommissionAgreement.query.one()
    assert (ag.status, ag.contract_id, ag.payer, ag.basis) == ("proposed", c.id, "buyer", "contract")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "撮合工作台"))
    board = browser.find_element(By.CSS_SELECTOR, "#pipeline-board [data-stage='introduced']").text
    assert demand.title in board
