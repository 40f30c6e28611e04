"""The OpenAPI 3 document of /api/v1: input and library output schemas from marshmallow (apispec), the other
answers as JSON Schema written next to the routes' descriptions. tests/test_openapi_fuzz.py proves that every
live route is here and that what the API answers matches it (schemathesis)."""
from decimal import Decimal
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from ..core import listings, vocab
from ..core.paging import MAX_PAGE, MAX_PER_PAGE
from ..core.schema import Money, TermList
from ..core.web import MAX_ID

# Every operation may answer these (core.web maps errors to them), each with the one error body.
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 503)
SESSION_OR_TOKEN = [{"bearer": []}, {"cookie": []}]
OPTIONAL_AUTH = SESSION_OR_TOKEN + [{}]


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NUM = {"type": "number"}
DATE, DATETIME = {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}
YUAN = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "元，两位小数"}
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def obj(required: dict | None = None, optional: dict | None = None) -> dict:
    """An object whose `required` properties are always there; `optional` ones may be left out."""
    props = {**(required or {}), **(optional or {})}
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def n(schema):
    return _nullable(schema)


def array(items) -> dict:
    return {"type": "array", "items": items}


def envelope(item: dict, **extra) -> dict:
    """The paging envelope of every list (core.paging.envelope): items, total, page, per_page, pages."""
    return obj({"items": array(item), "total": {"type": "integer", "minimum": 0}, "page": I, "per_page": I,
                "pages": {"type": "integer", "minimum": 0}, **extra})


def path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": dict(ID)}


def query(name: str, schema: dict, description: str = "") -> dict:
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


PAGING = [query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "页码，从1开始"),
          query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, f"每页条数，最多{MAX_PER_PAGE}")]
