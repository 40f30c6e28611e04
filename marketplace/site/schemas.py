"""Input and output schemas of announcements (the page form and the API share them)."""
from marshmallow import Schema, fields

from ..core.dates import UtcDateTime
from ..core.schema import Bool, InputSchema, LenientDate, Text
from .models import CATEGORIES, STATUSES

LABELS = {"title": "标题", "category": "栏目", "summary": "摘要", "body": "正文", "issuer": "发文单位",
          "doc_no": "文号", "publish_on": "发布日期", "pinned": "置顶"}


class NoticeIn(InputSchema):
    LABELS = LABELS
    title = Text(200, lo=2, required=True)
    category = Text(16, required=True, choices=CATEGORIES)
    summary = Text(500, allow_none=True)
    body = Text(50000, lo=2, required=True)
    issuer = Text(100, allow_none=True)
    doc_no = Text(60, allow_none=True)
    publish_on = LenientDate(allow_none=True)
    pinned = Bool(load_default=False)


class AttachmentOut(Schema):
    id = fields.Int()
    filename = fields.Str()
    size = fields.Int()
    url = fields.Function(lambda a: f"/notices/{a.notice_id}/files/{a.id}")


class NoticeOut(Schema):
    id = fields.Int()
    title = fields.Str()
    category = fields.Str(metadata={"enum": list(CATEGORIES)})
    category_label = fields.Function(lambda n: n.category_label, metadata={"type": "string"})
    summary = fields.Str(allow_none=True)
    issuer = fields.Str(allow_none=True)
    doc_no = fields.Str(allow_none=True)
    publish_on = fields.Date(allow_none=True)
    pinned = fields.Bool()
    status = fields.Str(metadata={"enum": list(STATUSES)})
    status_label = fields.Function(lambda n: n.status_label, metadata={"type": "string"})
    publisher = fields.Function(lambda n: n.org.name, metadata={"type": "string"})
    updated_at = UtcDateTime()


class NoticeDetailOut(NoticeOut):
    body = fields.Str()
    paragraphs = fields.List(fields.Str())
    attachments = fields.List(fields.Nested(AttachmentOut))
