"""The OpenAPI 3 document, generated from the marshmallow schemas with apispec."""
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ..core import listings
from ..core.schema import Money, TermList

ERROR = {"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(ref):
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


@lru_cache(maxsize=1)
def build_spec() -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(title="江西省网上技术市场 API", version="1.0.0", openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "成果库、需求库、服务资源库。认证：会话 Cookie（写操作须带 X-CSRFToken）"
                                        "或 Authorization: Bearer <token>（flask users token EMAIL 生成）。"})
    plugin.map_to_openapi_type(TermList, "array", None)
    plugin.map_to_openapi_type(Money, "string", None)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}})
    for key, lib in listings.LIBRARIES.items():
        name = lib.entity_type.capitalize()
        spec.components.schema(f"{name}In", schema=lib.input_schema)
        spec.components.schema(f"{name}Out", schema=lib.output_schema)
        params = [{"name": p, "in": "query", "schema": {"type": "string"}, "description": d} for p, d in
                  [("page", "页码，从1开始"), ("per_page", "每页条数，最多100"), ("q", "关键词"),
                   ("sort", "排序：" + "/".join(lib.sorts)), ("scope", "public（默认）/mine/review"),
                   ("status", "状态（scope 为 mine 或 review 时）")]]
        params += [{"name": p, "in": "query", "schema": {"type": "string"}, "description": f.label}
                   for p, f in lib.filters.items()]
        errors = {str(s): ERROR for s in (400, 401, 403, 404, 422)}
        spec.path(path=f"/api/v1/{key}", operations={
            "get": {"summary": f"{lib.label}列表", "parameters": params, "responses": {"200": {
                "description": "分页列表", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Out"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "pages": {"type": "integer"}}}}}}, **errors}},
            "post": {"summary": f"新建{lib.label}（草稿；body 中 submit=true 则同时提交审核）",
                     "security": [{"bearer": []}], "requestBody": {"required": True, **_json(f"{name}In")},
                     "responses": {"201": {"description": "已创建", **_json(f"{name}Out")}, **errors}},
        })
        idp = [{"name": "obj_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        spec.path(path=f"/api/v1/{key}/{{obj_id}}", operations={
            "get": {"summary": f"{lib.label}详情", "parameters": idp,
                    "responses": {"200": {"description": "详情", **_json(f"{name}Out")}, **errors}},
            "patch": {"summary": f"修改{lib.label}（部分字段）", "parameters": idp, "security": [{"bearer": []}],
                      "requestBody": {"required": True, **_json(f"{name}In")},
                      "responses": {"200": {"description": "已修改", **_json(f"{name}Out")}, **errors}},
            "put": {"summary": f"修改{lib.label}（全部字段）", "parameters": idp, "security": [{"bearer": []}],
                    "requestBody": {"required": True, **_json(f"{name}In")},
                    "responses": {"200": {"description": "已修改", **_json(f"{name}Out")}, **errors}},
            "delete": {"summary": "删除草稿", "parameters": idp, "security": [{"bearer": []}],
                       "responses": {"204": {"description": "已删除"}, **errors}},
        })
        for action, t in listings.TRANSITIONS.items():
            if action not in lib.transitions:
                continue
            spec.path(path=f"/api/v1/{key}/{{obj_id}}/{action}", operations={"post": {
                "summary": f"{t.label}（{'须' if t.needs_reason else '可'}附 reason）", "parameters": idp,
                "security": [{"bearer": []}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "reason": {"type": "string"}}}}}},
                "responses": {"200": {"description": "新状态", **_json(f"{name}Out")}, **errors}}})
        spec.path(path=f"/api/v1/{key}/{{obj_id}}/history", operations={"get": {
            "summary": "审核记录（所有者与管理员）", "parameters": idp,
            "responses": {"200": {"description": "状态变更记录"}, **errors}}})
    search_params = [{"name": p, "in": "query", "schema": {"type": "string"}, "description": d} for p, d in [
        ("q", "关键词（中文分词、同义词；\"引号\"内为短语）"), ("type", "achievement / demand / service"),
        ("page", "页码"), ("per_page", "每页条数，最多100"), ("sort", "relevance / newest / price_asc / price_desc"),
        ("industry", "所属产业"), ("city", "城市"), ("institution", "单位"), ("maturity", "成熟度"),
        ("funding_source", "资金来源"), ("transfer_mode", "转化方式"), ("ip_type", "知识产权类型"),
        ("kind", "资源类型或合作方式"), ("price_range", "lt10w / 10w-50w / 50w-100w / 100w-500w / gte500w / negotiable"),
        ("price_min", "最低价格（元）"), ("price_max", "最高价格（元）")]]
    spec.path(path="/api/v1/search", operations={"get": {
        "summary": "全站搜索：结果（含高亮）、总数与分面计数", "parameters": search_params,
        "responses": {"200": {"description": "items, total, page, per_page, pages, facets, relaxed"},
                      "400": ERROR}}})
    return spec.to_dict()
