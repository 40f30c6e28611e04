"""The account routes of the OpenAPI document added since the first version (the organisation picker)."""
from ..api.openapi import ID, PAGING, S, answer, envelope, enum, n, obj, query
from .services import ORG_KIND_LABELS


def document(spec, doc) -> None:
    org = obj({"id": ID, "name": S, "kind": enum(list(ORG_KIND_LABELS)), "kind_label": S, "city": n(S), "uscc": n(S)})
    spec.components.schema("OrganisationList", envelope(org))
    doc.op("get", "/api/v1/organisations", "已通过实名审核的单位（合同双方选择用：按名称或统一社会信用代码查找，分页）",
           answer(200, "单位", {"$ref": "#/components/schemas/OrganisationList"}),
           params=[query("q", {"type": "string", "maxLength": 50}, "名称或信用代码中的文字"),
                   query("kind", enum(list(ORG_KIND_LABELS)), "单位类型"), *PAGING])
