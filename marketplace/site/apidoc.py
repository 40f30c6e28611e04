"""The announcement routes of the OpenAPI document (called by marketplace/api/openapi.build_spec)."""
from ..api.openapi import PAGING, answer, envelope, enum, path_id, query, ref
from .models import CATEGORIES
from .schemas import NoticeDetailOut, NoticeOut


def document(spec, doc) -> None:
    spec.components.schema("Notice", schema=NoticeOut)
    spec.components.schema("NoticeDetail", schema=NoticeDetailOut)
    spec.components.schema("NoticeList", envelope(ref("Notice")))
    doc.op("get", "/api/v1/notices", "通知公告、政策法规、工作动态（已发布，置顶在前，按发布日期倒序，分页）",
           answer(200, "公告", ref("NoticeList")),
           params=[query("category", enum(list(CATEGORIES)), "栏目：notice 通知公告、policy 政策法规、news 工作动态"),
                   *PAGING], auth=False)
    doc.op("get", "/api/v1/notices/{notice_id}", "一条已发布的公告：正文（按段落）与附件",
           answer(200, "公告", ref("NoticeDetail")), params=[path_id("notice_id")], auth=False)
    from ..accounts.apidoc import document as accounts_doc
    accounts_doc(spec, doc)
