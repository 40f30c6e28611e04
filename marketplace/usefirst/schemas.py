"""What the 先用后转 API answers: marshmallow output schemas (inputs are validated in services.py)."""
from datetime import date

from marshmallow import Schema, fields

from ..core.dates import UtcDateTime


class ItemOut(Schema):
    """A 先用后转 item; `in_publicity` is judged on the day given to the schema (default today)."""

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    id = fields.Integer()
    achievement_id = fields.Integer()
    ref = fields.String(attribute="achievement.ref", allow_none=True)
    title = fields.String(attribute="achievement.title")
    institution = fields.String(attribute="org.name")
    city = fields.String(attribute="org.city", allow_none=True)
    industry = fields.String(attribute="achievement.industry")
    ip_granted_on = fields.Date()
    status = fields.String()
    listed_on = fields.Date(allow_none=True)
    publicity_ends_on = fields.Date(allow_none=True)
    in_publicity = fields.Method("_in_publicity")
    exclusive = fields.Boolean()
    trial_months = fields.Integer()
    terms = fields.Method("_terms")
    reason = fields.String(allow_none=True)
    evidence = fields.String(allow_none=True)
    challenge = fields.String(allow_none=True)

    def _in_publicity(self, item) -> bool:
        return bool(item.publicity_ends_on and item.publicity_ends_on >= (self.today or date.today()))

    def _terms(self, item):
        from ..contracts.services import terms_dict
        return terms_dict(item.terms)


class ApplicationOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    company = fields.String(attribute="company.name")
    plan = fields.String()
    status = fields.String()
    decision_note = fields.String(allow_none=True)
    created_at = UtcDateTime()


class TrialOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    title = fields.String(attribute="item.achievement.title")
    institution = fields.String(attribute="item.org.name")
    company = fields.String(attribute="company.name")
    starts_on = fields.Date()
    ends_on = fields.Date()
    months = fields.Integer()
    trial_fee = fields.Decimal(as_string=True, places=2)
    exclusive = fields.Boolean()
    after_terms = fields.String()
    status = fields.String()
    end_reason = fields.String(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
