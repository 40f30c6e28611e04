"""Who may see and do what with an event, declared per action; the list conditions are the same rules in SQL.

- Anyone: events once published (also cancelled ones, with the reason), their agenda, outcomes and iCalendar.
- Organisers (active administrators of the organising centre): drafts, editing, the workflow, the registrant
  list and its export, check-in, every interest (lead) of their events.
- A registrant: its own registration and its check-in QR image; nobody else's (404, as for one that does not
  exist).
- The event's brokers: the leads (interests) of that event, and turning them into introductions.
- The interested organisation: its own interests.
"""
from sqlalchemy import and_, false, or_, select

from ..core import permissions as perm
from .models import PUBLIC_STATES, Event, Interest, event_brokers

ORGANISER_LEVELS = ("province", "city")  # the model knows no county centres: province and city centres organise
REGISTRANT_ROLES = ("company", "institution")


def may_create(actor) -> bool:
    return perm.is_admin(actor) and actor.active and actor.org.admin_level in ORGANISER_LEVELS \
        and actor.org.status == "approved"


def is_organiser(actor, event) -> bool:
    return perm.is_admin(actor) and actor.active and actor.org_id == event.organiser_org_id


def is_public(event) -> bool:
    """Published at some time: a draft cancelled before it was ever published stays the organisers' own."""
    return event.status in PUBLIC_STATES and (event.status != "cancelled" or event.published_at is not None)


def can_view(actor, event) -> bool:
    return is_public(event) or is_organiser(actor, event)


def visible_condition(actor):
    """SQL condition on Event: the events `actor` may read (is_public in SQL, and an organiser's own)."""
    cond = and_(Event.status.in_(PUBLIC_STATES), or_(Event.status != "cancelled", Event.published_at.is_not(None)))
    if perm.is_admin(actor):
        cond = or_(cond, Event.organiser_org_id == actor.org_id)
    return cond


def may_register(actor) -> bool:
    return perm.is_authenticated(actor) and actor.active and actor.role in REGISTRANT_ROLES


def can_view_registration(actor, reg) -> bool:
    return (perm.is_authenticated(actor) and reg.user_id == actor.id) or is_organiser(actor, reg.event)


def can_cancel_registration(actor, reg) -> bool:
    return perm.is_authenticated(actor) and reg.user_id == actor.id and actor.active


def is_event_broker(actor, event) -> bool:
    return perm.is_authenticated(actor) and actor.role == "broker" and actor.active \
        and any(b.id == actor.id for b in event.brokers)


def can_view_interest(actor, interest) -> bool:
    if not perm.is_authenticated(actor):
        return False
    return actor.org_id == interest.org_id or is_organiser(actor, interest.event) \
        or is_event_broker(actor, interest.event)


def interest_condition(actor):
    """SQL condition on Interest: the leads `actor` may read (its own organisation's, its events' as organiser,
    the events it brokers)."""
    if not perm.is_authenticated(actor):
        return false()
    conds = [Interest.org_id == actor.org_id]
    if actor.role == "broker":
        conds.append(Interest.event_id.in_(select(event_brokers.c.event_id)
                                           .where(event_brokers.c.user_id == actor.id)))
    if perm.is_admin(actor):
        conds.append(Interest.event_id.in_(select(Event.id).where(Event.organiser_org_id == actor.org_id)))
    return or_(*conds)
