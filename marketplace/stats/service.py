"""The statistics of registered technology contracts (技术合同成交额) and the targets they are measured against.

Every function takes the acting user first; what it sees is stats.permissions.view_of(actor). Figures are
integer fen summed in SQL, so totals are exact to the fen on SQLite and PostgreSQL: the breakdowns by month,
city, kind, industry, field and seller type of the provincial, city and public views (and the year and city
totals) read contract_cells, the facts pre-aggregated and kept current in every writing transaction
(cells.py: about 24,000 cells for a year of 160,000 contracts); the flow views and an institution's figures
are indexed aggregate queries over contract_facts (covering indexes).

Definitions (a contract counts in the year of its registration date, 登记日期):
- by=city counts a contract in its seller's city, where it is registered (as the national statistics do);
- by=flow, for the province: 输出 = sold by a Jiangxi seller to a buyer outside Jiangxi; 吸纳 = bought by a
  Jiangxi buyer from a seller outside Jiangxi; 省内 = seller and buyer both in Jiangxi. For a city the same
  relative to the city (输出: its sellers to buyers outside the city; 吸纳: its buyers from sellers outside the
  city; 市内: both in the city). For an institution: 输出 (buyers outside Jiangxi) and 省内; it buys nothing.
  The national 输出 figure is 输出 + 省内, the national 吸纳 figure is 吸纳 + 省内.
- by=out_region: 输出 by the buyer's province; by=in_region: 吸纳 by the seller's region.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, literal_column, not_, select

from ..core.errors import BadRequest, Forbidden, NotFound
from ..core.models import record_audit
from ..core.workflow import state_labels
from ..core.vocab import CITIES
from ..extensions import db
from . import cache
from . import permissions as policy
from .models import INDICATOR, KINDS, PROVINCE, SELLER_TYPES, ContractCell as C, ContractFact as F, StatTarget
from .schemas import TargetIn, TargetOut

BY = {
    "month": "按月",
    "city": "按设区市",
    "kind": "按合同类型",
    "industry": "按产业",
    "field": "按技术领域",
    "seller_type": "按卖方类型",
    "flow": "输出与吸纳",
    "out_region": "输出（按买方所在地）",
    "in_region": "吸纳（按卖方所在地）",
}
FLOW_LABELS = {
    "province": {"out": "输出（省外买方）", "in": "吸纳（省外卖方）", "local": "省内"},
    "city": {"out": "输出（市外买方）", "in": "吸纳（市外卖方）", "local": "市内"},
}
RATIO = Decimal("0.0001")
# A target's states in its audit trail: the one in force for its year, scope and indicator, or another version.
TARGET_STATES = {"current": "现行目标", "superseded": "非现行版本"}
state_labels(TARGET_STATES)


# Money and small helpers ---------------------------------------------------------------------------------


def yuan(fen) -> str:
    fen = int(fen or 0)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def ratio(numerator, denominator) -> str | None:
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP))


def _figures(count=0, amount=0, tech=0, received=0) -> dict:
    return {
        "count": int(count or 0),
        "amount": yuan(amount),
        "tech_amount": yuan(tech),
        "received": yuan(received),
    }


def _check_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2999:
        raise BadRequest("year 应为 1900 到 2999 之间的年份", {"year": "年份无效"})
    return year


def parse_period(value) -> tuple[int, int] | None:
    """ "1-6", "01-06", "3" or (1, 6): a range of months within the year."""
    if value in (None, ""):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        parts = [str(v) for v in value]
    else:
        parts = [p.strip() for p in str(value).split("-")]
        if len(parts) == 1:
            parts = parts * 2
    if (
        len(parts) != 2
        or not all(p.isascii() and p.isdigit() and len(p) <= 2 for p in parts)
        or not 1 <= int(parts[0]) <= int(parts[1]) <= 12
    ):
        raise BadRequest("period 应为月份范围，如 1-6（1到12月之间）", {"period": "月份范围无效"})
    return int(parts[0]), int(parts[1])


def _filters(view: policy.View, filters: dict | None, T=F) -> tuple[policy.View, list, bool]:
    """The view after the filters (a provincial administrator filtering one city sees what that city's centre
    sees), the extra SQL conditions (on the facts, or with T=ContractCell on the cells), and whether a filter
    narrows the amount below the target's scope."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(filters) - {"city", "kind", "period"}
    if unknown:
        raise BadRequest(f"未知的筛选条件：{'、'.join(sorted(unknown))}")
    conds, narrowed = [], False
    city, kind = filters.get("city"), filters.get("kind")
    if (city or kind) and view.level == "public":
        raise Forbidden("按设区市或合同类型查看统计须以管理员身份登录；公众可查看全省合计")
    if city is not None:
        if city not in CITIES:
            raise BadRequest("city 应为设区市名称，如 鹰潭", {"city": "未知的设区市"})
        if view.level == "province":
            view = policy.View("city", city=city)
        elif view.level == "city" and city != view.city:
            raise Forbidden("只能查看本市的统计")
        elif view.level == "institution":
            conds.append(T.city == city)
            narrowed = True
    if kind is not None:
        if kind not in KINDS:
            raise BadRequest(f"kind 应为：{'、'.join(KINDS)}", {"kind": "未知的合同类型"})
        conds.append(T.kind == kind)
        narrowed = True
    period = parse_period(filters.get("period"))
    if period is not None:
        conds.append(T.month.between(*period))
    return view, conds, narrowed


