"""Site-wide experience without a browser: paging past the end, Chinese answers to bad page numbers,
confirmations on irreversible actions, contacts kept from visitors (page, API and Excel export), the 先用后转
management list paged, the header and footer."""
import re
from io import BytesIO

from openpyxl import load_workbook

from .conftest import login


def test_paging_past_the_end_links_back_to_the_last_page(client, f):
    inst = f.user("institution")
    for i in range(23):
        f.record("achievements", inst, status="published", title=f"成果{i:02d}")
    html = client.get("/achievements/?page=999").get_data(as_text=True)
    assert "999/2" not in html and "没有符合条件的成果" not in html
    assert "没有第 999 页：共 23 条，只有 2 页。" in html
    assert re.search(r'href="/achievements/\?page=2"[^>]*id="last-page-link"', html)
    filtered = client.get("/achievements/?industry=新材料&page=5").get_data(as_text=True)
    assert "只有 2 页" in filtered and "industry=" in re.search(r'href="([^"]+)"[^>]*id="last-page-link"',
                                                             filtered).group(1)


def test_a_page_that_is_not_a_number_is_answered_in_chinese(client):
    resp = client.get("/achievements/?page=abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    text = re.sub(r"<[^>]+>", " ", re.search(r"<main.*?</main>", html, re.S).group(0))
    assert "页码应为 1 到" in text and "page" not in text and "per_page" not in text


def test_irreversible_actions_ask_first(client, f):
    inst = f.user("institution")
    rec = f.record("achievements", inst, status="submitted", title="待审核成果")
    admin = f.user("admin")
    login(client, admin)
    queue = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'class="btn btn-small btn-approve" data-confirm="确定审核通过“待审核成果”吗？', queue)
    detail = client.get(f"/achievements/{rec.id}").get_data(as_text=True)
    for action in ("approve", "reject"):
        form = re.search(rf'<form[^>]+/{action}"[^>]*>', detail).group(0)
        assert 'data-confirm="确定' in form, form
    assert 'id="confirm-modal"' in detail and 'id="confirm-ok"' in detail
    manage = client.get("/usefirst/manage").get_data(as_text=True)
    assert re.search(r'<form[^>]+data-confirm="确定现在扫描吗？[^"]*">[^\n]*id="btn-scan"', manage)


def test_contacts_are_kept_from_visitors_on_the_page_in_the_api_and_in_the_export(client, f):
    inst = f.user("institution")
    rec = f.record("achievements", inst, status="published", contact_name="张老师", contact_phone="13800000000",
                   contact_email="zhang@ncu.edu.cn")
    assert "13800000000" not in client.get(f"/achievements/{rec.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/achievements/{rec.id}").get_json()["contact_phone"] is None

    def exported(c):
        wb = load_workbook(BytesIO(c.get("/achievements/export.xlsx").data), read_only=True)
        return " ".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v)
    assert "13800000000" not in exported(client) and "zhang@ncu.edu.cn" not in exported(client)
    reader = f.user("company")  # an approved organisation's user sees them
    login(client, reader)
    assert "13800000000" in client.get(f"/achievements/{rec.id}").get_data(as_text=True)
    assert "13800000000" in exported(client)


def test_usefirst_management_list_is_paged(client, f):
    from datetime import date

    from marketplace.extensions import db
    from marketplace.usefirst import services as uf
    inst = f.user("institution")
    for i in range(23):
        f.record("achievements", inst, status="published", ip_granted_on="2019-06-01", title=f"闲置成果{i:02d}")
    uf.scan(date.today())
    db.session.commit()
    login(client, inst)
    first = client.get("/usefirst/manage").get_data(as_text=True)
    assert first.count("<tr data-item=") == 20 and 'rel="next"' in first and "共 <strong>23</strong> 项" in first
    second = client.get("/usefirst/manage?page=2").get_data(as_text=True)
    assert second.count("<tr data-item=") == 3


def test_header_and_footer_for_visitors_and_each_role(client, f):
    html = client.get("/").get_data(as_text=True)
    assert "主办单位：江西省科学技术厅" in html and "联系我们" in html and 'href="/about"' in html
    assert 'class="navbar-toggler nav-toggle-label"' in html and "登录" in html
    assert client.get("/about").status_code == 200 and client.get("/help").status_code == 200
    for role in ("institution", "company", "broker", "admin"):
        client.post("/logout")
        u = f.user(role)
        login(client, u)
        page = client.get("/achievements/").get_data(as_text=True)
        assert 'id="user-menu"' in page and 'id="inbox-link"' in page and 'href="/workbench"' in page
        assert 'action="/logout"' in page
        if role == "broker":
            assert "撮合工作台" in page
        if role == "admin":
            assert "审核管理" in page
