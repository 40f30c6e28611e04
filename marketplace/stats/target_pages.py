"""The targets page (/stats/targets): administrators list, add, edit and delete the targets of their scope
(provincial centre: the province, every city and county; a city centre: its city and its counties).

Thin, like the API beside it (views.py): the same service functions (service.create_target, update_target,
delete_target: the scope rule, the versions, the audit trail). The page only turns its form into the
service's input — the value typed in 亿元, 万元 or 元 becomes yuan, a county goes under its city — and shows
the service's field errors next to the fields, with what was typed kept."""

from datetime import date
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..core import money
from ..core.errors import AppError, Forbidden, ValidationFailed
from ..core.vocab import CITIES
from ..core.web import actor, attempt, int_arg
from . import permissions as policy
from . import service
from .models import COUNT_INDICATORS, INDICATOR, PROVINCE
from .views import bp

UNITS = {"亿元": Decimal("100000000"), "万元": Decimal("10000"), "元": Decimal("1"), "项": Decimal("1")}
COUNT_UNIT = "项"  # the unit of count indicators (models.COUNT_INDICATORS: 活动促成签约项数)
YI = UNITS["亿元"]


def _admin():
    a = actor()
    if not policy.manages_targets(a):
        raise Forbidden("目标由省级中心和设区市中心管理员维护")
    return a


def _yuan(raw: str, unit: str) -> str | None:
    """The typed value in yuan (a string the schema reads), or a field error on `value`."""
    raw = (raw or "").strip()
    if unit not in UNITS:
        raise ValidationFailed("单位应为：亿元、万元、元", {"value": "单位应为：亿元、万元、元"})
    if not raw or unit in ("元", COUNT_UNIT):
        return raw or None
    try:
        amount = money.parse_decimal(raw, 10, label="目标值", example="1000 或 92.5")
    except money.MoneyError as exc:
        raise ValidationFailed(str(exc), {"value": str(exc)}) from None
    yuan = amount * UNITS[unit]
    if yuan != yuan.quantize(Decimal("0.01")):
        raise ValidationFailed("目标值折合成元最多两位小数（到分）", {"value": "折合成元最多两位小数（到分）"})
    return f"{yuan:.2f}"


def _scope(city: str, county: str) -> str | None:
    city, county = (city or "").strip(), (county or "").strip()
    if county:
        if city not in CITIES:
            raise ValidationFailed("县级市须选择所属设区市", {"county": "请先选择所属设区市"})
        return f"{city}/{county.removesuffix('市')}"
    return city or None


def _check_unit(indicator: str, unit: str) -> None:
    """A count indicator is typed in 项, an amount in 亿元/万元/元."""
    if (indicator in COUNT_INDICATORS) != (unit == COUNT_UNIT):
        msg = (f"“{indicator}”按项数计，单位请选“项”" if indicator in COUNT_INDICATORS
               else "单位“项”只用于按项数计的指标（" + "、".join(COUNT_INDICATORS) + "）")
        raise ValidationFailed(msg, {"value": msg})


def _input(form, *, new: bool, indicator: str | None = None) -> dict:
    """The service's input from the form (same keys as the JSON API)."""
    _check_unit((form.get("indicator", "") or INDICATOR) if new else indicator, form.get("unit", "亿元"))
    data = {"value": _yuan(form.get("value", ""), form.get("unit", "亿元")),
            "source": form.get("source", ""), "note": form.get("note", ""),
            "is_current": "is_current" in form}
    if new:
        data["year"] = _int(form.get("year"))
        data["scope"] = _scope(form.get("scope", ""), form.get("county", ""))
        data["indicator"] = form.get("indicator", "") or INDICATOR
    return data


