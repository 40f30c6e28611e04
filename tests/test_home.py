"""我的工作台: the landing page after login, one section per domain provider, to-dos that count what waits for
this user (and nobody else) and link to the filtered list where the action is."""
import re
from datetime import date, timedelta

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.home import providers

from .conftest import login


def url_of(endpoint: str) -> str:
    from flask import current_app, url_for
    with current_app.test_request_context():
        return url_for(endpoint)


def todos(html: str) -> dict:
    """{label: (count, href)} of the open to-dos on the workbench page."""
    out = {}
    for href, label, count in re.findall(
            r'<a href="([^"]+)" class="todo-link"><span class="todo-label">([^<]+)</span>\s*'
            r'<span class="todo-count[^"]*">(\d+)</span>', html):
        out[label] = (int(count), href.replace("&amp;", "&"))
    return out


def test_login_lands_on_the_workbench_and_visitors_are_sent_to_login(client, f):
    u = f.user("company")
    assert client.get("/workbench").status_code == 302
    resp = login(client, u)
    assert resp.headers["Location"] == "/workbench"
    html = client.get("/workbench").get_data(as_text=True)
    assert "我的工作台" in html and 'id="workbench-link"' in html
    assert "主办单位：江西省科学技术厅" in html and "联系我们" in html  # the footer
    assert "通知公告" in html and url_of("site.list_page") in html


def test_owner_sees_returned_and_draft_records_with_links_to_them(client, f):
    inst = f.user("institution")
    f.record("achievements", inst, status="rejected", title="被驳回的成果一")
    f.record("achievements", inst, status="draft", title="草稿一")
    f.record("achievements", inst, status="draft", title="草稿二")
    other = f.user("institution")
    f.record("achievements", other, status="rejected", title="别人的成果")  # never counted for inst
    login(client, inst)
    t = todos(client.get("/workbench").get_data(as_text=True))
    assert t["被驳回的成果"][0] == 1 and "status=rejected" in t["被驳回的成果"][1] and "scope=mine" in t["被驳回的成果"][1]
    assert t["未提交的成果草稿"][0] == 2
    listed = client.get(t["被驳回的成果"][1]).get_data(as_text=True)
    assert "被驳回的成果一" in listed and "别人的成果" not in listed


def test_administrators_see_what_waits_in_their_scope_only(client, f):
    nanchang = f.user("institution", city="南昌")
    yingtan = f.user("institution", city="鹰潭")
    f.record("achievements", nanchang, status="submitted")
    f.record("achievements", yingtan, status="submitted")
    f.record("demands", f.user("company", city="鹰潭"), status="submitted")
    f.org("company", approved=False, city="鹰潭")
    city_admin = f.user("admin", admin_level="city", city="鹰潭")
    login(client, city_admin)
    t = todos(client.get("/workbench").get_data(as_text=True))
    assert t["待审核的成果"][0] == 1 and t["待审核的需求"][0] == 1
    assert t["待实名审核的单位"][0] == 1
    assert "scope=review" in t["待审核的成果"][1] and "status=submitted" in t["待审核的成果"][1]
    province = f.user("admin")
    client.post("/logout")
    login(client, province)
    assert todos(client.get("/workbench").get_data(as_text=True))["待审核的成果"][0] == 2


def test_unread_notifications_and_pushes_are_counted(client, f):
    from marketplace.notifications.service import tell
    company = f.user("company")
    tell(company, "match", "新的匹配成果", "……", "/achievements/1")
    tell(company, "match", "新的匹配成果", "……", "/achievements/2")
    tell(company, "introduction", "技术经纪人为您的需求引荐了成果", "……", "/demands/1")
    db.session.commit()
    login(client, company)
    t = todos(client.get("/workbench").get_data(as_text=True))
    assert t["新的匹配推送"][0] == 2 and "kind=match" in t["新的匹配推送"][1]
    assert t["技术经纪人的新引荐"][0] == 1
    assert t["未读消息"][0] == 3


def test_usefirst_candidates_wait_for_the_institution(client, f):
    from marketplace.usefirst import services as uf
    inst = f.user("institution")
    f.record("achievements", inst, status="published", ip_granted_on="2019-06-01", title="闲置成果")
    uf.scan(date.today())
    db.session.commit()
    login(client, inst)
    t = todos(client.get("/workbench").get_data(as_text=True))
    count, href = t["待确认的先用后转候选成果"]
    assert count == 1 and "status=candidate" in href
    assert "闲置成果" in client.get(href).get_data(as_text=True)


def _licence(client, f, inst, company, signed_on):
    """A registered zero-threshold licence signed on `signed_on` (through the API, as the parties would)."""
    from .test_contracts import ZERO, new_contract, register
    terms = {**ZERO, "milestones": [{"name": "首付款", "amount": "50000", "due_on": signed_on}]}
    return register(client, f, new_contract(client, f, inst, company, terms, signed_on=signed_on), inst)


def test_payments_and_royalty_reports_due_for_each_side(client, f):
    inst = f.user("institution", city="南昌")
    company = f.user("company", city="南昌")
    signed = (date.today() - timedelta(days=200)).isoformat()
    inst_email, company_email = inst.email, company.email
    c = _licence(client, f, inst, company, signed)
    db.session.remove()
    inst, company = (User.query.filter_by(email=u).one() for u in (inst_email, company_email))
    login(client, company)
    t = todos(client.get("/workbench").get_data(as_text=True))
    assert t["逾期未付的款项"][0] == 1 and t["逾期未付的款项"][1] == f"/contracts/{c['id']}"
    assert t["待提交的提成报告"][0] >= 1  # at least one whole quarter has ended without a report
    client.post("/logout")
    login(client, inst)
    html = client.get("/workbench").get_data(as_text=True)
    t = todos(html)
    assert t["逾期未收的款项"][0] == 1 and "待提交的提成报告" not in t
    assert f"{date.today().year}年登记合同额" in html


def test_broker_sees_introductions_by_stage(client, f):
    broker = f.user("broker")
    login(client, broker)
    html = client.get("/workbench").get_data(as_text=True)
    assert "撮合进展" in html and "/brokers/workbench" in html


def test_every_role_gets_a_workbench_without_errors(client, f, app):
    for role in ("institution", "company", "broker", "admin"):
        u = f.user(role)
        client.post("/logout")
        login(client, u)
        resp = client.get("/workbench")
        assert resp.status_code == 200, role
        assert "消息" in resp.get_data(as_text=True)
    # a provider answers None for a visitor
    from flask_login import AnonymousUserMixin
    with app.test_request_context("/"):
        assert providers.my_records(AnonymousUserMixin()) is None
        assert providers.contract_money(AnonymousUserMixin()) is None
