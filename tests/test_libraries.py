"""The three libraries: workflow, audit trail, permissions (no access by changing an id), lists, expiry."""
from datetime import date, timedelta

import pytest

from marketplace.core import listings
from marketplace.core.models import AuditLog
from marketplace.extensions import db

from .conftest import login

OWNER_ROLE = {"achievements": "institution", "demands": "company", "services": "broker"}
LIBS = list(OWNER_ROLE)


def api(client, method, path, user_token=None, **kw):
    headers = {"Authorization": f"Bearer {user_token}"} if user_token else {}
    return client.open(path, method=method, headers=headers, **kw)


@pytest.mark.parametrize("library", LIBS)
def test_full_workflow_with_audit_trail(client, f, library):
    owner = f.user(OWNER_ROLE[library])
    admin = f.user("admin")
    tok, atok = f.token(owner), f.token(admin)
    payload = {**f.DEFAULTS[library], "ref": "R-1"}
    created = api(client, "POST", f"/api/v1/{library}", tok, json=payload)
    assert created.status_code == 201, created.json
    oid = created.json["id"]
    assert created.json["status"] == "draft"
    assert api(client, "POST", f"/api/v1/{library}/{oid}/submit", tok).json["status"] == "submitted"
    # Rejection needs a reason, and the owner sees it.
    assert api(client, "POST", f"/api/v1/{library}/{oid}/reject", atok, json={}).status_code == 422
    rej = api(client, "POST", f"/api/v1/{library}/{oid}/reject", atok, json={"reason": "缺少专利证书"})
    assert rej.json["status"] == "rejected" and rej.json["reject_reason"] == "缺少专利证书"
    # Fix and resubmit, then approve.
    fixed = api(client, "PATCH", f"/api/v1/{library}/{oid}", tok, json={"title": "修改后的名称"})
    assert fixed.status_code == 200 and fixed.json["title"] == "修改后的名称"
    api(client, "POST", f"/api/v1/{library}/{oid}/submit", tok)
    pub = api(client, "POST", f"/api/v1/{library}/{oid}/approve", atok)
    assert pub.json["status"] == "published" and pub.json["published_at"]
    # Public sees it; owner cannot edit a published record without withdrawing it.
    assert client.get(f"/api/v1/{library}/{oid}").status_code == 200
    assert api(client, "PATCH", f"/api/v1/{library}/{oid}", tok, json={"title": "再改"}).status_code == 403
    assert api(client, "POST", f"/api/v1/{library}/{oid}/withdraw", tok).json["status"] == "withdrawn"
    assert client.get(f"/api/v1/{library}/{oid}").status_code == 404
    history = api(client, "GET", f"/api/v1/{library}/{oid}/history", tok).json["items"]
    steps = [(h["action"], h["from"], h["to"]) for h in history]
    assert steps == [("create", None, "draft"), ("submit", "draft", "submitted"),
                     ("reject", "submitted", "rejected"), ("update", "rejected", "rejected"),
                     ("submit", "rejected", "submitted"), ("approve", "submitted", "published"),
                     ("withdraw", "published", "withdrawn")]
    assert history[2]["reason"] == "缺少专利证书" and history[2]["actor"] == admin.name


