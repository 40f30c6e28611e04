"""Thin JSON handlers over the same services as the pages. Errors: {"error": {"code", "message", "fields"}}."""
from flask import Blueprint, jsonify, request

from ..core import listings, permissions as perm
from ..core.errors import BadRequest, NotAuthenticated, NotFound
from ..core.models import audit_trail
from ..core.paging import envelope
from ..core.workflow import HistoryOut
from ..core.web import WRITE_METHODS, actor, commit, json_body, require_login, text_field
from .openapi import build_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _writes_need_a_user():
    # CSRF is checked for every route by the pipeline (core.web); here: no anonymous writes on the API.
    if request.method in WRITE_METHODS and not perm.is_authenticated(actor()):
        raise NotAuthenticated("请先登录或提供有效的 API 令牌（Authorization: Bearer <token>）")


def _library(name) -> listings.Library:
    lib = listings.LIBRARIES.get(name)
    if lib is None:
        raise NotFound(f"没有“{name}”这个库，可用：{'、'.join(listings.LIBRARIES)}")
    return lib


def _page_json(lib, page) -> dict:
    return envelope(page, lib.dump(page.items, many=True, actor=actor()))


@bp.get("/<library>")
def list_items(library):
    lib = _library(library)
    params = request.args.to_dict()
    stmt = listings.list_query(actor(), lib, params)  # validates every parameter
    if (params.get("q") or "").strip():
        from ..searching.service import library_page
        page = library_page(actor(), lib, params)
        return jsonify({**_page_json(lib, page), "facets": page.facets, "relaxed": page.relaxed})
    return jsonify(_page_json(lib, listings.paginate(stmt, params)))


@bp.post("/<library>")
def create_item(library):
    lib = _library(library)
    body = json_body()
    then_submit = bool(body.pop("submit", False)) if isinstance(body.get("submit"), bool) else False
    obj = listings.create(actor(), lib, lib.load(body))
    if then_submit:
        listings.transition(actor(), lib, obj, "submit")
    commit()
    return jsonify(lib.dump(obj, actor=actor())), 201


@bp.get("/<library>/<int:obj_id>")
def read_item(library, obj_id):
    lib = _library(library)
    return jsonify(lib.dump(listings.get(actor(), lib, obj_id), actor=actor()))


@bp.route("/<library>/<int:obj_id>", methods=["PATCH", "PUT"])
def update_item(library, obj_id):
    lib = _library(library)
    obj = listings.get(actor(), lib, obj_id)
    listings.update(actor(), lib, obj, lib.load(json_body(), partial=request.method == "PATCH"))
    commit()
    return jsonify(lib.dump(obj, actor=actor()))


@bp.delete("/<library>/<int:obj_id>")
def delete_item(library, obj_id):
    lib = _library(library)
    listings.delete(actor(), lib, listings.get(actor(), lib, obj_id))
    commit()
    return "", 204


@bp.post("/<library>/<int:obj_id>/<any(submit,approve,reject,withdraw):action>")
def act(library, obj_id, action):
    lib = _library(library)
    obj = listings.get(actor(), lib, obj_id)
    body = request.get_json(silent=True) or {}
    reason = text_field(body, "reason")
    listings.transition(actor(), lib, obj, action, reason)
    commit()
    return jsonify(lib.dump(obj, actor=actor()))


@bp.get("/<library>/<int:obj_id>/history")
def history(library, obj_id):
    lib = _library(library)
    obj = listings.get(actor(), lib, obj_id)
    if not (perm.is_owner(actor(), obj) or perm.can_review(actor(), obj)):
        raise NotFound(f"没有找到该{lib.label}的审核记录")
    return jsonify({"items": HistoryOut(many=True).dump(audit_trail(lib.entity_type, obj.id))})


@bp.get("/<any(demands,achievements):library>/<int:obj_id>/matches")
def matches(library, obj_id):
    from ..matching import service as matching
    lib = _library(library)
    obj = listings.get(actor(), lib, obj_id, options=matching.light(lib.model))  # (not its IP items)
    try:
        limit = int(request.args.get("limit") or 10)
    except ValueError:
        raise BadRequest("limit 应为1到50之间的整数") from None
    if not 1 <= limit <= 50:
        raise BadRequest("limit 应为1到50之间的整数")
    from ..matching import store
    found = store.read(obj, limit)  # the stored matches (computed and stored on a first read)
    found.pop("decision", None)  # the abstention's signals: worded on the pages for those who see reasons
    if not matching.can_see_reasons(actor(), obj):
        for item in found["items"]:
            item.pop("reasons"), item.pop("shared_terms")
    return jsonify(found)


@bp.get("/me")
def me():
    require_login()
    user = actor()
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                    "org": {"id": user.org.id, "name": user.org.name, "kind": user.org.kind,
                            "status": user.org.status}})


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
