"""Who may see and act on commission agreements, ledger entries and reward lists; each visibility rule is
one SQL condition, used by the lists and by reading one object, so the two never disagree.

- An agreement: the two parties (seller and buyer organisations), its brokers, and the administrators whose
  scope (1+M+N) holds either party. Everyone else: the same 404 as for one that does not exist.
- Ledger entries: a broker sees only its own entries; the parties and administrators in scope see them all.
- Reward rules and lists: administrators whose centre made the rule or whose scope covers its region; a list in
  publicity or final is public (公示).
"""
from sqlalchemy import and_, false, or_, select, true

from ..accounts.models import Organisation
from ..core import permissions as perm
from .models import AgreementBroker, CommissionAgreement, CommissionEntry, RewardList, RewardRule


def _scoped_orgs(actor):
    return select(Organisation.id).where(perm.admin_scope_condition(actor))


def agreement_condition(actor):
    if not perm.is_authenticated(actor):
        return false()
    brokered = select(AgreementBroker.agreement_id).where(AgreementBroker.broker_id == actor.id)
    conditions = [CommissionAgreement.seller_org_id == actor.org_id, CommissionAgreement.buyer_org_id == actor.org_id,
                  CommissionAgreement.id.in_(brokered)]
    if perm.is_admin(actor):
        scoped = _scoped_orgs(actor)
        conditions += [CommissionAgreement.seller_org_id.in_(scoped), CommissionAgreement.buyer_org_id.in_(scoped)]
    return or_(*conditions)


def entry_condition(actor):
    """Entries the actor may read: its own as a broker; every entry of an agreement it is party to or administers."""
    if not perm.is_authenticated(actor):
        return false()
    party = [CommissionAgreement.seller_org_id == actor.org_id, CommissionAgreement.buyer_org_id == actor.org_id]
    if perm.is_admin(actor):
        scoped = _scoped_orgs(actor)
        party += [CommissionAgreement.seller_org_id.in_(scoped), CommissionAgreement.buyer_org_id.in_(scoped)]
    of_party = select(CommissionAgreement.id).where(or_(*party))
    return or_(CommissionEntry.broker_id == actor.id, CommissionEntry.agreement_id.in_(of_party))


def is_party(actor, ag) -> bool:
    return perm.is_authenticated(actor) and actor.org_id in (ag.seller_org_id, ag.buyer_org_id)


def is_broker_of(actor, ag) -> bool:
    return perm.is_authenticated(actor) and any(b.broker_id == actor.id for b in ag.brokers)


def in_scope(actor, ag) -> bool:
    return perm.in_admin_scope(actor, ag.seller) or perm.in_admin_scope(actor, ag.buyer)


def can_view(actor, ag) -> bool:
    return is_party(actor, ag) or is_broker_of(actor, ag) or in_scope(actor, ag)


def payer_sides(actor, ag) -> list[str]:
    """The paying sides the actor acts for (an active member of the paying organisation)."""
    if not (perm.is_authenticated(actor) and actor.active):
        return []
    sides = {"seller": ["seller"], "buyer": ["buyer"], "both": ["seller", "buyer"]}[ag.payer]
    org = {"seller": ag.seller_org_id, "buyer": ag.buyer_org_id}
    return [s for s in sides if org[s] == actor.org_id]


def can_see_entry(actor, entry) -> bool:
    ag = entry.agreement
    return entry.broker_id == getattr(actor, "id", None) or is_party(actor, ag) or in_scope(actor, ag)


# Rewards -------------------------------------------------------------------------------------------------

def may_manage_region(actor, city: str | None) -> bool:
    """Reward rules are entered by the provincial centre (any region) or a city centre (its own city only)."""
    if not perm.is_admin(actor) or not actor.active:
        return False
    centre = actor.org
    if centre.admin_level == "province":
        return True
    return centre.admin_level == "city" and bool(centre.city) and city == centre.city


def rule_condition(actor):
    if not perm.is_admin(actor):
        return false()
    centre = actor.org
    if centre.admin_level == "province":
        return true()
    if centre.admin_level == "city" and centre.city:
        return or_(RewardRule.city == centre.city, RewardRule.centre_org_id == centre.id)
    return RewardRule.centre_org_id == centre.id


def can_manage_rule(actor, rule) -> bool:
    return may_manage_region(actor, rule.city)


def list_condition(actor):
    """Lists an actor may read: those in publicity or final (public), and every list of a rule it may see."""
    public = RewardList.status.in_(("publicity", "final"))
    if not perm.is_admin(actor):
        return public
    rules = select(RewardRule.id).where(rule_condition(actor))
    return or_(public, and_(RewardList.rule_id.in_(rules)))
