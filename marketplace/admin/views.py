"""Review queue across the three libraries, and organisation approval, scoped to the admin's centre."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..accounts import services as accounts
from ..core import listings, permissions as perm
from ..core.web import actor, attempt
from ..extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    if not perm.is_admin(actor()):
        abort(403)


@bp.route("/")
def index():
    queues = {}
    for key, lib in listings.LIBRARIES.items():
        stmt = listings.list_query(actor(), lib, {"scope": "review", "status": "submitted", "sort": "oldest"})
        queues[key] = db.session.scalars(stmt.limit(50)).all()
    return render_template("admin/index.html", queues=queues, libs=listings.LIBRARIES,
                           orgs=accounts.pending_orgs(actor()))


@bp.route("/orgs/<int:org_id>/<any(approve,reject):decision>", methods=["POST"])
def review_org(org_id, decision):
    org = accounts.get_org(org_id)
    if not attempt(lambda: accounts.review_org(actor(), org, decision == "approve", request.form.get("note"))):
        return redirect(url_for(".index"))
    flash(f"已{'通过' if decision == 'approve' else '驳回'}“{org.name}”的实名审核", "success")
    return redirect(url_for(".index"))
