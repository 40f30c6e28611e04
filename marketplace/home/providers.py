"""Workbench providers for the domains that existed before the workbench (libraries, review, matching pushes,
broker introductions, contracts and money, 先用后转, the inbox). Newer domains register their own in their
receivers.py. Each provider answers one Section (or None) for the acting user; every to-do links to the
filtered list (or the one record) where the action is taken.

Every count is bounded by the actor's organisation or scope (counts share one statement where they can);
contracts' money is computed only for the actor's open contracts (submitted or registered), at most
OPEN_CONTRACTS of them.
"""
from datetime import date, timedelta

from flask import g, url_for
from sqlalchemy import func, literal, or_, select, union_all

from ..core import listings, permissions as perm
from ..core.workbench import Figure, Section, Todo, provider
from ..extensions import db

OPEN_CONTRACTS = 200
SOON_DAYS = 7


def _counter(stmt):
    """The number of rows of `stmt` as a scalar subquery, to put several counts in one statement."""
    return select(func.count()).select_from(stmt.subquery()).scalar_subquery()


def _wan(yuan) -> str:
    """An amount of yuan as people read it on the workbench: 万元 with two decimals."""
    return f"{(yuan or 0) / 10000:,.2f} 万元"


# Records of the three libraries: drafts, returned (rejected), waiting for review -------------------------

@provider(order=10)
def my_records(actor):
    if not perm.is_authenticated(actor) or actor.is_admin:
        return None
    libs = [lib for lib in listings.LIBRARIES.values() if actor.role in lib.owner_roles]
    if not libs:
        return None
    todos, figures = [], []
    # One statement for every library this role publishes in: (library, status, count) rows, UNION ALL.
    parts = [select(literal(lib.key).label("lib"), lib.model.status, func.count()).where(
        lib.model.owner_org_id == actor.org_id).group_by(lib.model.status) for lib in libs]
    rows = db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
    by_lib = {lib.key: {} for lib in libs}
    for key, status, n in rows:
        by_lib[key][status] = n
    for lib in libs:
        counts = by_lib[lib.key]
        todos.append(Todo(f"被驳回的{lib.label}", counts.get("rejected", 0),
                          url_for(f"{lib.key}.list_page", scope="mine", status="rejected"), urgent=True))
        todos.append(Todo(f"未提交的{lib.label}草稿", counts.get("draft", 0),
                          url_for(f"{lib.key}.list_page", scope="mine", status="draft")))
        todos.append(Todo(f"审核中的{lib.label}", counts.get("submitted", 0),
                          url_for(f"{lib.key}.list_page", scope="mine", status="submitted")))
        figures.append(Figure(f"已发布{lib.label}", f"{counts.get('published', 0)} 项",
                              url_for(f"{lib.key}.list_page", scope="mine", status="published")))
    links = [(f"发布{lib.label}", url_for(f"{lib.key}.new")) for lib in libs]
    return Section("本单位发布", todos=todos, figures=figures, links=links)


# Administrators: what waits for review in their centre's scope --------------------------------------------

@provider(order=5)
def to_review(actor):
    if not perm.is_admin(actor):
        return None
    from ..accounts.models import Organisation
    from ..usefirst.models import UseFirstItem
    libs = list(listings.LIBRARIES.values())
    # One statement: each count a scalar subquery (the three libraries' review queues, the organisations
    # waiting for verification, the 先用后转 items kept off the list), all in the administrator's scope.
    counts = db.session.execute(select(*[_counter(stmt) for stmt in [
        *(listings.list_query(actor, lib, {"scope": "review", "status": "submitted"}) for lib in libs),
        select(Organisation.id).where(Organisation.status == "pending", perm.admin_scope_condition(actor)),
        select(UseFirstItem.id).join(Organisation, Organisation.id == UseFirstItem.org_id).where(
            UseFirstItem.status == "kept_off", perm.admin_scope_condition(actor)),
    ]])).one()
    todos = [Todo(f"待审核的{lib.label}", n or 0,
                  url_for(f"{lib.key}.list_page", scope="review", status="submitted", sort="oldest"))
             for lib, n in zip(libs, counts)]
    orgs, kept = counts[len(libs)] or 0, counts[len(libs) + 1] or 0
    todos.insert(0, Todo("待实名审核的单位", orgs, url_for("admin.index") + "#orgs"))
    from ..contracts import permissions as cperm
    todos.append(Todo("待登记的技术合同", len(cperm.pending_registration(actor)),
                      url_for("contracts.list_page", status="submitted")))
    todos.append(Todo("待审查的先用后转“不列入”理由", kept, url_for("usefirst.manage", status="kept_off")))
    links = [("审核管理", url_for("admin.index")), ("统计看板", url_for("stats.dashboard"))]
    return Section("待我审核", todos=todos, links=links)


