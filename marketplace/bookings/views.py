"""服务预约 pages and JSON API. Thin: parse, call services.py with the actor, render or serialise."""
from datetime import date, timedelta
from decimal import Decimal

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook
from openpyxl.styles import Font

from ..core.errors import AppError, BadRequest, Forbidden, ValidationFailed
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.web import actor, form_dict, int_arg, json_body, refuse, require_login
from ..core.workflow import HistoryOut
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import calc, permissions as policy, services as svc
from .models import KIND_UNITS, KINDS, POLICIES, SLOT_MINUTES, STATUSES, WEEKDAYS
from .schemas import booking_dict, service_dict, slot_dict

bp = Blueprint("bookings", __name__)
api = Blueprint("bookings", __name__)
PER_PAGE = 20
SCOPES = ("all", "mine", "owner")
ACTION_LABELS = {"approve": "确认预约", "reject": "驳回", "cancel": "取消预约", "owner-cancel": "取消预约（运营方）",
                 "record-usage": "登记使用情况", "amend-usage": "更正使用记录", "rate": "评价服务"}
DONE = {"approve": "已确认预约", "reject": "已驳回预约", "cancel": "已取消预约", "owner-cancel": "已取消预约",
        "record-usage": "已登记使用情况", "amend-usage": "已更正使用记录", "rate": "感谢评价"}


@bp.app_template_global("bookable_services_of")
def bookable_services_of(resource):
    """The bookable services a visitor sees on a resource's page (templates/bookings/_resource_panel.html)."""
    return svc.services_of(actor(), resource)


def _args():
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadRequest("status 不在可选范围内", {"status": "可选：" + "、".join(STATUSES)})
    scope = request.args.get("scope") or "all"
    if scope not in SCOPES:
        raise BadRequest("scope 应为 all、mine 或 owner", {"scope": "可选：all、mine、owner"})
    return status, scope, int_arg("year", lo=2000, hi=2999)


def _year() -> int:
    return int_arg("year", calc.local_now().year, lo=2000, hi=2999)


def _day(value) -> date:
    if not value:
        return calc.local_now().date()
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest("date 日期格式应为 YYYY-MM-DD", {"date": "格式应为 YYYY-MM-DD"}) from None
    if not 2000 <= day.year <= 2999:
        raise BadRequest("date 应在 2000 到 2999 年之间", {"date": "超出范围"})
    return day


# JSON API -------------------------------------------------------------------------------------------------

@api.get("/services/<int:resource_id>/bookable")
def bookable_list_api(resource_id):
    resource = svc.get_resource(actor(), resource_id)
    items = [service_dict(s) for s in svc.services_of(actor(), resource)]
    return jsonify({"items": items})


@api.post("/services/<int:resource_id>/bookable")
def bookable_create_api(resource_id):
    require_login()
    s = svc.save_service(actor(), svc.get_resource(actor(), resource_id), json_body())
    return jsonify(service_dict(s)), 201


@api.get("/bookable/<int:service_id>")
def bookable_api(service_id):
    return jsonify(service_dict(svc.get_service(actor(), service_id)))


@api.put("/bookable/<int:service_id>")
def bookable_update_api(service_id):
    require_login()
    s = svc.get_service(actor(), service_id)
    svc.save_service(actor(), s.resource, json_body(), s)
    return jsonify(service_dict(s))


@api.post("/bookable/<int:service_id>/blackouts")
def blackout_add_api(service_id):
    require_login()
    s = svc.get_service(actor(), service_id)
    svc.add_blackout(actor(), s, json_body())
    return jsonify(service_dict(s)), 201


@api.delete("/bookable/<int:service_id>/blackouts/<int:blackout_id>")
def blackout_remove_api(service_id, blackout_id):
    require_login()
    s = svc.get_service(actor(), service_id)
    svc.remove_blackout(actor(), s, blackout_id)
    return jsonify(service_dict(s))


@api.get("/services/<int:resource_id>/slots")
def slots_api(resource_id):
    resource = svc.get_resource(actor(), resource_id)
    day = _day(request.args.get("date"))
    days = int_arg("days", 1, lo=1, hi=7)
    only = int_arg("bookable_id")
    out = []
    for s in svc.services_of(actor(), resource):
        if only and s.id != only:
            continue
        out.append({"id": s.id, "name": s.name, "kind": s.kind, "slot_minutes": s.slot_minutes,
                    "days": [{"date": d.isoformat(), "slots": [slot_dict(x) for x in slots]}
                             for d, slots in svc.calendar(s, day, days)]})
    return jsonify({"date": day.isoformat(), "days": days, "services": out})


