"""Login, logout, registration, password change, and the home page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import func

from ..core.errors import AppError, NotAuthenticated
from ..core.listings import LIBRARIES
from ..core.security import MAX_EMAIL_LENGTH, login_limits
from ..core.web import CONTROL_CHARS, actor, commit, local_url
from ..extensions import db
from . import services
from .schemas import PasswordIn, RegisterIn

bp = Blueprint("accounts", __name__)


MAX_PASSWORD_LENGTH = 1024


def _safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site, else the home page (core.web.local_url)."""
    return local_url(target, url_for("accounts.index"))


@bp.route("/")
def index():
    latest, counts = {}, {}
    for key, lib in LIBRARIES.items():
        stmt = lib.model.status == "published"
        counts[key] = db.session.scalar(db.select(func.count()).select_from(lib.model).where(stmt))
        latest[key] = db.session.scalars(db.select(lib.model).where(stmt)
                                         .order_by(lib.model.published_at.desc(), lib.model.id.desc()).limit(6)).all()
    from ..stats.pages import public_figures  # this year's 技术合同成交额 (the province's public total)
    return render_template("index.html", latest=latest, counts=counts, libs=LIBRARIES, figures=public_figures())


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
