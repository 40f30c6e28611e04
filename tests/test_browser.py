"""Main flows in headless Chromium (Selenium with Debian's chromium and chromedriver) on a live server."""
import shutil
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from werkzeug.serving import make_server

from marketplace.achievements.models import Achievement

from .factories import PASSWORD
from .test_imports import ROWS, ZH, xlsx_bytes

pytestmark = pytest.mark.browser


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def live(app, monkeypatch):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("browser flows run once, on the SQLite backend; the database layer is tested on both")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the real forms, with their tokens
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    binary, driver_path = _chromium(), shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail("chromium and chromedriver are needed for the browser tests (make test installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--window-size=1280,1000", "--lang=zh-CN"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def _gone(old):
    def check(_driver):
        try:
            old.is_enabled()
            return False
        except WebDriverException:  # stale, or Chromium's "node does not belong to the document"
            return True
    return check


def click_and_wait(browser, element):
    """Click something that loads a new page, and wait until the old page is gone (no stale reads)."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 20).until(_gone(old))


def confirm_and_wait(browser, element):
    """Click a button whose form asks first (data-confirm: the page's confirmation dialog, #confirm-modal),
    confirm, wait for the next page."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "confirm-modal")))
    assert browser.find_element(By.ID, "confirm-message").text.startswith("确定")
    WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "confirm-ok"))).click()
    WebDriverWait(browser, 20).until(_gone(old))


def sign_in(browser, live, user):
    browser.get(f"{live}/login")
    browser.find_element(By.ID, "email").send_keys(user.email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.ID, "btn-login"))
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "欢迎"))


def sign_out(browser):
    button = browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button")
    if not button.is_displayed():  # 退出 is in the user menu
        browser.find_element(By.ID, "user-menu").click()
        WebDriverWait(browser, 10).until(EC.visibility_of(button))
    click_and_wait(browser, button)
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "已退出登录"))


def test_institution_imports_and_submits_then_admin_approves(live, browser, f, tmp_path):
    inst = f.user("institution", name="江西理工大学")
    admin = f.user("admin")
    rows = [r[:5] + ["江西理工大学"] + r[6:] for r in ROWS]
    path = tmp_path / "成果导入.xlsx"
    path.write_bytes(xlsx_bytes(ZH, rows))

    sign_in(browser, live, inst)
    browser.get(f"{live}/achievements/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Excel 批量导入"))
    browser.find_element(By.ID, "file").send_keys(str(path))
    click_and_wait(browser, browser.find_element(By.ID, "btn-preview"))
    summary = browser.find_element(By.ID, "preview-summary").text
    assert "可新增 2" in summary and "有问题 0" in summary
    browser.find_element(By.ID, "submit-after").click()
    click_and_wait(browser, browser.find_element(By.ID, "btn-run"))
    done = WebDriverWait(browser, 20).until(EC.visibility_of_element_located((By.ID, "done-summary")))
    assert "新增 2" in done.text
    click_and_wait(browser, browser.find_element(By.ID, "to-mine"))
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".result h3")]
    assert len(titles) == 2 and all("待审核" in t for t in titles)
    sign_out(browser)

    sign_in(browser, live, admin)
    browser.get(f"{live}/admin/")
    for _ in range(2):
        confirm_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                       ".review-table[data-library=achievements] .btn-approve"))
        WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "审核通过"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".review-table[data-library=achievements]")
    sign_out(browser)
    browser.get(f"{live}/achievements/")
    assert "共 2 条" in browser.find_element(By.ID, "result-count").text
    assert {a.status for a in Achievement.query.all()} == {"published"}


def test_company_posts_a_demand(live, browser, f):
    company = f.user("company")
    sign_in(browser, live, company)
    browser.get(f"{live}/demands/new")
    browser.find_element(By.ID, "f-title").send_keys("铜线拉丝频繁断线问题攻关")
    browser.find_element(By.ID, "f-description").send_keys("拉丝速度一提上去就老断线，换了几家的铜杆都不行。")
    Select(browser.find_element(By.ID, "f-industry")).select_by_visible_text("有色金属")
    Select(browser.find_element(By.ID, "f-city")).select_by_visible_text("鹰潭")
    Select(browser.find_element(By.ID, "f-cooperation")).select_by_visible_text("合作开发")
    browser.find_element(By.ID, "f-budget_wan").send_keys("abc")
    click_and_wait(browser, browser.find_element(By.ID, "btn-save-submit"))
    # A bad budget: the form comes back with the message and what was typed.
    assert "不是有效的金额" in browser.find_element(By.CSS_SELECTOR, ".field.has-error .error").text
    assert browser.find_element(By.ID, "f-title").get_attribute("value") == "铜线拉丝频繁断线问题攻关"
    budget = browser.find_element(By.ID, "f-budget_wan")
    budget.clear()
    budget.send_keys("50")
    click_and_wait(browser, browser.find_element(By.ID, "btn-save-submit"))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "铜线拉丝频繁断线问题攻关" in heading and "待审核" in heading
    assert "50万元" in browser.find_element(By.CSS_SELECTOR, ".facts").text


