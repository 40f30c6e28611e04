"""揭榜挂帅 in headless Chromium: a company turns its unanswered demand into a challenge, an institution applies,
the panel scores, and the award becomes a 技术开发 contract draft (each irreversible step asks first)."""
from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from marketplace.challenges import services as svc
from marketplace.challenges.models import Challenge, ChallengeApplication
from marketplace.contracts.models import Contract
from marketplace.extensions import db

from . import factories_challenges as fc
from .test_browser import _set, click_and_wait, confirm_and_wait, sign_in, sign_out

pytestmark = pytest.mark.browser


def _center(browser, element):
    """Scrolled to the middle of the window, clear of the fixed header and the flash toasts."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    return element


def _button(browser, element_id):
    return _center(browser, browser.find_element(By.ID, element_id))


def _type(browser, element_id, text):
    el = browser.find_element(By.ID, element_id)
    el.clear()
    el.send_keys(text)


def test_demand_to_challenge_to_application_to_scores_to_contract(live, browser, f):
    company = fc.company()
    demand = f.record("demands", company, status="published", title="铜杆连铸氧含量波动问题", budget_wan="60",
                      description="上引连铸铜杆氧含量在80–300ppm之间波动，拉丝断线多，找不到合适的成果。")
    inst = f.user("institution", name="江西理工大学")
    member = f.user("institution")
    admin = f.reviewer()

    # The company starts from its demand, completes the draft and submits it.
    sign_in(browser, live, company)
    browser.get(f"{live}/challenges/new")
    confirm_and_wait(browser, _center(browser, browser.find_element(By.CSS_SELECTOR,
                                                                     f".btn-from-demand[data-demand='{demand.id}']")))
    assert "已由需求生成榜单草稿" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert browser.find_element(By.ID, "title").get_attribute("value") == "铜杆连铸氧含量波动问题"
    assert browser.find_element(By.ID, "bounty").get_attribute("value") == "600000.00"
    _set(browser, "deadline", (date.today() + timedelta(days=20)).isoformat())
    for i, (name, criteria, share) in enumerate([("工艺诊断", "给出氧含量波动原因分析报告", "40"),
                                                 ("稳定生产", "连续30天氧含量控制在200±20ppm", "60")]):
        _type(browser, f"ms_name_{i}", name)
        _type(browser, f"ms_criteria_{i}", criteria)
        _type(browser, f"ms_share_{i}", share)
    assert browser.find_element(By.ID, "share-total").text == "100"
    click_and_wait(browser, _button(browser, "btn-save-submit"))
    assert "已保存修改并提交审核" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    ch = Challenge.query.one()
    assert (ch.status, ch.demand_id, len(ch.criteria)) == ("submitted", demand.id, 4)
    sign_out(browser)

    # The administrator publishes it and invites the expert (through the services: tested page by page elsewhere).
    svc.transition(admin, ch, "approve")
    svc.invite(admin, ch, {"user_id": member.id})
    db.session.commit()

    # An institution applies.
    sign_in(browser, live, inst)
    browser.get(f"{live}/challenges/{ch.id}")
    click_and_wait(browser, _button(browser, "btn-apply"))
    _type(browser, "team", "钟文斌教授团队，冶金工程博士3名")
    _type(browser, "plan", "建立上引连铸氧含量在线监测，优化木炭覆盖与保护气氛，调整结晶器冷却制度，先在一条线上验证。")
    _type(browser, "budget", "580000")
    _type(browser, "schedule", "第1–3月诊断，第4–9月稳定生产验证")
    _button(browser, "no_conflict").click()
    click_and_wait(browser, _button(browser, "btn-submit-application"))
    assert "揭榜方案已提交" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    row = ChallengeApplication.query.one()
    sign_out(browser)

    # The deadline passes; the company starts the review.
    db.session.expire_all()
    ch = db.session.get(Challenge, ch.id)
    fc.close(ch)
    svc.transition(company, ch, "review")
    db.session.commit()

    # The panel scores.
    sign_in(browser, live, member)
    browser.get(f"{live}/challenges/applications/{row.id}")
    for c, value in zip(ch.criteria, ("88", "80", "75", "90")):
        _type(browser, f"score_{c.id}", value)
    _type(browser, f"comment_{ch.criteria[0].id}", "方案针对性强")
    assert browser.find_element(By.ID, "weighted-total").text == "83.70"
    click_and_wait(browser, _button(browser, "btn-save-scores"))
    assert "评分已保存" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    sign_out(browser)

    # The company awards: the contract draft appears.
    sign_in(browser, live, company)
    browser.get(f"{live}/challenges/{ch.id}")
    Select(browser.find_element(By.ID, "application_id")).select_by_index(0)
    confirm_and_wait(browser, _button(browser, "btn-award"))
    assert "技术开发合同草稿已生成" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    db.session.expire_all()
    c = Contract.query.one()
    assert (c.kind, c.status, c.buyer_org_id, c.seller_org_id, c.demand_id) == (
        "技术开发", "draft", company.org_id, inst.org_id, demand.id)
    assert [m.name for m in c.terms.milestones] == ["工艺诊断", "稳定生产"]
    click_and_wait(browser, _button(browser, "contract-link"))
    assert f"/contracts/{c.id}" in browser.current_url
