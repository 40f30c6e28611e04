"""The match panel in headless Chromium: a company marks a match 不相关 (with a reason) and 感兴趣 in the page —
the row is swapped in place, no reload — under the strict CSP with CSRF on, at phone width."""
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from marketplace.matching.models import MatchFeedback

from .test_browser import sign_in
from .test_matching_store import WIRE2, settle, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def swapped(browser):
    """Wait for a row's swap: the row read inside the wait may be replaced between finding and reading it."""
    return WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,))


def click(browser, element):
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def test_company_acts_on_its_matches_in_the_page(live, browser, f, world):  # noqa: F811
    demand, wire = world["demand"], world["wire"]
    wire2 = f.record("achievements", world["inst"], status="published", ref="S-A3", **WIRE2)
    settle()
    browser.set_window_size(390, 900)
    sign_in(browser, live, world["company"])
    browser.get(f"{live}/demands/{demand.id}")
    row = browser.find_element(By.ID, f"match-{wire.id}")
    browser.execute_script("window.__samePage = true;")
    click(browser, row.find_element(By.XPATH, ".//button[text()='感兴趣']"))
    swapped(browser).until(
        lambda d: "已标记感兴趣" in d.find_element(By.ID, f"match-{wire.id}").text)
    assert browser.execute_script("return window.__samePage === true;")  # swapped in place, not reloaded
    assert MatchFeedback.query.filter_by(demand_id=demand.id, achievement_id=wire.id).one().verdict == "interested"
    rows = browser.find_elements(By.CSS_SELECTOR, ".match-row")
    other = next(r for r in rows if r.get_attribute("id") == f"match-{wire2.id}")
    oid = wire2.id
    Select(other.find_element(By.NAME, "reason")).select_by_visible_text("技术不对口")
    click(browser, other.find_element(By.XPATH, ".//button[text()='不相关']"))
    swapped(browser).until(
        lambda d: "已标记不相关（技术不对口）" in d.find_element(By.ID, f"match-{oid}").text)
    assert browser.execute_script("return window.__samePage === true;")
    browser.save_screenshot("/tmp/match-panel-390.png")
    width = browser.execute_script("return document.documentElement.scrollWidth;")
    assert width <= 390, width  # nothing wider than a phone
