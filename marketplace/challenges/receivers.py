"""揭榜挂帅 on the workbench (我的工作台): each role's to-dos this domain creates (imported by create_app)."""
from flask import url_for

from ..core import permissions as perm
from ..core import workbench


@workbench.provider(order=45)
def challenge_section(actor):
    """Company: its drafts and the applications to read; institution: its applications' states; panel member:
    applications to score; administrator: challenges to review."""
    if not perm.is_authenticated(actor):
        return None
    from .services import workbench_counts
    n = workbench_counts(actor)
    todos, figures, links = [], [], [("揭榜挂帅榜单", url_for("challenges.list_page"))]
    if actor.role == "company" or perm.is_admin(actor):
        if n["drafts"]:
            todos.append(workbench.Todo("待提交的榜单（草稿、被驳回）", n["drafts"], url_for("challenges.list_page", scope="mine")))
        if n["to_read"]:
            todos.append(workbench.Todo("待阅读的揭榜方案", n["to_read"], url_for("challenges.list_page", scope="mine")))
        links.append(("发布榜单", url_for("challenges.new")))
    if n["to_score"]:
        todos.append(workbench.Todo("待评分的揭榜方案", n["to_score"], url_for("challenges.list_page", scope="panel"),
                                    urgent=True))
    if perm.is_admin(actor) and n["to_review"]:
        todos.append(workbench.Todo("待审核的榜单", n["to_review"], url_for("challenges.list_page", scope="review")))
    if actor.role in ("institution", "company") and (n["mine_open"] or n["mine_decided"]):
        figures.append(workbench.Figure("评审中的揭榜方案", f"{n['mine_open']} 项", url_for("challenges.list_page", scope="applied")))
        figures.append(workbench.Figure("已公布结果的揭榜方案", f"{n['mine_decided']} 项",
                                        url_for("challenges.list_page", scope="applied")))
    if not todos and not figures and actor.role not in ("company", "institution") and not perm.is_admin(actor):
        return None
    return workbench.Section("揭榜挂帅", todos=todos, figures=figures, links=links)
