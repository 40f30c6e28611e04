"""Search as the marketplace offers it: parameters validated, permissions turned into the query's
visibility (applied inside the engine, not after it), hits loaded from the database in ranked order and
highlighted."""
from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from search import SearchQuery
from search.analysis import highlight_terms
from search.base import PRICE_RANGES, SORTS, Visibility
from search.whoosh_backend import IndexIncompatible

from ..accounts.models import Organisation
from ..core import money, permissions as perm, vocab
from ..core.errors import AppError, BadRequest


class SearchUnavailable(AppError):
    status, code = 503, "search_unavailable"
from ..core.listings import parse_paging
from ..core.paging import ResultPage
from ..extensions import db
from . import sync
from .documents import LIBRARY_OF, MODELS, parse_doc_id
from .highlight import mark, snippet

TYPE_LABELS = {"achievement": "成果", "demand": "需求", "service": "服务资源"}
PRICE_LABELS = {key: label for key, label, *_ in PRICE_RANGES}

# Query parameter → (engine facet, label, allowed values or None for free text).
FILTERS = {
    "industry": ("industry", "所属产业", vocab.INDUSTRIES),
    "city": ("city", "城市", vocab.CITIES),
    "institution": ("institution", "单位", None),
    "maturity": ("maturity", "成熟度", vocab.MATURITIES),
    "funding_source": ("funding_source", "资金来源", vocab.FUNDING_SOURCES),
    "transfer_mode": ("transfer_modes", "转化方式", vocab.TRANSFER_MODES),
    "ip_type": ("ip_types", "知识产权类型", vocab.IP_TYPES),
    "kind": ("kind", "类型/合作方式", vocab.SERVICE_KINDS + vocab.COOPERATION_MODES),
    "price_range": ("price_range", "价格", [k for k, *_ in PRICE_RANGES]),
}
FACET_PARAM = {engine: param for param, (engine, *_rest) in FILTERS.items()}
FACET_LABELS = {"type": "类别", **{engine: label for engine, label, _ in FILTERS.values()}}
SORT_LABELS = {"relevance": "相关度", "newest": "最新", "price_asc": "价格从低到高", "price_desc": "价格从高到低"}


def visibility(actor) -> Visibility:
    """What the actor may find besides published records: its own organisation's, and for an
    administrator the organisations of its centre's scope (all of them for the provincial centre)."""
    if not perm.is_authenticated(actor):
        return Visibility()
    if perm.is_admin(actor):
        if actor.org.admin_level == "province":
            return Visibility(everything=True)
        ids = db.session.scalars(select(Organisation.id).where(perm.admin_scope_condition(actor))).all()
        return Visibility(org_ids=tuple(sorted(set(ids) | {actor.org_id})))
    return Visibility(org_ids=(actor.org_id,))


def _number(params, key):
    raw = params.get(key)
    if raw in (None, ""):
        return None
    try:
        return float(money.parse_yuan(raw))
    except money.MoneyError:
        raise BadRequest(f"{key} 应为金额（元）") from None


def build_query(actor, params: dict, types: tuple = ()) -> SearchQuery:
    text = (params.get("q") or "").strip()
    if len(text) > 100:
        raise BadRequest("搜索词不能超过100个字")
    page, per_page = parse_paging(params)
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"不支持的排序：{sort}，可用：{'/'.join(SORTS)}")
    if not types:
        wanted = params.get("type")
        if wanted:
            if wanted not in TYPE_LABELS:
                raise BadRequest("type 只能是 achievement、demand 或 service")
            types = (wanted,)
    filters = {}
    for param, (engine, label, allowed) in FILTERS.items():
        value = (params.get(param) or "").strip()
        if not value:
            continue
        if allowed is not None and value not in allowed:
            raise BadRequest(f"筛选条件“{label}”的值“{value}”无效")
        if len(value) > 120:
            raise BadRequest(f"筛选条件“{label}”过长")
        filters[engine] = value
    lo, hi = _number(params, "price_min"), _number(params, "price_max")
    if lo is not None and hi is not None and lo > hi:
        raise BadRequest("price_min 不能大于 price_max")
    return SearchQuery(text=text, types=types, filters=filters, price_min=lo, price_max=hi, sort=sort,
                       page=page, per_page=per_page, visibility=visibility(actor))


def run(query: SearchQuery):
    # Self-healing: a change whose outbox row is still pending (another process held the lock, or
    # crashed) is applied before we answer, when the lock is free.
    if sync.pending_count():
        sync.try_apply(lock_timeout=0.5)
    try:
        return sync.backend().search(query)
    except IndexIncompatible as exc:
        current_app.logger.error("%s", exc)
        raise SearchUnavailable("搜索索引需要重建，请管理员运行 flask search reindex") from None


