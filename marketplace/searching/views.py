"""The site-wide search page and GET /api/v1/search."""
from flask import Blueprint, jsonify, render_template, request

from ..core.web import actor
from . import service
from .highlight import mark, snippet
from .links import facet_hrefs, link_base, query_url

bp = Blueprint("searching", __name__)
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("searching", __name__)


@bp.record_once
def _template_globals(state):
    # Globals (not a context processor) so that imported macros see them too.
    state.app.jinja_env.globals.update(mark=mark, snippet=snippet, link_base=link_base,
                                       query_url=query_url, facet_hrefs=facet_hrefs)


@bp.route("/search")
def page():
    params = request.args.to_dict()
    result = service.search(actor(), params)
    return render_template("searching/search.html", result=result, params=params,
                           filters=service.FILTERS, facet_labels=service.FACET_LABELS,
                           facet_param=service.FACET_PARAM, sort_labels=service.SORT_LABELS,
                           type_labels=service.TYPE_LABELS)


@api.route("/search")
def search_api():
    return jsonify(service.search(actor(), request.args.to_dict()))