@pytest.mark.parametrize("library", LIBS)
def test_other_organisations_cannot_read_or_change_by_id(client, f, library):
    owner = f.user(OWNER_ROLE[library])
    intruder = f.user(OWNER_ROLE[library])  # same role, another organisation
    draft = f.record(library, owner)
    published = f.record(library, owner, status="published")
    tok = f.token(intruder)
    assert api(client, "GET", f"/api/v1/{library}/{draft.id}", tok).status_code == 404
    assert api(client, "GET", f"/api/v1/{library}/{draft.id}/history", tok).status_code == 404
    assert api(client, "PATCH", f"/api/v1/{library}/{draft.id}", tok, json={"title": "篡改"}).status_code == 404
    assert api(client, "DELETE", f"/api/v1/{library}/{draft.id}", tok).status_code == 404
    assert api(client, "POST", f"/api/v1/{library}/{draft.id}/submit", tok).status_code == 404
    assert api(client, "PATCH", f"/api/v1/{library}/{published.id}", tok, json={"title": "篡改"}).status_code == 403
    assert api(client, "POST", f"/api/v1/{library}/{published.id}/withdraw", tok).status_code == 403
    assert api(client, "POST", f"/api/v1/{library}/{published.id}/approve", tok).status_code == 403
    # Pages too.
    login(client, intruder)
    assert client.get(f"/{library}/{draft.id}").status_code == 404
    assert client.get(f"/{library}/{draft.id}/edit").status_code == 404
    assert client.post(f"/{library}/{draft.id}/edit", data={"title": "篡改"}).status_code == 404
    assert client.post(f"/{library}/{draft.id}/delete").status_code == 404
    db.session.refresh(draft)
    assert draft.title == f.DEFAULTS[library]["title"]
    # The intruder's "mine" list does not include the owner's records.
    mine = api(client, "GET", f"/api/v1/{library}?scope=mine", tok).json
    assert mine["total"] == 0


def test_wrong_role_cannot_create(client, f):
    company = f.user("company")
    resp = api(client, "POST", "/api/v1/achievements", f.token(company), json=f.ACHIEVEMENT)
    assert resp.status_code == 403 and "角色" in resp.json["error"]["message"]


def test_admin_scope_follows_the_1_m_n_network(client, f):
    yingtan_inst = f.user("institution", city="鹰潭")
    nanchang_inst = f.user("institution", city="南昌")
    a_yt = f.record("achievements", yingtan_inst, status="submitted")
    a_nc = f.record("achievements", nanchang_inst, status="submitted")
    city_admin = f.user("admin", admin_level="city", city="鹰潭")
    centre = f.org("admin_centre", admin_level="institution", parent_id=nanchang_inst.org_id)
    inst_admin = f.user("admin", organisation=centre)
    ct, it = f.token(city_admin), f.token(inst_admin)
    assert api(client, "POST", f"/api/v1/achievements/{a_nc.id}/approve", ct).status_code == 404
    assert api(client, "POST", f"/api/v1/achievements/{a_yt.id}/approve", ct).json["status"] == "published"
    assert api(client, "POST", f"/api/v1/achievements/{a_nc.id}/approve", it).json["status"] == "published"
    review = api(client, "GET", "/api/v1/achievements?scope=review", ct).json
    assert [i["id"] for i in review["items"]] == [a_yt.id]
    assert api(client, "GET", "/api/v1/achievements?scope=review", f.token(yingtan_inst)).status_code == 403


def test_only_drafts_can_be_deleted_and_deletion_is_confirmed(client, f):
    inst = f.user("institution")
    draft = f.record("achievements", inst)
    submitted = f.record("achievements", inst, status="submitted")
    login(client, inst)
    confirm = client.get(f"/achievements/{draft.id}/delete")
    assert confirm.status_code == 200 and "确定删除" in confirm.get_data(as_text=True)
    assert client.post(f"/achievements/{submitted.id}/delete").status_code == 403
    assert client.post(f"/achievements/{draft.id}/delete").status_code == 302
    assert client.get(f"/achievements/{draft.id}").status_code == 404
    assert AuditLog.query.filter_by(entity_id=draft.id, action="delete").count() == 1


