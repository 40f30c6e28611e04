"""Security headers on pages and API answers; session cookies HttpOnly, SameSite=Lax, Secure when asked."""
import re
from pathlib import Path

import pytest

from .factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def assert_hardened(resp):
    h = resp.headers
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = h["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
                      "base-uri 'self'", "form-action 'self'"):
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "Strict-Transport-Security" not in h  # plain http here: HSTS is only sent over HTTPS


@pytest.mark.parametrize("path", ["/", "/login", "/achievements", "/no-such-page"])
def test_pages_carry_the_security_headers(client, path):
    assert_hardened(client.get(path))


@pytest.mark.parametrize("path", ["/api/v1/achievements", "/api/v1/no-such-thing"])
def test_api_answers_carry_the_security_headers(client, path):
    resp = client.get(path)
    assert resp.is_json
    assert_hardened(resp)


def test_hsts_over_https(client):
    resp = client.get("/", base_url="https://localhost")
    assert "max-age=" in resp.headers["Strict-Transport-Security"]


def session_cookie(resp) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, resp.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(client, f):
    u = f.user("institution")
    resp = client.post("/login", data={"email": u.email, "password": PASSWORD, "remember": "1"})
    assert resp.status_code == 302
    cookie = session_cookie(resp)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    remember = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_session_cookie_is_secure_when_configured(monkeypatch):
    # A bare app (a second full create_app() would reconfigure process-wide queues): the same init_app.
    from flask import Flask, session

    from marketplace.core import security
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    bare = Flask("secure-cookie-test")
    bare.config.update(SECRET_KEY="x", TESTING=True)
    security.init_app(bare)

    @bare.get("/set")
    def set_session():
        session["k"] = 1
        return "ok"

    resp = bare.test_client().get("/set", base_url="https://localhost")
    cookie = session_cookie(resp)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert bare.config["REMEMBER_COOKIE_SECURE"] is True


def test_templates_need_no_inline_script_or_style():
    """The CSP allows no inline script or style: keep the templates free of them."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        if (re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) or re.search(r"<style\b", html)
                or re.search(r"\sstyle=|\son[a-z]+=|javascript:", html)):
            offenders.append(path.name)
    assert offenders == []
