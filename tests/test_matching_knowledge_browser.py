"""The knowledge-graph editor in headless Chromium, at phone width, with CSRF on: a broker adds a link, is told
how many stored lists it sends to be recomputed, finds it first in the list, and disables it (asked first)."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from marketplace.extensions import db
from marketplace.matching import knowledge, store

from .test_browser import click_and_wait, confirm_and_wait, sign_in
from .test_matching_knowledge import _paint

pytestmark = pytest.mark.browser


def test_broker_adds_a_link_and_disables_it_at_phone_width(live, browser, f):
    cure, other, demand = _paint(f)
    for record in (demand, cure, other):
        store.read(record, 5)  # stored lists, as pages read them
    db.session.commit()
    knowledge.invalidate()
    browser.set_window_size(390, 900)
    sign_in(browser, live, f.user("broker"))
    browser.get(f"{live}/matching/knowledge")
    Select(browser.find_element(By.ID, "industry")).select_by_visible_text("建材")
    browser.find_element(By.ID, "cues").send_keys("外墙 起霜花")
    browser.find_element(By.ID, "mechanism").send_keys("可溶盐随水分迁移至漆面结晶")
    browser.find_element(By.ID, "technologies").send_keys("氟碳涂料")
    button = browser.find_element(By.ID, "btn-add-link")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button)
    click_and_wait(browser, button)
    flash = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".flash")))
    assert "已添加关联" in flash.text and "涉及的 2 条需求或成果的匹配结果正在后台重新计算" in flash.text
    first = browser.find_element(By.CSS_SELECTOR, "#links tbody tr")
    assert "外墙 起霜花" in first.text and "站内添加" in first.text
    width = browser.execute_script("return document.documentElement.scrollWidth;")
    assert width <= 390, width  # nothing wider than a phone
    first.find_element(By.NAME, "reason").send_keys("试用后停用")
    stop = first.find_element(By.XPATH, ".//button[text()='停用']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", stop)
    confirm_and_wait(browser, stop)
    flash = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".flash")))
    assert "已停用该关联" in flash.text
    row = knowledge.KnowledgeLink.query.filter_by(cues="外墙 起霜花").one()
    db.session.refresh(row)
    assert row.status == "disabled"
