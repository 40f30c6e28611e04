"""Who may see and do what with bookable services and bookings, declared per action; the visibility rule is
one SQL condition (`visible_condition`) used by every list, and the same predicate reads one booking, so the two
never disagree.

- A resource's owner (members of the organisation that runs it, in a service-owning role) manages its bookable
  services and sees and decides the bookings of its own resources only.
- A customer (members of the booking organisation) sees its own bookings, cancels within the rule, rates.
- Administrators see the bookings whose resource owner or customer lies in their scope (1+M+N); they decide
  nothing here (the owner runs its instrument).
Anyone else gets the same 404 as for a booking that does not exist.
"""
from sqlalchemy import false, or_, select

from ..core import permissions as perm
from ..resources.models import ServiceResource
from .models import BookableService, Booking

OWNER_ROLES = ("broker", "institution", "company")    # the roles that own service resources
CUSTOMER_ROLES = ("company", "institution", "broker")


def member_of(actor, org_id) -> bool:
    return perm.is_authenticated(actor) and actor.org_id == org_id


def owns_resource(actor, resource) -> bool:
    return (perm.is_authenticated(actor) and actor.active and actor.role in OWNER_ROLES
            and resource is not None and actor.org_id == resource.owner_org_id)


def can_manage_service(actor, service) -> bool:
    return owns_resource(actor, service.resource)


def resource_is_public(resource) -> bool:
    return resource is not None and resource.status == "published"


def can_view_service(actor, service) -> bool:
    """Public while its resource is published and the service active; always for its owner and admins in scope."""
    if resource_is_public(service.resource) and service.active:
        return True
    return owns_resource(actor, service.resource) or perm.in_admin_scope(actor, service.resource.owner_org)


def can_view_resource_bookings(actor, resource) -> bool:
    """The resource's own figures (queue, yearly report, 后补助 package): its owner and administrators in scope."""
    return owns_resource(actor, resource) or perm.in_admin_scope(actor, resource.owner_org)


def may_book(actor, service) -> str | None:
    """None when the actor may book this service now; otherwise why not (a sentence a person reads)."""
    if not perm.is_authenticated(actor):
        return "请先登录"
    if actor.role not in CUSTOMER_ROLES or not actor.active:
        return "只有企业、高校院所和服务机构的用户可以预约"
    if actor.org is None or actor.org.status != "approved":
        return "贵单位尚未通过实名审核，审核通过后才能预约"
    if actor.org_id == service.resource.owner_org_id:
        return "不能预约本单位运营的服务"
    if not (resource_is_public(service.resource) and service.active):
        return "该服务暂不接受预约"
    return None


def is_customer(actor, booking) -> bool:
    return member_of(actor, booking.customer_org_id) and actor.active


def is_owner(actor, booking) -> bool:
    return owns_resource(actor, booking.service.resource)


def can_view_booking(actor, booking) -> bool:
    if not perm.is_authenticated(actor):
        return False
    return (member_of(actor, booking.customer_org_id) or owns_resource(actor, booking.service.resource)
            or perm.in_admin_scope(actor, booking.service.resource.owner_org)
            or perm.in_admin_scope(actor, booking.customer_org))


def visible_condition(actor):
    """SQL condition on Booking: the bookings `actor` may read."""
    if not perm.is_authenticated(actor):
        return false()
    owned = select(BookableService.id).join(ServiceResource, ServiceResource.id == BookableService.resource_id)
    conditions = [Booking.customer_org_id == actor.org_id]
    if actor.role in OWNER_ROLES:
        conditions.append(Booking.service_id.in_(owned.where(ServiceResource.owner_org_id == actor.org_id)))
    if perm.is_admin(actor):
        Organisation = perm.org_model()
        in_scope = select(Organisation.id).where(perm.admin_scope_condition(actor))
        conditions += [Booking.service_id.in_(owned.where(ServiceResource.owner_org_id.in_(in_scope))),
                       Booking.customer_org_id.in_(in_scope)]
    return or_(*conditions)


def owner_condition(actor):
    """SQL condition on Booking: bookings of the actor's own resources (the owner's queue)."""
    if not (perm.is_authenticated(actor) and actor.role in OWNER_ROLES):
        return false()
    owned = (select(BookableService.id).join(ServiceResource, ServiceResource.id == BookableService.resource_id)
             .where(ServiceResource.owner_org_id == actor.org_id))
    return Booking.service_id.in_(owned)
