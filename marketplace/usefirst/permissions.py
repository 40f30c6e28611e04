"""Who may see and do what in 先用后转, declared per action.

An item is public while it is listed (挂牌) or closed *and* its achievement is published: an achievement that
was withdrawn (and may have been edited since) is never shown through the 先用后转 list. Everything else about
an item — candidates, reasons for keeping it off, the audit trail, applications and trials — is for the
institution that owns it, the companies concerned and the administrators whose scope holds the institution.
Whoever may not see an object gets the same 404 as for one that does not exist.
"""
from ..core import permissions as perm

PUBLIC_ITEM_STATES = ("listed", "closed")
PUBLISHED = ("published",)  # the achievement states an administrator has reviewed and that are shown


def member_of(actor, *org_ids) -> bool:
    """The actor belongs to one of these organisations (False for anonymous visitors)."""
    return perm.is_authenticated(actor) and actor.org_id in org_ids


def achievement_is_public(item) -> bool:
    return item.achievement is not None and item.achievement.status in PUBLISHED


def is_public_item(item) -> bool:
    return item.status in PUBLIC_ITEM_STATES and achievement_is_public(item)


def can_follow_item(actor, item) -> bool:
    """Internal view of an item (its trail, every application): its institution and administrators in scope."""
    return member_of(actor, item.org_id) or perm.in_admin_scope(actor, item.org)


def can_view_item(actor, item) -> bool:
    return is_public_item(item) or can_follow_item(actor, item)


def can_view_application(actor, application) -> bool:
    return member_of(actor, application.company_org_id) or can_follow_item(actor, application.item)


def can_view_trial(actor, trial) -> bool:
    return member_of(actor, trial.company_org_id) or can_follow_item(actor, trial.item)


def may_run_scan(actor) -> bool:
    """The scan covers every institution of the province and creates their candidates, so only a provincial
    administrator runs it (city and institution centres see the candidates of their scope in the decisions
    list). `None` is the system (the daily CLI run)."""
    return actor is None or (perm.is_admin(actor) and actor.org.admin_level == "province")
