"""The inbox: a page and its JSON API, paged and filtered (unread only, kind), mark one or all read."""
from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ..core.errors import BadRequest
from ..core.paging import envelope, page_args
from ..core.web import actor, local_url, require_login
from ..extensions import db
from . import service

bp = Blueprint("notifications", __name__)
api = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread():
    user = actor()
    if not getattr(user, "is_authenticated", False):
        return {"unread": 0}
    # One indexed count (ix_notifications_user_read) on every page; none when the workbench's providers
    # (home.providers._unread_by_kind) already counted this user's unread notifications in this request.
    cached = g.get("unread_by_kind")
    if cached is not None and cached[0] == user.id:
        return {"unread": sum(cached[1].values())}
    return {"unread": service.unread_count(user)}


def _filters() -> dict:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in service.KINDS:
        raise BadRequest("kind 应为：" + "、".join(service.KINDS))
    return {"unread_only": request.args.get("unread") in ("1", "true"), "kind": kind}


def _page():
    page, per_page = page_args(request.args, 20)
    return db.paginate(service.inbox_query(actor(), **_filters()), page=page, per_page=per_page, error_out=False)


@api.get("/notifications")
def list_api():
    require_login()
    page = _page()
    return jsonify({**envelope(page, [service.as_dict(n) for n in page.items]),
                    "unread": service.unread_count(actor())})


@api.post("/notifications/<int:note_id>/read")
def read_api(note_id):
    require_login()
    row = service.mark_read(actor(), note_id)
    return jsonify({"id": row.id, "read": True})


@api.post("/notifications/read-all")
def read_all_api():
    require_login()
    return jsonify({"marked": service.mark_all_read(actor())})


@bp.route("/notifications")
@login_required
def inbox():
    filters = _filters()
    return render_template("notifications/inbox.html", page=_page(), filters=filters, kinds=service.KINDS,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.post("/notifications/<int:note_id>/read")
@login_required
def read_page(note_id):
    row = service.mark_read(actor(), note_id)
    return redirect(local_url(service.local_link(row.link), url_for(".inbox")))


@bp.post("/notifications/read-all")
@login_required
def read_all_page():
    from flask import flash
    flash(f"已将 {service.mark_all_read(actor())} 条消息标为已读", "success")
    return redirect(url_for(".inbox"))
