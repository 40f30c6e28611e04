"""Input and output schemas of service resources."""
from marshmallow import fields, post_load

from ..core import vocab
from ..core.listing_schema import CONTACT_LABELS, STRING, STRINGS, ContactFields, ListingOut
from ..core.schema import InputSchema, TermList, Text

LABELS = {
    "title": "资源名称", "kind": "资源类型", "description": "服务内容", "city": "所在城市", "address": "地址",
    "audience": "服务对象", "industries": "服务产业", **CONTACT_LABELS,
}


class ServiceIn(ContactFields, InputSchema):
    LABELS = LABELS
    VOCAB_FIELDS = {"city": "city", "kind": "service_kind"}
    title = Text(200, lo=2, required=True)
    kind = Text(16, required=True, choices=vocab.SERVICE_KINDS)
    description = Text(5000, lo=10, required=True)
    city = Text(16, required=True, choices=vocab.CITIES)
    address = Text(200, allow_none=True)
    audience = Text(200, allow_none=True)
    industries = TermList(choices=vocab.INDUSTRIES, max_items=8)

    @post_load
    def _to_model(self, data, **kw):
        if "industries" in data:
            data["industries"] = "、".join(data["industries"] or [])
        return data


class ServiceOut(ListingOut):
    kind = fields.Str()
    description = fields.Str()
    city = fields.Str()
    address = fields.Str(allow_none=True)
    audience = fields.Str(allow_none=True)
    industries = fields.Function(lambda o: o.industry_list, metadata=STRINGS)
    organisation = fields.Function(lambda o: o.owner_org.name, metadata=STRING)
