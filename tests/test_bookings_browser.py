"""In headless Chromium: a company picks a free slot on the calendar (phone width) and books it, the resource's
operator approves it (the browser's confirmation is accepted), and after the slot records the usage; the fee is
computed from the price to the fen."""
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from marketplace.bookings.models import Booking
from marketplace.extensions import db

from . import factories_bookings as fb
from .test_browser import click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_company_books_a_slot_owner_approves_and_records_usage(live, browser, f):
    owner, res = fb.owner_and_resource(title="南昌高新区大型科研仪器共享平台")
    s = fb.service(owner, res)
    company = fb.customer()
    monday = fb.monday_ahead()
    sign_in(browser, live, company)
    browser.get(f"{live}/services/{res.id}")
    click_and_wait(browser, browser.find_element(By.ID, "bookable-link"))
    click_and_wait(browser, browser.find_element(By.ID, f"calendar-{s.id}"))
    browser.set_window_size(390, 844)
    browser.get(f"{live}/bookings/services/{s.id}?date={monday}&view=week")
    cal = browser.find_element(By.ID, "calendar")
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", cal)
    slot = browser.find_element(By.CSS_SELECTOR, f"a.slot-free[data-start='{fb.at(monday, 9)}']")
    browser.execute_script("arguments[0].scrollIntoView()", slot)
    slot.click()  # bookings.js fills the form in place
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "starts_at").get_attribute("value") == fb.at(monday, 9))
    browser.find_element(By.ID, "purpose").send_keys("观察铜合金断口形貌并做能谱分析")
    browser.set_window_size(1366, 900)
    button = browser.find_element(By.ID, "btn-book")
    # bookings.js scrolled the form into view smoothly: wait until the page stands still before clicking
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(
        "const y = window.scrollY; return new Promise(r => setTimeout(() => r(window.scrollY === y), 150));"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    click_and_wait(browser, button)
    assert "等待运营单位确认" in browser.find_element(By.CSS_SELECTOR, "[role=alert], .flash, .alert").text
    assert browser.find_element(By.ID, "booking-status").text == "待审批"
    b = Booking.query.one()
    sign_out(browser)

    sign_in(browser, live, owner)
    browser.get(f"{live}/bookings/queue")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"tr[data-booking='{b.id}'] a"))
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-approve"))
    assert browser.find_element(By.ID, "booking-status").text == "已确认"
    # time passes: the slot has been used
    db.session.expire_all()
    b = db.session.get(Booking, b.id)
    b.starts_at -= timedelta(days=14)
    b.ends_at -= timedelta(days=14)
    db.session.commit()
    browser.get(f"{live}/bookings/{b.id}")
    hours = browser.find_element(By.ID, "record-usage-hours")
    assert hours.get_attribute("value") == "1.00"
    hours.clear()
    hours.send_keys("1.5")
    browser.find_element(By.ID, "record-usage-invoice").send_keys("36012600088")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-record-usage"))
    assert browser.find_element(By.ID, "booking-status").text == "已使用"
    assert "450.00 元" in browser.find_element(By.ID, "fee").text
    db.session.expire_all()
    b = db.session.get(Booking, b.id)
    assert (b.status, str(b.fee), b.invoice_no) == ("used", "450.00", "36012600088")
