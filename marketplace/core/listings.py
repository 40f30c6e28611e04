"""The three libraries' shared service layer: create, update, workflow, delete, list.

Every function takes the acting user first and raises core.errors on refusal; views and the API only
parse input, call these and render. The caller owns the commit (one commit point per request).
"""
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from sqlalchemy import func, or_

from ..extensions import db
from . import permissions as perm
from .errors import BadRequest, Forbidden, NotFound, ValidationFailed
from .models import record_audit, utcnow
from .paging import page_args
from .vocab import STATUS_LABELS
from .workflow import Transition, Workflow


@dataclass(frozen=True)
class Filter:
    label: str
    column: str
    choices: list | None = None
    multi_valued: bool = False  # the column holds "、"-joined values
    search_param: str | None = None  # the search engine's parameter for it, when not the same key


TRANSITIONS = {t.name: t for t in (
    Transition("submit", frozenset({"draft", "rejected", "withdrawn"}), "submitted", "提交审核", "owner"),
    Transition("approve", frozenset({"submitted"}), "published", "审核通过", "reviewer"),
    Transition("reject", frozenset({"submitted", "published"}), "rejected", "驳回", "reviewer", needs_reason=True),
    Transition("withdraw", frozenset({"submitted", "published"}), "withdrawn", "撤回", "owner"),
    Transition("expire", frozenset({"published"}), "expired", "过期", "system"),
)}


@dataclass
class Library:
    key: str                    # URL and API name: achievements / demands / services
    entity_type: str            # audit and search name: achievement / demand / service
    label: str                  # 成果 / 需求 / 服务资源
    model: type
    input_schema: Callable      # factory of the marshmallow input schema
    output_schema: Callable
    owner_roles: tuple          # roles that may create and edit
    filters: dict[str, Filter]
    sorts: dict[str, tuple[str, Callable]]
    text_columns: tuple
    labels: dict
    owner_label: str = "发布单位"
    transitions: tuple = ("submit", "approve", "reject", "withdraw")
    public_condition: Callable | None = None  # extra condition for the public list
    default_sort: str = "newest"
    extra: dict = field(default_factory=dict)
    setters: dict = field(default_factory=dict)  # attribute → fn(obj, value), for nested items (IP of an achievement)

    def load(self, raw: dict, partial: bool = False, **schema_kw) -> dict:
        return self.input_schema(**schema_kw).validate_dict(raw, partial=partial)

    def dump(self, obj_or_list, many=False, actor=None):
        """The output schema's answer; with `actor`, contacts it may not see are left out (None)."""
        data = self.output_schema().dump(obj_or_list, many=many)
        if actor is None:
            return data
        for obj, row in zip(obj_or_list if many else [obj_or_list], data if many else [data]):
            if not perm.can_see_contacts(actor, obj):
                row.update({k: None for k in CONTACT_FIELDS if k in row})
        return data

    @property
    def workflow(self) -> Workflow:
        """The library's review workflow: owners (of the library's roles) submit and withdraw, the
        administrators whose scope holds the owner approve and reject."""
        if "_workflow" not in self.extra:
            names = self.transitions + ("expire",)
            self.extra["_workflow"] = Workflow.of(
                self.entity_type, [TRANSITIONS[n] for n in names],
                {"owner": lambda a, o: perm.is_owner(a, o) and a.role in self.owner_roles and a.active,
                 "reviewer": perm.can_review},
                state_labels=STATUS_LABELS, can_view=perm.can_view, not_found=f"没有找到该{self.label}")
        return self.extra["_workflow"]


CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
LIBRARIES: dict[str, Library] = {}
_ON_PUBLISH: dict[str, list] = {}


def on_publish(library_key: str, callback) -> None:
    """Register callback(actor, lib, obj), run inside the transaction that publishes a record."""
    _ON_PUBLISH.setdefault(library_key, []).append(callback)


def register(lib: Library) -> Library:
    LIBRARIES[lib.key] = lib
    lib.workflow  # noqa: B018  (builds and registers its workflow, so its audit entries are labelled)
    return lib