def test_public_list_pages_sorts_and_filters(client, f):
    inst = f.user("institution", name="南昌大学")
    for i in range(25):
        f.record("achievements", inst, status="published", title=f"成果{i:02d}",
                 industry="新能源" if i % 5 == 0 else "新材料", asking_price_wan=str(i + 1))
    f.record("achievements", inst, title="草稿不公开")
    page1 = client.get("/api/v1/achievements?per_page=10").json
    assert page1["total"] == 25 and page1["pages"] == 3 and len(page1["items"]) == 10
    page3 = client.get("/api/v1/achievements?per_page=10&page=3").json
    assert len(page3["items"]) == 5
    cheap = client.get("/api/v1/achievements?sort=price_asc&per_page=3").json["items"]
    assert [i["asking_price"] for i in cheap] == ["10000.00", "20000.00", "30000.00"]
    energy = client.get("/api/v1/achievements?industry=新能源").json
    assert energy["total"] == 5 and all(i["industry"] == "新能源" for i in energy["items"])
    both = client.get("/api/v1/achievements?industry=新能源&q=成果05").json
    assert [i["title"] for i in both["items"]] == ["成果05"]
    # No 新材料 record has both words: partial matches are shown, and marked as such.
    partial = client.get("/api/v1/achievements?industry=新材料&q=成果05").json
    assert partial["relaxed"] is True and all(i["industry"] == "新材料" for i in partial["items"])
    assert client.get("/api/v1/achievements?institution=南昌大学").json["total"] == 25
    html = client.get("/achievements/?industry=新能源").get_data(as_text=True)
    assert "共 <strong>5</strong> 条" in html and "草稿不公开" not in html


@pytest.mark.parametrize("query,code", [("page=0", 400), ("per_page=1000", 400), ("sort=evil", 400),
                                        ("industry=火星", 400), ("scope=everything", 400), ("scope=mine", 403),
                                        ("q=" + "长" * 101, 400)])
def test_bad_list_parameters_are_400_not_500(client, ctx, query, code):
    resp = client.get(f"/api/v1/achievements?{query}")
    assert resp.status_code == code and resp.json["error"]["message"]
    assert client.get(f"/achievements/?{query}").status_code == code


def test_demands_past_deadline_expire(client, f, app):
    company = f.user("company")
    lib = listings.LIBRARIES["demands"]
    demand = f.record("demands", company, status="published")
    demand.deadline = date.today() - timedelta(days=1)
    db.session.commit()
    assert client.get("/api/v1/demands").json["total"] == 0  # hidden at once, before the sweep
    out = app.test_cli_runner().invoke(args=["demands", "expire"])
    assert "1" in out.output
    db.session.refresh(demand)
    assert demand.status == "expired"
    last = AuditLog.query.filter_by(entity_type="demand", entity_id=demand.id).order_by(AuditLog.id.desc()).first()
    assert (last.action, last.actor_id, last.to_state) == ("expire", None, "expired")
    assert listings.expire_overdue(lib) == 0


def test_new_demand_cannot_have_a_past_deadline(client, f):
    resp = api(client, "POST", "/api/v1/demands", f.token(f.user("company")),
               json={**f.DEMAND, "deadline": "2020-01-01"})
    assert resp.status_code == 422 and "deadline" in resp.json["error"]["fields"]


def test_form_create_edit_and_errors_keep_values(client, f):
    inst = f.user("institution")
    login(client, inst)
    bad = client.post("/achievements/new", data={"title": "好名称但简介太短", "summary": "短", "industry": "新材料",
                                                  "maturity": "中试"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "好名称但简介太短" in html and "长度应在10到5000个字之间" in html
    ok = client.post("/achievements/new", data={**f.ACHIEVEMENT, "transfer_modes": ["许可", "转让"],
                                                 "then": "submit"})
    assert ok.status_code == 302
    obj_id = int(ok.headers["Location"].rsplit("/", 1)[1])
    detail = client.get(f"/achievements/{obj_id}").get_data(as_text=True)
    assert "待审核" in detail and "80万元" in detail
    # Submitted records are not editable until withdrawn.
    assert client.get(f"/achievements/{obj_id}/edit").status_code == 303
    client.post(f"/achievements/{obj_id}/withdraw")
    form = client.get(f"/achievements/{obj_id}/edit").get_data(as_text=True)
    assert 'value="80"' in form and "ZL201910000001.1" in form
