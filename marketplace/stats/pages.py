"""Statistics pages: administrators' dashboards (charts + the same figures as tables + Excel), the printable
monthly report, the institution ranking (榜单) with its freeze / publish workflow, and the home page figures.

Thin: figures come from service.py (scoped to the actor there) and ranking.py; this module only shapes them
into tables. Each chart on a page is drawn by static/js/charts.js from the table beside it (data-* values in
yuan), so a chart can never show a figure that its table, the Excel file and the JSON API do not.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook

from ..core.errors import BadRequest, Forbidden
from ..core.permissions import is_admin
from ..core.vocab import CITIES
from ..core.web import actor, attempt
from ..core.xlsx_safe import append_row, send_workbook
from . import index, ranking
from . import service
from .models import KINDS
from .views import bp

WAN = Decimal("10000")
YI = Decimal("100000000")
CENT = Decimal("0.01")
MONTHS = range(1, 13)
PERIODS = {"": "全年", "q1": "一季度", "q2": "二季度", "q3": "三季度", "q4": "四季度", "h1": "上半年", "h2": "下半年",
           **{f"m{m}": f"{m}月" for m in MONTHS}}
PERIOD_MONTHS = {"": (1, 12), "q1": (1, 3), "q2": (4, 6), "q3": (7, 9), "q4": (10, 12), "h1": (1, 6), "h2": (7, 12),
                 **{f"m{m}": (m, m) for m in MONTHS}}
BREAKDOWNS = {  # by → (title, chart type)
    "city": ("按设区市", "map"),
    "kind": ("按合同类型", "pie"),
    "industry": ("按产业", "hbar"),
    "field": ("按技术领域", "hbar"),
    "seller_type": ("按卖方类型", "pie"),
    "flow": ("输出与吸纳", "compare"),
}


# Formatting (Decimal in, text out; the raw yuan stays in data-value) ------------------------------------------

def dec(value) -> Decimal:
    return Decimal(str(value or "0"))


def wan(value) -> str:
    return f"{(dec(value) / WAN).quantize(CENT, ROUND_HALF_UP):,}"


def yi(value) -> str:
    return f"{(dec(value) / YI).quantize(CENT, ROUND_HALF_UP):,}"


def pct(num, den) -> Decimal | None:
    den = dec(den)
    if den == 0:
        return None
    return (dec(num) * 100 / den).quantize(Decimal("0.1"), ROUND_HALF_UP)


def pct_text(value) -> str:
    return "—" if value is None else f"{value}%"


def cell(value, text=None, kind="yuan") -> dict:
    """A table cell: `value` raw (yuan as a string, a count, a percent) for charts.js and Excel, `text` shown."""
    if text is None:
        text = wan(value) if kind == "yuan" else ("—" if value is None else (pct_text(value) if kind == "pct"
                                                                             else f"{value:,}"))
    return {"value": "" if value is None else str(value), "text": text, "kind": kind}


# Arguments -------------------------------------------------------------------------------------------------

def _year() -> int:
    return ranking.year_arg(request.args.get("year"))


def _choice(name, allowed):
    value = request.args.get(name) or ""
    if value and value not in allowed:
        raise BadRequest(f"{name} 应为：" + "、".join(v for v in allowed if v))
    return value


def _filters(view_level: str) -> dict:
    """Dashboard filters: period (a named part of the year), city (provincial centre only: a city centre always
    sees its own city), kind."""
    period = _choice("period", PERIODS)
    out = {"period": period}
    city = _choice("city", CITIES) if view_level == "province" else ""
    kind = _choice("kind", KINDS)
    if city:
        out["city"] = city
    if kind:
        out["kind"] = kind
    return out


def _service_filters(filters: dict) -> dict | None:
    """The service's filters: city, kind, period as a month range "1-6"."""
    f = {k: filters[k] for k in ("city", "kind") if filters.get(k)}
    months = filters.get("months") or (PERIOD_MONTHS[filters["period"]] if filters.get("period") else None)
    if months:
        f["period"] = f"{months[0]}-{months[1]}"
    return f or None


def _require_admin():
    a = actor()
    if not is_admin(a):
        raise Forbidden("统计看板仅对管理员开放（省级中心、设区市中心、高校院所中心）")
    return a