def _sums(*key):
    return select(
        *key, func.count(), func.sum(F.amount_fen), func.sum(F.tech_amount_fen), func.sum(F.received_fen)
    )


def _grouped(key_expr, where) -> dict:
    """{key: (count, amount_fen, tech_fen, received_fen)} for one GROUP BY over contract_facts."""
    stmt = _sums(key_expr.label("k")).where(*where).group_by(literal_column("k"))
    return {k: tuple(int(x or 0) for x in rest) for k, *rest in db.session.execute(stmt)}


def _total(where) -> tuple:
    row = db.session.execute(_sums().where(*where)).one()
    return tuple(int(x or 0) for x in row)


def _flow_key(view: policy.View):
    if view.level == "city":
        c = view.city
        return case((and_(F.city == c, F.buyer_region == c), "local"), (F.city == c, "out"), else_="in")
    if view.level == "institution":
        return case((F.buyer_region.in_(CITIES), "local"), else_="out")
    return case(
        (and_(F.city.isnot(None), F.buyer_region.in_(CITIES)), "local"),
        (F.city.isnot(None), "out"),
        else_="in",
    )


def _outside_buyer(view):
    return F.buyer_region != view.city if view.level == "city" else not_(F.buyer_region.in_(CITIES))


# The breakdowns contract_cells answers: every one but the flow's, for the views that count whole cities.
CELL_BY = ("month", "city", "kind", "industry", "field", "seller_type")
CELL_VIEWS = ("province", "city", "public")


def _cell_registered(view: policy.View):
    """registered_condition on the cells (their city is '' where the facts' is NULL)."""
    if view.level in ("province", "public"):
        return C.city != ""
    if view.level == "city":
        return C.city == view.city
    raise ValueError(f"no cells for the {view.level} view")


def _cell_sums(*key):
    return select(*key, func.sum(C.count), func.sum(C.amount_fen), func.sum(C.tech_amount_fen),
                  func.sum(C.received_fen))


def _cell_grouped(key_col, where) -> dict:
    """_grouped over contract_cells (counts are summed, not counted); empty cells left out."""
    stmt = (_cell_sums(key_col.label("k")).where(*where).group_by(literal_column("k"))
            .having(func.sum(C.count) != 0))
    return {k: tuple(int(x or 0) for x in rest) for k, *rest in db.session.execute(stmt)}


def _cell_total(where) -> tuple:
    row = db.session.execute(_cell_sums().where(*where)).one()
    return tuple(int(x or 0) for x in row)


def _rows(view: policy.View, year: int, by: str, conds: list, cell_conds: list | None = None) -> list[dict]:
    """The rows of a breakdown: from contract_cells where they answer it (cell_conds given: the filters on the
    cells), else from the facts."""
    if cell_conds is None or by not in CELL_BY or view.level not in CELL_VIEWS:
        return _rows_from_facts(view, year, by, conds)
    return _shape(view, year, by, lambda col: _cell_grouped(
        getattr(C, col), [C.year == year, *cell_conds, _cell_registered(view)]))


