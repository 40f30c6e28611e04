"""Who may see and act on a contract: per action, for the acting user and the contract, and the same rule as
an SQL condition for lists."""
from sqlalchemy import or_, select

from ..accounts.models import Organisation
from ..core import permissions as perm
from ..core.errors import Forbidden, NotFound
from ..extensions import db
from .models import Contract

SIDES = {"seller": "卖方（许可方/让与方）", "buyer": "买方（被许可方/受让方）", None: "合同双方"}


def is_party(actor, c: Contract) -> bool:
    return perm.is_authenticated(actor) and actor.org_id in c.party_org_ids


def is_broker_of(actor, c: Contract) -> bool:
    return perm.is_authenticated(actor) and c.broker_id is not None and c.broker_id == actor.id


def can_view(actor, c: Contract) -> bool:
    """The parties, the deal's broker and the administrators whose scope holds either party."""
    return (is_party(actor, c) or is_broker_of(actor, c)
            or perm.in_admin_scope(actor, c.seller) or perm.in_admin_scope(actor, c.buyer))


def can_register(actor, c: Contract) -> bool:
    """Registration (技术合同登记) is the provincial centre's or the city centre of the contract's city;
    an institution's in-house centre follows its contracts but does not register them."""
    if not perm.is_admin(actor):
        return False
    centre = actor.org
    return centre.admin_level == "province" or (centre.admin_level == "city" and centre.city == c.city)


def can_see_split(actor, c: Contract) -> bool:
    """How the seller shares its income: the seller, the deal's broker, administrators over the seller."""
    return ((perm.is_authenticated(actor) and actor.org_id == c.seller_org_id) or is_broker_of(actor, c)
            or perm.in_admin_scope(actor, c.seller))


def require_party(actor, c: Contract, side: str | None = None, what: str = "此操作") -> None:
    """Only an active member of the given side (or either side) may do `what`."""
    orgs = {"seller": {c.seller_org_id}, "buyer": {c.buyer_org_id}, None: c.party_org_ids}[side]
    if not (perm.is_authenticated(actor) and actor.org_id in orgs and actor.active):
        raise Forbidden(f"只有{SIDES[side]}可以{what}")


def visible_condition(actor):
    """SQL condition: the contracts `actor` may see (the same rule as can_view)."""
    if not perm.is_authenticated(actor):
        return Contract.id.is_(None)
    scoped_orgs = select(Organisation.id).where(perm.admin_scope_condition(actor))
    return or_(Contract.seller_org_id == actor.org_id, Contract.buyer_org_id == actor.org_id,
               Contract.broker_id == actor.id, Contract.seller_org_id.in_(scoped_orgs),
               Contract.buyer_org_id.in_(scoped_orgs))


def get(actor, contract_id) -> Contract:
    c = db.session.get(Contract, contract_id) if isinstance(contract_id, int) else None
    if c is None or not can_view(actor, c):
        raise NotFound("没有找到该合同")  # the same answer whether it does not exist or is not yours
    return c


def visible(actor, status: str | None = None):
    q = select(Contract).where(visible_condition(actor))
    if status:
        q = q.where(Contract.status == status)
    return q.order_by(Contract.signed_on.desc(), Contract.id.desc())


def pending_registration(actor):
    """Contracts waiting for this administrator's registration."""
    if not perm.is_admin(actor):
        return []
    rows = db.session.scalars(select(Contract).where(Contract.status == "submitted").order_by(Contract.id)).all()
    return [c for c in rows if can_register(actor, c)]
