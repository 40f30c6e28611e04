"""The broker workbench pages."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..core import listings
from ..core.models import audit_trail
from ..core.web import actor, attempt
from ..matching import service as matching
from . import services
from .services import NEXT, STAGES

bp = Blueprint("brokers", __name__, url_prefix="/brokers")


@bp.route("/workbench")
@login_required
def workbench():
    mine = services.mine(actor())
    demands = services.open_demands()
    candidates = {d.id: matching.match_demand(d, 3) for d in demands[:20]}
    return render_template("brokers/workbench.html", mine=mine, demands=demands[:20], candidates=candidates,
                           stages=STAGES)


@bp.post("/claim/<int:demand_id>")
@login_required
def claim(demand_id):
    demand = listings.get(actor(), listings.LIBRARIES["demands"], demand_id)
    claimed = []
    if not attempt(lambda: claimed.append(services.claim(actor(), demand))):
        return redirect(url_for(".workbench"))
    flash(f"已认领需求“{demand.title}”", "success")
    return redirect(url_for(".introduction", intro_id=claimed[0].id))


@bp.route("/introductions/<int:intro_id>")
@login_required
def introduction(intro_id):
    intro = services.get(actor(), intro_id)
    found = matching.match_demand(intro.demand, 10) if intro.stage == "claimed" else None
    return render_template("brokers/introduction.html", intro=intro, found=found, stages=STAGES,
                           next_stages=NEXT.get(intro.stage, ()), trail=audit_trail("introduction", intro.id))


@bp.post("/introductions/<int:intro_id>/<any(introduced,contacted,negotiating,signed,failed):stage>")
@login_required
def advance(intro_id, stage):
    intro = services.get(actor(), intro_id)

    def move():
        if stage == "introduced":
            # As any reader would: a draft of another organisation is "not found", like a wrong number.
            achievement = listings.get(actor(), listings.LIBRARIES["achievements"], request.form.get("achievement_id"))
            services.introduce(actor(), intro, achievement, request.form.get("note"))
        else:
            services.advance(actor(), intro, stage, request.form.get("note"))

    if not attempt(move):
        return redirect(url_for(".introduction", intro_id=intro_id))
    flash(f"已更新为“{STAGES[stage]}”", "success")
    return redirect(url_for(".introduction", intro_id=intro_id))