# Matching pushes and introductions, as the inbox holds them ----------------------------------------------

def _unread_by_kind(actor) -> dict:
    """The actor's unread notifications counted by kind: one query (index user_id, read_at) for the 匹配与推送
    and 消息 sections, kept on `g` for the request so that the page's unread badge (notifications.views._unread)
    reuses it instead of counting again."""
    cached = g.get("unread_by_kind")
    if cached is not None and cached[0] == actor.id:
        return cached[1]
    from ..notifications.models import Notification
    rows = dict(db.session.execute(select(Notification.kind, func.count()).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)).group_by(Notification.kind)).all())
    g.unread_by_kind = (actor.id, rows)
    return rows


@provider(order=20)
def new_matches(actor):
    if not perm.is_authenticated(actor) or actor.is_admin:
        return None
    rows = _unread_by_kind(actor)
    todos = [Todo("新的匹配推送", rows.get("match", 0) + rows.get("push", 0),
                  url_for("notifications.inbox", kind="match", unread=1))]
    if actor.role in ("company", "institution"):
        todos.append(Todo("技术经纪人的新引荐", rows.get("introduction", 0),
                          url_for("notifications.inbox", kind="introduction", unread=1)))
    links = []
    if actor.role == "company":
        links.append(("查看本企业需求的匹配成果", url_for("demands.list_page", scope="mine", status="published")))
    elif actor.role == "institution":
        links.append(("查看本单位成果的匹配需求", url_for("achievements.list_page", scope="mine", status="published")))
    return Section("匹配与推送", todos=todos, links=links)


# Brokers: introductions by stage (the broker workbench is where they move) --------------------------------

@provider(order=25)
def introductions(actor):
    if not perm.is_authenticated(actor) or actor.role != "broker":
        return None
    from ..brokers.models import Introduction
    from ..brokers.services import OPEN, STAGES
    counts = dict(db.session.execute(select(Introduction.stage, func.count()).where(
        Introduction.broker_id == actor.id).group_by(Introduction.stage)).all())
    board = url_for("brokers.workbench")
    todos = [Todo(f"撮合{STAGES[s]}", counts.get(s, 0), f"{board}#stage-{s}") for s in OPEN]
    figures = [Figure("已签约", f"{counts.get('signed', 0)} 项", f"{board}#stage-signed"),
               Figure("未成功", f"{counts.get('failed', 0)} 项", f"{board}#stage-failed")]
    return Section("撮合进展", todos=todos, figures=figures,
                   links=[("撮合工作台", board), ("我的经纪人备案", url_for("brokers.me"))])


# Contracts: registration, payments and royalty reports due or overdue ------------------------------------

def _open_contracts(actor):
    from sqlalchemy.orm import defaultload, lazyload

    from ..contracts.models import Contract, TermSheet
    # Only the schedule, the payments, the terms and the reports are read here: the parties, the broker and
    # the terms' milestones are not loaded up front.
    return db.session.scalars(select(Contract).options(
        lazyload(Contract.seller), lazyload(Contract.buyer), lazyload(Contract.broker),
        defaultload(Contract.terms).lazyload(TermSheet.milestones)).where(
        or_(Contract.seller_org_id == actor.org_id, Contract.buyer_org_id == actor.org_id),
        Contract.status.in_(("submitted", "registered"))).order_by(Contract.id.desc()).limit(OPEN_CONTRACTS)).all()


def _reports_due(c, today: date) -> int:
    from ..contracts import money
    t = c.terms
    if t is None or t.kind != "zero_threshold" or not t.royalty_rate:
        return 0
    reported = {r.period_start for r in c.reports}
    return sum(1 for a, b in money.report_periods(c.signed_on, t.report_period, today)
               if b < today and a not in reported)


def _link(ids: list, **list_args) -> str:
    """The one contract when there is one, else the list."""
    if len(ids) == 1:
        return url_for("contracts.detail", contract_id=ids[0])
    return url_for("contracts.list_page", **list_args)