def _rows_from_facts(view: policy.View, year: int, by: str, conds: list) -> list[dict]:
    base = [F.year == year, *conds]
    if by == "flow":
        found = _grouped(_flow_key(view), base + [policy.flow_condition(view)])
        labels = FLOW_LABELS["city" if view.level == "city" else "province"]
        keys = ["out", "local"] if view.level == "institution" else ["out", "in", "local"]
        return [_row(k, labels[k], found.get(k)) for k in keys]
    if by == "out_region":
        found = _grouped(F.buyer_region, base + [policy.registered_condition(view), _outside_buyer(view)])
        return _ranked(found)
    if by == "in_region":
        if view.level == "institution":
            return []
        if view.level == "city":
            cond, key = (
                and_(F.buyer_region == view.city, func.coalesce(F.city, "") != view.city),
                func.coalesce(F.city, F.seller_region),
            )
        else:
            cond, key = and_(F.buyer_region.in_(CITIES), F.city.is_(None)), F.seller_region
        return _ranked(_grouped(key, base + [cond]))
    where = base + [policy.registered_condition(view)]
    return _shape(view, year, by, lambda col: _grouped(getattr(F, col), where))


def _shape(view: policy.View, year: int, by: str, grouped) -> list[dict]:
    """The rows of a simple breakdown from grouped(column name) -> {key: sums}."""
    if by == "month":
        found = grouped("month")
        return [_row(f"{year}-{m:02d}", f"{m}月", found.get(m)) for m in range(1, 13)]
    if by == "city":
        found = grouped("city")
        cities = [view.city] if view.level == "city" else CITIES
        return [_row(c, c, found.get(c)) for c in cities]
    if by == "kind":
        found = grouped("kind")
        return [_row(k, k, found.get(k)) for k in KINDS]
    if by == "seller_type":
        found = grouped("seller_type")
        return [_row(k, k, found.get(k)) for k in SELLER_TYPES]
    if by in ("industry", "field"):
        return _ranked(grouped(by))
    raise BadRequest(f"by 应为：{'、'.join(BY)}", {"by": "未知的统计口径"})


def _row(key, label, sums) -> dict:
    return {"key": str(key), "label": label, **_figures(*(sums or ()))}


def _ranked(found: dict) -> list[dict]:
    """Open-ended keys (industries, fields, regions) by amount, largest first."""
    order = sorted(found.items(), key=lambda kv: (-kv[1][1], str(kv[0])))
    return [_row(k or "未填", k or "未填", v) for k, v in order]


def _sum_rows(rows: list[dict]) -> dict:
    """The total of the rows (each contract is in exactly one row of any breakdown)."""
    fen = lambda s: int(Decimal(s) * 100)  # noqa: E731  (exact: two places)
    return {
        "count": sum(r["count"] for r in rows),
        "amount": yuan(sum(fen(r["amount"]) for r in rows)),
        "tech_amount": yuan(sum(fen(r["tech_amount"]) for r in rows)),
        "received": yuan(sum(fen(r["received"]) for r in rows)),
    }


# Targets ----------------------------------------------------------------------------------------------


def current_target(year: int, scope: str, indicator: str = INDICATOR) -> StatTarget | None:
    """The target in force: the one marked current (the latest such, should several be marked)."""
    return db.session.scalars(
        select(StatTarget)
        .where(
            StatTarget.year == year,
            StatTarget.scope == scope,
            StatTarget.indicator == indicator,
            StatTarget.is_current.is_(True),
        )
        .order_by(StatTarget.id.desc())
        .limit(1)
    ).first()


def target_dict(t: StatTarget | None) -> dict | None:
    if t is None:
        return None
    return {"value": f"{t.value:.2f}", "source": t.source, "indicator": t.indicator, "scope": t.scope}


def _target_scope(view: policy.View) -> str | None:
    if view.level in ("province", "public"):
        return PROVINCE
    if view.level == "city":
        return view.city
    return None  # institutions have no contract-value targets


# The statistics -----------------------------------------------------------------------------------------


