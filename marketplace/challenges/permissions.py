"""Who may see and do what in 揭榜挂帅, declared per action, with the SQL conditions the lists reuse.

- A challenge is public once published (and stays so through review, award and acceptance, unless an administrator
  withdrew it). Before that: its poster's organisation and the administrators whose scope holds the poster.
- The poster (发榜方) manages it: members of the posting company for a 企业榜; for a 政府榜, the administrators whose
  scope holds the posting centre. Administrators in scope review it, invite the panel and may unlock the bounty.
- An application (揭榜方案) is seen by its own organisation, the challenge's managers, its panel members and the
  administrators in scope — never by another applicant.
- Scores and comments: each panel member sees their own; the managers see all; the applicant sees its own
  application's scores (members unnamed) once the challenge is decided.
- An anonymous poster's name is shown only to the poster, the administrators in scope and the winner.
Whoever may not see an object gets the same 404 as for one that does not exist.
"""
from sqlalchemy import and_, false, or_, select

from ..core import permissions as perm
from ..extensions import db
from .models import DECIDED_STATES, PUBLIC_STATES, ChallengeApplication, PanelMember

ANONYMOUS_POSTER = "匿名发榜单位"


def active(actor) -> bool:
    return perm.is_authenticated(actor) and actor.active


def is_poster(actor, ch) -> bool:
    """A member of the posting organisation (company staff for a 企业榜, the centre's administrators for a 政府榜)."""
    return active(actor) and actor.org_id == ch.owner_org_id


def in_scope(actor, ch) -> bool:
    return perm.in_admin_scope(actor, ch.owner_org)


def can_manage(actor, ch) -> bool:
    """Run the challenge: close it, start the review, award, accept milestones, rate."""
    if not active(actor):
        return False
    if ch.kind == "company":
        return is_poster(actor, ch) and actor.role == "company"
    return in_scope(actor, ch)


def can_edit(actor, ch) -> bool:
    return is_poster(actor, ch) and actor.role in ("company", "admin")


def can_review(actor, ch) -> bool:
    """Approve or reject a submitted challenge, invite the panel, unlock a published bounty."""
    return active(actor) and in_scope(actor, ch)


def is_panel(actor, ch) -> bool:
    if not active(actor):
        return False
    return db.session.scalar(select(PanelMember.id).where(PanelMember.challenge_id == ch.id,
                                                          PanelMember.user_id == actor.id)) is not None


def is_public(ch) -> bool:
    return ch.status in PUBLIC_STATES


def can_follow(actor, ch) -> bool:
    """The internal view: the trail, every application, the panel."""
    return is_poster(actor, ch) or in_scope(actor, ch) or can_manage(actor, ch)


def can_view(actor, ch) -> bool:
    return is_public(ch) or can_follow(actor, ch) or is_panel(actor, ch)


def can_see_all_applications(actor, ch) -> bool:
    return can_follow(actor, ch) or is_panel(actor, ch)


def can_view_application(actor, app) -> bool:
    return (active(actor) and actor.org_id == app.org_id) or can_see_all_applications(actor, app.challenge)


def is_applicant(actor, app) -> bool:
    return active(actor) and actor.org_id == app.org_id


def may_apply(actor) -> bool:
    return active(actor) and actor.role in ("institution", "company")


def conflicted(actor, app) -> bool:
    """A panel member from the applicant's own organisation may not score it."""
    return actor.org_id == app.org_id


def may_score(actor, app) -> bool:
    return is_panel(actor, app.challenge) and not conflicted(actor, app)


def scores_visible_to_applicant(app) -> bool:
    return app.challenge.status in DECIDED_STATES


def can_see_poster(actor, ch) -> bool:
    if not ch.anonymous:
        return True
    if can_follow(actor, ch):
        return True
    winner = ch.awarded_application_id
    return winner is not None and active(actor) and db.session.scalar(
        select(ChallengeApplication.org_id).where(ChallengeApplication.id == winner)) == actor.org_id


def poster_name(actor, ch) -> str:
    return ch.owner_org.name if can_see_poster(actor, ch) else ANONYMOUS_POSTER


# SQL conditions for the lists ------------------------------------------------------------------------------------

def public_condition(model):
    return model.status.in_(PUBLIC_STATES)


def visible_condition(actor, model):
    """Challenges the actor may see: the public ones, its organisation's, those of an administrator's scope, and
    those it sits on the panel of."""
    if not perm.is_authenticated(actor):
        return public_condition(model)
    Organisation = perm.org_model()
    scoped = select(Organisation.id).where(perm.admin_scope_condition(actor))
    panel = select(PanelMember.challenge_id).where(PanelMember.user_id == actor.id)
    return or_(public_condition(model), model.owner_org_id == actor.org_id, model.owner_org_id.in_(scoped),
               model.id.in_(panel))


def review_condition(actor, model):
    """Submitted challenges waiting for this administrator."""
    if not perm.is_admin(actor):
        return false()
    Organisation = perm.org_model()
    scoped = select(Organisation.id).where(perm.admin_scope_condition(actor))
    return and_(model.status == "submitted", model.owner_org_id.in_(scoped))


def panel_condition(actor, model):
    if not perm.is_authenticated(actor):
        return false()
    return model.id.in_(select(PanelMember.challenge_id).where(PanelMember.user_id == actor.id))


def applied_condition(actor, model):
    if not perm.is_authenticated(actor):
        return false()
    return model.id.in_(select(ChallengeApplication.challenge_id).where(ChallengeApplication.org_id == actor.org_id))
