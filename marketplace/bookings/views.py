"""服务预约: pages and JSON API (skeleton; being built)."""
from flask import Blueprint, render_template

bp = Blueprint("bookings", __name__)
api = Blueprint("bookings", __name__)


@bp.get("/bookings")
def list_page():
    return render_template("bookings/list.html")
