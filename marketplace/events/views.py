"""路演与对接会: pages and JSON API (skeleton; being built)."""
from flask import Blueprint, render_template

bp = Blueprint("events", __name__)
api = Blueprint("events", __name__)


@bp.get("/events")
def list_page():
    return render_template("events/list.html")