def _filters_key(filters: dict | None) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in (filters or {}).items() if v not in (None, "")))


def contract_stats(actor, year: int, by: str, filters: dict | None = None) -> dict:
    """{"year", "by", "rows": [{"key", "label", "count", "amount", "tech_amount", "received"}], "total": {...},
    "target": {"value", "source", "indicator", "scope"} | null}; anonymous and non-administrators: the
    province's totals only (rows empty)."""
    _check_year(year)
    if by not in BY:
        raise BadRequest(f"by 应为：{'、'.join(BY)}", {"by": "未知的统计口径"})
    view, conds, narrowed = _filters(policy.view_of(actor), filters)
    cell_conds = _filters(policy.view_of(actor), filters, T=C)[1]
    if view.level == "public":
        where = [C.year == year, *cell_conds, _cell_registered(view)]
        rows, total = [], _figures(*_cell_total(where))
    else:
        key = ("rows", view.level, view.city, view.org_id, year, by, _filters_key(filters))
        rows = cache.memo(key, lambda: _rows(view, year, by, conds, cell_conds))
        total = _sum_rows(rows)
    scope = None if narrowed else _target_scope(view)
    return {
        "year": year,
        "by": by,
        "rows": rows,
        "total": total,
        "target": target_dict(current_target(year, scope)) if scope else None,
    }


def _elapsed_fraction(year: int, today: date) -> Decimal:
    start, end = date(year, 1, 1), date(year, 12, 31)
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    return Decimal((today - start).days + 1) / Decimal((end - start).days + 1)


def _scoped_counts(view: policy.View, year: int) -> dict:
    """The reform plan's other figures the site holds, in the same scope (institutions: their own items)."""
    from ..accounts.models import Organisation
    from ..demands.models import Demand
    from ..usefirst.models import UseFirstItem

    out = {}
    start, end = date(year, 1, 1), date(year, 12, 31)
    q = select(func.count(UseFirstItem.id), func.count(case((UseFirstItem.status == "closed", 1)))).where(
        UseFirstItem.listed_on.between(start, end)
    )
    if view.level == "city":
        q = q.join(Organisation, Organisation.id == UseFirstItem.org_id).where(Organisation.city == view.city)
    elif view.level == "institution":
        q = q.where(UseFirstItem.org_id == view.org_id)
    listed, closed = db.session.execute(q).one()
    out["usefirst_listed"], out["usefirst_converted"] = int(listed), int(closed)
    if view.level != "institution":
        lo, hi = datetime(year, 1, 1), datetime(year + 1, 1, 1)  # created_at is naive UTC
        dq = select(func.count(Demand.id)).where(
            Demand.status.in_(("published", "expired")), Demand.created_at >= lo, Demand.created_at < hi
        )
        if view.level == "city":
            dq = dq.where(Demand.city == view.city)
        out["demands_collected"] = int(db.session.scalar(dq) or 0)
        brokers = _broker_count(view)
        if brokers is not None:
            out["brokers"] = brokers
        from .outcomes import events_held
        out["events"] = events_held(year, view.city if view.level == "city" else None)
    return out


def _broker_count(view: policy.View) -> int | None:
    """Registered (filed, active) brokers, when the broker profiles exist; their agency's city for a city."""
    try:
        from ..brokers.models import BrokerProfile
    except ImportError:  # pragma: no cover - broker profiles are optional for the statistics
        return None
    from ..accounts.models import Organisation

    q = select(func.count(BrokerProfile.id)).where(BrokerProfile.status == "active")
    if view.level == "city":
        q = q.join(Organisation, Organisation.id == BrokerProfile.agency_org_id).where(
            Organisation.city == view.city
        )
    try:
        return int(db.session.scalar(q) or 0)
    except Exception:  # noqa: BLE001 - a schema still without the table: the tile is left out
        db.session.rollback()
        return None


