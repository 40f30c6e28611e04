"""Match feedback and next steps (JSON), and the matches panel of the library detail pages."""
from flask import Blueprint, jsonify

from ..core import listings
from ..core.web import actor, json_body, require_login
from ..libraries.pages import detail_panel
from . import push

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


@api.post("/matches/feedback")
def feedback_api():
    require_login()
    body = json_body()
    demand, achievement = push.get_pair(body.get("demand_id"), body.get("achievement_id"))
    row = push.feedback(actor(), demand, achievement, body.get("verdict"), body.get("reason"))
    return jsonify({"id": row.id, "side": row.side, "verdict": row.verdict, "reason": row.reason})


@api.post("/demands/<int:obj_id>/next-step")
def next_step_api(obj_id):
    require_login()
    demand = listings.get(actor(), listings.LIBRARIES["demands"], obj_id)
    row = push.choose_next_step(actor(), demand, json_body().get("step"))
    return jsonify({"id": row.id, "step": row.step, "label": push.NEXT_STEP_CODES[row.step]}), 201