def _page_json(stmt):
    page, per_page = page_args(request.args, PER_PAGE)
    found = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return jsonify(envelope(found, [booking_dict(b, svc.available_actions(actor(), b)) for b in found.items]))


@api.get("/services/<int:resource_id>/bookings")
def resource_bookings_api(resource_id):
    require_login()
    resource = svc.get_resource(actor(), resource_id)
    status, scope, year = _args()
    return _page_json(svc.booking_query(actor(), scope=scope, resource_id=resource.id, status=status, year=year))


@api.post("/services/<int:resource_id>/bookings")
def book_api(resource_id):
    require_login()
    resource = svc.get_resource(actor(), resource_id)
    body = json_body()
    sid = body.get("bookable_id")
    s = next((x for x in svc.services_of(actor(), resource) if x.id == sid and not isinstance(sid, bool)), None)
    if s is None:
        raise ValidationFailed("预约服务：该资源没有这项可预约服务", {"bookable_id": "该资源没有这项服务"})
    b = svc.book(actor(), s, body)
    return jsonify(booking_dict(b, svc.available_actions(actor(), b))), 201


@api.get("/bookings")
def bookings_api():
    require_login()
    status, scope, year = _args()
    return _page_json(svc.booking_query(actor(), scope=scope, status=status, year=year))


@api.get("/bookings/<int:booking_id>")
def booking_api(booking_id):
    require_login()
    b = svc.get_booking(actor(), booking_id)
    return jsonify(booking_dict(b, svc.available_actions(actor(), b)))


@api.get("/bookings/<int:booking_id>/history")
def booking_history_api(booking_id):
    require_login()
    b = svc.get_booking(actor(), booking_id)
    return jsonify({"items": HistoryOut(many=True).dump(audit_trail("booking", b.id))})


@api.post("/bookings/<int:booking_id>/<any(approve,reject,cancel,'owner-cancel','record-usage','amend-usage',rate):action>")
def booking_act_api(booking_id, action):
    require_login()
    b = svc.get_booking(actor(), booking_id)
    data = request.get_json(silent=True) if request.data else {}
    if data is None:
        raise BadRequest("请求体不是有效的 JSON")
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 JSON 对象")
    svc.act(actor(), b, action, data)
    return jsonify(booking_dict(b, svc.available_actions(actor(), b)))


@api.get("/services/<int:resource_id>/bookings/report")
def report_api(resource_id):
    require_login()
    return jsonify(svc.report(actor(), svc.get_resource(actor(), resource_id), _year()))


@api.get("/services/<int:resource_id>/bookings/claim.xlsx")
def claim_api(resource_id):
    require_login()
    return _claim_workbook(svc.get_resource(actor(), resource_id), _year())


def _claim_workbook(resource, year):
    a = actor()
    summary = svc.report(a, resource, year)
    rows = svc.claim_rows(a, resource, year)
    wb = Workbook()
    ws = wb.active
    ws.title = "服务记录"
    append_row(ws, [f"{resource.title} {year}年度服务记录（后补助申报）"])
    ws["A1"].font = Font(bold=True)
    append_row(ws, ["运营单位", resource.owner_org.name, "统一社会信用代码", resource.owner_org.uscc or ""])
    append_row(ws, svc.CLAIM_HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)
        r = ws.max_row
        ws.cell(r, 5).number_format = "yyyy-mm-dd"
        for col in (8, 10, 11):
            ws.cell(r, col).number_format = "0.00"
    total = sum((row[10] for row in rows), start=Decimal("0.00"))
    append_row(ws, ["合计", "", "", "", "", "", "", None, None, None, total, "", ""])
    ws.cell(ws.max_row, 11).number_format = "0.00"
    for i, width in enumerate((6, 11, 30, 22, 12, 24, 10, 12, 12, 12, 14, 16, 24), 1):
        ws.column_dimensions[ws.cell(3, i).column_letter].width = width
    t = summary["total"]
    s = wb.create_sheet("年度汇总")
    append_row(s, ["项目", "可用机时（小时）", "已预约机时（小时）", "实际使用机时（小时）", "预约率（%）", "使用率（%）",
                   "服务次数", "样品数", "服务客户数", "服务收入（元）"])
    for r in summary["services"]:
        append_row(s, [r["name"], float(r["available_hours"]), float(r["booked_hours"]), float(r["used_hours"]),
                       r["booked_rate"] or "", r["used_rate"] or "", r["uses"], r["samples"], r["customers"],
                       Decimal(r["income"])])
    append_row(s, ["合计", float(t["available_hours"]), float(t["booked_hours"]), float(t["used_hours"]),
                   t["booked_rate"] or "", t["used_rate"] or "", t["uses"], t["samples"], t["customers"],
                   Decimal(t["income"])])
    return send_workbook(wb, f"{resource.title}-{year}年度服务记录-后补助.xlsx")