def year_summary(actor, year: int, today: date | None = None) -> dict:
    """Totals of the year in the actor's scope, its target, share reached, pace (target × elapsed fraction of
    the year), last year's totals and the growth over them, and the plan's other counts the site holds."""
    _check_year(year)
    today = today or date.today()
    view = policy.view_of(actor)
    if view.level in CELL_VIEWS:
        where = [_cell_registered(view)]
        this = _cell_total([C.year == year, *where])
        last = _cell_total([C.year == year - 1, *where])
    else:
        where = [policy.registered_condition(view)]
        this = _total([F.year == year, *where])
        last = _total([F.year == year - 1, *where])
    scope = _target_scope(view)
    target = current_target(year, scope) if scope else None
    fraction = _elapsed_fraction(year, today)
    pace = None
    if target is not None:
        pace_fen = (Decimal(target.value) * 100 * fraction).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        pace = {
            "fraction": str(fraction.quantize(RATIO, rounding=ROUND_HALF_UP)),
            "value": yuan(pace_fen),
            "ahead": this[1] >= pace_fen,
        }
    return {
        "year": year,
        "scope": {"level": view.level, "label": view.label},
        "as_of": today.isoformat(),
        "total": _figures(*this),
        "target": target_dict(target),
        "share": ratio(this[1], Decimal(target.value) * 100) if target is not None else None,
        "pace": pace,
        "previous": {"year": year - 1, "total": _figures(*last)},
        "yoy": ratio(this[1] - last[1], last[1]) if last[1] else None,
        "counts": _scoped_counts(view, year),
    }


def city_targets_ranking(actor, year: int) -> dict:
    """Each city's 成交额 against its own current target, ranked by the share reached (cities without a target
    after, by amount). A city centre sees its own row only; other views may not see the cities' figures."""
    _check_year(year)
    view = policy.view_of(actor)
    if view.level not in ("province", "city"):
        raise Forbidden("设区市目标完成情况仅对省级和设区市管理员开放")
    found = _cell_grouped(
        C.city, [C.year == year, C.city != ""] + ([C.city == view.city] if view.level == "city" else [])
    )
    rows = []
    for c in [view.city] if view.level == "city" else CITIES:
        count, amount, tech, received = found.get(c, (0, 0, 0, 0))
        t = current_target(year, c)
        rows.append(
            {
                "city": c,
                **_figures(count, amount, tech, received),
                "target": target_dict(t),
                "share": ratio(amount, Decimal(t.value) * 100) if t is not None else None,
                "rank": None,
                "_amount": amount,
            }
        )
    with_target = sorted(
        (r for r in rows if r["share"] is not None), key=lambda r: (-Decimal(r["share"]), r["city"])
    )
    without = sorted((r for r in rows if r["share"] is None), key=lambda r: (-r["_amount"], r["city"]))
    if view.level == "province":
        for i, r in enumerate(with_target, start=1):
            r["rank"] = i
    for r in rows:
        del r["_amount"]
    return {"year": year, "rows": with_target + without}


# Targets: list, create, edit, delete --------------------------------------------------------------------


def list_targets(year: int | None = None, scope: str | None = None) -> list[StatTarget]:
    q = select(StatTarget)
    if year is not None:
        q = q.where(StatTarget.year == year)
    if scope:
        q = q.where(StatTarget.scope == scope)
    return db.session.scalars(
        q.order_by(
            StatTarget.year.desc(),
            StatTarget.scope,
            StatTarget.indicator,
            StatTarget.is_current.desc(),
            StatTarget.id.desc(),
        )
    ).all()


def get_target(target_id) -> StatTarget:
    t = db.session.get(StatTarget, target_id) if isinstance(target_id, int) else None
    if t is None:
        raise NotFound("没有找到该目标")
    return t


def _require_manage(actor, scope: str) -> None:
    if not policy.can_manage_target(actor, scope):
        raise Forbidden(
            "只有该范围的管理员（全省目标：省级中心；设区市目标：省级中心或该市中心）可以维护目标"
        )


def _state(is_current: bool) -> str:
    return "current" if is_current else "superseded"


def _make_current(actor, t: StatTarget) -> None:
    """One current target per year, scope and indicator: marking one current retires the others, each with an
    audit entry of its own (its trail says when and by which version it was replaced)."""
    others = db.session.scalars(
        select(StatTarget).where(
            StatTarget.year == t.year,
            StatTarget.scope == t.scope,
            StatTarget.indicator == t.indicator,
            StatTarget.id != t.id,
            StatTarget.is_current.is_(True),
        )
    ).all()
    for other in others:
        before = _snapshot(other)
        other.is_current = False
        record_audit(actor, "stat_target", other.id, "update", "current", "superseded",
                     f"由目标 #{t.id}（{_yuan_text(t.value)}，{t.source}）取代",
                     {"before": before, "after": _snapshot(other)})
    db.session.flush()


