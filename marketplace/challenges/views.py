"""揭榜挂帅: pages and JSON API (skeleton; being built)."""
from flask import Blueprint, render_template

bp = Blueprint("challenges", __name__)
api = Blueprint("challenges", __name__)


@bp.get("/challenges")
def list_page():
    return render_template("challenges/list.html")
