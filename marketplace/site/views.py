"""通知公告: pages and JSON API (skeleton; being built)."""
from flask import Blueprint, render_template

bp = Blueprint("site", __name__)
api = Blueprint("site", __name__)


@bp.get("/site")
def list_page():
    return render_template("site/list.html")
