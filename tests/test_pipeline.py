"""The request pipeline: CSRF on every session write (no exemptions), one commit per request with
after-commit work, hostile ids and bodies answered 4xx, and `core/` importing no domain package."""
import ast
import json
from pathlib import Path

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from marketplace.core import uow
from marketplace.extensions import db

from .conftest import csrf_token, login

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _sample_url(rule) -> str:
    values = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        elif isinstance(conv, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "achievements" if name == "library" else "x"
    return rule.build(values, append_unknown=False)[1]


def _write_rules(app):
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) & WRITES)]


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def test_every_state_changing_route_refuses_a_session_write_without_the_token(app, client, f):
    user = f.user("institution")
    f.record("achievements", user)
    login(client, user)
    rules = _write_rules(app)
    assert len(rules) > 40  # the whole site: pages and /api/v1
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = []
        for rule, method in rules:
            url = _sample_url(rule)
            resp = client.open(url, method=method, json={} if url.startswith("/api/") else None,
                               data=None if url.startswith("/api/") else {"x": "1"})
            if resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True):
                refused.append(url)
            else:
                pytest.fail(f"{method} {url} answered {resp.status_code} without a CSRF token")
        assert len(refused) == len(rules)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_no_route_is_exempted_from_csrf(app):
    csrf = app.extensions["csrf"]
    assert not csrf._exempt_views and not csrf._exempt_blueprints


