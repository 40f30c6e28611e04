"""A contract as the JSON API and the pages show it."""
from datetime import date

from sqlalchemy import select

from ..extensions import db
from .models import STATUSES, Contract
from .payments import statement
from .permissions import can_see_split
from .split import split_dict, split_of
from .terms import terms_dict


def trial_id_of(c: Contract) -> int | None:
    """The 先用后转 trial this contract converted, if any (read-only lookup of the usefirst table)."""
    from ..usefirst.models import Trial
    return db.session.scalar(select(Trial.id).where(Trial.contract_id == c.id))


def contract_dict(c: Contract, actor=None, today: date | None = None) -> dict:
    out = {"id": c.id, "kind": c.kind, "transfer_form": c.transfer_form, "title": c.title,
           "seller": {"id": c.seller_org_id, "name": c.seller.name, "uscc": c.seller_uscc},
           "buyer": {"id": c.buyer_org_id, "name": c.buyer.name, "uscc": c.buyer_uscc},
           "amount": str(c.amount), "signed_on": c.signed_on.isoformat(), "city": c.city, "industry": c.industry,
           "achievement_id": c.achievement_id, "demand_id": c.demand_id, "introduction_id": c.introduction_id,
           "broker_id": c.broker_id, "status": c.status, "status_label": STATUSES[c.status],
           "registration_no": c.registration_no,
           "registered_on": c.registered_on.isoformat() if c.registered_on else None,
           "return_reason": c.return_reason, "terms": terms_dict(c.terms), "trial_id": trial_id_of(c)}
    out["statement"] = statement(c, today or date.today())
    if actor is not None and can_see_split(actor, c):
        out["income_split"] = split_dict(split_of(c))
    return out