# Tables -------------------------------------------------------------------------------------------------------

def _money_cols():
    return [("count", "项数", "int"), ("amount", "合同成交额（万元）", "yuan"), ("tech_amount", "技术交易额（万元）", "yuan"),
            ("received", "到账（万元）", "yuan")]


def _row_cells(r: dict) -> dict:
    return {"count": cell(r["count"], kind="int"), "amount": cell(r["amount"]),
            "tech_amount": cell(r["tech_amount"]), "received": cell(r["received"])}


def breakdown_table(a, year, by, filters) -> dict:
    data = service.contract_stats(a, year, by, _service_filters(filters))
    title, chart = BREAKDOWNS[by]
    total_amount = dec(data["total"]["amount"])
    cols = [("label", "分组", "text")] + _money_cols() + [("share", "占成交额", "pct")]
    notes = flow_notes(a, filters) if by == "flow" else {}
    rows = []
    for r in data["rows"]:
        cells = _row_cells(r)
        cells["share"] = cell(pct(r["amount"], total_amount), kind="pct")
        rows.append({"key": r["key"], "label": r.get("label") or r["key"], "cells": cells,
                     "note": notes.get(r["key"])})
    # Every breakdown, the flow too, puts each contract in exactly one row (service.py: 输出, 吸纳 and 省内/市内
    # do not overlap), so the rows add up to the total.
    total = _row_cells(data["total"])
    total["share"] = cell(Decimal("100.0") if total_amount else None, kind="pct")
    return {"id": f"t-{by}", "by": by, "title": title, "chart": chart, "cols": cols, "rows": rows, "total": total,
            "api": url_for("api.stats.contracts_api", year=year, by=by, **_api_filters(filters))
            if _has_api() else None}


FLOW_NOTES = {
    "province": {"out": "江西卖方卖给省外买方", "in": "江西买方从省外卖方购买", "local": "买卖双方都在江西省内"},
    "city": {"out": "本市卖方卖给市外买方", "in": "本市买方从市外卖方购买", "local": "买卖双方都在本市"},
    "institution": {"out": "本单位卖给省外买方", "local": "本单位卖给省内买方"},
}


def flow_notes(a, filters: dict | None = None) -> dict:
    """One line under each row of the flow table: which contracts it counts (as service.py defines them). A
    provincial administrator filtering one city sees that city's flow."""
    from .permissions import view_of
    level = view_of(a).level
    if level == "province" and (filters or {}).get("city"):
        level = "city"
    return FLOW_NOTES.get(level, FLOW_NOTES["province"])


def _has_api() -> bool:
    from flask import current_app
    return "api.stats.contracts_api" in current_app.view_functions


def _api_filters(filters: dict) -> dict:
    """The same filters as query arguments of /api/v1/stats/contracts."""
    return _service_filters(filters) or {}


def month_table(a, year, filters) -> dict:
    """成交额 by month with the cumulative sum, the pace line (the year's target spread evenly over the
    months), last year's month and the change."""
    data = service.contract_stats(a, year, "month", _service_filters(filters))
    before = service.contract_stats(a, year - 1, "month", _service_filters(filters))
    target = data.get("target")
    target_value = dec(target["value"]) if target else None
    prev = {str(r["key"]): r for r in before["rows"]}
    got = {str(r["key"]): r for r in data["rows"]}
    lo, hi = PERIOD_MONTHS[filters.get("period", "")]
    zero = {"count": 0, "amount": "0.00", "tech_amount": "0.00", "received": "0.00"}
    cols = [("label", "月份", "text")] + _money_cols() + [
        ("cumulative", "累计成交额（万元）", "yuan"), ("pace", "目标进度线（万元）", "yuan"),
        ("previous", f"{year - 1}年同月（万元）", "yuan"), ("yoy", "同比", "pct")]
    rows, running = [], Decimal(0)
    for m in MONTHS:
        if not lo <= m <= hi:
            continue
        key = _month_key(got, m)
        r = got.get(key) or {**zero}
        p = prev.get(_month_key(prev, m)) or zero
        running += dec(r["amount"])
        cells = _row_cells(r)
        cells["cumulative"] = cell(f"{running:.2f}")
        pace = (target_value * m / 12).quantize(CENT, ROUND_HALF_UP) if target_value is not None else None
        cells["pace"] = cell(None if pace is None else f"{pace:.2f}", text="—" if pace is None else wan(pace))
        cells["previous"] = cell(p["amount"])
        change = pct(dec(r["amount"]) - dec(p["amount"]), p["amount"])
        cells["yoy"] = cell(change, kind="pct")
        rows.append({"key": str(m), "label": f"{m}月", "cells": cells})
    total = _row_cells(data["total"])
    total["previous"] = cell(before["total"]["amount"])
    total["yoy"] = cell(pct(dec(data["total"]["amount"]) - dec(before["total"]["amount"]), before["total"]["amount"]),
                        kind="pct")
    return {"id": "t-month", "by": "month", "title": "月度成交额", "chart": "cumulative", "cols": cols, "rows": rows,
            "total": total, "target": target, "target_value": target_value,
            "api": url_for("api.stats.contracts_api", year=year, by="month", **_api_filters(filters))
            if _has_api() else None}


