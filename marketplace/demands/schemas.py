"""Input and output schemas of demands."""
from datetime import date

from marshmallow import ValidationError, fields, post_load, validates, validates_schema

from ..core import vocab
from ..core.listing_schema import CONTACT_LABELS, STRING, ContactFields, ListingOut, money_display, money_out, resolve_price
from ..core.schema import Bool, InputSchema, LenientDate, Money, Text

LABELS = {
    "title": "需求名称", "description": "需求描述", "indicators": "技术指标", "industry": "所属产业",
    "city": "所在城市", "budget": "预算（元）", "budget_wan": "预算（万元）", "budget_negotiable": "面议",
    "deadline": "截止日期", "cooperation": "合作方式", **CONTACT_LABELS,
}


class DemandIn(ContactFields, InputSchema):
    LABELS = LABELS
    VOCAB_FIELDS = {"city": "city", "cooperation": "cooperation"}
    title = Text(200, lo=2, required=True)
    description = Text(5000, lo=10, required=True)
    indicators = Text(2000, allow_none=True)
    industry = Text(32, required=True, choices=vocab.INDUSTRIES)
    city = Text(16, required=True, choices=vocab.CITIES)
    budget = Money("yuan")
    budget_wan = Money("wan")
    budget_negotiable = Bool(allow_none=True)
    deadline = LenientDate(allow_none=True)
    cooperation = Text(16, required=True, choices=vocab.COOPERATION_MODES)

    def __init__(self, *args, allow_past_deadline: bool = False, require_contact: bool = False, **kw):
        super().__init__(*args, **kw)
        # Imports carry historic demands; a person typing a new demand should not set a past deadline.
        self.allow_past_deadline = allow_past_deadline
        # The page form (libraries/pages.py) requires a contact: a name and a phone or an e-mail.
        self.require_contact = require_contact

    @validates_schema(skip_on_field_errors=False)
    def _contact(self, data, **kw):
        if not self.require_contact:
            return
        if not data.get("contact_name"):
            raise ValidationError("请填写联系人", "contact_name")
        if not (data.get("contact_phone") or data.get("contact_email")):
            raise ValidationError("请填写联系电话或联系邮箱（至少一项）", "contact_phone")

    @validates("deadline")
    def _deadline(self, value, **kw):
        if value and not self.allow_past_deadline and value < date.today():
            raise ValidationError("截止日期不能早于今天")

    @post_load
    def _to_model(self, data, **kw):
        return resolve_price(data, "budget", "budget_wan", "budget_negotiable")


class DemandOut(ListingOut):
    description = fields.Str()
    indicators = fields.Str(allow_none=True)
    industry = fields.Str()
    city = fields.Str()
    company = fields.Function(lambda o: o.owner_org.name, metadata=STRING)
    budget = money_out("budget", "budget_negotiable")
    budget_negotiable = fields.Bool()
    budget_display = money_display("budget", "budget_negotiable")
    deadline = fields.Date(allow_none=True)
    cooperation = fields.Str()
