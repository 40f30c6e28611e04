"""The site-wide search page and GET /api/v1/search."""
from flask import Blueprint, jsonify, render_template, request

from ..core.web import actor
from . import service

bp = Blueprint("searching", __name__)


@bp.route("/search")
def page():
    params = request.args.to_dict()
    result = service.search(actor(), params)
    return render_template("searching/search.html", result=result, params=params,
                           filters=service.FILTERS, facet_labels=service.FACET_LABELS,
                           facet_param=service.FACET_PARAM, sort_labels=service.SORT_LABELS,
                           type_labels=service.TYPE_LABELS)


@bp.route("/api/v1/search")
def api():
    return jsonify(service.search(actor(), request.args.to_dict()))