# Pages ----------------------------------------------------------------------------------------------------

@bp.get("/bookings")
@login_required
def list_page():
    status, _, year = _args()
    page, per_page = page_args(request.args, PER_PAGE)
    found = db.paginate(svc.booking_query(actor(), scope="mine", status=status, year=year), page=page,
                        per_page=per_page, error_out=False)
    return render_template("bookings/mine.html", page=found, status=status, statuses=STATUSES, kinds=KINDS,
                           counts=svc.counts_for_customer(actor()), now=calc.local_now())


@bp.get("/bookings/queue")
@login_required
def queue_page():
    a = actor()
    status, _, year = _args()
    scope = "all" if a.is_admin else "owner"
    if not a.is_admin and a.role not in policy.OWNER_ROLES:
        raise Forbidden("只有服务资源的运营单位和管理员可以查看预约受理")
    page, per_page = page_args(request.args, PER_PAGE)
    # administrators: every booking in their scope (visible_condition); owners: their own resources' bookings
    stmt = svc.booking_query(a, scope=scope, status=status, year=year)
    found = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template("bookings/queue.html", page=found, status=status, statuses=STATUSES, kinds=KINDS,
                           resources=svc.owned_resources(a), counts=svc.counts_for_owner(a) if not a.is_admin else None,
                           now=calc.local_now())


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id):
    return _detail(svc.get_booking(actor(), booking_id))


def _detail(b, errors=None, values=None, status=200):
    return render_template("bookings/detail.html", b=b, actions=svc.available_actions(actor(), b),
                           labels=ACTION_LABELS, statuses=STATUSES, kinds=KINDS, units=KIND_UNITS,
                           trail=audit_trail("booking", b.id), errors=errors or {}, values=values or {},
                           deadline=calc.cancel_deadline(b.starts_at, b.service.cancel_hours)), status


@bp.post("/bookings/<int:booking_id>/<any(approve,reject,cancel,'owner-cancel','record-usage','amend-usage',rate):action>")
@login_required
def act_page(booking_id, action):
    b = svc.get_booking(actor(), booking_id)
    form = form_dict()
    try:
        svc.act(actor(), b, action, form)
    except AppError as exc:
        if exc.status in (400, 409, 422):
            db.session.rollback()
            b = svc.get_booking(actor(), booking_id)
            flash(exc.message, "error")
            return _detail(b, exc.fields, {**form, "_action": action}, exc.status)
        raise
    flash(DONE[action], "success")
    return redirect(url_for(".detail", booking_id=b.id))


@bp.get("/bookings/resources/<int:resource_id>")
def resource_page(resource_id):
    a = actor()
    resource = svc.get_resource(a, resource_id)
    return render_template("bookings/resource.html", resource=resource, services=svc.services_of(a, resource),
                           owner=policy.owns_resource(a, resource), kinds=KINDS, units=KIND_UNITS, policies=POLICIES,
                           weekdays=WEEKDAYS, can_report=policy.can_view_resource_bookings(a, resource))


def _service_form(resource, service=None):
    a = actor()
    errors, values = {}, {}
    if request.method == "POST":
        form = form_dict()
        data = {k: v for k, v in form.items() if not k.startswith("hours_")}
        data["opening_hours"] = {k: form.get(f"hours_{k}", "") for k in WEEKDAYS}
        data.setdefault("active", "n")
        try:
            s = svc.save_service(a, resource, data, service)
        except AppError as exc:
            if exc.status != 422:
                raise
            db.session.rollback()
            errors, values = exc.fields, form
            flash(exc.message, "error")
        else:
            flash("已保存可预约服务", "success")
            return redirect(url_for(".resource_page", resource_id=resource.id, _anchor=f"svc-{s.id}"))
    elif service is not None:
        values = {"name": service.name, "kind": service.kind, "unit_price": service.unit_price or "",
                  "description": service.description or "", "slot_minutes": str(service.slot_minutes),
                  "policy": service.policy, "cancel_hours": service.cancel_hours,
                  "advance_days": service.advance_days, "active": "y" if service.active else "",
                  **{f"hours_{k}": v for k, v in service.opening_hours.items()}}
    else:
        values = {"slot_minutes": "60", "policy": "approval", "cancel_hours": 24, "advance_days": 60, "active": "y",
                  **{f"hours_{k}": "09:00-12:00,14:00-17:30" for k in "12345"}}
    if not policy.owns_resource(a, resource):
        raise Forbidden("只有该资源的运营单位可以设置预约服务")
    return render_template("bookings/service_form.html", resource=resource, service=service, values=values,
                           errors=errors, kinds=KINDS, units=KIND_UNITS, policies=POLICIES, weekdays=WEEKDAYS,
                           slot_minutes=SLOT_MINUTES), 422 if errors else 200


