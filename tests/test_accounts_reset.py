"""Password reset by e-mail (signed single-use token with expiry, same answer for unknown addresses, throttled)
and the e-mail preferences of 账户设置 that notifications.service.tell respects."""
import re

import pytest

from marketplace.accounts import services as accounts
from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.notifications import service as notes
from marketplace.notifications.models import EmailMessage, Notification

from .conftest import login


def _reset_link(email: str) -> str:
    mail = EmailMessage.query.filter_by(to_email=email).filter(EmailMessage.subject.contains("重置密码")) \
        .order_by(EmailMessage.id.desc()).first()
    assert mail is not None, "no reset e-mail in the outbox"
    return re.search(r"http\S+/password/reset/\S+", mail.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_reset_end_to_end_and_the_link_works_once(client, f):
    u = f.user("company")
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)
    resp = client.post("/password/forgot", data={"email": u.email.upper()})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "如果该邮箱已在平台注册" in page
    link = _path(_reset_link(u.email))
    form = client.get(link)
    assert form.status_code == 200 and u.name in form.get_data(as_text=True)

    # The password rules apply, and the message sits by its field.
    bad = client.post(link, data={"new_password": "short", "password2": "short"})
    assert bad.status_code == 422 and 'id="err-new_password"' in bad.get_data(as_text=True)
    bad = client.post(link, data={"new_password": "newpassword1", "password2": "other-pass"})
    assert bad.status_code == 422 and "两次输入的密码不一致" in bad.get_data(as_text=True)

    ok = client.post(link, data={"new_password": "newpassword1", "password2": "newpassword1"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/login")
    login(client, u, "newpassword1")
    client.post("/logout")
    assert AuditLog.query.filter_by(entity_type="user", entity_id=u.id, action="password-reset").count() == 1

    # Used once: the same link is dead (the password hash it was keyed on changed).
    again = client.post(link, data={"new_password": "another-pass", "password2": "another-pass"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/password/forgot")
    assert "无效或已使用" in client.get("/password/forgot").get_data(as_text=True)
    db.session.refresh(u)
    assert u.check_password("newpassword1")


def test_unknown_email_gets_the_same_answer_and_no_mail(client, f):
    u = f.user("institution")
    known = client.post("/password/forgot", data={"email": u.email}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@nowhere.cn"}, follow_redirects=True)
    strip = lambda html: re.sub(r'name="csrf-token" content="[^"]+"|value="[^"]+"', "", html)  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert EmailMessage.query.filter_by(to_email="nobody@nowhere.cn").count() == 0
    assert EmailMessage.query.filter_by(to_email=u.email).count() == 1


def test_invalid_email_is_shown_next_to_the_field(client, f):
    resp = client.post("/password/forgot", data={"email": "not-an-address"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="err-email"' in html and 'value="not-an-address"' in html


def test_expired_and_forged_tokens_are_refused(client, f, app, monkeypatch):
    u = f.user("company")
    token = accounts.reset_token(u)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    resp = client.get(f"/password/reset/{token}")
    assert resp.status_code == 302
    assert "已过期" in client.get("/password/forgot").get_data(as_text=True)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 3600)
    assert client.get(f"/password/reset/{token}").status_code == 200
    for forged in (token[:-2] + "xx", "abc", "x" * 500):
        r = client.post(f"/password/reset/{forged}", data={"new_password": "newpassword1", "password2": "newpassword1"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/password/forgot")
    db.session.refresh(u)
    assert u.check_password(f.PASSWORD)


def test_a_password_change_also_kills_an_outstanding_token(client, f):
    u = f.user("company")
    token = accounts.reset_token(u)
    u.set_password("changed-meanwhile")
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 302


@pytest.fixture
def throttled(app, monkeypatch):
    from marketplace.core.security import limiter
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ENABLED", True)
    limiter.reset()
    yield limiter
    limiter.reset()


def test_reset_requests_are_rate_limited_per_address(client, f, throttled):
    u = f.user("company")
    codes = [client.post("/password/forgot", data={"email": u.email}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert EmailMessage.query.filter_by(to_email=u.email).count() == 3
    # An address nobody registered is limited the same way (the limit reveals nothing).
    codes = [client.post("/password/forgot", data={"email": "ghost@x.cn"}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]


# E-mail preferences -----------------------------------------------------------------------------------

def test_preferences_page_and_tell_respects_them(client, f):
    u = f.user("institution")
    login(client, u)
    page = client.get("/account/settings").get_data(as_text=True)
    for label in ("审核结果", "合同与到账", "匹配推送", "经纪撮合", "系统公告"):
        assert label in page
    assert page.count("checked") == 5  # everything on by default
    resp = client.post("/account/settings", data={"topics": ["review", "introduction"]})
    assert resp.status_code == 302
    assert "邮件通知设置已保存" in client.get("/account/settings").get_data(as_text=True)
    assert notes.email_preferences(u) == {"review": True, "contract": False, "match": False,
                                          "introduction": True, "announcement": False}
    before = EmailMessage.query.count()
    notes.tell(u, "match", "新的匹配", "正文", "/x")
    notes.tell(u, "contract", "合同已登记", "正文", "/x")
    notes.tell(u, "commission", "佣金", "正文", "/x")  # belongs to 合同与到账
    assert EmailMessage.query.count() == before  # no e-mail, but every one in the inbox
    assert Notification.query.filter_by(user_id=u.id).count() == 3
    notes.tell(u, "review", "审核通过", "正文", "/x")
    db.session.commit()
    assert EmailMessage.query.count() == before + 1


def test_preferences_refuse_unknown_topics(client, f):
    u = f.user("company")
    login(client, u)
    resp = client.post("/account/settings", data={"topics": ["review", "spam"]})
    assert resp.status_code == 422 and "没有这种通知类别" in resp.get_data(as_text=True)
    assert notes.email_preferences(u)["match"] is True  # nothing changed


def test_settings_needs_login(client):
    assert client.get("/account/settings").status_code == 302
