"""A broker's day in Chromium at 1,366 px: log in → 我的工作台 (撮合进展: a demand claimed, not yet introduced) →
the board column of that stage → the introduction → choose the achievement → 引荐双方 → the page's confirmation
dialog → the toast → the company that posted the demand (at 390 px) finds the introduction on its workbench and in
its inbox, and the institution whose achievement was introduced is told too."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from marketplace.accounts.models import User
from marketplace.brokers import services as brokers
from marketplace.brokers.models import Introduction
from marketplace.extensions import db

from .test_browser import click_and_wait, confirm_and_wait, sign_in, sign_out
from .test_ux_browser import DESKTOP, PHONE, fits, todo, toast

pytestmark = pytest.mark.browser


def test_broker_introduces_from_the_workbench_and_both_sides_are_told(live, browser, f):
    from .test_matching_api import seed
    company, wire, demand, _lonely = seed(f)
    institution = User.query.filter_by(org_id=wire.owner_org_id, role="institution").first()
    broker = f.user("broker", name="江西省科晟技术转移服务有限公司")
    broker.name = "李明远"  # the person's display name, shown in the history and the notifications
    intro = brokers.claim(broker, demand)
    db.session.commit()
    intro_id, demand_title, wire_id, wire_title = intro.id, demand.title, wire.id, wire.title

    browser.set_window_size(*DESKTOP)
    sign_in(browser, live, broker)
    assert browser.current_url.endswith("/workbench")
    fits(browser)
    link, count = todo(browser, "撮合已认领")
    assert count == 1
    click_and_wait(browser, link)
    assert browser.current_url.endswith("#stage-claimed")
    column = browser.find_element(By.ID, "stage-claimed")
    assert column.find_element(By.CSS_SELECTOR, "h3").text.startswith("已认领")
    click_and_wait(browser, column.find_element(By.LINK_TEXT, demand_title))
    assert browser.find_element(By.ID, "stage").text == "已认领"
    fits(browser)
    Select(browser.find_element(By.ID, "achievement_id")).select_by_value(str(wire_id))
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-introduce"))  # asks first: it cannot be undone
    toast(browser, "已更新为“已引荐”")
    assert browser.find_element(By.ID, "stage").text == "已引荐"
    history = browser.find_element(By.ID, "history").text
    assert "李明远" in history and "已引荐" in history and "introduced" not in history
    db.session.expire_all()  # read what the live server wrote
    row = db.session.get(Introduction, intro_id)
    assert (row.stage, row.achievement_id) == ("introduced", wire_id)
    sign_out(browser)

    # The company, on a phone: the workbench counts the new introduction, the inbox says what it is.
    browser.set_window_size(*PHONE)
    sign_in(browser, live, company)
    assert browser.current_url.endswith("/workbench")
    fits(browser)
    link, count = todo(browser, "技术经纪人的新引荐")
    assert count == 1
    click_and_wait(browser, link)
    fits(browser)
    inbox = browser.find_element(By.ID, "inbox").text
    assert "技术经纪人为您的需求引荐了成果" in inbox and wire_title in inbox and "李明远" in inbox
    sign_out(browser)

    # The institution whose achievement was introduced is told as well.
    sign_in(browser, live, institution)
    link, count = todo(browser, "技术经纪人的新引荐")
    assert count == 1
    click_and_wait(browser, link)
    assert "技术经纪人将您的成果引荐给企业需求" in browser.find_element(By.ID, "inbox").text
