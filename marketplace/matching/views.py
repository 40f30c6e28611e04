"""Match feedback and next steps (JSON), and the match panel of the library detail pages with its actions
(感兴趣 / 不相关 with a reason / 申请对接 / 交给技术经纪人 / 揭榜挂帅): in-page with htmx, or a plain form POST
that redirects back with a flash message when JavaScript is off."""
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.routing import BuildError

from ..core import listings
from ..core import permissions as perm
from ..core.errors import Forbidden, NotFound
from ..core.web import actor, in_savepoint, json_body, require_login, text_field
from ..extensions import db
from ..libraries.pages import detail_panel, list_extra
from . import learning, push, scoring, store
from .models import NextStep

bp = Blueprint("matching", __name__)
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("matching", __name__)
bp.register_blueprint(__import__("marketplace.matching.knowledge_views", fromlist=["bp"]).bp)  # 知识图谱编辑页

PANEL_LIMIT = 10
LIBRARY = {"demand": "demands", "achievement": "achievements"}
ACTIONS = {"interested": "已标记为感兴趣", "irrelevant": "已标记为不相关", "request": "已申请对接"}


def challenge_url(demand) -> str | None:
    """The 揭榜挂帅 page's "from this demand" endpoint, when the challenges package has it."""
    if "challenges.new_from_demand" not in current_app.view_functions:
        return None
    for name in ("demand_id", "obj_id", "id"):
        try:
            return url_for("challenges.new_from_demand", **{name: demand.id})
        except BuildError:
            continue
    return None


def panel_context(user, obj, found: dict) -> dict:
    """What the panel needs besides the matches: who may act, this side's verdicts and requests."""
    etype = obj.entity_type
    owner = perm.is_owner(user, obj)
    ctx = {"side": etype, "other": LIBRARY[store.OTHER[etype]], "show_reasons": store_can_see(user, obj),
           "can_act": owner, "reasons": push.PANEL_REASONS, "verdicts": {}, "requested": set(), "signed": set(),
           "next_steps": False, "chosen": [], "challenge_url": None}
    if owner:
        ctx["verdicts"] = store.verdicts(etype, obj.id)
        ctx["requested"] = push.requests_for(etype, obj.id)
        ctx["signed"] = learning.signed_with(etype, obj.id)
    if etype == "demand" and push.can_choose_next_step(user, obj):
        ctx["next_steps"] = True
        ctx["chosen"] = [push.NEXT_STEP_CODES.get(s, s) for s in db.session.scalars(
            db.select(NextStep.step).where(NextStep.demand_id == obj.id).order_by(NextStep.id))]
        ctx["challenge_url"] = challenge_url(obj)
    return ctx


def store_can_see(user, obj) -> bool:
    from . import service
    return service.can_see_reasons(user, obj)


def _matches_panel(user, lib, obj):
    """The library detail page's matches (demands and achievements, once published), read from the store."""
    if lib.key not in ("demands", "achievements") or obj.status != "published":
        return None
    found = store.read(obj, PANEL_LIMIT)
    found["show_reasons"] = store_can_see(user, obj)
    found["panel"] = panel_context(user, obj, found)
    if found["show_reasons"]:  # why the engine was silent (or not), for those who read the reasons
        decision = found.get("decision") or ({"signals": found["signals"]} if "signals" in found else None)
        other = "成果" if obj.entity_type == "demand" else "需求"
        found["why"] = scoring.describe_decision(decision["signals"] if decision else None, found["abstained"],
                                                 other)
    return found


detail_panel("matches", _matches_panel)


def _matches_summary(user, lib, records, scope):
    """Under each own published record of 本单位的需求/成果: its stored matches in figures (the workbench's
    "待查看的强匹配" points here)."""
    if scope != "mine" or lib.key not in ("demands", "achievements"):
        return None
    return store.summary(lib.model.entity_type,
                         [r.id for r in records if r.status == "published" and perm.is_owner(user, r)])


list_extra("matches", _matches_summary)


# The panel's actions -------------------------------------------------------------------------------------

def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _subject(side: str, obj_id: int):
    """The record whose panel it is: only its own organisation acts on its list."""
    obj = listings.get(actor(), listings.LIBRARIES[LIBRARY[side]], obj_id)
    if not perm.is_owner(actor(), obj):
        raise Forbidden("只有该记录所属单位可以处理它的匹配")
    return obj


def _pair(obj, other_id: int):
    Other = store.model(store.OTHER[obj.entity_type])
    other = db.session.get(Other, other_id)
    if other is None or not perm.can_view(actor(), other):
        raise NotFound(push.PAIR_NOT_FOUND)
    return (obj, other) if obj.entity_type == "demand" else (other, obj)


def _back(obj):
    return redirect(url_for(f"{LIBRARY[obj.entity_type]}.detail", obj_id=obj.id) + "#matches", 303)


@bp.post("/matches/<any(demand,achievement):side>/<int:obj_id>/<int:other_id>/"
         "<any(interested,irrelevant,request):action>")
@login_required
def act(side, obj_id, other_id, action):
    obj = _subject(side, obj_id)
    demand, achievement = _pair(obj, other_id)
    other = achievement if side == "demand" else demand
    reason = (request.form.get("reason") or "").strip() or None

    def run():
        if action == "request":
            push.request_contact(actor(), demand, achievement)
        else:
            push.feedback(actor(), demand, achievement, action, reason)

    error = in_savepoint(run)
    if not _htmx():
        flash(error.message if error else f"{ACTIONS[action]}：{other.title}", "error" if error else "success")
        return _back(obj)
    m = store.read_one(obj, other_id) or {"id": other.id, "ref": other.ref, "title": other.title, "score": None,
                                          "band": None, "reasons": [], "shared_terms": [], "coverage": 0.0}
    found = {"abstained": False, "show_reasons": store_can_see(actor(), obj)}
    found["panel"] = panel_context(actor(), obj, found)
    return render_template("matching/_row.html", m=m, matches=found, obj=obj, error=error and error.message,
                           done=None if error else ACTIONS[action])


@bp.post("/matches/demand/<int:obj_id>/next-step")
@login_required
def next_step(obj_id):
    demand = listings.get(actor(), listings.LIBRARIES["demands"], obj_id)
    step = request.form.get("step")
    error = in_savepoint(lambda: push.choose_next_step(actor(), demand, step))
    label = push.NEXT_STEP_CODES.get(step, "")
    if not _htmx():
        flash(error.message if error else f"已选择：{label}", "error" if error else "success")
        return _back(demand)
    found = store.read(demand, PANEL_LIMIT)
    found["panel"] = panel_context(actor(), demand, found)
    return render_template("matching/_next_steps.html", matches=found, obj=demand,
                           error=error and error.message, done=None if error else f"已选择：{label}")


# JSON --------------------------------------------------------------------------------------------------

@api.post("/matches/feedback")
def feedback_api():
    require_login()
    body = json_body()
    demand, achievement = push.get_pair(body.get("demand_id"), body.get("achievement_id"))
    row = push.feedback(actor(), demand, achievement, text_field(body, "verdict", "判断"),
                        text_field(body, "reason"))
    return jsonify({"id": row.id, "side": row.side, "verdict": row.verdict, "reason": row.reason})


@api.post("/demands/<int:obj_id>/next-step")
def next_step_api(obj_id):
    require_login()
    demand = listings.get(actor(), listings.LIBRARIES["demands"], obj_id)
    row = push.choose_next_step(actor(), demand, text_field(json_body(), "step", "下一步"))
    return jsonify({"id": row.id, "step": row.step, "label": push.NEXT_STEP_CODES[row.step]}), 201
