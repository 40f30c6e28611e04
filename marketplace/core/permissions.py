"""Who may see and change what. Checked on the server for the acting user and the object."""
from sqlalchemy import false, true

EDITABLE_STATES = {"draft", "rejected", "withdrawn"}


class _Bound:
    """The organisation model, bound by the accounts package when it is imported (core imports no domain)."""
    org_model = None


def bind_org_model(model) -> None:
    _Bound.org_model = model


def org_model():
    return _Bound.org_model


def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_admin(user) -> bool:
    return is_authenticated(user) and user.is_admin


def admin_scope_condition(user):
    """SQL condition on Organisation: the organisations an administrator's centre administers (1+M+N)."""
    if not is_admin(user):
        return false()
    centre, Organisation = user.org, _Bound.org_model
    if centre.admin_level == "province":
        return true()
    if centre.admin_level == "city" and centre.city:
        return Organisation.city == centre.city
    if centre.admin_level == "institution" and centre.parent_id:
        return Organisation.id == centre.parent_id
    return false()


def in_admin_scope(user, org) -> bool:
    if not is_admin(user) or org is None:
        return False
    centre = user.org
    if centre.admin_level == "province":
        return True
    if centre.admin_level == "city":
        return bool(centre.city) and org.city == centre.city
    if centre.admin_level == "institution":
        return centre.parent_id is not None and org.id == centre.parent_id
    return False


def is_owner(user, record) -> bool:
    return is_authenticated(user) and user.org_id == record.owner_org_id


def can_view(user, record) -> bool:
    if record.status in ("published", "expired"):
        return True
    return is_owner(user, record) or in_admin_scope(user, record.owner_org)


def can_edit(user, record, owner_roles) -> bool:
    return (is_owner(user, record) and user.role in owner_roles and user.active
            and record.status in EDITABLE_STATES)


def can_review(user, record) -> bool:
    return in_admin_scope(user, record.owner_org)


def can_see_contacts(user, record) -> bool:
    """Personal contacts on a record (phone, e-mail): its owners, administrators in scope, and users of an
    approved organisation — never an anonymous visitor (people's details are not published to the world)."""
    if is_owner(user, record) or in_admin_scope(user, record.owner_org):
        return True
    return is_authenticated(user) and user.org is not None and user.org.status == "approved"
