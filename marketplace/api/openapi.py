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
    _deal_paths(spec)
    return spec.to_dict()


def _deal_paths(spec) -> None:
    """先用后转 and contracts: request bodies from their marshmallow schemas, responses described."""
    from ..contracts import schemas as cs
    from ..usefirst import services as uf
    for name, schema in (("Milestone", cs.MilestoneSchema), ("Terms", cs.TermsSchema), ("Contract", cs.ContractSchema),
                         ("RoyaltyReport", cs.ReportSchema),
                         ("Payment", cs.PaymentSchema), ("MilestoneReached", cs.MilestoneReachedSchema),
                         ("Inventor", cs.InventorSchema), ("IncomeSplit", cs.SplitSchema), ("Decision", cs.DecisionSchema),
                         ("UseFirstConfirm", uf.ConfirmSchema), ("UseFirstKeepOff", uf.KeepOffSchema),
                         ("UseFirstApply", uf.ApplySchema), ("UseFirstAccept", uf.AcceptSchema)):
        spec.components.schema(name, schema=schema)
    errors = {str(s): ERROR for s in (400, 401, 403, 404, 409, 422)}
    free = {"content": {"application/json": {"schema": {"type": "object"}}}}
    contract = {"description": "合同：双方、条款、付款计划与履约状态（statement）、收益分配（仅卖方/经纪人/管理员）"}
    item = {"description": "先用后转项目"}
    cid = [{"name": "contract_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    asof = [{"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"},
             "description": "按该日期计算到期/逾期（默认今天）"}]
    table = [
        ("/api/v1/usefirst", "get", "先用后转公开挂牌清单（industry, city, org_id, q, stage=publicity|open, page）", None, [],
         {"200": {"description": "items, total, page, per_page"}}),
        ("/api/v1/usefirst/scan", "post", "管理员运行先用后转扫描（as_of 可选）", free, [], {"200": {"description": "candidates"}}),
        ("/api/v1/usefirst/decisions", "get", "本单位（或管辖范围内）的候选、列入、不列入项目（status 可选）", None, [],
         {"200": {"description": "items"}}),
        ("/api/v1/usefirst/{item_id}", "get", "先用后转项目", None, ["item_id"], {"200": item}),
        ("/api/v1/usefirst/{item_id}/confirm", "post", "单位确认列入并挂牌（公示期、独占、标准条款）", _json("UseFirstConfirm"),
         ["item_id"], {"200": item}),
        ("/api/v1/usefirst/{item_id}/keep-off", "post", "单位说明不列入的正当理由与证明", _json("UseFirstKeepOff"), ["item_id"],
         {"200": item}),
        ("/api/v1/usefirst/{item_id}/challenge", "post", "管理员质询不列入理由（note），项目退回单位", free, ["item_id"],
         {"200": item}),
        ("/api/v1/usefirst/{item_id}/applications", "post", "企业申请先用后转", _json("UseFirstApply"), ["item_id"],
         {"201": {"description": "申请"}}),
        ("/api/v1/usefirst/applications/{app_id}/accept", "post", "单位接受申请并签订试用协议", _json("UseFirstAccept"),
         ["app_id"], {"201": {"description": "试用协议"}}),
        ("/api/v1/usefirst/applications/{app_id}/decline", "post", "单位不接受申请（note）", free, ["app_id"],
         {"200": {"description": "申请"}}),
        ("/api/v1/usefirst/trials/{trial_id}", "get", "试用协议", None, ["trial_id"], {"200": {"description": "试用协议"}}),
        ("/api/v1/usefirst/trials/{trial_id}/convert", "post", "试用转为技术转让合同（amount, signed_on, 可选 terms）", free,
         ["trial_id"], {"201": contract}),
        ("/api/v1/usefirst/trials/{trial_id}/terminate", "post", "终止试用（reason）", free, ["trial_id"],
         {"200": {"description": "试用协议"}}),
        ("/api/v1/contracts", "get", "可见的技术合同（status, page, as_of）", None, [], {"200": {"description": "items"}}),
        ("/api/v1/contracts", "post", "录入技术合同（可带条款 terms，生成付款计划）", _json("Contract"), [], {"201": contract}),
        ("/api/v1/contracts/{contract_id}", "get", "合同详情与履约状态", None, "c", {"200": contract}),
        ("/api/v1/contracts/{contract_id}/terms", "put", "设置条款并重新生成付款计划（草稿或退回时）", _json("Terms"), "c",
         {"200": contract}),
        ("/api/v1/contracts/{contract_id}/submit", "post", "提交技术合同登记", None, "c", {"200": contract}),
        ("/api/v1/contracts/{contract_id}/register", "post", "登记（设区市登记机构或省级中心）", _json("Decision"), "c",
         {"200": contract}),
        ("/api/v1/contracts/{contract_id}/return", "post", "退回补正（reason）", _json("Decision"), "c", {"200": contract}),
        ("/api/v1/contracts/{contract_id}/milestones/{line_id}/reached", "post", "确认里程碑达成（证明材料）",
         _json("MilestoneReached"), "c+line", {"200": contract}),
        ("/api/v1/contracts/{contract_id}/royalty-reports", "post", "被许可方提交提成报告（同一报告期不能重复）",
         _json("RoyaltyReport"), "c", {"201": contract}),
        ("/api/v1/contracts/{contract_id}/payments", "post", "卖方登记到账", _json("Payment"), "c", {"201": contract}),
        ("/api/v1/contracts/{contract_id}/income-split", "put", "卖方登记收益分配（团队不低于70%，否则须确认）",
         _json("IncomeSplit"), "c", {"200": contract}),
        ("/api/v1/contracts/{contract_id}/history", "get", "合同审计记录", None, "c", {"200": {"description": "items"}}),
        ("/api/v1/contracts/{contract_id}/schedule.xlsx", "get", "付款计划 Excel", None, "c",
         {"200": {"description": "xlsx"}}),
        ("/api/v1/contracts/export.xlsx", "get", "可见合同 Excel", None, [], {"200": {"description": "xlsx"}}),
    ]
    paths: dict = {}
    for path, method, summary, body, params, responses in table:
        if params == "c":
            parameters = cid + asof
        elif params == "c+line":
            parameters = cid + [{"name": "line_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        else:
            parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in params]
        op = {"summary": summary, "parameters": parameters, "responses": {**responses, **errors},
              "security": [{"bearer": []}]}
        if body:
            op["requestBody"] = body
        paths.setdefault(path, {})[method] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
