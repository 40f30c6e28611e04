"""Login against hostile input: the `next` redirect, wrong-password throttling, huge and malformed fields."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from .conftest import login
from .factories import PASSWORD


def browser_host(location: str) -> str:
    """The host a browser goes to for this Location header, as seen from http://localhost/.

    Browsers (WHATWG URL parsing) drop leading/trailing C0 controls and spaces, delete tab and
    newline anywhere, and read a backslash as a slash in http(s) URLs.
    """
    url = location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                         "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    url = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    return urlsplit(urljoin("http://localhost/", url)).netloc


HOSTILE_NEXT = [
    "//evil.example/x",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\tevil.example",           # the browser drops the tab: //evil.example
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "/%5Cevil.example",          # the parameter decodes to /\evil.example when sent once-encoded below
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "//evil.example@localhost",
    "/x\r\nSet-Cookie: a=b",     # header injection (was a 500)
    "/x\r\n",
    "/x\x00y",
    "/x\x7f",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
@pytest.mark.parametrize("encoded_twice", [False, True])
def test_hostile_next_lands_on_this_site(client, f, target, encoded_twice):
    from urllib.parse import quote
    u = f.user("institution")
    value = quote(target, safe="") if encoded_twice else target
    resp = client.post("/login", query_string={"next": value}, data={"email": u.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.status_code
    location = resp.headers["Location"]
    assert not re.search(r"[\x00-\x1f\x7f]", location)
    assert browser_host(location) == "localhost", location
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ["/achievements/new", "/achievements?q=铜合金&page=2",
                                    "/search?q=%E7%A8%80%E5%9C%9F&library=achievements#results",
                                    "/demands/new?"])
def test_valid_next_is_followed(client, f, target):
    u = f.user("institution")
    resp = client.post("/login", query_string={"next": target}, data={"email": u.email, "password": PASSWORD})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert browser_host(location) == "localhost"
    parts, wanted = urlsplit(location), urlsplit(target)
    from urllib.parse import unquote
    assert unquote(parts.path) == unquote(wanted.path)
    assert unquote(parts.query) == unquote(wanted.query)


def test_next_from_the_login_required_redirect_round_trips(client, f):
    u = f.user("institution")
    first = client.get("/achievements/new")
    assert first.status_code == 302
    login_url = first.headers["Location"]
    resp = client.post(login_url, data={"email": u.email, "password": PASSWORD})
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/achievements/new"


# Throttling ---------------------------------------------------------------------------------------------

@pytest.fixture
def throttled(app, monkeypatch):
    """The login limits switched on for one test (the test config leaves them off), with fresh counters."""
    from marketplace.core.security import limiter
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ENABLED", True)
    limiter.reset()
    yield limiter
    limiter.reset()


def test_wrong_passwords_are_throttled_per_email_even_the_right_one_after(client, f, throttled):
    u = f.user("institution")
    other = f.user("institution")
    for _ in range(10):
        r = client.post("/login", data={"email": u.email, "password": "wrong-password"})
        assert r.status_code == 401
    blocked = client.post("/login", data={"email": u.email, "password": PASSWORD})
    assert blocked.status_code == 429
    body = blocked.get_data(as_text=True)
    assert "登录失败次数过多" in body and "分钟后再试" in body
    assert int(blocked.headers["Retry-After"]) > 0
    assert "_user_id" not in (client.get_cookie("session").value if client.get_cookie("session") else "")
    # Nobody else is locked out by one account's failures; upper- and lower-case are one account.
    login(client, other)
    assert client.post("/login", data={"email": u.email.upper(), "password": PASSWORD}).status_code == 429


def test_successful_logins_are_not_counted(client, f, throttled):
    u = f.user("institution")
    for _ in range(15):
        login(client, u)


def test_wrong_passwords_are_throttled_per_address_across_emails(client, f, throttled, app):
    per_ip = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
    for i in range(per_ip):
        r = client.post("/login", data={"email": f"nobody{i}@test.cn", "password": "x"})
        assert r.status_code == 401
    u = f.user("institution")
    assert client.post("/login", data={"email": u.email, "password": PASSWORD}).status_code == 429
    # Another address is not affected.
    r = client.post("/login", data={"email": u.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 302


def test_throttling_is_off_in_the_test_config(client, f):
    u = f.user("institution")
    for _ in range(12):
        client.post("/login", data={"email": u.email, "password": "wrong-password"})
    login(client, u)


# Huge and malformed fields -------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"email": "a" * (1024 * 1024) + "@test.cn", "password": "x"},
    {"email": "a" * 300_000 + "@test.cn", "password": "x"},
    {"email": "x@test.cn", "password": "p" * 300_000},
    {"email": "a\x00b@test.cn", "password": "x"},
    {"email": "a@test.cn\x00", "password": "x\x00"},
    {"email": ["a@test.cn", "b@test.cn"], "password": "x"},
])
def test_huge_or_odd_login_fields_never_500(client, data):
    r = client.post("/login", data=data)
    assert r.status_code in (400, 401, 413), r.status_code
    assert len(r.data) < 200_000  # the field is not echoed back whole


@pytest.mark.parametrize("body", [b"email=%FF%FEab%C0@x.cn&password=%FF", b"email=\xff\xfe\xc0&password=\x80",
                                  b"email=a%00%00&password=%00", b"%%%%=%%&&&email"])
def test_non_utf8_login_bodies_never_500(client, body):
    r = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (400, 401), r.status_code
