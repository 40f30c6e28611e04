"""A contract as the JSON API and the pages show it."""
from datetime import date

from marshmallow import Schema, fields, post_dump
from .models import STATUSES, Contract
from .payments import statement
from .permissions import can_see_split
from .split import split_dict, split_of
from .terms import terms_dict


# Fields other domains add to a contract's answer, name → fn(contract): 先用后转 adds the trial the contract
# converted (`trial_id`), so contracts never read 先用后转's tables.
LINKED: dict = {}


def linked_field(name: str, fn) -> None:
    LINKED[name] = fn


def trial_id_of(c: Contract) -> int | None:
    fn = LINKED.get("trial_id")
    return fn(c) if fn is not None else None


class PartyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    uscc = fields.String(allow_none=True)


class ContractOut(Schema):
    """A contract as the JSON API answers it: its statement on `today`, the income split only for those who
    may see it (`actor`)."""

    def __init__(self, *args, actor=None, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.today = actor, today

    id = fields.Integer()
    kind = fields.String()
    transfer_form = fields.String(allow_none=True)
    title = fields.String()
    seller = fields.Method("_seller")
    buyer = fields.Method("_buyer")
    amount = fields.Decimal(as_string=True)
    signed_on = fields.Date()
    city = fields.String()
    industry = fields.String()
    achievement_id = fields.Integer(allow_none=True)
    demand_id = fields.Integer(allow_none=True)
    introduction_id = fields.Integer(allow_none=True)
    broker_id = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda c: STATUSES[c.status])
    registration_no = fields.String(allow_none=True)
    registered_on = fields.Date(allow_none=True)
    return_reason = fields.String(allow_none=True)
    terms = fields.Function(lambda c: terms_dict(c.terms))
    trial_id = fields.Function(trial_id_of)
    statement = fields.Method("_statement")

    def _seller(self, c):
        return PartyOut().dump({"id": c.seller_org_id, "name": c.seller.name, "uscc": c.seller_uscc})

    def _buyer(self, c):
        return PartyOut().dump({"id": c.buyer_org_id, "name": c.buyer.name, "uscc": c.buyer_uscc})

    def _statement(self, c):
        return statement(c, self.today or date.today())

    @post_dump(pass_original=True)
    def _split(self, data, c, **_):
        if self.actor is not None and can_see_split(self.actor, c):
            data["income_split"] = split_dict(split_of(c))
        return data


def contract_dict(c: Contract, actor=None, today: date | None = None) -> dict:
    return ContractOut(actor=actor, today=today).dump(c)