def apply_data(obj, data: dict, lib: Library | None = None) -> None:
    """Copy validated attributes onto a record; nested items go through the library's setters."""
    setters = lib.setters if lib is not None else {}
    for key, value in data.items():
        if key in setters:
            setters[key](obj, value)
        else:
            setattr(obj, key, value)


def _check_creator(actor, lib: Library, org) -> None:
    if not perm.is_authenticated(actor):
        raise Forbidden("请先登录")
    if actor.role not in lib.owner_roles:
        raise Forbidden(f"当前角色不能发布{lib.label}")
    if org.id != actor.org_id and not perm.in_admin_scope(actor, org):
        raise Forbidden(f"不能为其他单位发布{lib.label}")


def create(actor, lib: Library, data: dict, *, org=None, source="local", status="draft", system=False,
           check_ref=True):
    """A new record, owned by `org` (default: the actor's). `system` is for imports run from the CLI;
    `check_ref=False` when the caller (an import) has already looked the ref up."""
    org = org or actor.org
    if not system:
        _check_creator(actor, lib, org)
    obj = lib.model(owner_org=org, owner_org_id=org.id, created_by_id=getattr(actor, "id", None),
                    source=source, status=status)
    apply_data(obj, data, lib)
    if check_ref and obj.ref and lib.model.query.filter_by(source=source, ref=obj.ref).first():
        raise ValidationFailed(f"编号“{obj.ref}”已存在", {"ref": "编号已存在"})
    if status == "published":
        obj.published_at = obj.submitted_at = utcnow()
    db.session.add(obj)
    db.session.flush()
    record_audit(actor, lib.entity_type, obj.id, "create", None, status)
    return obj


def get(actor, lib: Library, obj_id, options: tuple = ()) -> object:
    """The record if the actor may see it; NotFound otherwise (a draft's existence is not revealed).
    `options`: loader options for a caller that reads less of the record than a page (not applied to a
    record the session already holds)."""
    try:
        obj_id = int(obj_id)
    except (TypeError, ValueError):
        raise NotFound(f"没有找到该{lib.label}") from None
    obj = db.session.get(lib.model, obj_id, options=options)
    if obj is None or not perm.can_view(actor, obj):
        raise NotFound(f"没有找到该{lib.label}")
    return obj


def update(actor, lib: Library, obj, data: dict, *, system=False):
    if not system and not perm.can_edit(actor, obj, lib.owner_roles):
        if perm.is_owner(actor, obj) and obj.status not in perm.EDITABLE_STATES:
            raise Forbidden(f"{lib.label}处于“{obj.status}”状态，撤回后才能修改")
        raise Forbidden(f"无权修改该{lib.label}")
    if data.get("ref") and data["ref"] != obj.ref:
        clash = lib.model.query.filter_by(source=obj.source, ref=data["ref"]).first()
        if clash is not None and clash.id != obj.id:
            raise ValidationFailed(f"编号“{data['ref']}”已存在", {"ref": "编号已存在"})
    apply_data(obj, data, lib)
    obj.updated_at = utcnow()
    record_audit(actor, lib.entity_type, obj.id, "update", obj.status, obj.status,
                 details={"fields": sorted(data)})
    return obj


def allowed_actions(actor, lib: Library, obj) -> list[str]:
    return lib.workflow.available(actor, obj, lib.transitions)


def transition(actor, lib: Library, obj, action: str, reason: str | None = None, *, system=False):
    if action not in lib.transitions + (("expire",) if system else ()):
        raise BadRequest(f"不支持的操作：{action}")
    if action in ("submit", "approve") and not system and lib.workflow.may(actor, obj, action) \
            and not obj.owner_org.approved:
        raise Forbidden(f"“{obj.owner_org.name}”尚未通过实名审核，审核通过后才能发布")
    t = lib.workflow.fire(actor, obj, action, reason, system=system)
    now = utcnow()
    if action == "submit":
        obj.submitted_at, obj.reject_reason = now, None
    elif action == "approve":
        obj.published_at = now
    elif action == "reject":
        obj.reject_reason = (reason or "").strip()
    if t.target == "published":
        for callback in _ON_PUBLISH.get(lib.key, ()):
            callback(actor, lib, obj)
    return obj


