"""Accounts: registration, login, passwords, real-name approval, CLI users and API tokens, admin scope."""
import pytest

from marketplace.accounts.models import Organisation, User
from marketplace.core.uscc import make_uscc
from marketplace.extensions import db

from .conftest import login
from .factories import PASSWORD

GOOD = {"email": "new@firm.cn", "password": "longpassword", "password2": "longpassword", "name": "王工",
        "role": "company", "org_name": "上饶市晶科光伏材料有限公司", "uscc": make_uscc("x", "361100"), "city": "上饶"}


def test_register_creates_pending_org_and_hashed_password(client, ctx):
    resp = client.post("/register", data=GOOD)
    assert resp.status_code == 302
    user = User.query.filter_by(email="new@firm.cn").one()
    assert user.org.status == "pending" and user.org.kind == "company"
    assert user.password_hash != "longpassword" and user.check_password("longpassword")


@pytest.mark.parametrize("change,field,fragment", [
    ({"uscc": GOOD["uscc"][:-1] + ("0" if GOOD["uscc"][-1] != "0" else "1")}, "uscc", "校验位"),
    ({"uscc": ""}, "uscc", "企业须填写"),
    ({"password2": "different1"}, "password2", "不一致"),
    ({"password": "short", "password2": "short"}, "password", "8"),
    ({"email": "not-an-email"}, "email", "邮箱"),
    ({"role": "admin"}, "role", "可选范围"),
    ({"org_name": "企" * 500}, "org_name", "120"),
])
def test_register_rejects_bad_input_with_field_message(client, ctx, change, field, fragment):
    resp = client.post("/register", data={**GOOD, **change})
    assert resp.status_code == 422
    assert fragment in resp.get_data(as_text=True)
    assert User.query.count() == 0 and Organisation.query.count() == 0


def test_register_a_company_with_its_scale(client, ctx):
    """企业规模 is optional for companies (the conversion index counts sales to 中小企业); others' is ignored."""
    assert 'name="scale"' in client.get("/register").get_data(as_text=True)
    resp = client.post("/register", data={**GOOD, "scale": "小型企业"})
    assert resp.status_code == 302
    assert User.query.filter_by(email=GOOD["email"]).one().org.scale == "小型"
    resp = client.post("/register", data={**GOOD, "email": "b@firm.cn", "org_name": "某某公司", "scale": "巨型",
                                          "uscc": make_uscc("y", "361100")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "不在可选范围内" in html.split('for="r-scale"', 1)[1].split('class="field', 1)[0]
    assert '<option selected>上饶</option>' in html  # what was typed stays
    resp = client.post("/register", data={**GOOD, "email": "c@uni.cn", "org_name": "某某学院", "role": "institution",
                                          "uscc": "", "scale": "大型"})
    assert resp.status_code == 302 and User.query.filter_by(email="c@uni.cn").one().org.scale is None
    resp = client.post("/register", data={**GOOD, "email": "d@firm.cn", "org_name": "无规模公司", "scale": "",
                                          "uscc": make_uscc("z", "361100")})
    assert resp.status_code == 302 and User.query.filter_by(email="d@firm.cn").one().org.scale is None


def test_a_code_typed_in_full_width_or_lower_case_is_stored_as_the_code(client, ctx):
    wide = "".join(chr(ord(c) + 0xFEE0) for c in GOOD["uscc"].lower())  # ９１３６… with full-width mode on
    assert client.post("/register", data={**GOOD, "uscc": wide}).status_code == 302
    assert User.query.filter_by(email=GOOD["email"]).one().org.uscc == GOOD["uscc"]
    resp = client.post("/register", data={**GOOD, "email": "b@firm.cn", "org_name": "另一家公司"})
    assert resp.status_code == 422 and "已被其他单位使用" in resp.get_data(as_text=True)  # the same code


def test_register_refuses_joining_an_existing_org_by_name(client, f):
    f.org("company", name=GOOD["org_name"])
    resp = client.post("/register", data=GOOD)
    assert resp.status_code == 422 and "已在平台注册" in resp.get_data(as_text=True)


def test_register_refuses_an_existing_org_however_its_name_is_spaced_or_bracketed(client, f):
    # "江西铜业 股份有限公司（贵溪冶炼厂）" passed the check against 江西铜业股份有限公司（贵溪冶炼厂） before
    f.org("company", name="江西铜业股份有限公司（贵溪冶炼厂）")
    for typed in ("江西铜业 股份有限公司(贵溪冶炼厂)", "江西铜业股份有限公司 （贵溪冶炼厂）"):
        resp = client.post("/register", data={**GOOD, "org_name": typed})
        assert resp.status_code == 422 and "已在平台注册" in resp.get_data(as_text=True), typed
    assert client.post("/register", data={**GOOD, "org_name": "南昌 某某 科技有限公司(研发部)"}).status_code == 302
    assert User.query.filter_by(email=GOOD["email"]).one().org.name == "南昌某某科技有限公司（研发部）"


def test_login_logout_and_wrong_password(client, f):
    u = f.user("institution")
    bad = client.post("/login", data={"email": u.email, "password": "wrong-password"})
    assert bad.status_code == 401 and "不正确" in bad.get_data(as_text=True)
    login(client, u)
    assert u.name in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/achievements/new").status_code == 302  # back to the login page


def test_login_never_redirects_off_site(client, f):
    u = f.user("institution")
    resp = client.post("/login?next=//evil.example/x", data={"email": u.email, "password": PASSWORD})
    assert resp.headers["Location"] == "/workbench"  # 我的工作台, the landing page after login


def test_password_change(client, f):
    u = f.user("company")
    login(client, u)
    bad = client.post("/password", data={"old_password": "nope-nope", "new_password": "newpassword1",
                                         "password2": "newpassword1"})
    assert bad.status_code == 422
    ok = client.post("/password", data={"old_password": PASSWORD, "new_password": "newpassword1",
                                        "password2": "newpassword1"})
    assert ok.status_code == 302
    db.session.refresh(u)
    assert u.check_password("newpassword1")


def test_unapproved_org_cannot_submit_until_approved(client, f):
    inst = f.user("institution", approved=False)
    obj = f.record("achievements", inst)
    login(client, inst)
    resp = client.post(f"/api/v1/achievements/{obj.id}/submit")
    assert resp.status_code == 403 and "实名审核" in resp.json["error"]["message"]
    admin = f.user("admin")
    admin_client = client.application.test_client()
    login(admin_client, admin)
    assert admin_client.post(f"/admin/orgs/{inst.org_id}/approve").status_code == 302
    resp = client.post(f"/api/v1/achievements/{obj.id}/submit")
    assert resp.json.get("status") == "submitted", resp.json


def test_org_rejection_needs_a_reason(client, f):
    pending = f.org("company", approved=False)
    admin = f.user("admin")
    login(client, admin)
    client.post(f"/admin/orgs/{pending.id}/reject", data={"note": ""})
    db.session.refresh(pending)
    assert pending.status == "pending"
    client.post(f"/admin/orgs/{pending.id}/reject", data={"note": "营业执照与名称不符"})
    db.session.refresh(pending)
    assert pending.status == "rejected" and pending.review_note == "营业执照与名称不符"


def test_non_admin_cannot_open_admin_pages(client, f):
    login(client, f.user("institution"))
    assert client.get("/admin/").status_code == 403


def test_cli_creates_user_and_token_authenticates(app, ctx):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "create", "ttc@ncu.edu.cn", "--password", "secret-pass",
                              "--role", "institution", "--org", "南昌大学"])
    assert out.exit_code == 0, out.output
    assert Organisation.query.filter_by(name="南昌大学").one().kind == "institution"
    token = runner.invoke(args=["users", "token", "ttc@ncu.edu.cn"]).output.strip()
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["org"]["name"] == "南昌大学"
    bad = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthenticated"


