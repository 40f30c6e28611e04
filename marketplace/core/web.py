"""Request plumbing: who is acting, error → HTTP mapping (JSON under /api/, pages elsewhere), template helpers."""
from flask import g, jsonify, render_template, request
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db, login_manager
from . import money, vocab
from .errors import AppError

HTTP_MESSAGES = {
    400: "请求有误", 401: "请先登录", 403: "没有权限", 404: "没有找到该页面", 405: "不支持该请求方法",
    413: "上传的文件过大（最大20MB）", 415: "不支持的内容类型", 422: "输入有误", 429: "请求过于频繁",
    500: "服务器内部错误，请稍后重试",
}
CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 422: "validation_failed", 500: "internal_error"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def actor():
    """The acting user: a Bearer token's user on the API, else the session's user (may be anonymous)."""
    if "actor" not in g:
        g.actor = current_user
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and wants_json():
            from ..accounts.services import user_for_token
            g.actor = user_for_token(header[7:].strip()) or AnonymousUserMixin()
            g.token_auth = True
    return g.actor


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    from .errors import BadRequest
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("请求体应为 JSON（Content-Type: application/json）")
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 JSON 对象")
    return data


def require_login() -> None:
    """API endpoints: 401 unless a session or a Bearer token names a user."""
    from .errors import NotAuthenticated
    if not getattr(actor(), "is_authenticated", False):
        raise NotAuthenticated("请先登录或提供有效的 API 令牌")


def form_dict() -> dict:
    """A submitted page form's fields, without the CSRF token."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def day_arg(value, name: str):
    """An optional YYYY-MM-DD request value (None: today), or a 400 naming the parameter."""
    from datetime import date

    from .errors import BadRequest
    if not value:
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{name} 日期格式应为 YYYY-MM-DD") from None


def error_response(status: int, code: str, message: str, fields=None):
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def init_app(app):
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(user_id):
        from ..accounts.models import User
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for
        if wants_json():
            return error_response(401, "unauthenticated", "请先登录或提供有效的 API 令牌")
        flash("请先登录", "warning")
        return redirect(url_for("accounts.login", next=request.full_path))

    @app.before_request
    def _fresh_actor():
        # g lives as long as the app context; when one context spans several requests (the test
        # suite's), the previous request's user must not carry over.
        for key in ("actor", "token_auth", "_login_user"):
            g.pop(key, None)

    @app.after_request
    def _apply_search_outbox(response):
        # The request committed changes to indexed records: bring the index up to date now when the
        # index lock is free (else the rows wait for the next request, a search, or `flask search sync`).
        if db.session.info.pop("search_dirty", False):
            from ..searching.sync import try_apply
            try_apply(lock_timeout=2.0)
        if db.session.info.pop("push_dirty", False):
            from ..matching.push import try_process
            try_process()  # after the index has the newly published record
        return response

    @app.errorhandler(AppError)
    def on_app_error(exc: AppError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def on_csrf(exc):
        return error_response(400, "csrf", "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试")

    @app.errorhandler(HTTPException)
    def on_http(exc: HTTPException):
        status = exc.code or 500
        return error_response(status, CODES.get(status, "error"), HTTP_MESSAGES.get(status, exc.description))

    @app.errorhandler(Exception)
    def on_crash(exc):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", HTTP_MESSAGES[500])

    # Globals (not a context processor) so that imported macros see them too.
    from ..searching.highlight import mark, snippet
    app.jinja_env.globals.update(vocab=vocab, format_yuan=money.format_yuan, mark=mark, snippet=snippet,
                                 status_label=lambda s: vocab.STATUS_LABELS.get(s, s))

    @app.context_processor
    def helpers():
        user = actor()
        unread = 0
        if getattr(user, "is_authenticated", False):
            from ..matching.models import Notification
            unread = Notification.query.filter_by(user_id=user.id, read_at=None).count()
        return {"actor": user, "unread": unread}

    @app.template_filter("dt")
    def fmt_dt(value):
        return value.strftime("%Y-%m-%d %H:%M") if value else ""


def commit():
    """The one commit point of a request."""
    db.session.commit()


def attempt(action) -> bool:
    """Run a page's state change and commit; on a refusal roll back and flash its message (the caller
    redirects either way). True when it went through."""
    from flask import flash
    try:
        action()
        commit()
        return True
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False