def _snapshot(t: StatTarget) -> dict:
    return TargetOut().dump(t)


def _yuan_text(value) -> str:
    return f"{Decimal(value):,.2f}元"


def _changes(before: dict, after: dict) -> str | None:
    """What an edit changed, as a person reads it in the trail."""
    out = []
    labels = {"year": "年度", "scope": "范围", "indicator": "指标", "value": "目标值", "source": "来源文件",
              "note": "备注"}
    for key, label in labels.items():
        if before.get(key) == after.get(key):
            continue
        if key == "value":
            out.append(f"目标值 {_yuan_text(before[key])} → {_yuan_text(after[key])}")
        elif key == "scope":
            out.append(f"范围 {before['scope_label']} → {after['scope_label']}")
        elif key in ("source", "note"):
            out.append(f"{label}改为：{after.get(key) or '（空）'}")
        else:
            out.append(f"{label} {before.get(key)} → {after.get(key)}")
    if before.get("is_current") != after.get("is_current"):
        out.append("设为现行目标" if after.get("is_current") else "不再作为现行目标")
    return "；".join(out)[:1000] or None


def create_target(actor, data: dict) -> StatTarget:
    values = TargetIn().validate_dict(data)
    _require_manage(actor, values["scope"])
    t = StatTarget(**values, created_by_id=actor.id)
    db.session.add(t)
    db.session.flush()
    if t.is_current:
        _make_current(actor, t)
    record_audit(actor, "stat_target", t.id, "create", None, _state(t.is_current),
                 f"{_yuan_text(t.value)}，来源：{t.source}"[:1000], _snapshot(t))
    return t


def update_target(actor, t: StatTarget, data: dict) -> StatTarget:
    """A new version of the figure: the old values stay in the audit trail."""
    _require_manage(actor, t.scope)
    values = TargetIn().validate_dict(data, partial=True)
    if "scope" in values:
        _require_manage(actor, values["scope"])
    before = _snapshot(t)
    for key, value in values.items():
        setattr(t, key, value)
    db.session.flush()
    if t.is_current:
        _make_current(actor, t)
    after = _snapshot(t)
    moved = before["is_current"] != after["is_current"]
    record_audit(actor, "stat_target", t.id, "update", _state(before["is_current"]) if moved else None,
                 _state(after["is_current"]) if moved else None, _changes(before, after),
                 {"before": before, "after": after})
    return t


def delete_target(actor, t: StatTarget) -> None:
    _require_manage(actor, t.scope)
    record_audit(actor, "stat_target", t.id, "delete", _state(t.is_current), None,
                 f"删除 {_yuan_text(t.value)}（{t.source}）"[:1000], {"before": _snapshot(t)})
    db.session.delete(t)
    db.session.flush()


def targets_in_scope(actor, year: int | None = None) -> list[StatTarget]:
    """The targets an administrator maintains (provincial centre: all; a city centre: its city and its
    counties), newest year first, the current version of each first."""
    if not policy.manages_targets(actor):
        raise Forbidden("目标由省级中心和设区市中心管理员维护")
    q = select(StatTarget).where(policy.target_scope_condition(actor))
    if year is not None:
        q = q.where(StatTarget.year == _check_year(year))
    return db.session.scalars(
        q.order_by(StatTarget.year.desc(), StatTarget.scope, StatTarget.indicator, StatTarget.is_current.desc(),
                   StatTarget.id.desc())
    ).all()


def target_trail(actor, t: StatTarget) -> list:
    """A target's audit history, for those who maintain it."""
    from ..core.models import audit_trail

    _require_manage(actor, t.scope)
    return audit_trail("stat_target", t.id)


def dump_target(t: StatTarget) -> dict:
    return TargetOut().dump(t)


def dump_targets(items) -> list[dict]:
    return TargetOut(many=True).dump(items)
