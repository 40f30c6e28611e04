"""Who may see and move a broker introduction (撮合); the visibility rule is one SQL condition, used by the
lists and by reading one introduction, so the two can never disagree.

An introduction is seen by the broker who claimed it, by the two parties (the demand's company and, once
introduced, the achievement's institution) and by the administrators whose scope (1+M+N) holds either party.
Anyone else gets the same 404 as for an introduction that does not exist. Only its broker moves it on.
"""
from sqlalchemy import false, or_, select

from ..achievements.models import Achievement
from ..core import permissions as perm
from ..demands.models import Demand
from .models import Introduction


def visible_condition(actor):
    """SQL condition on Introduction: the introductions `actor` may read."""
    if not perm.is_authenticated(actor):
        return false()
    conditions = [Introduction.broker_id == actor.id,
                  Introduction.demand.has(Demand.owner_org_id == actor.org_id),
                  Introduction.achievement.has(Achievement.owner_org_id == actor.org_id)]
    if perm.is_admin(actor):
        in_scope = perm.admin_scope_condition(actor)
        conditions += [Introduction.demand.has(Demand.owner_org.has(in_scope)),
                       Introduction.achievement.has(Achievement.owner_org.has(in_scope))]
    return or_(*conditions)


def is_broker(actor) -> bool:
    return perm.is_authenticated(actor) and actor.role == "broker" and actor.active


def can_move(actor, intro) -> bool:
    return is_broker(actor) and intro.broker_id == actor.id



# Broker profiles and their filing (备案) --------------------------------------------------------------------
# A profile in the public directory is an active one; its owner sees it in any state; so does an administrator
# whose scope (1+M+N) holds the broker's agency. Filings are reviewed by the centre they are filed with, and
# only while the agency is within that centre's scope (a city centre of another city never decides).

def may_file_with(centre, agency) -> bool:
    """A broker files with its agency's city centre or the provincial centre (not an institution's centre)."""
    if centre is None or agency is None or centre.kind != "admin_centre" or centre.status != "approved":
        return False
    return centre.admin_level == "province" or (centre.admin_level == "city" and centre.city == agency.city)


def owns_profile(actor, profile) -> bool:
    return is_broker(actor) and profile.user_id == actor.id


def can_review_profile(actor, profile) -> bool:
    """An administrator of the centre the profile is filed with (or the provincial centre), the agency in scope."""
    if not perm.is_admin(actor) or not perm.in_admin_scope(actor, profile.agency):
        return False
    return actor.org_id == profile.filed_with_org_id or actor.org.admin_level == "province"


def can_view_profile(actor, profile) -> bool:
    return profile.status == "active" or (perm.is_authenticated(actor) and profile.user_id == actor.id) \
        or perm.in_admin_scope(actor, profile.agency)


def profile_visible_condition(actor):
    """SQL condition on BrokerProfile: the profiles `actor` may read (the directory shows active ones only)."""
    from ..accounts.models import Organisation
    from .models import BrokerProfile
    conditions = [BrokerProfile.status == "active"]
    if perm.is_authenticated(actor):
        conditions.append(BrokerProfile.user_id == actor.id)
    if perm.is_admin(actor):
        conditions.append(BrokerProfile.agency_org_id.in_(
            select(Organisation.id).where(perm.admin_scope_condition(actor))))
    return or_(*conditions)


def review_queue_condition(actor):
    """SQL condition on BrokerProfile: filings this administrator decides (the same rule as can_review_profile)."""
    from ..accounts.models import Organisation
    from .models import BrokerProfile
    if not perm.is_admin(actor):
        return false()
    in_scope = BrokerProfile.agency_org_id.in_(select(Organisation.id).where(perm.admin_scope_condition(actor)))
    if actor.org.admin_level == "province":
        return in_scope
    return (BrokerProfile.filed_with_org_id == actor.org_id) & in_scope