def test_a_session_write_with_the_token_goes_through_and_a_token_write_needs_none(app, client, f, csrf_on):
    user = f.user("institution")
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token(client, "/")
    body = {**f.ACHIEVEMENT, "ref": "P-1"}
    assert client.post("/api/v1/achievements", json=body).status_code == 400
    resp = client.post("/api/v1/achievements", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_json()
    bearer = f.token(user)
    other = client.application.test_client()  # no session cookie
    resp = other.post("/api/v1/achievements", json={**body, "ref": "P-2"},
                      headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status_code == 201, resp.get_json()


def test_login_itself_needs_the_token(app, client, f, csrf_on):
    user = f.user("institution")
    resp = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert resp.status_code == 400
    resp = client.post("/login", data={"email": user.email, "password": f.PASSWORD,
                                       "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302


@pytest.mark.parametrize("path", [
    "/api/v1/achievements/99999999999999999999999",
    "/api/v1/achievements/9223372036854775808",
    "/api/v1/achievements/2147483648",
    "/achievements/18446744073709551616",
    "/api/v1/contracts/99999999999999999999",
    "/api/v1/usefirst/99999999999999999999",
    "/usefirst/99999999999999999999",
])
def test_ids_beyond_the_column_range_are_not_found(client, f, path):
    login(client, f.user("admin"))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/api/v1/achievements?page=99999999999999999999999",
    "/achievements/?page=99999999999999999999999",
    "/api/v1/contracts?page=99999999999999999999999",
    "/api/v1/usefirst?page=99999999999999999999999",
    "/usefirst?page=99999999999999999999999",
    "/usefirst?org_id=99999999999999999999999",
    "/api/v1/achievements?per_page=99999999999999999999999",
    "/api/v1/search?page=99999999999999999999999",
    "/search?page=99999999999999999999999",
])
def test_huge_page_numbers_answer_400_not_500(client, f, path):
    login(client, f.user("admin"))
    resp = client.get(path)
    assert resp.status_code in (200, 400), (path, resp.status_code)


def test_ids_inside_json_bodies_beyond_range_are_refused(client, f):
    user = f.user("institution")
    login(client, user)
    resp = client.post("/api/v1/contracts", json={"seller_org_id": 10**30, "buyer_org_id": 10**30, "kind": "技术开发",
                                                  "title": "测试合同", "amount": "100", "signed_on": "2026-01-01",
                                                  "city": "南昌", "industry": "新材料"})
    assert 400 <= resp.status_code < 500
    resp = client.post("/api/v1/matches/feedback", json={"demand_id": 10**30, "achievement_id": 2**63,
                                                         "verdict": "interested"})
    assert 400 <= resp.status_code < 500


def test_deeply_nested_json_answers_400(client, f):
    user = f.user("institution")
    login(client, user)
    for depth in (40, 100_000):
        raw = "[" * depth + "]" * depth
        resp = client.post("/api/v1/achievements", data=raw, content_type="application/json")
        assert resp.status_code == 400, depth
        assert "嵌套" in resp.get_json()["error"]["message"]
    resp = client.post("/api/v1/achievements", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"


def test_one_commit_per_request_and_nothing_kept_on_an_error(app, f):
    """A request whose service fails after writing keeps nothing, and its after-commit work never runs;
    a successful one commits, then runs its after-commit work, which sees the committed row."""
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.achievements.models import Achievement
    from marketplace.core import listings
    from marketplace.core.errors import Conflict

    uid = f.user("institution").id
    lib = listings.LIBRARIES["achievements"]
    probe = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    ran = []

    def write(ref):
        listings.create(db.session.get(User, uid), lib, lib.load({**f.ACHIEVEMENT, "ref": ref}))
        uow.after_commit(lambda: ran.append((ref, db.session.query(Achievement).filter_by(ref=ref).count())))

    @probe.post("/_probe/fail")
    def _fail():
        write("UOW-1")
        raise Conflict("故意失败")

    @probe.post("/_probe/ok")
    def _ok():
        write("UOW-2")
        return "ok"

    client = probe.test_client()
    assert client.post("/_probe/fail").status_code == 409
    assert client.post("/_probe/ok").status_code == 200
    db.session.remove()
    assert db.session.query(Achievement).filter_by(ref="UOW-1").count() == 0
    assert db.session.query(Achievement).filter_by(ref="UOW-2").count() == 1
    assert ran == [("UOW-2", 1)]


def test_core_imports_no_domain_package():
    core = Path(__file__).resolve().parents[1] / "marketplace" / "core"
    domains = {p.name for p in core.parent.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"core"}
    offenders = []
    for path in core.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module:
                if node.module.split(".")[0] in domains:
                    offenders.append(f"{path.name}: from ..{node.module}")
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("marketplace."):
                if node.module.split(".")[1] in domains:
                    offenders.append(f"{path.name}: from {node.module}")
    assert offenders == []


def test_json_error_bodies_are_json(client):
    resp = client.get("/api/v1/nothing-here/1/2/3")
    assert resp.status_code == 404
    assert json.loads(resp.get_data(as_text=True))["error"]["code"] == "not_found"


def test_owner_is_told_when_a_record_is_approved_or_rejected(client, f):
    from marketplace.notifications.models import Notification
    owner = f.user("institution")
    f.record("achievements", owner, status="published")
    f.record("demands", f.user("company"), status="rejected")
    rows = Notification.query.filter_by(kind="review").all()
    assert {r.user_id for r in rows} >= {owner.id}
    approved = next(r for r in rows if r.user_id == owner.id)
    assert "审核通过" in approved.body and approved.link.startswith("/achievements/")
    rejected = next(r for r in rows if r.user_id != owner.id)
    assert "资料不全" in rejected.body  # the reviewer's reason reaches the owner
    login(client, owner)
    page = client.get("/notifications?kind=review").get_data(as_text=True)
    assert "成果审核结果" in page
    assert client.post("/notifications/read-all").status_code == 302
    assert Notification.query.filter_by(user_id=owner.id, read_at=None).count() == 0


def test_json_numbers_in_exponent_notation_are_not_amounts(client, f):
    user = f.user("institution")
    tok = {"Authorization": f"Bearer {f.token(user)}"}
    raw = json.dumps({**f.ACHIEVEMENT, "ref": "E-1"}).replace('"asking_price_wan": "80"', '"asking_price_wan": 1e2')
    assert "1e2" in raw
    resp = client.post("/api/v1/achievements", data=raw, content_type="application/json", headers=tok)
    assert resp.status_code == 422, resp.get_json()
    raw = raw.replace("1e2", "80.5")
    resp = client.post("/api/v1/achievements", data=raw, content_type="application/json", headers=tok)
    assert resp.status_code == 201 and resp.get_json()["asking_price"] == "805000.00"


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", "/\\evil.example", "/\tevil.example"])
def test_workflow_buttons_never_redirect_to_another_host(client, f, target):
    owner = f.user("institution")
    draft = f.record("achievements", owner)
    login(client, owner)
    resp = client.post(f"/achievements/{draft.id}/submit", data={"next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/achievements/{draft.id}"


def test_a_bearer_token_wins_over_the_session_cookie(client, f):
    city_admin = f.user("admin", admin_level="city", city="赣州")
    login(client, city_admin)
    province = f.user("admin")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {f.token(province)}"}).get_json()
    assert me["id"] == province.id
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401  # an invalid token is nobody, even with a session cookie
    assert client.get("/api/v1/me").get_json()["id"] == city_admin.id


def test_public_pages_do_not_fail_for_visitors_on_policy_attributes(app):
    from flask_login import AnonymousUserMixin
    from marketplace.extensions import login_manager
    visitor = login_manager.anonymous_user()
    assert isinstance(visitor, AnonymousUserMixin)
    assert (visitor.org_id, visitor.id, visitor.role, visitor.is_admin) == (None, None, None, False)


def test_dates_far_outside_the_domain_are_refused_not_crashed(client, f):
    user = f.user("institution")
    tok = {"Authorization": f"Bearer {f.token(user)}"}
    for day in ("9999-12-31", "0001-01-01", "1899-12-31"):
        resp = client.post("/api/v1/achievements", headers=tok,
                           json={**f.ACHIEVEMENT, "ref": f"D-{day}", "ip_filed_on": day})
        assert resp.status_code == 422, (day, resp.get_json())
        assert "1900" in str(resp.get_json()["error"]["fields"])


def test_personal_contacts_are_not_shown_to_anonymous_visitors(client, f):
    owner = f.user("institution")
    rec = f.record("achievements", owner, status="published", contact_name="张老师", contact_phone="13800000000",
                   contact_email="zhang@ncu.edu.cn")
    page = client.get(f"/achievements/{rec.id}").get_data(as_text=True)
    assert "13800000000" not in page and "zhang@ncu.edu.cn" not in page and "实名审核" in page
    anon = client.get(f"/api/v1/achievements/{rec.id}").get_json()
    assert anon["contact_phone"] is None and anon["contact_email"] is None
    listed = client.get("/api/v1/achievements").get_json()["items"]
    assert all(i["contact_phone"] is None for i in listed)
    company = f.user("company")  # an approved organisation's user
    login(client, company)
    assert "13800000000" in client.get(f"/achievements/{rec.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/achievements/{rec.id}").get_json()["contact_phone"] == "13800000000"


def test_paging_messages_name_the_parameter_in_chinese(client):
    resp = client.get("/api/v1/achievements?page=abc")
    assert resp.status_code == 400 and resp.get_json()["error"]["message"].startswith("页码")
