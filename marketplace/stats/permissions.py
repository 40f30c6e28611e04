"""Who sees which statistics and who sets which targets: one policy, reused as SQL conditions.

Views of the contract statistics:
- "province": provincial administrators — every contract registered in Jiangxi (and, in the flow view, the
  purchases of Jiangxi buyers from sellers outside);
- "city": a city centre — the contracts registered in its city (its sellers'), and in the flow view also its
  buyers' purchases from sellers outside the city;
- "institution": an institution's centre — that institution's contracts as seller;
- "public": everyone else (visitors, companies, staff) — the province's totals only, no breakdown.
"""

from dataclasses import dataclass

from sqlalchemy import and_, false, or_

from ..core import permissions as perm
from ..core.vocab import CITIES
from .models import PROVINCE, ContractFact as F, StatTarget


@dataclass(frozen=True)
class View:
    level: str  # province | city | institution | public
    city: str | None = None
    org_id: int | None = None

    @property
    def label(self) -> str:
        return {"province": "全省", "public": "全省", "city": f"{self.city}市", "institution": "本单位"}[
            self.level
        ]


def view_of(actor) -> View:
    if perm.is_admin(actor):
        centre = actor.org
        if centre.admin_level == "province":
            return View("province")
        if centre.admin_level == "city" and centre.city:
            return View("city", city=centre.city)
        if centre.admin_level == "institution" and centre.parent_id:
            return View("institution", org_id=centre.parent_id)
    return View("public")


def registered_condition(view: View):
    """The contracts a view counts in every breakdown but the flow: registered in its territory."""
    if view.level in ("province", "public"):
        return F.city.isnot(None)
    if view.level == "city":
        return F.city == view.city
    if view.level == "institution":
        return and_(F.seller_org_id == view.org_id, F.city.isnot(None))
    return false()


def flow_condition(view: View):
    """The contracts of the flow view: registered in the territory, or bought by its buyers."""
    if view.level in ("province", "public"):
        return or_(F.city.isnot(None), F.buyer_region.in_(CITIES))
    if view.level == "city":
        return or_(F.city == view.city, F.buyer_region == view.city)
    return registered_condition(view)


def can_manage_target(actor, scope: str) -> bool:
    """Provincial centre: the province and every city and county; a city centre: its city and its counties."""
    if not perm.is_admin(actor):
        return False
    centre = actor.org
    if centre.admin_level == "province":
        return True
    return (
        centre.admin_level == "city"
        and bool(centre.city)
        and scope != PROVINCE
        and (scope == centre.city or scope.startswith(centre.city + "/"))
    )


def manages_targets(actor) -> bool:
    """Who keeps targets at all: the provincial centre and the city centres (institutions have none)."""
    if not perm.is_admin(actor):
        return False
    centre = actor.org
    return centre.admin_level == "province" or (centre.admin_level == "city" and bool(centre.city))


def target_scope_condition(actor):
    """The targets an administrator maintains, as SQL (the same rule as can_manage_target)."""
    if not manages_targets(actor):
        return false()
    centre = actor.org
    if centre.admin_level == "province":
        return StatTarget.id.isnot(None)
    return or_(StatTarget.scope == centre.city, StatTarget.scope.startswith(centre.city + "/", autoescape=True))


def target_scopes(actor) -> list[str]:
    """The province and cities an administrator may set targets for (county-level cities go under these)."""
    if not manages_targets(actor):
        return []
    centre = actor.org
    return [PROVINCE, *CITIES] if centre.admin_level == "province" else [centre.city]


def may_import(actor) -> bool:
    """Historical registration data covers the whole province: the provincial centre imports it."""
    return perm.is_admin(actor) and actor.org.admin_level == "province"