AS_OF = query("as_of", DATE, "按该日期计算到期/逾期（默认今天）")
MONEY_QUERY = {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$"}


def _output_schemas() -> dict:
    """The answers that are not a marshmallow output schema, as JSON Schema."""
    terms = obj({"kind": enum(_term_kinds()), "kind_label": S, "amount": YUAN, "due_days": I, "defer_months": I,
                 "instalments": I, "interval_months": I, "royalty_rate": DECIMAL, "royalty_min": n(YUAN),
                 "royalty_cap": n(YUAN), "report_period": S, "equity_percent": n(DECIMAL), "note": n(S),
                 "milestones": array(obj({"name": S, "trigger": n(S), "amount": YUAN, "due_on": n(DATE)}))})
    party = obj({"id": I, "name": S, "uscc": n(S)})
    line = obj({"id": I, "kind": S, "label": S, "amount": YUAN, "due_on": n(DATE), "trigger": n(S),
                "reached_on": n(DATE), "paid": YUAN, "status": S, "status_label": S})
    statement = obj({"lines": array(line), "total_due": YUAN, "received": YUAN, "outstanding": YUAN, "status": S,
                     "status_label": S, "as_of": DATE})
    split = obj({"net_income": YUAN, "team_percent": DECIMAL, "institution_percent": DECIMAL,
                 "broker_percent": DECIMAL, "team_amount": YUAN, "institution_amount": YUAN, "broker_amount": YUAN,
                 "warning": n(S), "inventors": array(obj({"name": S, "percent": DECIMAL, "amount": YUAN}))})
    contract = obj({"id": I, "kind": S, "transfer_form": n(S), "title": S, "seller": party, "buyer": party,
                    "amount": YUAN, "signed_on": DATE, "city": S, "industry": S, "achievement_id": n(I),
                    "demand_id": n(I), "introduction_id": n(I), "broker_id": n(I), "status": enum(_contract_statuses()),
                    "status_label": S, "registration_no": n(S), "registered_on": n(DATE), "return_reason": n(S),
                    "terms": n(ref("TermsOut")), "trial_id": n(I), "statement": ref("Statement")},
                   {"income_split": n(ref("IncomeSplitOut"))})
    item = obj({"id": I, "achievement_id": I, "ref": n(S), "title": S, "institution": S, "city": n(S),
                "industry": S, "ip_granted_on": DATE, "status": S, "listed_on": n(DATE),
                "publicity_ends_on": n(DATE), "in_publicity": B, "exclusive": B, "trial_months": I,
                "terms": n(ref("TermsOut")), "reason": n(S), "evidence": n(S), "challenge": n(S)})
    application = obj({"id": I, "item_id": I, "company": S, "plan": S, "status": S, "decision_note": n(S),
                       "created_at": DATETIME})
    trial = obj({"id": I, "item_id": I, "title": S, "institution": S, "company": S, "starts_on": DATE,
                 "ends_on": DATE, "months": I, "trial_fee": YUAN, "exclusive": B, "after_terms": S, "status": S,
                 "end_reason": n(S), "contract_id": n(I)})
    # core.workflow.HistoryOut: codes and their Chinese labels, for every audited kind of record
    history = obj({"at": DATETIME, "action": S, "action_label": S, "from": n(S), "from_label": n(S), "to": n(S),
                   "to_label": n(S), "reason": n(S), "actor": S, "actor_id": n(I), "details": {"nullable": True}})
    contract_history = history
    notification = obj({"id": I, "kind": S, "kind_label": S, "title": S, "body": S, "link": n(S),
                        "created_at": DATETIME, "read": B})
    match = obj({"id": I, "ref": n(S), "title": S, "score": NUM, "band": S, "coverage": NUM},
                {"reasons": array(S), "shared_terms": array(S)})
    facet = array(obj({"value": S, "count": I, "label": S}))
    hit = obj({"type": enum(("achievement", "demand", "service")), "type_label": S, "id": I, "ref": n(S), "title": S,
               "title_html": S, "snippet_html": S, "status": S, "status_label": S, "org": S, "industry": n(S),
               "city": n(S), "price_display": n(S), "url": S, "score": NUM})
    return {
        "TermsOut": terms, "Statement": statement, "IncomeSplitOut": split, "ContractOut": contract,
        "ContractList": envelope(ref("ContractOut")),
        "ContractHistory": obj({"items": array(contract_history)}),
        "UseFirstItem": item, "UseFirstList": envelope(ref("UseFirstItem")),
        "UseFirstItems": envelope(ref("UseFirstItem")),
        "UseFirstScan": obj({"as_of": DATE, "candidates": array(obj({"ref": S, "title": S, "institution": S,
                                                                      "ip_granted_on": DATE})),
                             "new": I, "voided": I}),
        "TrialApplication": application, "TrialApplications": envelope(ref("TrialApplication")),
        "Trial": trial,
        "History": obj({"items": array(history)}),
        "Notification": notification,
        "NotificationList": envelope(ref("Notification"), unread={"type": "integer", "minimum": 0}),
        "Matches": obj({"items": array(match), "abstained": B, "terms": array(S),
                        "next_steps": array(obj({"code": S, "label": S}))},
                       {"computed_at": {"type": "string", "description": "存储的匹配结果计算于（未存储时无此项）"},
                        "stale": {"type": "boolean", "description": "词典或权重已更新，正在后台重新计算"}}),
        "MatchFeedbackOut": obj({"id": I, "side": enum(("demand", "achievement")),
                                 "verdict": enum(_verdicts()), "reason": n(S)}),
        "NextStepOut": obj({"id": I, "step": S, "label": S}),
        "Me": obj({"id": I, "email": S, "name": S, "role": enum(vocab.ROLES),
                   "org": obj({"id": I, "name": S, "kind": S, "status": S})}),
        "SearchResult": obj({"items": array(hit), "total": I, "page": I, "per_page": I, "pages": I,
                             "facets": {"type": "object", "additionalProperties": facet}, "relaxed": B,
                             "query": S, "sort": S}),
    }


def _term_kinds():
    from ..contracts import money
    return list(money.TERM_KINDS)


def _contract_statuses():
    from ..contracts.models import STATUSES
    return list(STATUSES)


def _verdicts():
    from ..matching import push
    return list(push.VERDICTS)


def _field_property(self, field, **kwargs) -> dict:
    """What apispec cannot know of our own fields: money is a decimal string (exact, never a float), term lists are lists of short texts, and ids are 32-bit like the columns they point to."""
    if isinstance(field, Money):
        return {"type": "string", "nullable": field.allow_none, "pattern": r"^(\d{1,10}(\.\d{1,2})?|面议)$",
                "description": "元（字段名以 _wan 结尾时为万元），两位小数以内" + ("；null 或“面议”为面议" if field.allow_none else "")}
    if isinstance(field, TermList):
        items = {"type": "string", "maxLength": field.max_len}
        if field.choices:
            items["enum"] = list(field.choices)
        return {"type": "array", "items": items, "maxItems": field.max_items,
                "description": "文本列表（也可为一个用“、”分隔的字符串）"}
    if isinstance(field, fields.Integer) and (field.name or "").endswith("_id"):
        return {"minimum": 1, "maximum": MAX_ID}
    return {}


class Doc:
    """Collects the operations; `op()` fills in errors and security the same way for every route."""

    def __init__(self, spec: APISpec):
        self.spec, self.paths = spec, {}

    def op(self, method: str, path: str, summary: str, ok: dict, *, params=(), body=None, body_required=True,
           auth: bool = True) -> None:
        responses = dict(ok)
        for status in ERROR_STATUSES:
            responses.setdefault(str(status), {"description": "错误", **_json(ref("Error"))})
        operation = {"summary": summary, "parameters": list(params), "responses": responses,
                     "security": SESSION_OR_TOKEN if auth else OPTIONAL_AUTH}
        if body is not None:
            operation["requestBody"] = {"required": body_required, **_json(body)}
        self.paths.setdefault(path, {})[method] = operation

    def done(self) -> None:
        for path, operations in self.paths.items():
            self.spec.path(path=path, operations=operations)


def answer(status: int, description: str, schema: dict | None = None) -> dict:
    return {str(status): {"description": description, **(_json(schema) if schema is not None else {})}}


XLSX = {"200": {"description": "Excel", "content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                      "format": "binary"}}}}}


@lru_cache(maxsize=1)
def build_spec() -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(title="江西省网上技术市场 API", version="1.0.0", openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "成果库、需求库、服务资源库、先用后转、技术合同。认证：会话 Cookie（写操作须带 "
                                        "X-CSRFToken）或 Authorization: Bearer <token>（flask users token EMAIL 生成）。"
                                        "时间为带时区的 RFC 3339（UTC），日期为 YYYY-MM-DD，金额为两位小数的元（字符串）。"})
    plugin.converter.add_attribute_function(_field_property)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "session",
                                               "description": "登录后的会话；写操作须带 X-CSRFToken 头"})
    spec.components.schema("Error", obj({"error": obj({"code": S, "message": S, "fields": {
        "type": "object", "additionalProperties": S}})}))
    for name, schema in _output_schemas().items():
        spec.components.schema(name, schema)
    doc = Doc(spec)
    _libraries(spec, doc)
    _account_and_search(doc)
    _matching_and_notifications(doc)
    _usefirst(spec, doc)
    _contracts(spec, doc)
    from ..commissions.apidoc import document as _commissions
    _commissions(spec, doc)
    from ..stats.apidoc import document as stats_doc
    stats_doc(spec, doc)
    from ..brokers.apidoc import document as brokers_doc
    brokers_doc(spec, doc)
    from ..events.apidoc import document as events_doc
    events_doc(spec, doc)
    from ..challenges.apidoc import document as challenges_doc
    challenges_doc(spec, doc)
    from ..bookings.apidoc import document as bookings_doc; bookings_doc(spec, doc)  # noqa: E702
    from ..site.apidoc import document as site_doc; site_doc(spec, doc)  # noqa: E702  (notices, organisations)
    doc.done()
    return _plain_numbers(spec.to_dict())


