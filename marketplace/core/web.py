"""The request pipeline and its helpers.

Every request goes through `Pipeline` (the application class) in this order:
  1. authenticate: Flask-Login's session user, or a Bearer token's user on /api/ (the accounts package
     registers the token loader);
  2. CSRF: every POST/PUT/PATCH/DELETE authenticated by the session cookie (or by nothing) must carry the
     token (form field `csrf_token` or header `X-CSRFToken`); only Bearer-token requests are spared, since a
     browser never sends those on its own. There is no per-route exemption;
  3. the view runs (thin: parse, authorise, call services, which flush but never commit);
  4. one commit if the answer is not an error (status < 400), a rollback otherwise or on any exception;
  5. the after-commit operations the services registered (core.uow) run.
Errors are mapped to HTTP here: JSON `{"error": {...}}` under /api/, an error page elsewhere.
"""
import re
from datetime import date
from decimal import Decimal
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Flask, Request, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..extensions import csrf, db, login_manager
from . import money, uow, vocab
from .errors import AppError, BadRequest, NotAuthenticated
from .schema import COMMON_LABELS, SURROGATE_MESSAGE, broken_at

HTTP_MESSAGES = {
    400: "请求有误", 401: "请先登录", 403: "没有权限", 404: "没有找到该页面", 405: "不支持该请求方法",
    413: "上传的文件过大（最大20MB）", 415: "不支持的内容类型", 422: "输入有误", 429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后重试",
}
CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests",
         500: "internal_error"}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 2 * 1024 * 1024


class BoundedInt(IntegerConverter):
    """`<int:...>` in every route: a number PostgreSQL's integer columns can hold, else the route does not
    match (404) instead of the database failing (500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _depth(value, limit: int) -> bool:
    """True when `value` nests no deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