def delete(actor, lib: Library, obj) -> None:
    """Drafts only: anything ever submitted is kept (withdrawn), so its history stays."""
    if not perm.is_owner(actor, obj) or actor.role not in lib.owner_roles:
        raise Forbidden(f"无权删除该{lib.label}")
    if obj.status != "draft":
        raise Forbidden("只有草稿可以删除；已提交过的记录请撤回")
    record_audit(actor, lib.entity_type, obj.id, "delete", obj.status, None,
                 details={"title": obj.title, "ref": obj.ref})
    db.session.delete(obj)


SCOPES = ("public", "mine", "review")


def list_query(actor, lib: Library, params: dict):
    """A SELECT of the records `actor` may list in the given scope, filtered and sorted by `params`."""
    model, Organisation = lib.model, perm.org_model()
    scope = params.get("scope") or "public"
    if scope not in SCOPES:
        raise BadRequest(f"scope 只能是 {'/'.join(SCOPES)}")
    stmt = db.select(model).join(Organisation, model.owner_org_id == Organisation.id)
    status = params.get("status")
    if scope == "public":
        stmt = stmt.where(model.status == "published")
        if lib.public_condition is not None:
            stmt = stmt.where(lib.public_condition())
    elif scope == "mine":
        if not perm.is_authenticated(actor):
            raise Forbidden("请先登录")
        stmt = stmt.where(model.owner_org_id == actor.org_id)
    else:
        if not perm.is_admin(actor):
            raise Forbidden("只有管理员可以查看审核列表")
        stmt = stmt.where(perm.admin_scope_condition(actor))
    if status and scope != "public":
        stmt = stmt.where(model.status == status)
    for key, f in lib.filters.items():
        value = params.get(key)
        if not value:
            continue
        if f.choices and value not in f.choices:
            raise BadRequest(f"筛选条件“{f.label}”的值“{value}”无效")
        column = getattr(model, f.column) if f.column != "org" else Organisation.name
        if f.multi_valued:
            stmt = stmt.where(("、" + column + "、").contains(f"、{value}、"))
        else:
            stmt = stmt.where(column == value)
    q = (params.get("q") or "").strip()
    if q:
        if len(q) > 100:
            raise BadRequest("搜索词不能超过100个字")
        for word in q.split()[:5]:
            pattern = f"%{word}%"
            stmt = stmt.where(or_(*[getattr(model, c).ilike(pattern) for c in lib.text_columns],
                                  Organisation.name.ilike(pattern)))
    sort = params.get("sort") or lib.default_sort
    if sort not in lib.sorts:
        raise BadRequest(f"不支持的排序：{sort}")
    stmt = stmt.order_by(*lib.sorts[sort][1](model), model.id.desc())
    return stmt


def newest(model):
    return [func.coalesce(model.published_at, model.created_at).desc()]


def oldest(model):
    return [func.coalesce(model.published_at, model.created_at).asc()]


def by_title(model):
    return [model.title.asc()]


def parse_paging(params: dict, default_per_page: int = 20) -> tuple[int, int]:
    return page_args(params, default_per_page)


def paginate(stmt, params: dict, default_per_page: int = 20):
    page, per_page = parse_paging(params, default_per_page)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def expire_overdue(lib: Library, today: date | None = None) -> int:
    """Published demands whose deadline has passed become expired (audited as a system action)."""
    today = today or date.today()
    model = lib.model
    overdue = db.session.scalars(db.select(model).where(model.status == "published", model.deadline < today)).all()
    for obj in overdue:
        transition(None, lib, obj, "expire", f"截止日期 {obj.deadline} 已过", system=True)
    return len(overdue)