def test_a_tokens_last_use_is_written_at_most_once_a_minute(app, f):
    """An API read with a Bearer token records the token's last use, but not at every request: a read that
    wrote a row each time cost a write transaction per request (measured 3-7 ms a request on PostgreSQL)."""
    from datetime import timedelta

    from sqlalchemy import event

    from marketplace.accounts.models import ApiToken
    from marketplace.accounts.services import TOKEN_TOUCH_SECONDS
    user = f.user("company")
    token = f.token(user)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.expire_all()
    row = ApiToken.query.filter_by(user_id=user.id).one()
    first = row.last_used_at
    assert first is not None
    writes = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert writes == []
        row.last_used_at = first - timedelta(seconds=TOKEN_TOUCH_SECONDS + 1)  # a minute has passed
        db.session.commit()
        del writes[:]
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    db.session.expire_all()
    assert ApiToken.query.filter_by(user_id=user.id).one().last_used_at >= first


def test_cli_refuses_short_password_and_duplicate(app, ctx):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "a@b.cn", "--password", "x", "--role", "company", "--org", "甲公司"])
    assert short.exit_code != 0 and "8" in short.output
    runner.invoke(args=["users", "create", "a@b.cn", "--password", "long-enough", "--role", "company", "--org", "甲公司"])
    dup = runner.invoke(args=["users", "create", "a@b.cn", "--password", "long-enough", "--role", "company",
                              "--org", "甲公司"])
    assert dup.exit_code != 0 and "已存在" in dup.output


def test_production_hashes_with_scrypt_and_either_method_verifies(ctx):
    """The suite hashes with a cheap method (conftest); a site keeps werkzeug's scrypt, and a stored hash of
    either kind still verifies, since the method is part of the hash."""
    from marketplace.config import load_config
    assert load_config(ctx.instance_path)["PASSWORD_HASH_METHOD"] == "scrypt"
    u = User(email="h@test.cn", name="哈希")
    u.set_password("longpassword")
    assert u.password_hash.startswith("pbkdf2:sha256:1$")
    ctx.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        u.set_password("other-password")
    finally:
        ctx.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1"
    assert u.password_hash.startswith("scrypt:") and u.check_password("other-password")
    assert not u.check_password("longpassword")


def test_creating_an_organisation_with_a_code_another_holds_is_a_clear_error(app, f):
    # `flask users create … --org 江西铜业 --uscc CODE` with 江西铜业股份有限公司's code: an IntegrityError traceback before
    from marketplace.core.uscc import make_uscc
    f.org("company", name="江西铜业股份有限公司")
    out = app.test_cli_runner().invoke(args=["users", "create", "x@jxcc.cn", "--password", "longpassword", "--role",
                                             "company", "--org", "江西铜业", "--uscc", make_uscc("江西铜业股份有限公司")])
    assert out.exit_code != 0 and "已属于“江西铜业股份有限公司”" in out.output, out.output