def _int(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else (raw or None)


def _errors(exc: AppError, new: bool) -> dict:
    """Field messages for the form; a refusal of the scope (403) is shown at the scope field."""
    errors = dict(exc.fields or {})
    if "year" in errors and not new:
        errors.pop("year")
    if not errors:
        errors = {"scope" if new else "_form": exc.message}
    return errors


def _page(a, year, values=None, errors=None, status=200):
    items = service.targets_in_scope(a, year)
    by_year = {}
    for t in items:
        by_year.setdefault(t.year, []).append(t)
    years = sorted({t.year for t in service.targets_in_scope(a)} | ({year} if year else set()), reverse=True)
    defaults = {"year": str(year or date.today().year), "unit": "亿元", "indicator": INDICATOR, "is_current": True,
                "scope": "" if policy.target_scopes(a)[0] == PROVINCE else policy.target_scopes(a)[0]}
    return render_template("stats/targets.html", by_year=by_year, year=year, years=years,
                           scopes=policy.target_scopes(a), values=values or defaults, errors=errors or {},
                           units=list(UNITS), yi=_yi, yuan=_yuan_text, scope_label=_scope_label, show=show,
                           counted=COUNT_INDICATORS), status


def _yi(value) -> str:
    """亿元 for reading (to 1万元); the form and the 元 column keep the exact figure."""
    return f"{(Decimal(value) / YI).quantize(Decimal('0.0001')).normalize():,f}"


def show(t) -> str:
    """A target's value as people read it: 1,000 亿元, or 30 项 for a count indicator."""
    if t.indicator in COUNT_INDICATORS:
        return f"{int(Decimal(t.value)):,} {COUNT_INDICATORS[t.indicator]}"
    return f"{_yi(t.value)} 亿元"


def _yuan_text(value) -> str:
    return f"{Decimal(value):,.2f}"


def _scope_label(scope: str) -> str:
    return "全省" if scope == PROVINCE else scope.replace("/", " · ")


@bp.get("/targets")
@login_required
def targets_page():
    a = _admin()
    return _page(a, int_arg("year", None, lo=1900, hi=2999))


@bp.post("/targets")
@login_required
def targets_create():
    a = _admin()
    values = request.form.to_dict()
    values.pop("csrf_token", None)
    values["is_current"] = "is_current" in request.form
    try:
        t = service.create_target(a, _input(request.form, new=True))
    except AppError as exc:
        flash(exc.message, "error")
        return _page(a, None, values, _errors(exc, True), exc.status)
    flash(f"已添加 {t.year} 年{_scope_label(t.scope)}的目标：{show(t)}", "success")
    return redirect(url_for("stats.targets_page", year=t.year))


def _detail(a, t, values=None, errors=None, status=200):
    trail = service.target_trail(a, t)
    if values is None:
        counted = t.indicator in COUNT_INDICATORS
        values = {"value": f"{int(Decimal(t.value))}" if counted else f"{(Decimal(t.value) / YI).normalize():f}",
                  "unit": COUNT_UNIT if counted else "亿元", "source": t.source, "note": t.note or "",
                  "is_current": t.is_current}
    return render_template("stats/target.html", t=t, trail=trail, values=values, errors=errors or {},
                           units=list(UNITS), yi=_yi, yuan=_yuan_text, scope_label=_scope_label, show=show,
                           counted=COUNT_INDICATORS), status


@bp.get("/targets/<int:target_id>")
@login_required
def target_page(target_id):
    a = _admin()
    return _detail(a, service.get_target(target_id))


@bp.post("/targets/<int:target_id>")
@login_required
def target_update(target_id):
    a = _admin()
    t = service.get_target(target_id)
    values = request.form.to_dict()
    values.pop("csrf_token", None)
    values["is_current"] = "is_current" in request.form
    try:
        service.update_target(a, t, _input(request.form, new=False, indicator=t.indicator))
    except AppError as exc:
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        return _detail(a, t, values, _errors(exc, False), exc.status)
    flash(f"已保存：{t.year} 年{_scope_label(t.scope)}目标 {show(t)}"
          + ("（现行目标）" if t.is_current else ""), "success")
    return redirect(url_for("stats.target_page", target_id=t.id))


@bp.post("/targets/<int:target_id>/delete")
@login_required
def target_delete(target_id):
    a = _admin()
    t = service.get_target(target_id)
    year, label = t.year, f"{t.year} 年{_scope_label(t.scope)}目标 {show(t)}"
    if attempt(lambda: service.delete_target(a, t)):
        flash(f"已删除：{label}", "success")
        return redirect(url_for("stats.targets_page", year=year))
    return redirect(url_for("stats.target_page", target_id=target_id))