@bp.route("/bookings/resources/<int:resource_id>/new", methods=["GET", "POST"])
@login_required
def service_new(resource_id):
    return _service_form(svc.get_resource(actor(), resource_id))


@bp.route("/bookings/services/<int:service_id>/edit", methods=["GET", "POST"])
@login_required
def service_edit(service_id):
    s = svc.get_service(actor(), service_id)
    return _service_form(s.resource, s)


@bp.post("/bookings/services/<int:service_id>/blackouts")
@login_required
def blackout_add(service_id):
    s = svc.get_service(actor(), service_id)
    try:
        b = svc.add_blackout(actor(), s, form_dict())
    except AppError as exc:
        if exc.status not in (409, 422):
            raise
        db.session.rollback()
        refuse(exc)
    else:
        flash(f"已将 {b.day} 设为不开放日", "success")
    return redirect(url_for(".resource_page", resource_id=s.resource_id, _anchor=f"svc-{s.id}"))


@bp.post("/bookings/services/<int:service_id>/blackouts/<int:blackout_id>/delete")
@login_required
def blackout_remove(service_id, blackout_id):
    s = svc.get_service(actor(), service_id)
    svc.remove_blackout(actor(), s, blackout_id)
    flash("已取消该不开放日", "success")
    return redirect(url_for(".resource_page", resource_id=s.resource_id, _anchor=f"svc-{s.id}"))


def _calendar_page(s, errors=None, values=None, status=200):
    a = actor()
    view = request.args.get("view") or "week"
    if view not in ("day", "week"):
        raise BadRequest("view 应为 day 或 week")
    day = _day(request.args.get("date"))
    if view == "week":
        day = day - timedelta(days=day.weekday())
    days = svc.calendar(s, day, 7 if view == "week" else 1)
    values = values if values is not None else {"starts_at": request.args.get("start") or "", "slots": "1"}
    step = timedelta(days=7 if view == "week" else 1)
    return render_template("bookings/calendar.html", s=s, days=days, view=view, day=day, prev=day - step,
                           next=day + step, today=calc.local_now().date(), why_not=policy.may_book(a, s),
                           owner=policy.can_manage_service(a, s), values=values, errors=errors or {},
                           kinds=KINDS, units=KIND_UNITS, policies=POLICIES, weekdays=WEEKDAYS), status


@bp.get("/bookings/services/<int:service_id>")
def calendar_page(service_id):
    return _calendar_page(svc.get_service(actor(), service_id))


@bp.post("/bookings/services/<int:service_id>")
@login_required
def book_page(service_id):
    s = svc.get_service(actor(), service_id)
    form = form_dict()
    try:
        b = svc.book(actor(), s, {k: v for k, v in form.items() if k in ("starts_at", "slots", "samples", "purpose",
                                                                           "contact_phone")})
    except AppError as exc:
        if exc.status not in (409, 422):
            raise
        db.session.rollback()
        s = svc.get_service(actor(), service_id)
        flash(exc.message, "error")
        return _calendar_page(s, exc.fields, form, exc.status)
    flash("预约已确认" if b.status == "approved" else "预约已提交，等待运营单位确认", "success")
    return redirect(url_for(".detail", booking_id=b.id))


@bp.get("/bookings/resources/<int:resource_id>/report")
@login_required
def report_page(resource_id):
    resource = svc.get_resource(actor(), resource_id)
    year = _year()
    return render_template("bookings/report.html", resource=resource, r=svc.report(actor(), resource, year),
                           year=year, years=svc.years_of(resource))


@bp.get("/bookings/resources/<int:resource_id>/claim.xlsx")
@login_required
def claim_page(resource_id):
    return _claim_workbook(svc.get_resource(actor(), resource_id), _year())

