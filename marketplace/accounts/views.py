"""Login, logout, registration, password change, and the home page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import func

from ..core.errors import AppError
from ..core.listings import LIBRARIES
from ..core.web import actor, commit
from ..extensions import db
from . import services
from .schemas import PasswordIn, RegisterIn

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another site after login.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("accounts.index")


@bp.route("/")
def index():
    latest, counts = {}, {}
    for key, lib in LIBRARIES.items():
        stmt = lib.model.status == "published"
        counts[key] = db.session.scalar(db.select(func.count()).select_from(lib.model).where(stmt))
        latest[key] = db.session.scalars(db.select(lib.model).where(stmt)
                                         .order_by(lib.model.published_at.desc(), lib.model.id.desc()).limit(6)).all()
    return render_template("index.html", latest=latest, counts=counts, libs=LIBRARIES)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            user = services.authenticate(request.form.get("email", ""), request.form.get("password", ""))
            commit()
        except AppError as exc:
            flash(exc.message, "error")
            return render_template("accounts/login.html", email=request.form.get("email", "")), exc.status
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