def _month_key(rows: dict, m: int) -> str:
    """The service's month key may be "3", "03" or "2025-03": find the row of month m whichever it is."""
    for key in rows:
        tail = key.rsplit("-", 1)[-1]
        if tail.isdigit() and int(tail) == m:
            return key
    return str(m)


def targets_table(a, year) -> dict:
    data = service.city_targets_ranking(a, year)
    rows = []
    for r in data["rows"]:
        t = r.get("target")
        share = None if r.get("share") is None else (dec(r["share"]) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        rows.append({"key": r["city"], "label": r["city"], "cells": {
            "rank": cell(r.get("rank"), text="—" if r.get("rank") is None else None, kind="int"),
            "amount": cell(r["amount"]),
            "target": cell(t["value"] if t else None, text=None if t else "未设目标"),
            "share": cell(share, kind="pct"),
            "source": cell(None, text=t["source"] if t else "—", kind="text")}})
    cols = [("label", "设区市", "text"), ("rank", "名次", "int"), ("amount", "成交额（万元）", "yuan"),
            ("target", "目标（万元）", "yuan"), ("share", "完成率", "pct"), ("source", "目标来源", "text")]
    return {"id": "t-targets", "by": "targets", "title": "各设区市目标完成情况（按完成率排名）", "chart": "pctbar",
            "cols": cols, "rows": rows, "total": None, "api": None}


def dashboard_tables(a, year, filters, level) -> list[dict]:
    tables = [month_table(a, year, filters)]
    tables += [breakdown_table(a, year, by, filters) for by in BREAKDOWNS]
    if level in ("province", "city"):  # institutions have no city targets
        tables.append(targets_table(a, year))
    return tables


# The outcomes of challenges, events and bookings (outcomes.py), for the provincial and city centres --------------

HOURS = Decimal("0.01")
OUTCOME_TABLES = {  # by → (title, columns (key, label, kind), chart columns)
    "challenges": ("揭榜挂帅（按发布年度）", [
        ("posted", "发布榜单", "int"), ("bounty", "悬赏金额（万元）", "yuan"), ("applications", "揭榜方案", "int"),
        ("solved", "已验收解决", "int")], "posted,applications,solved"),
    "events": ("路演与对接活动（按举办年度）", [
        ("held", "举办活动", "int"), ("attendees", "签到参会", "int"), ("interests", "合作意向", "int"),
        ("introductions", "转为撮合", "int"), ("contracts", "促成签约", "int"),
        ("contract_value", "签约金额（万元）", "yuan")], "interests,introductions,contracts"),
    "bookings": ("服务资源预约（按预约时段年度）", [
        ("booked_hours", "预约机时（小时）", "hours"), ("used_hours", "使用机时（小时）", "hours"),
        ("uses", "服务次数", "int"), ("customers", "服务客户", "int"), ("income", "服务收入（万元）", "yuan")],
        "booked_hours,used_hours"),
}


def _outcome_cell(value, kind) -> dict:
    if kind == "yuan":
        return cell(f"{dec(value):.2f}")
    if kind == "hours":
        v = dec(value).quantize(HOURS)
        return cell(f"{v:.2f}", text=f"{v:,}", kind="hours")
    return cell(int(value), kind="int")


def outcome_tables(a, year, filters) -> list[dict]:
    """The three domains' figures for the year by city (province: every city, or the one filtered; a city
    centre: its own), as dashboard tables. The period and contract-kind filters do not apply (whole year)."""
    from . import outcomes
    data = outcomes.figures(a, year, filters.get("city") or None)
    tables = []
    for by, (title, cols, chart_cols) in OUTCOME_TABLES.items():
        part = data[by]
        rows = [{"key": r["city"] or "_none", "label": r["label"],
                 "cells": {k: _outcome_cell(r[k], kind) for k, _, kind in cols}} for r in part["rows"]]
        total = {k: _outcome_cell(part["total"][k], kind) for k, _, kind in cols}
        tables.append({"id": f"t-{by}", "by": by, "title": title, "chart": "hbar", "chart_cols": chart_cols,
                       "cols": [("label", "设区市", "text")] + cols, "rows": rows, "total": total, "api": None,
                       "figures": part})
    target = data["target"]
    done = data["events"]["total"]["contracts"]
    tables[1]["target"] = None if target is None else {
        **target, "count": int(dec(target["value"])), "done": done, "share": pct(done, target["value"])}
    tables[2]["note"] = "服务客户合计按单位去重（同一单位在两个设区市接受服务只计一次）。" \
        if len(data["bookings"]["rows"]) > 1 else None
    return tables


def _tiles(a, year, month_t) -> list[dict]:
    s = service.year_summary(a, year)
    total = month_t["total"]
    tv = month_t["target_value"]
    amount = dec(total["amount"]["value"])
    tiles = [
        {"label": "合同成交额", "value": yi(amount), "unit": "亿元", "id": "tile-amount"},
        {"label": "技术交易额", "value": yi(total["tech_amount"]["value"]), "unit": "亿元", "id": "tile-tech"},
        {"label": "到账金额", "value": yi(total["received"]["value"]), "unit": "亿元", "id": "tile-received"},
        {"label": "登记合同", "value": f"{int(total['count']['value']):,}", "unit": "项", "id": "tile-count"},
        {"label": "目标完成率", "value": pct_text(pct(amount, tv)) if tv else "未设目标", "unit": "",
         "id": "tile-share", "note": f"目标 {yi(tv)} 亿元" if tv else ""},
    ]
    prev = total["previous"]["value"]
    tiles.append({"label": "同比", "value": pct_text(total["yoy"]["value"] and Decimal(total["yoy"]["value"])),
                  "unit": "", "id": "tile-yoy", "note": f"上年 {yi(prev)} 亿元"})
    for key, label, unit in _SUMMARY_COUNTS:
        value = _dig(s, key)
        if value is not None:
            tiles.append({"label": label, "value": f"{value:,}" if isinstance(value, int) else str(value),
                          "unit": unit, "id": "tile-" + key.replace(".", "-"), "minor": True})
    return tiles


# year_summary's other counts, where the site holds the data (the reform plan's figures).
_SUMMARY_COUNTS = [
    ("counts.usefirst_listed", "先用后转挂牌", "项"), ("counts.usefirst_converted", "先用后转已转化", "项"),
    ("counts.major_projects", "重大项目签约", "项"), ("counts.brokers", "登记技术经纪人", "人"),
    ("counts.events", "举办活动", "场"), ("counts.demands_collected", "征集技术需求", "项"),
]


def _dig(d, dotted):
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def _sheet(wb, table, first: bool, heading: list):
    ws = wb.active if first else wb.create_sheet()
    ws.title = table["title"][:31].replace("（", "(").replace("）", ")")
    append_row(ws, heading)
    append_row(ws, [c[1] for c in table["cols"]])

    def value(c, kind):
        if kind == "yuan":  # the sheet says 万元, like the page
            return None if c["value"] == "" else (dec(c["value"]) / WAN).quantize(Decimal("0.000001"))
        if kind in ("int", "pct", "hours"):
            return None if c["value"] == "" else int(c["value"]) if kind == "int" else dec(c["value"])
        return c["text"]
    for r in table["rows"]:
        append_row(ws, [r["label"]] + [value(r["cells"][k], kind) for k, _, kind in table["cols"][1:]])
    if table.get("total"):
        t = table["total"]
        append_row(ws, ["合计"] + [value(t[k], kind) if k in t else None for k, _, kind in table["cols"][1:]])
    return ws


# Pages --------------------------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def dashboard():
    a = _require_admin()
    year = _year()
    from .permissions import view_of
    v = view_of(a)
    filters = _filters(v.level)
    tables = dashboard_tables(a, year, filters, v.level)
    tiles = _tiles(a, year, tables[0])
    outcome = outcome_tables(a, year, filters) if v.level in ("province", "city") else []
    return render_template("stats/dashboard.html", year=year, view=v, filters=filters, tables=tables, tiles=tiles,
                           outcome_tables=outcome,
                           periods=PERIODS, cities=CITIES, kinds=KINDS, years=_years(year),
                           map_url=url_for("static", filename="vendor/maps/jiangxi.json"))


def _years(year):
    this = date.today().year
    return list(range(this + 1, min(year, this) - 11, -1))


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    a = _require_admin()
    year = _year()
    from .permissions import view_of
    v = view_of(a)
    filters = _filters(v.level)
    which = request.args.get("table", "all")
    if which in (*OUTCOME_TABLES, "outcomes"):  # the three domains' tables: one each, or all three
        if v.level not in ("province", "city"):
            raise Forbidden("揭榜挂帅、路演活动和服务预约的统计仅对省级中心和设区市中心管理员开放")
        tables = outcome_tables(a, year, filters)
        chosen = [t for t in tables if which in ("outcomes", t["by"])]
    else:
        tables = dashboard_tables(a, year, filters, v.level)
        chosen = [t for t in tables if which in ("all", t["id"], t["by"])]
    if not chosen:
        raise BadRequest("table 应为：all、outcomes、" + "、".join(t["by"] for t in tables) + "、"
                         + "、".join(OUTCOME_TABLES))
    heading = [f"{year}年 技术合同统计", v.label, PERIODS[filters["period"]],
               filters.get("city", ""), filters.get("kind", "")]
    wb = Workbook()
    for i, t in enumerate(chosen):
        _sheet(wb, t, i == 0, heading)
    suffix = "全部" if len(chosen) > 1 else chosen[0]["title"]
    return send_workbook(wb, f"技术合同统计-{year}-{suffix}.xlsx")


@bp.get("/report")
@login_required
def report():
    """The printable monthly report: the month and the year to date, against the target."""
    a = _require_admin()
    year = _year()
    today = date.today()
    default_month = today.month if year == today.year else 12
    try:
        month = int(request.args.get("month") or default_month)
    except ValueError:
        raise BadRequest("month 应为 1–12") from None
    if month not in MONTHS:
        raise BadRequest("month 应为 1–12")
    from .permissions import view_of
    v = view_of(a)
    ytd = {"period": "", "months": (1, month)}
    this_month = {"period": f"m{month}"}
    months = month_table(a, year, {"period": ""})
    row = next(r for r in months["rows"] if r["key"] == str(month))
    cum = dec(row["cells"]["cumulative"]["value"])
    tv = months["target_value"]
    pace = dec(row["cells"]["pace"]["value"]) if tv else None
    ytd_tables = [breakdown_table(a, year, by, ytd) for by in ("city", "kind", "seller_type", "flow")]
    month_tables = [breakdown_table(a, year, by, this_month) for by in ("kind",)]
    for t in ytd_tables:
        t["title"] = f"1–{month}月累计 · {t['title']}"
    for t in month_tables:
        t["title"] = f"{month}月 · {t['title']}"
    summary = {"month": row, "cumulative": cum, "target": tv, "pace": pace,
               "share": pct(cum, tv) if tv else None, "pace_share": pct(cum, pace) if pace else None,
               "previous_cum": sum((dec(r["cells"]["previous"]["value"]) for r in months["rows"]
                                    if int(r["key"]) <= month), Decimal(0))}
    summary["yoy"] = pct(cum - summary["previous_cum"], summary["previous_cum"])
    targets = targets_table(a, year) if v.level in ("province", "city") else None
    return render_template("stats/report.html", year=year, month=month, view=v, summary=summary,
                           months=months, tables=month_tables + ytd_tables, targets=targets, wan=wan, yi=yi,
                           pct_text=pct_text, today=today)


# The ranking (榜单) -----------------------------------------------------------------------------------------

@bp.get("/ranking")
def ranking_page():
    a = actor()
    year = _year()
    data = ranking.view(a, year)
    return render_template("stats/ranking.html", data=data, year=year, components=index.COMPONENTS, bonus=index.BONUS,
                           years=_years(year), fmt=_fmt_component, wan=wan)


def _fmt_component(row: dict, key: str) -> str:
    s = row["scores"].get(key)
    return "不计" if s is None else s


@bp.get("/ranking.xlsx")
def ranking_xlsx():
    a = actor()
    year = _year()
    data = ranking.view(a, year)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年转化指数"
    append_row(ws, [f"{year}年 高校院所科技成果转化指数", data["status_label"]])
    if data["rows"]:
        append_row(ws, ["名次", "单位", "设区市", "转化指数"])
        for r in data["rows"]:
            append_row(ws, [r["rank"], r["name"], r.get("city") or "", Decimal(r["index"])])
        ws = wb.create_sheet("指标明细")
    if data["detail"]:
        keys = list(index.COMPONENTS)
        append_row(ws, ["名次", "单位", "转化指数"] + [index.COMPONENTS[k][0] + "（得分）" for k in keys]
                   + [index.BONUS[k][0] + "（加分）" for k in index.BONUS]
                   + [f"{m}项数" for m in index.MODES] + [f"{m}金额（元）" for m in index.MODES]
                   + ["合同成交额（元）", "到账（元）", "团队奖励比例（%）", "先用后转到期", "挂牌", "试用", "许可"])
        for r in data["detail"]:
            f = r["figures"]
            append_row(ws, [r["rank"], r["name"], Decimal(r["index"])]
                       + [None if r["scores"].get(k) is None else Decimal(r["scores"][k]) for k in keys]
                       + [None if r["scores"].get(k) is None else Decimal(r["scores"][k]) for k in index.BONUS]
                       + [f["by_mode"][m]["count"] for m in index.MODES]
                       + [Decimal(f["by_mode"][m]["amount"]) for m in index.MODES]
                       + [Decimal(f["amount"]), Decimal(f["received"]),
                          None if f["team_percent"] is None else Decimal(f["team_percent"])]
                       + [f["usefirst"][k] for k in ("eligible", "listed", "trialled", "licensed")])
    elif not data["rows"]:
        append_row(ws, ["该年度榜单尚未发布"])
    ws = wb.create_sheet("计算方法")
    append_row(ws, ["指标", "类型", "定义", "权重（%）"])
    for f in data["formula"]:
        append_row(ws, [f["label"], f["kind"], f["definition"], f["weight"]])
    for b in data["bonus"]:
        append_row(ws, [b["label"], b["kind"], b["definition"], b["points"]])
    return send_workbook(wb, f"转化指数榜单-{year}.xlsx")


@bp.post("/ranking/<int:year>/<any(freeze, publish):action>")
@login_required
def ranking_act(year, action):
    a = actor()
    year = ranking.year_arg(year)
    if action == "freeze":
        if attempt(lambda: ranking.freeze(a, year)):
            flash(f"{year} 年榜单已冻结，可核对后发布", "success")
    elif attempt(lambda: ranking.publish(a, year, request.form.get("note"))):
        flash(f"{year} 年榜单已发布", "success")
    return redirect(url_for("stats.ranking_page", year=year))


# The home page's figures ------------------------------------------------------------------------------------

def public_figures(year: int | None = None) -> dict:
    """This year's 技术合同成交额 for the public home page (the province's total, as anonymous visitors may see)."""
    from flask_login import AnonymousUserMixin
    year = year or date.today().year
    data = service.contract_stats(AnonymousUserMixin(), year, "month", None)
    total = data["total"]
    return {"year": year, "amount_yi": yi(total["amount"]), "count": total["count"]}
