"""Who may do what with announcements: anyone reads published ones; administrators write, each centre its own
(the provincial centre: all)."""
from ..core import permissions as perm


def can_manage(actor) -> bool:
    """May open the management list and write new announcements."""
    return perm.is_admin(actor)


def can_edit(actor, notice) -> bool:
    if not perm.is_admin(actor):
        return False
    return actor.org.admin_level == "province" or notice.org_id == actor.org_id


def can_view(actor, notice) -> bool:
    return notice.status == "published" or can_edit(actor, notice)


def manage_condition(actor):
    """SQL condition on Notice: the announcements this administrator may change."""
    from sqlalchemy import false, true
    from .models import Notice
    if not perm.is_admin(actor):
        return false()
    return true() if actor.org.admin_level == "province" else Notice.org_id == actor.org_id