def _load(ids: list[str]) -> list:
    wanted: dict[str, list[int]] = {}
    for value in ids:
        etype, eid = parse_doc_id(value)
        wanted.setdefault(etype, []).append(eid)
    found = {}
    for etype, eids in wanted.items():
        model = MODELS[etype]
        # A hit shows no collection (an achievement's IP items): not loaded up front (lazily if ever read).
        collections = [lazyload(rel) for rel in model.__mapper__.relationships if rel.lazy == "selectin"]
        for obj in db.session.scalars(select(model).options(*collections).where(model.id.in_(eids))):
            found[f"{etype}:{obj.id}"] = obj
    return [found.get(i) for i in ids]


def _body(obj) -> str:
    return getattr(obj, "summary", None) or getattr(obj, "description", "")


def _item(obj, terms, score) -> dict:
    etype = obj.entity_type
    price = {"achievement": ("asking_price", "price_negotiable"), "demand": ("budget", "budget_negotiable")}.get(etype)
    return {
        "type": etype, "type_label": TYPE_LABELS[etype], "id": obj.id, "ref": obj.ref, "title": obj.title,
        "title_html": str(mark(obj.title, terms)), "snippet_html": str(snippet(_body(obj), terms)),
        "status": obj.status, "status_label": vocab.STATUS_LABELS.get(obj.status, obj.status),
        "org": obj.owner_org.name, "industry": getattr(obj, "industry", None),
        "city": getattr(obj, "city", None) or obj.owner_org.city,
        "price_display": money.format_yuan(getattr(obj, price[0]), getattr(obj, price[1])) if price else None,
        "url": url_for(f"{LIBRARY_OF[etype]}.detail", obj_id=obj.id), "score": round(score, 3),
    }


def facets_out(raw: dict) -> dict:
    out = {}
    for name, pairs in raw.items():
        out[name] = [{"value": v, "count": c,
                      "label": TYPE_LABELS.get(v, v) if name == "type" else PRICE_LABELS.get(v, v)
                      if name == "price_range" else v} for v, c in pairs]
    return out


def search(actor, params: dict, types: tuple = ()) -> dict:
    """The site-wide search: a JSON-ready dict with items, total, facets (also used by the page)."""
    query = build_query(actor, params, types)
    result = run(query)
    terms = highlight_terms(query.text)
    items = []
    for obj, score in zip(_load(result.ids), result.scores):
        # The engine applied the permissions already; checking again costs nothing and guards against
        # an index that is a moment behind a withdrawal.
        if obj is not None and (obj.status == "published" or perm.can_view(actor, obj)):
            items.append(_item(obj, terms, score))
    pages = -(-result.total // query.per_page) if result.total else 0
    return {"items": items, "total": result.total, "page": query.page, "per_page": query.per_page,
            "pages": pages, "facets": facets_out(result.facets), "relaxed": result.relaxed,
            "query": query.text, "sort": query.sort}


def library_page(actor, lib, params: dict) -> ResultPage:
    """A library's list filtered by `q` through the engine: the model objects of the page, in rank order."""
    engine_params = {k: v for k, v in params.items() if k in FILTERS or k in ("q", "page", "per_page")}
    # Facet links on the page use the library's own parameter names where it has them.
    facet_param = {engine: param for param, (engine, *_rest) in FILTERS.items()}
    for key, f in lib.filters.items():
        search_param = f.search_param or key
        if params.get(key):
            engine_params[search_param] = params[key]
        if search_param in FILTERS:
            facet_param[FILTERS[search_param][0]] = key
    sort = params.get("sort") or "relevance"
    engine_params["sort"] = {"price_asc": "price_asc", "price_desc": "price_desc", "newest": "newest"}.get(
        sort, "relevance")
    query = build_query(actor, engine_params, types=(lib.entity_type,))
    scope = params.get("scope") or "public"
    if scope == "mine":
        if not perm.is_authenticated(actor):
            raise BadRequest("请先登录")
        query.visibility = Visibility(org_ids=(actor.org_id,))
        query.statuses = ()
    elif scope == "review":
        if not perm.is_admin(actor):
            raise BadRequest("只有管理员可以查看审核列表")
        query.statuses = ()
    else:
        query.visibility = Visibility()  # the public list shows published records only
    result = run(query)
    terms = highlight_terms(query.text)
    objs = [o for o in _load(result.ids) if o is not None and perm.can_view(actor, o)]
    return ResultPage(objs, result.total, query.page, query.per_page, facets=facets_out(result.facets),
                      facet_param=facet_param, terms=terms, relaxed=result.relaxed)
