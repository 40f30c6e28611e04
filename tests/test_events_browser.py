"""In headless Chromium: a company's engineer registers for a roadshow that has begun, gets the check-in QR code,
marks interest in an achievement presented (linking its own demand); the event's broker sees the lead and turns
it into a broker introduction (the confirmation dialog is accepted)."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from marketplace.events.models import Interest, Registration
from marketplace.extensions import db

from . import factories_events as fe
from .test_browser import click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser


def _flash(browser, text):
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), text))


def test_visitor_registers_marks_interest_and_the_broker_sees_the_lead(live, browser, f):
    inst = f.user("institution", name="江西理工大学（测试）", city="赣州")
    ach = f.record("achievements", inst, status="published", title="稀土永磁废料短流程回收技术")
    broker = f.user("broker", name="李明远")
    admin = fe.organiser()
    e = fe.event(admin, title="稀土新材料科技成果路演（赣州）", achievements=[ach], brokers=[broker],
                 starts_at=fe.when(0, -1), ends_at=fe.when(0, 4), registration_deadline=fe.when(0, 3), capacity=30)
    company = f.user("company", name="赣州测试磁材有限公司", city="赣州")
    demand = f.record("demands", company, status="published", city="赣州", title="钕铁硼废料回收提纯需求")

    sign_in(browser, live, company)
    browser.get(f"{live}/events")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, e.title))
    click_and_wait(browser, browser.find_element(By.ID, "btn-register"))
    _flash(browser, "报名成功")
    reg = Registration.query.one()
    assert browser.find_element(By.ID, "checkin-code").text == reg.code
    qr = browser.find_element(By.CSS_SELECTOR, "img.qr-image")
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", qr))  # the SVG was served and drawn
    item = browser.find_element(By.CSS_SELECTOR, f"#presented li[data-achievement='{ach.id}']")
    Select(item.find_element(By.NAME, "demand_id")).select_by_visible_text(demand.title)
    item.find_element(By.NAME, "note").send_keys("希望洽谈独占许可")
    click_and_wait(browser, item.find_element(By.CSS_SELECTOR, ".btn-interest"))
    _flash(browser, "已登记对接意向")
    assert "已登记意向" in browser.find_element(By.CSS_SELECTOR, f"#presented li[data-achievement='{ach.id}']").text
    assert browser.find_element(By.ID, "interest-count").text == "1"
    db.session.expire_all()
    interest = Interest.query.one()
    assert (interest.org_id, interest.demand_id, interest.note) == (company.org_id, demand.id, "希望洽谈独占许可")
    browser.get(f"{live}/events")  # the page was scrolled to the achievements; the user menu is at the top
    sign_out(browser)

    sign_in(browser, live, broker)
    browser.get(f"{live}/events")
    click_and_wait(browser, browser.find_element(By.ID, "leads-link"))
    lead = browser.find_element(By.CSS_SELECTOR, f"#lead-list li[data-interest='{interest.id}']")
    assert "赣州测试磁材有限公司" in lead.text and ach.title in lead.text and "待跟进" in lead.text
    confirm_and_wait(browser, lead.find_element(By.CSS_SELECTOR, ".btn-introduce"))
    assert "/brokers/introductions/" in browser.current_url
    assert "已引荐" in browser.find_element(By.ID, "stage").text
    db.session.expire_all()
    interest = Interest.query.one()
    assert interest.status == "introduced" and interest.introduction.demand_id == demand.id
