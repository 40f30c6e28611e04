"""A day on the site for each role, in Chromium at a desktop width (1,366 px) and a phone width (390 px): log in →
land on 我的工作台 → follow a to-do → do the action (confirming in the page's dialog where it is irreversible) →
see the confirmation (a toast) → the other side sees the notification."""
from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from marketplace.accounts.models import User
from marketplace.extensions import db

from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser
DESKTOP, PHONE = (1366, 900), (390, 844)


def todo(browser, label):
    """The workbench's to-do link whose label is `label` (and its count)."""
    for link in browser.find_elements(By.CSS_SELECTOR, "#workbench .todo-link"):
        if link.find_element(By.CSS_SELECTOR, ".todo-label").text == label:
            return link, int(link.find_element(By.CSS_SELECTOR, ".todo-count").text)
    raise AssertionError(f"no to-do {label!r} in {browser.find_element(By.ID, 'workbench').text!r}")


def fits(browser):
    """Nothing wider than the window (no sideways scrolling)."""
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def toast(browser, text):
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#flashes .flash"), text))


def test_administrator_rejects_from_the_workbench_and_the_owner_is_told_on_a_phone(live, browser, f):
    inst = f.user("institution", name="南昌大学", city="南昌")
    f.record("achievements", inst, status="submitted", title="高强高导铜合金连续挤压技术")
    admin = f.user("admin")
    admin.name = "周志刚"
    db.session.commit()

    browser.set_window_size(*DESKTOP)
    sign_in(browser, live, admin)
    assert browser.current_url.endswith("/workbench")
    assert browser.find_element(By.ID, "user-menu").is_displayed() and browser.find_element(By.ID, "main-nav").is_displayed()
    fits(browser)
    link, count = todo(browser, "待审核的成果")
    assert count == 1
    click_and_wait(browser, link)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "高强高导铜合金连续挤压技术"))
    browser.find_element(By.CSS_SELECTOR, "#actions textarea[name=reason]").send_keys("缺少知识产权证明材料")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-reject"))
    toast(browser, "已驳回")
    history = browser.find_element(By.ID, "history").text
    assert "周志刚" in history and "驳回" in history and "reject" not in history
    sign_out(browser)

    browser.set_window_size(*PHONE)
    sign_in(browser, live, inst)
    assert browser.current_url.endswith("/workbench")
    fits(browser)
    assert browser.find_element(By.CSS_SELECTOR, ".nav-toggle-label").is_displayed()
    assert not browser.find_element(By.ID, "main-nav").is_displayed()  # the menu is behind 菜单
    assert browser.find_element(By.ID, "unread-count").text == "1"
    link, count = todo(browser, "被驳回的成果")
    assert count == 1
    click_and_wait(browser, link)
    fits(browser)
    assert not browser.find_element(By.ID, "filters").is_displayed()  # filters behind 筛选 on a phone
    browser.find_element(By.ID, "filters-box-toggle").click()
    WebDriverWait(browser, 5).until(EC.visibility_of_element_located((By.ID, "filters")))
    # the collapse animates: until it ends the list below is still moving (a click could land on the filters)
    WebDriverWait(browser, 5).until(lambda d: "show" in d.find_element(By.ID, "filters-box").get_attribute("class")
                                    and "collapsing" not in d.find_element(By.ID, "filters-box").get_attribute("class"))
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "高强高导铜合金连续挤压技术"))
    assert "缺少知识产权证明材料" in browser.find_element(By.ID, "reject-reason").text
    click_and_wait(browser, browser.find_element(By.ID, "inbox-link"))
    assert "成果审核结果" in browser.find_element(By.ID, "inbox").text


def test_licensee_reports_royalties_from_the_workbench_on_a_phone_and_the_licensor_is_told(live, browser, f, client):
    from .test_home import _licence
    inst = f.user("institution", name="南昌大学", city="南昌")
    company = f.user("company", name="江西赣锋测试材料有限公司", city="南昌")
    signed = date.today() - timedelta(days=120)
    emails = inst.email, company.email
    c = _licence(client, f, inst, company, signed.isoformat())
    db.session.remove()
    inst, company = (User.query.filter_by(email=e).one() for e in emails)

    browser.set_window_size(*PHONE)
    sign_in(browser, live, company)
    assert browser.current_url.endswith("/workbench")
    link, count = todo(browser, "待提交的提成报告")
    assert count >= 1
    click_and_wait(browser, link)
    assert browser.current_url.endswith(f"/contracts/{c['id']}")
    fits(browser)
    from marketplace.contracts.money import add_months
    _set(browser, "period_start", signed.isoformat())
    _set(browser, "period_end", (add_months(signed, 3) - timedelta(days=1)).isoformat())
    browser.find_element(By.ID, "net_sales").send_keys("1000000")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-report"))
    toast(browser, "提成报告")
    assert "25000.00" in browser.find_element(By.CSS_SELECTOR, "#schedule tr[data-kind='royalty']").text
    sign_out(browser)

    browser.set_window_size(*DESKTOP)
    sign_in(browser, live, inst)
    link, count = todo(browser, "未读消息")
    assert count >= 1
    click_and_wait(browser, link)
    assert "收到提成报告" in browser.find_element(By.ID, "inbox").text
