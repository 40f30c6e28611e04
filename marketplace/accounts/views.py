"""Login, logout, registration, password change and reset, account settings, and the home page."""
import time
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import func

from ..core.errors import AppError, NotAuthenticated
from ..core.listings import LIBRARIES
from ..core.models import record_audit
from ..core.security import MAX_EMAIL_LENGTH, get_remote_address, limiter, login_email_key, login_limits
from ..core.web import CONTROL_CHARS, actor, commit, local_url
from ..extensions import db
from . import services
from .schemas import EmailPreferencesIn, PasswordIn, RegisterIn, ResetIn, ResetRequestIn

bp = Blueprint("accounts", __name__)
api = Blueprint("accounts", __name__)


MAX_PASSWORD_LENGTH = 1024


def _safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site, else 我的工作台 (core.web.local_url)."""
    return local_url(target, url_for("home.workbench_page"))


def _home_data() -> dict:
    """What the home page shows, the same for every visitor (published records and public figures only),
    as plain values (never ORM objects, which belong to one request's session)."""
    latest, counts = {}, {}
    for key, lib in LIBRARIES.items():
        stmt = lib.model.status == "published"
        counts[key] = db.session.scalar(db.select(func.count()).select_from(lib.model).where(stmt))
        latest[key] = [SimpleNamespace(id=i, title=t) for i, t in db.session.execute(
            db.select(lib.model.id, lib.model.title).where(stmt)
            .order_by(lib.model.published_at.desc(), lib.model.id.desc()).limit(6))]
    from ..site import services as site_services  # the 通知公告 box (site/_latest.html calls site_latest())
    from ..stats.pages import public_figures  # this year's 技术合同成交额 (the province's public total)
    notices = [SimpleNamespace(id=n.id, title=n.title, pinned=n.pinned, category_label=n.category_label,
                               publish_on=n.publish_on) for n in site_services.latest(5)]
    return {"latest": latest, "counts": counts, "figures": public_figures(), "notices": notices}


def _cached_home_data() -> dict:
    """_home_data(), kept HOME_CACHE_SECONDS (default 5; 0 under tests unless set) per process: a roadshow
    morning's visitors share one set of queries every few seconds. Public data only, so one key."""
    ttl = current_app.config.get("HOME_CACHE_SECONDS", 0 if current_app.testing else 5)
    if not ttl:
        return _home_data()
    cache = current_app.extensions.setdefault("home_page_cache", {})
    hit = cache.get("public")
    now = time.monotonic()
    if hit is None or hit[0] <= now:
        hit = cache["public"] = (now + ttl, _home_data())
    return hit[1]


@bp.route("/")
def index():
    data = _cached_home_data()
    notices = data["notices"]
    return render_template("index.html", latest=data["latest"], counts=data["counts"], libs=LIBRARIES,
                           figures=data["figures"], site_latest=lambda limit=5: notices[:limit])


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if request.method == "POST":
        email, password = request.form.get("email", ""), request.form.get("password", "")
        try:
            if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH or CONTROL_CHARS.search(email):
                # No such account can exist: answer as for a wrong password, without a database lookup.
                raise NotAuthenticated("邮箱或密码不正确")
            user = services.authenticate(email, password)
            commit()
        except AppError as exc:
            flash(exc.message, "error")
            return render_template("accounts/login.html", email=email[:MAX_EMAIL_LENGTH]), exc.status
        login_user(user, remember=bool(request.form.get("remember")))
        flash(f"欢迎，{user.name}", "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", email="")


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("已退出登录", "success")
    return redirect(url_for("accounts.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "POST":
        values = request.form.to_dict()
        values.pop("csrf_token", None)
        try:
            user = services.register(RegisterIn().validate_dict(values))
            commit()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("accounts/register.html", values=values, errors=exc.fields), exc.status
        login_user(user)
        flash("注册成功。单位须经管理员实名审核后才能发布信息，审核前可以先保存草稿。", "success")
        return redirect(url_for("accounts.index"))
    return render_template("accounts/register.html", values={}, errors={})


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("old_password", "new_password", "password2")}
        try:
            services.change_password(actor(), PasswordIn().validate_dict(values))
            commit()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("accounts/password.html", errors=exc.fields), exc.status
        flash("密码已修改", "success")
        return redirect(url_for("accounts.index"))
    return render_template("accounts/password.html", errors={})


# Password reset by e-mail -------------------------------------------------------------------------------

def _reset_throttle_off() -> bool:
    return not current_app.config.get("LOGIN_THROTTLE_ENABLED", True)


def reset_limits(view):
    """Every reset request counts (not only failures, as for login): per address asked for and per client."""
    common = {"methods": ["POST"], "exempt_when": _reset_throttle_off}
    view = limiter.limit(lambda: current_app.config.get("RESET_LIMIT_PER_IP", "20 per hour"),
                         key_func=get_remote_address, scope="reset-ip", **common)(view)
    return limiter.limit(lambda: current_app.config.get("RESET_LIMIT_PER_EMAIL", "3 per hour"),
                         key_func=login_email_key, scope="reset-email", **common)(view)


RESET_SENT = "如果该邮箱已在平台注册，我们已向它发送了重置密码的链接，请在 1 小时内查收并打开。"


@bp.route("/password/forgot", methods=["GET", "POST"])
@reset_limits
def forgot():
    email = (request.form.get("email") or "")[:MAX_EMAIL_LENGTH]
    if request.method == "POST":
        try:
            data = ResetRequestIn().validate_dict({"email": email.strip()})
        except AppError as exc:
            return render_template("accounts/forgot.html", email=email, errors=exc.fields), exc.status
        site = current_app.config.get("SITE_URL", "").rstrip("/")
        services.request_password_reset(data["email"], lambda t: site + url_for(".reset", token=t))
        flash(RESET_SENT, "success")
        return redirect(url_for(".login"))
    return render_template("accounts/forgot.html", email="", errors={})


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token):
    if len(token) > 400:
        flash("重置链接无效或已使用，请重新申请", "error")
        return redirect(url_for(".forgot"))
    try:
        user = services.user_for_reset(token)
    except AppError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".forgot"))
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("new_password", "password2")}
        try:
            services.reset_password(token, ResetIn().validate_dict(values)["new_password"])
        except AppError as exc:
            db.session.rollback()
            return render_template("accounts/reset.html", user=user, errors=exc.fields), exc.status
        flash("密码已重置，请用新密码登录", "success")
        return redirect(url_for(".login"))
    return render_template("accounts/reset.html", user=user, errors={})


# 账户设置: e-mail preferences ------------------------------------------------------------------------------

@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def settings():
    from ..notifications import service as notes
    if request.method == "POST":
        try:
            topics = EmailPreferencesIn().validate_dict({"topics": request.form.getlist("topics")})["topics"]
            notes.set_email_preferences(actor(), topics)
            record_audit(actor(), "user", actor().id, "email-preferences")
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("accounts/settings.html", topics=notes.EMAIL_TOPICS,
                                   prefs=notes.email_preferences(actor()), errors=exc.fields), exc.status
        flash("邮件通知设置已保存", "success")
        return redirect(url_for(".settings"))
    return render_template("accounts/settings.html", topics=notes.EMAIL_TOPICS, prefs=notes.email_preferences(actor()),
                           errors={})


# The organisation picker (Tom Select on the contract form): approved organisations by name or 信用代码 ------

@api.get("/organisations")
def organisations_api():
    from ..core.paging import envelope, page_args
    from ..core.web import require_login
    require_login()
    page, per_page = page_args(request.args, 20)
    result = db.paginate(services.organisation_query(request.args.get("q"), request.args.get("kind")),
                         page=page, per_page=per_page, error_out=False)
    return jsonify(envelope(result, [services.org_dict(o) for o in result.items]))
