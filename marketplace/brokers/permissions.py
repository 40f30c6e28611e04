"""Who may see and move a broker introduction (撮合); the visibility rule is one SQL condition, used by the
lists and by reading one introduction, so the two can never disagree.

An introduction is seen by the broker who claimed it, by the two parties (the demand's company and, once
introduced, the achievement's institution) and by the administrators whose scope (1+M+N) holds either party.
Anyone else gets the same 404 as for an introduction that does not exist. Only its broker moves it on.
"""
from sqlalchemy import false, or_

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

