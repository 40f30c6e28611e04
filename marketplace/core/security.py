"""Defences against hostile clients: login throttling (Flask-Limiter), security headers and cookies.

Configuration (environment variable, else the default shown):
  RATELIMIT_STORAGE_URI   memory://   where the counters live; with several workers (gunicorn -w 4) use a
                                      shared store such as redis://host:6379, else each worker counts alone
  LOGIN_THROTTLE_ENABLED  on          wrong-password throttling (off by default when the app is TESTING)
  LOGIN_LIMIT_PER_EMAIL   10 per 15 minutes   failed logins allowed per account
  LOGIN_LIMIT_PER_IP      30 per 15 minutes   failed logins allowed per client address (higher: a campus or an
                                      office shares one address, and one typist must not lock out the rest)
  TRUSTED_PROXY_COUNT     0           reverse proxies in front of the app whose X-Forwarded-* are trusted
                                      (else every client has the proxy's address and shares one login budget)
  SESSION_COOKIE_SECURE   off         cookies only over HTTPS (set it in production behind TLS)
  FORCE_HTTPS             off         redirect http:// to https:// (usually the proxy's job)
"""
import math
import os
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path

# Counters start only where a route asks for a limit (no default limits on every page).
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")

# Same-origin resources only: the templates have no inline <script>, <style> or style="" (keep it so), and
# site.js is the one script. No framing anywhere (frame-ancestors plus X-Frame-Options for old browsers).
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def login_email_key() -> str:
    """The throttling key of a login attempt: the e-mail as find_user() matches it (empty: not counted)."""
    return (request.form.get("email") or "").strip().lower()[:MAX_EMAIL_LENGTH]


def _throttle_off() -> bool:
    return not current_app.config.get("LOGIN_THROTTLE_ENABLED", True)


def failed_login(response) -> bool:
    """Only wrong credentials count against the limits (a right password, or a disabled account, do not)."""
    return response.status_code == 401


def login_limits(view):
    """Decorate the login view: 429 after too many failures, per e-mail and per client address."""
    common = {"methods": ["POST"], "deduct_when": failed_login, "exempt_when": _throttle_off}
    view = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], key_func=get_remote_address,
                         scope="login-ip", **common)(view)
    return limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"], key_func=login_email_key,
                         scope="login-email", **common)(view)


def _retry_after() -> int:
    """Seconds until the breached limit lets one more attempt through."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def _too_many(exc: RateLimitExceeded):
    from .web import error_response
    wait = _retry_after()
    minutes = math.ceil(wait / 60)
    if request.endpoint == "accounts.login":
        from flask import flash, render_template
        flash(f"登录失败次数过多，请 {minutes} 分钟后再试", "error")
        email = (request.form.get("email") or "")[:MAX_EMAIL_LENGTH]
        response = current_app.make_response((render_template("accounts/login.html", email=email), 429))
    else:
        response = current_app.make_response(
            error_response(429, "too_many_requests", f"请求过于频繁，请 {minutes} 分钟后再试"))
    response.headers["Retry-After"] = str(wait)
    return response


def init_app(app) -> None:
    cfg = app.config
    cfg.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    cfg.setdefault("LOGIN_THROTTLE_ENABLED", _flag("LOGIN_THROTTLE_ENABLED", not app.testing))
    cfg.setdefault("LOGIN_LIMIT_PER_EMAIL", os.environ.get("LOGIN_LIMIT_PER_EMAIL", "10 per 15 minutes"))
    cfg.setdefault("LOGIN_LIMIT_PER_IP", os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"))
    # Flask's own default is False, so an override or the environment turns it on.
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg.get("SESSION_COOKIE_SECURE")) or _flag("SESSION_COOKIE_SECURE", False)
    cfg.setdefault("FORCE_HTTPS", _flag("FORCE_HTTPS", False))
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"

    proxies = int(os.environ.get("TRUSTED_PROXY_COUNT", cfg.get("TRUSTED_PROXY_COUNT", 0)) or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)

    from flask_talisman import Talisman
    # One Talisman per app (it keeps its options on the instance).
    Talisman(app, force_https=cfg["FORCE_HTTPS"], session_cookie_secure=cfg["SESSION_COOKIE_SECURE"],
             session_cookie_http_only=True, session_cookie_samesite="Lax", frame_options="DENY",
             content_security_policy=CSP, referrer_policy="strict-origin-when-cross-origin",
             strict_transport_security=True)  # sent only over HTTPS
