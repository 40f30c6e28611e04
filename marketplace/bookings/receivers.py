"""服务预约's workbench section (我的工作台) and its notification label. Imported by create_app."""
from flask import url_for

from ..core import permissions as perm
from ..core import workbench
from ..notifications import service as notifications
from . import permissions as policy

# The inbox shows each notification's kind in Chinese.
notifications.KINDS.setdefault("booking", "服务预约")


@workbench.provider(order=60)
def booking_section(actor):
    """Resource owners: requests to decide, usage to record. Customers: upcoming bookings, ratings to give."""
    if not perm.is_authenticated(actor) or perm.is_admin(actor) or actor.role not in policy.CUSTOMER_ROLES:
        return None
    from . import services as svc
    todos, figures, links = [], [], []
    if svc.owned_resources(actor):
        owner = svc.counts_for_owner(actor)
        if owner["approve"]:
            todos.append(workbench.Todo("待审批的服务预约", owner["approve"],
                                        url_for("bookings.queue_page", status="requested"), urgent=True))
        if owner["record"]:
            todos.append(workbench.Todo("待登记使用情况的预约", owner["record"],
                                        url_for("bookings.queue_page", status="approved")))
        links.append(("预约受理", url_for("bookings.queue_page")))
    mine = svc.counts_for_customer(actor)
    if mine["rate"]:
        todos.append(workbench.Todo("待评价的服务", mine["rate"], url_for("bookings.list_page", status="used")))
    if mine["upcoming"]:
        figures.append(workbench.Figure("即将到来的预约", f"{mine['upcoming']} 项", url_for("bookings.list_page")))
    if not (todos or figures or links):
        return None
    links.append(("我的预约", url_for("bookings.list_page")))
    return workbench.Section("服务预约", todos=todos, figures=figures, links=links)
