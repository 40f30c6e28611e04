"""The form families in headless Chromium at phone width (390 px): the contract entry form (organisation picker
typed into, kind-specific sections, a wrong achievement code shown by its field), the money form's confirmation,
the achievement form's IP rows, password reset, and an announcement written and published. Each page must fit
the phone's width (no sideways scrolling)."""
import re
from datetime import date

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from marketplace.achievements.models import Achievement
from marketplace.contracts.models import Contract, Payment
from marketplace.notifications.models import EmailMessage
from marketplace.site.models import Notice

from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in

pytestmark = pytest.mark.browser


def _phone(browser):
    browser.set_window_size(390, 844)


def _click(browser, element):
    """Click after scrolling to it (at once: Bootstrap makes scrolling smooth); the sign-in toast (it fades after 10 s) is closed first so it covers nothing."""
    browser.execute_script("var t = document.getElementById('flashes'); if (t) { t.remove(); }"
                           "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def _fits(browser):
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 392, f"page is {width}px wide at 390px"


def test_contract_form_on_a_phone(live, browser, f):
    inst = f.user("institution")
    company = f.user("company", name="江西赣锋锂业集团股份有限公司")
    f.record("achievements", inst, status="published", ref="JX-ACH-0069")
    _phone(browser)
    sign_in(browser, live, inst)
    browser.get(f"{live}/contracts/new")
    _fits(browser)
    terms = browser.find_element(By.ID, "terms-section")
    assert not terms.is_displayed()  # 技术开发 first: no licence terms
    Select(browser.find_element(By.ID, "f-kind")).select_by_visible_text("技术转让")
    assert terms.is_displayed() and browser.find_element(By.ID, "f-transfer_form").is_displayed()
    Select(browser.find_element(By.ID, "f-transfer_form")).select_by_visible_text("许可")
    browser.find_element(By.ID, "f-title").send_keys("锂电池正极材料专利实施许可合同")
    browser.find_element(By.ID, "f-amount").send_keys("800000")
    _set(browser, "f-signed_on", "2025-06-01")
    Select(browser.find_element(By.ID, "f-city")).select_by_visible_text("宜春")
    Select(browser.find_element(By.ID, "f-industry")).select_by_index(1)
    # The buyer: typed into the searchable picker, chosen from what the JSON endpoint answers.
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#f-buyer_org_id + .ts-wrapper .ts-control"))
    browser.switch_to.active_element.send_keys("赣锋")
    def choose(_driver):  # the dropdown re-renders as pages arrive: retry a click on a stale option
        try:
            option = browser.find_element(
                By.XPATH, "//div[contains(@class,'ts-dropdown')]//div[@data-selectable][contains(., '赣锋锂业')]")
            option.click()
            return True
        except WebDriverException:
            return False
    WebDriverWait(browser, 10).until(choose)
    assert browser.find_element(By.ID, "f-buyer_org_id").get_attribute("value") == str(company.org_id)
    browser.find_element(By.ID, "f-achievement_code").send_keys("JX-ACH-0099")
    click_and_wait(browser, browser.find_element(By.ID, "btn-save-contract"))
    err = browser.find_element(By.ID, "err-achievement_code")
    assert "JX-ACH-0099" in err.text and err.is_displayed()
    assert browser.find_element(By.ID, "f-title").get_attribute("value") == "锂电池正极材料专利实施许可合同"
    assert browser.find_element(By.ID, "terms-section").is_displayed()
    _fits(browser)
    code = browser.find_element(By.ID, "f-achievement_code")
    code.clear()
    code.send_keys("JX-ACH-0069")
    click_and_wait(browser, browser.find_element(By.ID, "btn-save-contract"))
    assert "已保存" in browser.find_element(By.ID, "flashes").text
    c = Contract.query.one()
    assert c.buyer_org_id == company.org_id and c.achievement is not None


def test_payment_form_asks_first_and_keeps_values_on_a_phone(live, browser, f):
    from .test_forms import _registered
    inst, company = f.user("institution"), f.user("company")
    c = _registered(f, inst, company)
    _phone(browser)
    sign_in(browser, live, inst)
    browser.get(f"{live}/contracts/{c.id}")
    browser.find_element(By.ID, "pay_amount").send_keys("99999999")
    _set(browser, "received_on", date.today().isoformat())
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-payment"))
    assert "金额过大" in browser.find_element(By.ID, "err-amount").text
    amount = browser.find_element(By.ID, "pay_amount")
    assert amount.get_attribute("value") == "99999999"
    _fits(browser)
    amount.clear()
    amount.send_keys("1000")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-payment"))
    assert "到账已登记" in browser.find_element(By.ID, "flashes").text
    assert Payment.query.count() == 1


def test_achievement_ip_rows_on_a_phone(live, browser, f):
    inst = f.user("institution")
    _phone(browser)
    sign_in(browser, live, inst)
    browser.get(f"{live}/achievements/new")
    browser.find_element(By.ID, "f-title").send_keys("钕铁硼稀土永磁材料晶界扩散技术")
    browser.find_element(By.ID, "f-summary").send_keys("通过重稀土晶界扩散提高钕铁硼磁体矫顽力，重稀土用量降低60%。")
    for name, text in (("industry", "新材料"), ("category", "应用技术"), ("funding_source", "财政资金"), ("maturity", "中试")):
        Select(browser.find_element(By.ID, f"f-{name}")).select_by_visible_text(text)
    _click(browser, browser.find_element(By.ID, "btn-add-ip"))
    _click(browser, browser.find_element(By.ID, "btn-add-ip"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#ip-items [data-row-list] [data-row]")
    assert len(rows) == 3
    _click(browser, rows[2].find_element(By.CSS_SELECTOR, "[data-remove-row]"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#ip-items [data-row-list] [data-row]")
    assert len(rows) == 2
    for row, (kind, number) in zip(rows, (("发明专利", "ZL201910000001.1"), ("软件著作权", "2023SR0001"))):
        Select(row.find_element(By.NAME, "ip_type")).select_by_visible_text(kind)
        row.find_element(By.NAME, "patent_no").send_keys(number)
    _fits(browser)
    click_and_wait(browser, browser.find_element(By.ID, "btn-save"))
    assert "已保存" in browser.find_element(By.ID, "flashes").text
    assert [ip.number for ip in Achievement.query.one().ip_items] == ["ZL201910000001.1", "2023SR0001"]


def test_password_reset_and_a_notice_on_a_phone(live, browser, f):
    user = f.user("company")
    _phone(browser)
    browser.get(f"{live}/login")
    click_and_wait(browser, browser.find_element(By.ID, "forgot-link"))
    _fits(browser)
    browser.find_element(By.ID, "f-email").send_keys(user.email)
    click_and_wait(browser, browser.find_element(By.ID, "btn-forgot"))
    assert "如果该邮箱已在平台注册" in browser.find_element(By.ID, "flashes").text
    mail = EmailMessage.query.filter_by(to_email=user.email).one()
    link = re.search(r"/password/reset/\S+", mail.body).group(0)
    browser.get(f"{live}{link}")
    browser.find_element(By.ID, "f-new_password").send_keys("brand-new-pass")
    browser.find_element(By.ID, "f-password2").send_keys("brand-new-pass")
    click_and_wait(browser, browser.find_element(By.ID, "btn-reset"))
    assert "密码已重置" in browser.find_element(By.ID, "flashes").text
    browser.find_element(By.ID, "email").send_keys(user.email)
    browser.find_element(By.ID, "password").send_keys("brand-new-pass" + Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "欢迎"))

    # An administrator writes and publishes an announcement (asked first); the public list shows it.
    admin = f.user("admin")
    browser.delete_all_cookies()
    sign_in(browser, live, admin)
    browser.get(f"{live}/notices/new")
    _fits(browser)
    browser.find_element(By.ID, "f-title").send_keys("关于举办科技成果路演的报名通知")
    browser.find_element(By.ID, "f-body").send_keys("第一段。\n\n第二段。")
    confirm_and_wait(browser, browser.find_element(By.ID, "btn-save-publish"))
    assert "公告已发布" in browser.find_element(By.ID, "flashes").text
    assert Notice.query.one().status == "published"
    browser.delete_all_cookies()
    browser.get(f"{live}/notices")
    _fits(browser)
    assert "关于举办科技成果路演的报名通知" in browser.find_element(By.ID, "notices").text