def test_visitor_pages_and_filters(live, browser, f):
    inst = f.user("institution")
    for i in range(25):
        f.record("achievements", inst, status="published", title=f"成果{i:02d}",
                 industry="新能源" if i % 5 == 0 else "新材料")
    browser.get(f"{live}/achievements/")
    assert "共 25 条" in browser.find_element(By.ID, "result-count").text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".result")) == 20
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".pager a[rel=next]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".result")) == 5
    Select(browser.find_element(By.NAME, "industry")).select_by_visible_text("新能源")
    Select(browser.find_element(By.NAME, "sort")).select_by_visible_text("名称")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]"))
    assert "共 5 条" in browser.find_element(By.ID, "result-count").text
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".result h3 a")]
    assert titles == ["成果00", "成果05", "成果10", "成果15", "成果20"]
    # A phone-sized window still shows the list and the menu toggle.
    browser.set_window_size(390, 844)
    assert browser.find_element(By.CSS_SELECTOR, ".nav-toggle-label").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, ".result").is_displayed()


def test_visitor_searches_and_narrows_with_facets(live, browser, f):
    from marketplace.searching import sync
    inst = f.user("institution")
    for i in range(6):
        f.record("achievements", inst, status="published", title=f"锂离子电池正极材料{i}号",
                 industry="新能源" if i < 4 else "新材料")
    f.record("achievements", inst, status="published", title="赣南脐橙保鲜技术", industry="现代农业")
    sync.apply_pending()
    browser.get(f"{live}/")
    box = browser.find_element(By.CSS_SELECTOR, ".hero-search input[name=q]")
    box.send_keys("锂电")  # a synonym of 锂离子电池
    old = browser.find_element(By.TAG_NAME, "html")
    box.submit()
    WebDriverWait(browser, 20).until(_gone(old))
    assert "共 6 条结果" in browser.find_element(By.ID, "result-count").text
    assert browser.find_elements(By.CSS_SELECTOR, ".result mark")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 "[data-facet=industry] a[href*='%E6%96%B0%E6%9D%90%E6%96%99']"))
    assert "共 2 条结果" in browser.find_element(By.ID, "result-count").text
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".result h3 a")]
    assert sorted(titles) == ["锂离子电池正极材料4号", "锂离子电池正极材料5号"]
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "[data-facet=industry] li.active a"))  # unfilter
    assert "共 6 条结果" in browser.find_element(By.ID, "result-count").text


def test_broker_claims_a_demand_and_introduces_the_parties(live, browser, f):
    from marketplace.searching import sync
    from .test_matching_api import seed
    company, wire, demand, lonely = seed(f)
    sync.apply_pending()
    broker = f.user("broker")
    sign_in(browser, live, broker)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "撮合工作台"))
    row = browser.find_element(By.CSS_SELECTOR, f"#open-demands li[data-demand='{demand.id}']")
    WebDriverWait(browser, 20).until(lambda _d: "铜线拉丝" in row.text)  # candidates load after the page
    click_and_wait(browser, row.find_element(By.CSS_SELECTOR, ".btn-claim"))
    assert "已认领" in browser.find_element(By.ID, "stage").text
    Select(browser.find_element(By.ID, "achievement_id")).select_by_index(0)
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-introduce"))  # irreversible: it asks first
    assert "已引荐" in browser.find_element(By.ID, "stage").text
    assert "铜线拉丝张力智能控制与断线预测技术" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-contacted"))
    assert "已接洽" in browser.find_element(By.ID, "stage").text
    sign_out(browser)
    sign_in(browser, live, company)  # the company is told, in its inbox
    assert browser.find_element(By.ID, "unread-count").text.strip() != ""
    click_and_wait(browser, browser.find_element(By.ID, "inbox-link"))
    assert "技术经纪人为您的需求引荐了成果" in browser.find_element(By.ID, "inbox").text


