"""通知公告 / 政策法规 / 工作动态: public pages (/notices), administrators' pages, and the JSON API."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from ..core.errors import AppError, Forbidden
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.web import actor, attempt
from ..extensions import db
from . import permissions as policy
from . import services as svc
from .models import CATEGORIES, STATUSES
from .schemas import NoticeDetailOut, NoticeIn, NoticeOut

bp = Blueprint("site", __name__)
api = Blueprint("site", __name__)
PER_PAGE = 15
FORM_FIELDS = ("title", "category", "summary", "body", "issuer", "doc_no", "publish_on", "pinned")


def _page(stmt, per_page=PER_PAGE):
    page, per_page = page_args(request.args, per_page)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


@bp.app_context_processor
def _latest():
    """site_latest() in every template: the home page includes site/_latest.html, which calls it."""
    return {"site_latest": lambda limit=5: svc.latest(limit)}


# Public pages ---------------------------------------------------------------------------------------------

@bp.get("/notices")
def list_page():
    category = svc.check_category(request.args.get("category"))
    page = _page(svc.public_query(category))
    return render_template("site/list.html", page=page, category=category, categories=CATEGORIES,
                           can_manage=policy.can_manage(actor()),
                           params={"category": category} if category else {})


@bp.get("/notices/<int:notice_id>")
def detail(notice_id):
    notice = svc.get(actor(), notice_id)
    editable = policy.can_edit(actor(), notice)
    return render_template("site/detail.html", n=notice, can_edit=editable,
                           actions=svc.WORKFLOW.available(actor(), notice) if editable else [],
                           transitions=svc.WORKFLOW.transitions,
                           trail=audit_trail("notice", notice.id) if editable else None)


@bp.get("/notices/<int:notice_id>/files/<int:file_id>")
def attachment(notice_id, file_id):
    from io import BytesIO
    a = svc.attachment(actor(), notice_id, file_id)
    return send_file(BytesIO(a.data), mimetype=a.mimetype, as_attachment=True, download_name=a.filename)


# Administrators -------------------------------------------------------------------------------------------

def _require_manager():
    if not policy.can_manage(actor()):
        raise Forbidden("只有管理员可以管理公告")


@bp.get("/notices/manage")
@login_required
def manage():
    _require_manager()
    return render_template("site/manage.html", page=_page(svc.manage_query(actor()), 20), params={})


def _form_values() -> dict:
    values = {k: request.form.get(k, "") for k in FORM_FIELDS if k != "pinned"}
    if request.form.get("pinned"):
        values["pinned"] = "1"
    return values


def _render_form(notice, values, errors, status=200):
    return render_template("site/form.html", n=notice, values=values, errors=errors or {},
                           categories=CATEGORIES), status


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    if request.method == "POST":
        values = _form_values()
        try:
            notice = svc.create(actor(), NoticeIn().validate_dict(values), request.files.getlist("files"),
                                publish=request.form.get("then") == "publish")
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(None, values, exc.fields, exc.status)
        flash("公告已发布" if notice.status == "published" else "公告已保存为草稿", "success")
        return redirect(url_for(".detail", notice_id=notice.id))
    return _render_form(None, {"category": request.args.get("category") or "notice"}, {})


@bp.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(notice_id):
    notice = svc.get(actor(), notice_id)
    if not policy.can_edit(actor(), notice):
        raise Forbidden("无权修改该公告")
    if request.method == "POST":
        values = _form_values()
        try:
            svc.update(actor(), notice, NoticeIn().validate_dict(values), request.files.getlist("files"),
                       request.form.getlist("remove_file"))
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(db.session.get(type(notice), notice_id), values, exc.fields, exc.status)
        flash("已保存修改", "success")
        return redirect(url_for(".detail", notice_id=notice.id))
    values = {k: getattr(notice, k) for k in FORM_FIELDS}
    values = {k: ("" if v is None else (("1" if v else "") if k == "pinned" else str(v))) for k, v in values.items()}
    return _render_form(notice, values, {})


@bp.post("/notices/<int:notice_id>/<any(publish, withdraw):action>")
@login_required
def act(notice_id, action):
    notice = svc.get(actor(), notice_id)
    if not policy.can_edit(actor(), notice):
        raise Forbidden("无权发布或撤回该公告")
    if attempt(lambda: svc.transition(actor(), notice, action)):
        flash(f"已{svc.WORKFLOW.transitions[action].label}“{notice.title}”", "success")
    return redirect(url_for(".detail", notice_id=notice.id))


# JSON API ------------------------------------------------------------------------------------------------

@api.get("/notices")
def list_api():
    category = svc.check_category(request.args.get("category"))
    page = _page(svc.public_query(category))
    return jsonify(envelope(page, NoticeOut(many=True).dump(page.items)))


@api.get("/notices/<int:notice_id>")
def read_api(notice_id):
    return jsonify(NoticeDetailOut().dump(svc.get(actor(), notice_id)))