def _plain_numbers(value):
    """Decimal bounds and defaults (a Range on a Decimal field) as JSON numbers: Flask would write a Decimal
    as a string, and `"minimum": "0"` is no bound at all."""
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _libraries(spec, doc: Doc) -> None:
    for key, lib in listings.LIBRARIES.items():
        name = lib.entity_type.capitalize()
        spec.components.schema(f"{name}In", schema=lib.input_schema)
        spec.components.schema(f"{name}Patch", schema=lib.input_schema(partial=True))
        spec.components.schema(f"{name}Out", schema=lib.output_schema)
        created = dict(spec.components.schemas[f"{name}In"])  # the input, and `submit` to submit at once
        created["properties"] = {**created["properties"], "submit": {**B, "description": "true：同时提交审核"}}
        spec.components.schema(f"{name}Create", created)
        out = ref(f"{name}Out")
        params = PAGING + [
            query("q", {"type": "string", "maxLength": 100}, "关键词（经全文检索，结果另带 facets、relaxed）"),
            query("sort", enum(lib.sorts), "排序"),
            query("scope", enum(listings.SCOPES), "public（默认，已发布）/ mine（本单位）/ review（管理员）"),
            query("status", enum(vocab.STATUS_LABELS), "状态（scope 为 mine 或 review 时）")]
        params += [query(p, enum(f.choices) if f.choices else {"type": "string", "maxLength": 120}, f.label)
                   for p, f in lib.filters.items()]
        base, one = f"/api/v1/{key}", f"/api/v1/{key}/{{obj_id}}"
        idp = [path_id("obj_id")]
        page = envelope(out, facets={"type": "object"}, relaxed=B)
        page["required"] = ["items", "total", "page", "per_page", "pages"]  # facets, relaxed: with q only
        doc.op("get", base, f"{lib.label}列表", answer(200, "分页列表", page), params=params, auth=False)
        doc.op("post", base, f"新建{lib.label}（草稿；body 中 submit=true 则同时提交审核）", answer(201, "已创建", out),
               body=ref(f"{name}Create"))
        doc.op("get", one, f"{lib.label}详情", answer(200, "详情", out), params=idp, auth=False)
        doc.op("patch", one, f"修改{lib.label}（部分字段）", answer(200, "已修改", out), params=idp,
               body=ref(f"{name}Patch"))
        doc.op("put", one, f"修改{lib.label}（全部字段）", answer(200, "已修改", out), params=idp, body=ref(f"{name}In"))
        doc.op("delete", one, "删除草稿", {"204": {"description": "已删除"}}, params=idp)
        for action in lib.transitions:
            t = listings.TRANSITIONS[action]
            doc.op("post", f"{one}/{action}", f"{t.label}（{'须' if t.needs_reason else '可'}附 reason）",
                   answer(200, "新状态", out), params=idp, body_required=False,
                   body=obj(optional={"reason": n({"type": "string", "maxLength": 1000})}))
        doc.op("get", f"{one}/history", "审核记录（所有者与管理员）", answer(200, "状态变更记录", ref("History")), params=idp)
        if key in ("demands", "achievements"):
            doc.op("get", f"{one}/matches", "匹配结果（所有者、经纪人、管理员另见理由）", answer(200, "匹配", ref("Matches")),
                   params=idp + [query("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "条数，默认10")],
                   auth=False)


def _account_and_search(doc: Doc) -> None:
    from ..searching.service import FILTERS
    from search.base import SORTS
    doc.op("get", "/api/v1/me", "当前用户与所属单位", answer(200, "当前用户", ref("Me")))
    doc.op("get", "/api/v1/openapi.json", "本文档", answer(200, "OpenAPI 3 文档", {"type": "object"}), auth=False)
    params = [query("q", {"type": "string", "maxLength": 100}, "关键词（中文分词、同义词；\"引号\"内为短语）"),
              query("type", enum(("achievement", "demand", "service")), "类别"), *PAGING,
              query("sort", enum(SORTS), "排序"),
              query("price_min", MONEY_QUERY, "最低价格（元）"), query("price_max", MONEY_QUERY, "最高价格（元）")]
    params += [query(p, enum(allowed) if allowed else {"type": "string", "maxLength": 120}, label)
               for p, (_engine, label, allowed) in FILTERS.items()]
    doc.op("get", "/api/v1/search", "全站搜索：结果（含高亮）、总数与分面计数", answer(200, "搜索结果", ref("SearchResult")),
           params=params, auth=False)


def _matching_and_notifications(doc: Doc) -> None:
    from ..matching import push
    from ..notifications.service import KINDS
    doc.op("post", "/api/v1/matches/feedback", "需求方或成果方评价一条匹配（不相关须选原因）",
           answer(200, "已记录", ref("MatchFeedbackOut")),
           body=obj({"demand_id": ID, "achievement_id": ID, "verdict": enum(push.VERDICTS)},
                    {"reason": n(enum(push.REASONS))}))
    doc.op("post", "/api/v1/demands/{obj_id}/next-step", "无合适匹配时选择下一步", answer(201, "已记录", ref("NextStepOut")),
           params=[path_id("obj_id")], body=obj({"step": enum(push.NEXT_STEP_CODES)}))
    doc.op("get", "/api/v1/notifications", "站内消息（分页，可只看未读、按类别）", answer(200, "消息", ref("NotificationList")),
           params=PAGING + [query("unread", enum(("1", "true", "0", "false")), "1/true：只看未读"),
                            query("kind", enum(KINDS), "类别")])
    doc.op("post", "/api/v1/notifications/{note_id}/read", "标为已读",
           answer(200, "已读", obj({"id": I, "read": B})), params=[path_id("note_id")])
    doc.op("post", "/api/v1/notifications/read-all", "全部标为已读",
           answer(200, "标为已读的条数", obj({"marked": {"type": "integer", "minimum": 0}})))


def _usefirst(spec, doc: Doc) -> None:
    from ..usefirst import services as uf
    from ..usefirst.models import ITEM_STATUSES
    for name, schema in (("UseFirstConfirm", uf.ConfirmSchema), ("UseFirstKeepOff", uf.KeepOffSchema),
                         ("UseFirstApply", uf.ApplySchema), ("UseFirstAccept", uf.AcceptSchema)):
        spec.components.schema(name, schema=schema)
    item, one = ref("UseFirstItem"), [path_id("item_id")]
    note = obj({"note": {"type": "string", "maxLength": 2000}})
    doc.op("get", "/api/v1/usefirst", "先用后转公开挂牌清单", answer(200, "清单", ref("UseFirstList")), auth=False, params=[
        query("industry", enum(vocab.INDUSTRIES)), query("city", enum(vocab.CITIES)), query("org_id", dict(ID), "单位"),
        query("q", {"type": "string", "maxLength": 50}), query("stage", enum(("publicity", "open"))), *PAGING])
    doc.op("post", "/api/v1/usefirst/scan", "省级管理员运行先用后转扫描", answer(200, "候选", ref("UseFirstScan")),
           body=obj(optional={"as_of": n(DATE)}), body_required=False)
    doc.op("get", "/api/v1/usefirst/decisions", "本单位（或管辖范围内）的候选、列入、不列入项目",
           answer(200, "项目", ref("UseFirstItems")), params=[query("status", enum(ITEM_STATUSES)), *PAGING])
    doc.op("get", "/api/v1/usefirst/{item_id}", "先用后转项目", answer(200, "项目", item), params=one, auth=False)
    doc.op("post", "/api/v1/usefirst/{item_id}/confirm", "单位确认列入并挂牌（公示期、独占、标准条款）",
           answer(200, "项目", item), params=one, body=ref("UseFirstConfirm"))
    doc.op("post", "/api/v1/usefirst/{item_id}/keep-off", "单位说明不列入的正当理由与证明", answer(200, "项目", item),
           params=one, body=ref("UseFirstKeepOff"))
    doc.op("post", "/api/v1/usefirst/{item_id}/challenge", "管理员质询不列入理由（note），项目退回单位",
           answer(200, "项目", item), params=one, body=note)
    doc.op("post", "/api/v1/usefirst/{item_id}/applications", "企业申请先用后转",
           answer(201, "申请", ref("TrialApplication")), params=one, body=ref("UseFirstApply"))
    doc.op("get", "/api/v1/usefirst/{item_id}/applications", "项目的申请（双方与管理员可见）",
           answer(200, "申请", ref("TrialApplications")), params=one)
    app_id = [path_id("app_id")]
    doc.op("get", "/api/v1/usefirst/applications/{app_id}", "试用申请", answer(200, "申请", ref("TrialApplication")),
           params=app_id)
    doc.op("post", "/api/v1/usefirst/applications/{app_id}/accept", "单位接受申请并签订试用协议",
           answer(201, "试用协议", ref("Trial")), params=app_id, body=ref("UseFirstAccept"))
    doc.op("post", "/api/v1/usefirst/applications/{app_id}/decline", "单位不接受申请（note）",
           answer(200, "申请", ref("TrialApplication")), params=app_id, body=note)
    trial_id = [path_id("trial_id")]
    doc.op("get", "/api/v1/usefirst/trials/{trial_id}", "试用协议", answer(200, "试用协议", ref("Trial")), params=trial_id)
    doc.op("post", "/api/v1/usefirst/trials/{trial_id}/convert", "试用转为技术转让合同（amount, signed_on, 可选 terms）",
           answer(201, "合同", ref("ContractOut")), params=trial_id, body=ref("ContractPatch"))
    doc.op("post", "/api/v1/usefirst/trials/{trial_id}/terminate", "终止试用（reason）", answer(200, "试用协议", ref("Trial")),
           params=trial_id, body=obj({"reason": {"type": "string", "maxLength": 2000}}))


def _contracts(spec, doc: Doc) -> None:
    from ..contracts import schemas as cs
    for name, schema in (("Milestone", cs.MilestoneSchema), ("TermsIn", cs.TermsSchema),
                         ("ContractIn", cs.ContractSchema), ("ContractPatch", cs.ContractSchema(partial=True)),
                         ("RoyaltyReportIn", cs.ReportSchema), ("PaymentIn", cs.PaymentSchema),
                         ("MilestoneReachedIn", cs.MilestoneReachedSchema), ("Inventor", cs.InventorSchema),
                         ("IncomeSplitIn", cs.SplitSchema), ("DecisionIn", cs.DecisionSchema)):
        spec.components.schema(name, schema=schema)
    contract, cid = ref("ContractOut"), [path_id("contract_id"), AS_OF]
    doc.op("get", "/api/v1/contracts", "可见的技术合同", answer(200, "合同", ref("ContractList")),
           params=[query("status", enum(_contract_statuses())), *PAGING, AS_OF])
    doc.op("post", "/api/v1/contracts", "录入技术合同（可带条款 terms，生成付款计划）", answer(201, "合同", contract),
           body=ref("ContractIn"))
    doc.op("get", "/api/v1/contracts/{contract_id}", "合同详情与履约状态", answer(200, "合同", contract), params=cid)
    doc.op("put", "/api/v1/contracts/{contract_id}/terms", "设置条款（草稿或退回时；已到账的款项不移动）",
           answer(200, "合同", contract), params=cid, body=ref("TermsIn"))
    doc.op("post", "/api/v1/contracts/{contract_id}/submit", "提交技术合同登记", answer(200, "合同", contract), params=cid)
    doc.op("post", "/api/v1/contracts/{contract_id}/register", "登记（设区市登记机构或省级中心）",
           answer(200, "合同", contract), params=cid, body=ref("DecisionIn"), body_required=False)
    doc.op("post", "/api/v1/contracts/{contract_id}/return", "退回补正（reason）", answer(200, "合同", contract),
           params=cid, body=ref("DecisionIn"))
    doc.op("post", "/api/v1/contracts/{contract_id}/milestones/{line_id}/reached", "确认里程碑达成（证明材料）",
           answer(200, "合同", contract), params=[path_id("contract_id"), path_id("line_id"), AS_OF],
           body=ref("MilestoneReachedIn"))
    doc.op("post", "/api/v1/contracts/{contract_id}/royalty-reports", "被许可方提交提成报告（同一报告期不能重复）",
           answer(201, "合同", contract), params=cid, body=ref("RoyaltyReportIn"))
    doc.op("post", "/api/v1/contracts/{contract_id}/payments", "卖方登记到账", answer(201, "合同", contract), params=cid,
           body=ref("PaymentIn"))
    doc.op("put", "/api/v1/contracts/{contract_id}/income-split", "卖方登记收益分配（团队不低于70%，否则须确认）",
           answer(200, "合同", contract), params=cid, body=ref("IncomeSplitIn"))
    doc.op("get", "/api/v1/contracts/{contract_id}/history", "合同审计记录", answer(200, "记录", ref("ContractHistory")),
           params=[path_id("contract_id")])
    doc.op("get", "/api/v1/contracts/{contract_id}/schedule.xlsx", "付款计划 Excel", XLSX, params=cid)
    doc.op("get", "/api/v1/contracts/export.xlsx", "可见合同 Excel", XLSX,
           params=[query("status", enum(_contract_statuses())), AS_OF])
