"""Match feedback, next steps and the notification inbox (pages and JSON)."""
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import login_required

from ..core import listings
from ..core.errors import NotFound
from ..core.models import utcnow
from ..core.web import actor, commit, json_body, require_login
from ..extensions import db
from ..libraries.pages import detail_panel
from . import push
from .models import Notification

bp = Blueprint("matching", __name__)
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("matching", __name__)


def _matches_panel(user, lib, obj):
    """The library detail page's matches (demands and achievements, once published)."""
    from . import service as matching
    if lib.key not in ("demands", "achievements") or obj.status != "published":
        return None
    found = matching.match_demand(obj, 5) if lib.key == "demands" else matching.match_achievement(obj, 5)
    found["show_reasons"] = matching.can_see_reasons(user, obj)
    return found


detail_panel("matches", _matches_panel)


@bp.app_context_processor
def _unread():
    user = actor()
    if not getattr(user, "is_authenticated", False):
        return {"unread": 0}
    return {"unread": Notification.query.filter_by(user_id=user.id, read_at=None).count()}


@api.post("/matches/feedback")
def feedback_api():
    require_login()
    body = json_body()
    demand, achievement = push.get_pair(body.get("demand_id"), body.get("achievement_id"))
    row = push.feedback(actor(), demand, achievement, body.get("verdict"), body.get("reason"))
    commit()
    return jsonify({"id": row.id, "side": row.side, "verdict": row.verdict, "reason": row.reason})


@api.post("/demands/<int:obj_id>/next-step")
def next_step_api(obj_id):
    require_login()
    demand = listings.get(actor(), listings.LIBRARIES["demands"], obj_id)
    row = push.choose_next_step(actor(), demand, json_body().get("step"))
    commit()
    return jsonify({"id": row.id, "step": row.step, "label": push.NEXT_STEP_CODES[row.step]}), 201


@api.get("/notifications")
def notifications_api():
    require_login()
    rows = Notification.query.filter_by(user_id=actor().id).order_by(Notification.id.desc()).limit(100).all()
    return jsonify({"unread": sum(1 for r in rows if r.read_at is None), "items": [
        {"id": r.id, "title": r.title, "body": r.body, "link": r.link, "created_at": r.created_at.isoformat(),
         "read": r.read_at is not None} for r in rows]})


def _mark_read(note_id):
    row = db.session.get(Notification, note_id)
    if row is None or row.user_id != actor().id:
        raise NotFound("没有找到该通知")
    row.read_at = row.read_at or utcnow()
    commit()
    return row


@api.post("/notifications/<int:note_id>/read")
def read_api(note_id):
    require_login()
    row = _mark_read(note_id)
    return jsonify({"id": row.id, "read": True})


@bp.route("/notifications")
@login_required
def inbox():
    rows = Notification.query.filter_by(user_id=actor().id).order_by(Notification.id.desc()).limit(100).all()
    return render_template("matching/inbox.html", rows=rows)


@bp.post("/notifications/<int:note_id>/read")
@login_required
def read_page(note_id):
    row = _mark_read(note_id)
    return redirect(row.link or url_for(".inbox"))
