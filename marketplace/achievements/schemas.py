"""Input and output schemas of achievements (API, forms and imports share the input schema)."""
import re

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema

from ..core import vocab
from ..core.listing_schema import (CONTACT_LABELS, STRING, STRINGS, ContactFields, ListingOut, money_display, money_out,
                                   resolve_price)
from ..core.schema import Bool, InputSchema, LenientDate, Money, TermList, Text

LABELS = {
    "title": "成果名称", "summary": "成果简介", "keywords": "关键词", "industry": "所属产业",
    "category": "成果类别", "funding_source": "资金来源", "maturity": "成熟度", "transfer_modes": "转化方式",
    "asking_price": "意向价格（元）", "asking_price_wan": "意向价格（万元）", "price_negotiable": "面议",
    "team": "研发团队", "inventors": "发明人", "implemented_on": "实施日期", "ip_items": "知识产权",
    "ip_type": "知识产权类型", "patent_no": "专利号", "ip_filed_on": "申请日期", "ip_granted_on": "授权日期",
    "number": "知识产权编号", "filed_on": "申请日期", "granted_on": "授权日期",
    **CONTACT_LABELS,
}


class IPIn(InputSchema):
    LABELS = LABELS
    VOCAB_FIELDS = {"ip_type": "ip_type"}
    ip_type = Text(16, required=True, choices=vocab.IP_TYPES)
    number = Text(64, allow_none=True)
    filed_on = LenientDate(allow_none=True)
    granted_on = LenientDate(allow_none=True)

    @validates_schema
    def _dates(self, data, **kw):
        if data.get("filed_on") and data.get("granted_on") and data["granted_on"] < data["filed_on"]:
            raise ValidationError("授权日期不能早于申请日期", "granted_on")


class AchievementIn(ContactFields, InputSchema):
    LABELS = LABELS
    VOCAB_FIELDS = {"category": "category", "funding_source": "funding_source", "maturity": "maturity",
                    "ip_type": "ip_type"}
    title = Text(200, lo=2, required=True)
    summary = Text(5000, lo=10, required=True)
    keywords = TermList(max_items=12, max_len=20, allow_none=True)  # a blank form field: none
    industry = Text(32, required=True, choices=vocab.INDUSTRIES)
    category = Text(16, choices=vocab.CATEGORIES, load_default="应用技术")
    funding_source = Text(16, choices=vocab.FUNDING_SOURCES, load_default="非财政资金")
    maturity = Text(16, required=True, choices=vocab.MATURITIES)
    transfer_modes = TermList(choices=vocab.TRANSFER_MODES, vocab_kind="transfer_modes")
    asking_price = Money("yuan")
    asking_price_wan = Money("wan")
    price_negotiable = Bool(allow_none=True)
    team = Text(200, allow_none=True)
    inventors = TermList(max_items=30, max_len=20, allow_none=True)
    implemented_on = LenientDate(allow_none=True)
    ip_items = fields.List(fields.Nested(IPIn), allow_none=True)
    # One IP item in flat columns, as spreadsheets and the form give it; several numbers split by ；
    ip_type = Text(16, allow_none=True, choices=vocab.IP_TYPES)
    patent_no = Text(400, allow_none=True)
    ip_filed_on = LenientDate(allow_none=True)
    ip_granted_on = LenientDate(allow_none=True)

    @validates_schema
    def _ip_dates(self, data, **kw):
        if data.get("ip_filed_on") and data.get("ip_granted_on") and data["ip_granted_on"] < data["ip_filed_on"]:
            raise ValidationError("授权日期不能早于申请日期", "ip_granted_on")
        flat = [k for k in ("patent_no", "ip_filed_on", "ip_granted_on") if data.get(k)]
        if flat and not data.get("ip_type"):
            raise ValidationError("填写了专利号或日期时须注明知识产权类型", "ip_type")

    @post_load
    def _to_model(self, data, **kw):
        for key in ("keywords", "transfer_modes", "inventors"):
            if key in data:
                data[key] = "、".join(data[key] or [])
        resolve_price(data, "asking_price", "asking_price_wan", "price_negotiable")
        flat = {k: data.pop(k) for k in ("ip_type", "patent_no", "ip_filed_on", "ip_granted_on") if k in data}
        if flat.get("ip_type"):
            numbers = [ip_number(n) for n in TermList().deserialize(flat.get("patent_no") or "") if n] or [None]
            data["ip_items"] = [{"ip_type": flat["ip_type"], "number": n, "filed_on": flat.get("ip_filed_on"),
                                 "granted_on": flat.get("ip_granted_on")} for n in numbers]
        elif flat and "ip_items" not in data:
            data["ip_items"] = []
        return data


# A patent's number as offices write it: "专利号：ZL201910234567.8", "zl201910234567.8", "ZL 2019 1 0234567.8",
# "CN 112345678 B". Kept in one form (the label off, no spaces, letters upper-case) when what is left is such a
# number — so that one patent reads and is found the same way whoever typed it; anything else is kept as written.
_IP_LABEL = re.compile(r"^(?:专利号|专利申请号|申请号|授权号|授权公告号|公告号|公开号|登记号|专利)\s*[:：]?\s*")
_IP_NUMBER = re.compile(r"^(?:ZL|CN)?\d{8,13}(?:\.[\dX])?[A-Z]?\d?$|^\d{4}SR\d{5,8}$")


def ip_number(written: str) -> str:
    bare = _IP_LABEL.sub("", written.strip())
    squeezed = re.sub(r"\s+", "", bare).upper()
    return squeezed if _IP_NUMBER.match(squeezed) else written.strip()


class IPOut(Schema):
    ip_type = fields.Str()
    number = fields.Str(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    granted_on = fields.Date(allow_none=True)


class AchievementOut(ListingOut):
    summary = fields.Str()
    keywords = fields.Function(lambda o: o.keyword_list, metadata=STRINGS)
    industry = fields.Str()
    category = fields.Str()
    funding_source = fields.Str()
    maturity = fields.Str()
    transfer_modes = fields.Function(lambda o: o.transfer_mode_list, metadata=STRINGS)
    asking_price = money_out("asking_price", "price_negotiable")
    price_negotiable = fields.Bool()
    asking_price_display = money_display("asking_price", "price_negotiable")
    institution = fields.Function(lambda o: o.owner_org.name, metadata=STRING)
    team = fields.Str(allow_none=True)
    inventors = fields.Function(lambda o: o.inventor_list, metadata=STRINGS)
    implemented = fields.Bool()
    implemented_on = fields.Date(allow_none=True)
    ip_items = fields.List(fields.Nested(IPOut))