@provider(order=30)
def contract_money(actor, today: date | None = None):
    if not perm.is_authenticated(actor) or actor.is_admin or actor.role == "broker":
        return None
    from ..contracts.models import Contract
    from ..contracts.payments import statement
    today = today or date.today()
    soon = today + timedelta(days=SOON_DAYS)
    overdue_in, due_in, overdue_out, due_out, reports = [], [], [], [], []
    for c in _open_contracts(actor):
        st = statement(c, today)
        seller = c.seller_org_id == actor.org_id
        for row in st["lines"]:
            if row["status"] == "overdue":
                (overdue_in if seller else overdue_out).append(c.id)
            elif row["status"] not in ("paid", "waiting") and row["due_on"] and \
                    date.fromisoformat(row["due_on"]) <= soon:
                (due_in if seller else due_out).append(c.id)
        if not seller and _reports_due(c, today):
            reports.extend([c.id] * _reports_due(c, today))
    drafts = db.session.scalars(select(Contract.id).where(
        or_(Contract.seller_org_id == actor.org_id, Contract.buyer_org_id == actor.org_id),
        Contract.status.in_(("draft", "returned")))).all()
    todos = [Todo("待提交登记的合同（草稿或被退回）", len(drafts), _link(drafts)),
             Todo("逾期未付的款项", len(overdue_out), _link(sorted(set(overdue_out)), status="registered"), urgent=True),
             Todo(f"{SOON_DAYS}天内应付的款项", len(due_out), _link(sorted(set(due_out)), status="registered")),
             Todo("待提交的提成报告", len(reports), _link(sorted(set(reports)), status="registered"), urgent=True),
             Todo("逾期未收的款项", len(overdue_in), _link(sorted(set(overdue_in)), status="registered"), urgent=True),
             Todo(f"{SOON_DAYS}天内应收的款项", len(due_in), _link(sorted(set(due_in)), status="registered"))]
    figures = []
    if actor.role == "institution":
        from ..stats.models import ContractFact
        total = db.session.scalar(select(func.coalesce(func.sum(ContractFact.amount_fen), 0)).where(
            ContractFact.seller_org_id == actor.org_id, ContractFact.year == today.year)) or 0
        figures.append(Figure(f"{today.year}年登记合同额", _wan(total / 100), url_for("contracts.list_page")))
    else:
        total = db.session.scalar(select(func.coalesce(func.sum(Contract.amount), 0)).where(
            Contract.buyer_org_id == actor.org_id, Contract.status == "registered",
            Contract.registered_on >= date(today.year, 1, 1))) or 0
        figures.append(Figure(f"{today.year}年登记合同额（买方）", _wan(total), url_for("contracts.list_page")))
    return Section("技术合同与款项", todos=todos, figures=figures,
                   links=[("技术合同", url_for("contracts.list_page")), ("录入合同", url_for("contracts.new"))])


# 先用后转: candidates awaiting the institution's decision, applications to answer, trials ------------------

@provider(order=35)
def usefirst(actor, today: date | None = None):
    if not perm.is_authenticated(actor) or actor.role not in ("institution", "company"):
        return None
    from ..usefirst.models import Trial, TrialApplication, UseFirstItem
    today = today or date.today()
    if actor.role == "institution":
        # One statement: the items' two counts (conditional aggregates) and the applications' and trials'.
        items = select(func.count().filter(UseFirstItem.status == "candidate"),
                       func.count().filter(UseFirstItem.status == "listed")).where(
            UseFirstItem.org_id == actor.org_id).subquery()
        candidates, listed, applications, trials = db.session.execute(select(
            items,
            select(func.count()).select_from(TrialApplication).join(UseFirstItem).where(
                UseFirstItem.org_id == actor.org_id, TrialApplication.status == "applied").scalar_subquery(),
            select(func.count()).select_from(Trial).join(UseFirstItem, UseFirstItem.id == Trial.item_id).where(
                UseFirstItem.org_id == actor.org_id, Trial.status == "active").scalar_subquery(),
        )).one()
        return Section("先用后转", todos=[
            Todo("待确认的先用后转候选成果", candidates, url_for("usefirst.manage", status="candidate"), urgent=True),
            Todo("待答复的试用申请", applications, url_for("usefirst.manage", status="listed"))],
            figures=[Figure("挂牌中", f"{listed} 项", url_for("usefirst.manage", status="listed")),
                     Figure("试用中", f"{trials} 项")],
            links=[("确认与审查", url_for("usefirst.manage"))])
    applied, ending = db.session.execute(select(
        select(func.count()).select_from(TrialApplication).where(
            TrialApplication.company_org_id == actor.org_id, TrialApplication.status == "applied").scalar_subquery(),
        select(func.count()).select_from(Trial).where(
            Trial.company_org_id == actor.org_id, Trial.status == "active",
            Trial.ends_on <= today + timedelta(days=30)).scalar_subquery())).one()
    if not applied and not ending:
        return None
    return Section("先用后转", todos=[
        Todo("30天内到期的试用", ending, url_for("usefirst.list_page"), urgent=True),
        Todo("等待答复的试用申请", applied, url_for("usefirst.list_page"))],
        links=[("先用后转清单", url_for("usefirst.list_page"))])


# The inbox ----------------------------------------------------------------------------------------------

@provider(order=90)
def inbox(actor):
    if not perm.is_authenticated(actor):
        return None
    return Section("消息", todos=[Todo("未读消息", sum(_unread_by_kind(actor).values()),
                                       url_for("notifications.inbox", unread=1))],
                   links=[("全部消息", url_for("notifications.inbox"))])
