"""A company's day on a phone (390 px) in Chromium: log in → 我的工作台 (被驳回的需求) → the demand, with the
reviewer's reason → 修改 → fix it → the toast → 提交审核 → the toast → the provincial administrator (1,366 px)
finds it among 待审核的需求 on the workbench and opens it. Nothing is wider than the phone's screen."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from marketplace.accounts.models import User
from marketplace.demands.models import Demand
from marketplace.extensions import db

from . import factories
from .test_browser import click_and_wait, sign_in, sign_out
from .test_ux_browser import DESKTOP, PHONE, fits, todo, toast

pytestmark = pytest.mark.browser
TITLE = "铜杆拉丝老断线"


def _fill(browser, element_id, value):
    box = browser.find_element(By.ID, element_id)
    box.clear()
    box.send_keys(value)


def test_company_fixes_a_returned_demand_on_a_phone_and_the_administrator_sees_it(live, browser, f):
    company = f.user("company", name="鹰潭市华鑫铜业有限公司", city="鹰潭")
    company.name = "王建华"
    demand = f.record("demands", company, status="rejected", title=TITLE, industry="有色金属", city="鹰潭",
                      description="拉丝速度一提上去就老断线。", contact_name="王建华", contact_phone="13907010000")
    demand_id = demand.id
    reviewer = User.query.filter_by(email=factories.REVIEWER_EMAIL).one()  # who returned it ("资料不全")
    db.session.commit()

    browser.set_window_size(*PHONE)
    sign_in(browser, live, company)
    assert browser.current_url.endswith("/workbench")
    fits(browser)
    assert not browser.find_element(By.ID, "main-nav").is_displayed()  # the menu is behind 菜单 on a phone
    link, count = todo(browser, "被驳回的需求")
    assert count == 1
    click_and_wait(browser, link)
    fits(browser)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, TITLE))
    assert "资料不全" in browser.find_element(By.ID, "reject-reason").text
    fits(browser)
    click_and_wait(browser, browser.find_element(By.ID, "btn-edit"))
    fits(browser)
    _fill(browser, "f-description", "铜杆拉丝速度超过每秒25米时断线频繁（每班约6次），已更换三家铜杆供应商仍未改善，"
                                    "希望找到降低断线率的工艺或在线监测方法。")
    click_and_wait(browser, browser.find_element(By.ID, "btn-save"))
    toast(browser, "已保存修改")
    fits(browser)
    click_and_wait(browser, browser.find_element(By.ID, "btn-submit"))
    toast(browser, "已提交审核")
    assert "待审核" in browser.find_element(By.TAG_NAME, "h1").text
    db.session.expire_all()  # read what the live server wrote
    row = db.session.get(Demand, demand_id)
    assert row.status == "submitted" and "每秒25米" in row.description
    sign_out(browser)

    # The administrator who returned it finds it waiting for review, at a desktop width.
    browser.set_window_size(*DESKTOP)
    sign_in(browser, live, reviewer)
    assert browser.current_url.endswith("/workbench")
    fits(browser)
    link, count = todo(browser, "待审核的需求")
    assert count == 1
    click_and_wait(browser, link)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, TITLE))
    WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "btn-approve")))
    history = browser.find_element(By.ID, "history").text
    assert "王建华" in history and "提交审核" in history and "submit" not in history