def _set(browser, element_id, value):
    """Fill an input (date inputs included: their typed format depends on the browser's locale)."""
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, element_id), value)


def test_usefirst_listing_to_trial_to_registered_licence_with_first_royalty_paid(live, browser, f):
    from datetime import date, timedelta

    from marketplace.contracts.money import add_months
    from marketplace.extensions import db
    from marketplace.usefirst import services as uf
    inst = f.user("institution", name="南昌大学", city="南昌")
    company = f.user("company", name="江西赣锋测试材料有限公司", city="南昌")
    registrar = f.user("admin", admin_level="city", city="南昌", name="南昌市技术合同登记处")
    f.record("achievements", inst, status="published", ref="UF-1", title="稀土永磁电机转子低损耗制造技术",
             ip_granted_on="2019-06-01")
    uf.scan(date.today())
    db.session.commit()

    # The institution confirms the candidate with its standard zero-threshold terms.
    sign_in(browser, live, inst)
    browser.get(f"{live}/usefirst/manage?status=candidate")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "稀土永磁电机转子低损耗制造技术"))
    Select(browser.find_element(By.ID, "confirm-kind")).select_by_value("zero_threshold")
    browser.find_element(By.ID, "confirm-rate").send_keys("3")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-confirm"))
    assert browser.find_element(By.ID, "item-status").text == "已挂牌"
    sign_out(browser)

    # A company finds it on the public list and applies.
    sign_in(browser, live, company)
    browser.get(f"{live}/usefirst")
    assert "公示中" in browser.find_element(By.ID, "usefirst-list").text
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "稀土永磁电机转子低损耗制造技术"))
    browser.find_element(By.ID, "plan").send_keys("在我司电机转子产线试用12个月，验证铁损降低效果")
    click_and_wait(browser, browser.find_element(By.ID, "btn-apply"))
    assert "已申请" in browser.find_element(By.ID, "applications").text
    sign_out(browser)

    # The institution accepts (trial agreement), then converts the trial into a licence contract.
    sign_in(browser, live, inst)
    browser.get(f"{live}/usefirst/manage?status=listed")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "稀土永磁电机转子低损耗制造技术"))
    confirm_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".btn-accept"))
    assert browser.find_element(By.ID, "trial-status").text == "试用中"
    browser.find_element(By.ID, "amount").send_keys("300000")
    signed = date.today() - timedelta(days=100)  # its first quarter has ended, so it can be reported
    _set(browser, "signed_on", signed.isoformat())
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-convert"))
    assert "零门槛费" in browser.find_element(By.ID, "terms-kind").text
    click_and_wait(browser, browser.find_element(By.ID, "btn-submit"))
    assert browser.find_element(By.ID, "contract-status").text == "待登记"
    contract_url = browser.current_url
    sign_out(browser)

    # The city's registration office registers it.
    sign_in(browser, live, registrar)
    browser.get(contract_url)
    click_and_wait(browser, browser.find_element(By.ID, "btn-register"))
    assert browser.find_element(By.ID, "contract-status").text == "已登记", browser.find_element(By.TAG_NAME, "main").text[:300]
    assert browser.find_element(By.ID, "registration-no").text.startswith(f"{date.today().year}-南昌-")
    sign_out(browser)

    # The licensee reports its first quarter's net sales; the royalty falls due.
    sign_in(browser, live, company)
    browser.get(contract_url)
    _set(browser, "period_start", signed.isoformat())
    _set(browser, "period_end", (add_months(signed, 3) - timedelta(days=1)).isoformat())
    browser.find_element(By.ID, "net_sales").send_keys("1000000")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-report"))
    row = browser.find_element(By.CSS_SELECTOR, "#schedule tr[data-kind='royalty']")
    assert "30000.00" in row.text and "未到期" in row.text
    sign_out(browser)

    # The institution records the money received: the royalty is paid.
    sign_in(browser, live, inst)
    browser.get(contract_url)
    browser.find_element(By.ID, "pay_amount").send_keys("30000")
    _set(browser, "received_on", date.today().isoformat())
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-payment"))
    row = browser.find_element(By.CSS_SELECTOR, "#schedule tr[data-kind='royalty']")
    assert "已付清" in row.text
    assert browser.find_element(By.ID, "received").text == "30000.00"
    assert browser.find_element(By.ID, "deal-status").text == "已付清"