class SafeRequest(Request):
    """JSON bodies: a clear 400 for a body too large, malformed or nested too deeply (never a 500)."""

    def get_json(self, force=False, silent=False, cache=True):
        if self.content_length and self.content_length > MAX_JSON_BYTES and (force or self.is_json):
            raise BadRequest(f"JSON 请求体过大（最大 {MAX_JSON_BYTES // 1024 // 1024} MB）")
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadRequest("JSON 嵌套层数过多") from None
        if data is not None and not _depth(data, MAX_JSON_DEPTH):
            raise BadRequest(f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）")
        where = broken_at(data) if data is not None else None
        if where:
            raise BadRequest(f"{where}：{SURROGATE_MESSAGE}")
        return data

    def on_json_loading_failed(self, e):
        raise BadRequest("请求体不是有效的 JSON")


MAX_MAGNITUDE = 100  # no field of this site takes a number beyond ±10^100, or a non-zero one below 10^-100


def json_number(text: str) -> Decimal:
    """A JSON number with a fraction or exponent as an exact Decimal. One beyond ±10^MAX_MAGNITUDE is refused here,
    before any field sees it: `1e99999999` is 10 bytes, and turning it into an int (marshmallow's Integer does) would
    hold a worker for hours; `1e999999999999999999999` is not even a Decimal."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = None
    if value is None or (value and abs(value.adjusted()) > MAX_MAGNITUDE):
        _too_large(text)
    return value


def json_integer(text: str) -> int:
    """A JSON integer, within the same bound (Python itself stops at 4,300 digits, with a message about JSON)."""
    if len(text.lstrip("-")) > MAX_MAGNITUDE:
        _too_large(text)
    return int(text)


def _too_large(text: str):
    shown = text if len(text) <= 24 else text[:24] + "…"
    raise BadRequest(f"数字“{shown}”超出可接受的范围（绝对值应在 10 的 ±{MAX_MAGNITUDE} 次方之间）")


class ExactJSON(DefaultJSONProvider):
    """JSON numbers with a fraction or exponent are read as Decimal, never float: amounts stay exact and
    `1e5` stays recognisable as exponent notation (which money fields refuse); absurd magnitudes are a 400."""

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_float", json_number)
        kwargs.setdefault("parse_int", json_integer)
        return super().loads(s, **kwargs)


class Pipeline(Flask):
    """The application class: one commit per request, then the after-commit work (see the module doc)."""

    request_class = SafeRequest
    json_provider_class = ExactJSON

    def dispatch_request(self):
        rv = super().dispatch_request()
        response = self.make_response(rv)
        if response.status_code < 400:
            uow.commit()
        else:
            uow.rollback()
        return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def actor():
    """The acting user (may be anonymous): the session's user, else a Bearer token's user on the API."""
    return current_user._get_current_object() if hasattr(current_user, "_get_current_object") else current_user


def is_token_request() -> bool:
    """The request was authenticated by an API token (set by the accounts package's token loader)."""
    actor()  # Flask-Login resolves the user lazily; the loader sets the flag
    return bool(g.get("token_auth"))


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("请求体应为 JSON（Content-Type: application/json）")
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 JSON 对象")
    return data


def text_field(body, key: str, label: str | None = None) -> str | None:
    """An optional text value of a JSON body: None when the body is not an object or the value is absent or null,
    the string as sent, else a 400 that names the field in Chinese (a number or a list where a reason goes)."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is None or isinstance(value, str):
        return value
    name = label or COMMON_LABELS.get(key, key)
    raise BadRequest(f"{name}应为文字", {key: "应为文字"})


def require_login() -> None:
    """API endpoints: 401 unless a session or a Bearer token names a user."""
    if not getattr(actor(), "is_authenticated", False):
        raise NotAuthenticated("请先登录或提供有效的 API 令牌")


def form_dict() -> dict:
    """A submitted page form's fields, without the CSRF token."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def day_arg(value, name: str):
    """An optional YYYY-MM-DD request value (None: today), or a 400 naming the parameter. Years 1900–2999 only:
    the schedules and the 先用后转 scan count years and months from it, and year 1 or 9999 has no room for that."""
    if not value:
        return date.today()
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{name} 日期格式应为 YYYY-MM-DD") from None
    if not 1900 <= day.year <= 2999:
        raise BadRequest(f"{name} 应在 1900 到 2999 年之间", {name: "超出范围"})
    return day


def int_arg(name: str, default: int | None = None, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """An integer query parameter within [lo, hi], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not lo <= int(raw) <= hi:
        raise BadRequest(f"{name} 应为 {lo} 到 {hi} 之间的整数", {name: f"应为 {lo} 到 {hi} 之间的整数"})
    return int(raw)


CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def local_url(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: never a redirect to another host.

    Judged as a browser reads it: tab and newline are deleted anywhere and a backslash is a slash, so
    `/\tevil.com` and `/\\evil.com` are `//evil.com`, another host. Control characters are refused outright
    (a newline would also split the Location header); so is a path that starts with `//` once decoded
    (a proxy that decodes %2F before redirecting would make it another host).
    """
    if not target or len(target) > 2000 or CONTROL_CHARS.search(target):
        return fallback
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return fallback
    decoded = unquote(parts.path).replace("\\", "/")
    if decoded.startswith("//") or CONTROL_CHARS.search(decoded):
        return fallback
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def error_response(status: int, code: str, message: str, fields=None):
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def _check_csrf() -> None:
    from flask import current_app
    if request.method not in WRITE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if is_token_request():
        return
    csrf.protect()


_TOKEN_RESOLVERS: list = []


def token_resolver(fn):
    """Register fn() → user | None, run first in every request: a user authenticated by something other than
    the session cookie (the accounts package registers the Bearer-token one)."""
    _TOKEN_RESOLVERS.append(fn)
    return fn


def init_app(app):
    app.url_map.converters["int"] = BoundedInt
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, for every route, with no exemptions
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for
        if wants_json():
            return error_response(401, "unauthenticated", "请先登录或提供有效的 API 令牌")
        flash("请先登录", "warning")
        return redirect(url_for("accounts.login", next=request.full_path))

    @app.before_request
    def _start():
        # g lives as long as the app context; when one context spans several requests (the test
        # suite's), the previous request's user must not carry over.
        for key in ("token_auth", "_login_user"):
            g.pop(key, None)
        uow.discard()
        for resolve in _TOKEN_RESOLVERS:
            user = resolve()
            if user is not None:
                g._login_user = user  # Flask-Login's current_user: the token's user, not the session's
                break
        _check_csrf()

    @app.errorhandler(AppError)
    def on_app_error(exc: AppError):
        uow.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def on_csrf(exc):
        uow.rollback()
        return error_response(400, "csrf", "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试")

    @app.errorhandler(IntegrityError)
    def on_integrity(exc):
        # Two requests raced for the same unique value; the loser is told to retry, nothing is half-written.
        uow.rollback()
        app.logger.warning("integrity error: %s", exc.orig)
        return error_response(409, "conflict", "数据已被其他操作修改或重复，请刷新后重试")

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def on_out_of_range(exc):
        uow.rollback()
        return error_response(400, "bad_request", "输入的数值超出允许范围")

    @app.errorhandler(OperationalError)
    def on_db_busy(exc):
        uow.rollback()
        app.logger.exception("database error")
        return error_response(503, "unavailable", "系统繁忙，请稍后重试")

    from search.base import SearchUnavailable

    @app.errorhandler(SearchUnavailable)
    def on_search_down(exc):
        uow.rollback()
        app.logger.error("search unavailable: %s", exc)
        return error_response(503, "unavailable", "检索服务暂时不可用，请稍后重试")

    @app.errorhandler(HTTPException)
    def on_http(exc: HTTPException):
        uow.rollback()
        status = exc.code or 500
        return error_response(status, CODES.get(status, "error"), HTTP_MESSAGES.get(status, exc.description))

    @app.errorhandler(Exception)
    def on_crash(exc):
        uow.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", HTTP_MESSAGES[500])

    from .workflow import describe
    app.jinja_env.globals.update(vocab=vocab, format_yuan=money.format_yuan, audit_label=describe,
                                 status_label=lambda s: vocab.STATUS_LABELS.get(s, s))

    @app.context_processor
    def helpers():
        return {"actor": actor()}

    app.jinja_env.globals["refused_form"] = refused_form

    @app.template_filter("dt")
    def fmt_dt(value):
        return value.strftime("%Y-%m-%d %H:%M") if value else ""


def commit():
    """Kept for old call sites: the pipeline commits once at the end of the request, so this only flushes
    (constraint errors surface here, inside the view)."""
    db.session.flush()


def in_savepoint(action) -> AppError | None:
    """Run a state change in a savepoint; its refusal (AppError) rolls the savepoint back, with the after-commit
    work it registered, and is returned rather than raised (the rest of the request goes on)."""
    position = uow.mark()
    savepoint = db.session.begin_nested()
    try:
        action()
        db.session.flush()
        savepoint.commit()
        return None
    except AppError as exc:
        savepoint.rollback()
        uow.forget_since(position)
        return exc


def attempt(action) -> bool:
    """Run a page's state change in a savepoint; on a refusal flash its message (the caller redirects either
    way; the pipeline commits) and remember which form was refused, and at which fields, so that the page the
    caller redirects to gives the form back as typed (refused_form, base.html, static/js/site.js: the browser
    kept what was typed; the server keeps only the form's address and the fields' names). True when it went
    through."""
    refused = in_savepoint(action)
    if refused is not None:
        refuse(refused)
    return refused is None


REFUSED_KEY = "_refused_form"


def refuse(exc: AppError) -> None:
    """A form's refusal, for a view that redirects after it: flash the message and remember the form's address
    and the fields at fault for the next page (refused_form)."""
    from flask import flash, session
    flash(exc.message, "error")
    session[REFUSED_KEY] = {"action": (request.script_root + request.path)[:300],
                            "fields": [str(k)[:60] for k in list(exc.fields or {})[:12]]}


def refused_form() -> dict | None:
    """The form refused by the request before this page (attempt), read once: {"action", "fields"}. Called by
    base.html, once per full page, as the flashed messages are."""
    from flask import session
    return session.pop(REFUSED_KEY, None)
