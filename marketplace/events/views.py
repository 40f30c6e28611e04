"""路演与对接会: pages (bp) and the JSON API (api, nested under /api/v1). Thin: parse, call the services with the
acting user, render or serialise; the pipeline commits."""
from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from openpyxl import Workbook
from sqlalchemy import select

from ..core import permissions as perm
from ..core.errors import BadRequest, Forbidden
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.vocab import CITIES, INDUSTRIES
from ..core.web import actor, attempt, form_dict, json_body, require_login
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import permissions as policy
from . import services
from .models import INTEREST_STATUSES, KINDS, REGISTRATION_STATUSES, STATUSES
from .schemas import EventOut, InterestOut, ReasonIn, RegistrationOut

bp = Blueprint("events", __name__)
api = Blueprint("events", __name__)
WHEN = {"upcoming": "即将举办", "past": "往期活动"}
FILTER_LABELS = {"when": "时间范围", "kind": "活动类型", "city": "举办城市", "status": "状态"}


def _choice(name, allowed):
    value = (request.args.get(name) or "").strip()
    if value and value not in allowed:
        label = FILTER_LABELS.get(name, name)
        # codes with their Chinese labels: upcoming（即将举办）
        codes = "、".join(f"{k}（{v}）" for k, v in allowed.items()) if isinstance(allowed, dict) else "、".join(allowed)
        raise BadRequest(f"{label}不在可选范围内", {name: "可选：" + codes})
    return value or None


def _body_object() -> dict:
    """An optional JSON body (workflow reason, registration note): absent → {}, anything but an object → 400."""
    if not request.data:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象")
    return body


def _list_args() -> dict:
    return {"when": _choice("when", WHEN) or "upcoming", "kind": _choice("kind", KINDS),
            "city": _choice("city", CITIES)}


def _paginate(stmt, per_page=12):
    page, per = page_args(request.args, per_page)
    return db.paginate(stmt, page=page, per_page=per, error_out=False)


def _root() -> str:
    return request.url_root


# Public pages ---------------------------------------------------------------------------------------------

@bp.get("/events")
def list_page():
    args = _list_args()
    page = _paginate(services.list_query(actor(), **args))
    ids = [e.id for e in page.items]
    seats = {e.id: services.counts(e) for e in page.items}
    return render_template("events/list.html", page=page, args=args, kinds=KINDS, cities=CITIES, when=WHEN,
                           seats=seats, ids=ids, may_create=policy.may_create(actor()),
                           params={k: v for k, v in args.items() if v})


@bp.get("/events/manage")
@login_required
def manage():
    if not perm.is_admin(actor()):
        raise Forbidden("只有科技成果转化中心的管理员可以管理活动")
    page = _paginate(services.list_query(actor(), mine=True))
    return render_template("events/manage.html", page=page, statuses=STATUSES, may_create=policy.may_create(actor()))


@bp.get("/events/<int:event_id>")
def detail(event_id):
    a = actor()
    e = services.get(a, event_id)
    reg = services.own_registration(a, e)
    organiser = policy.is_organiser(a, e)
    return render_template(
        "events/detail.html", e=e, reg=reg, organiser=organiser, counts=services.counts(e),
        outcomes=services.outcomes(e), open=services.registration_open(e), started=services.started(e),
        may_register=policy.may_register(a), may_interest=services.may_mark_interest(a, e, reg) if reg else False,
        interests=services.own_interests(a, e), demands=services.open_demands_of(a.org_id)
        if perm.is_authenticated(a) and a.role == "company" else [],
        actions=services.FLOW.available(a, e), transitions=services.FLOW.transitions,
        position=services.waitlist_position(reg) if reg else None,
        trail=audit_trail("event", e.id) if organiser else [], is_broker=policy.is_event_broker(a, e))


@bp.get("/events/<int:event_id>/agenda")
def agenda(event_id):
    e = services.get(actor(), event_id)
    days: dict = {}
    for item in e.agenda:
        days.setdefault(item.starts_at.date(), []).append(item)
    return render_template("events/agenda.html", e=e, days=days)


@bp.get("/events/feed.ics")
def feed():
    return Response(services.ics(services.feed_events(), _root()), mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=events.ics"})


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id):
    e = services.get(actor(), event_id)
    return Response(services.ics([e], _root()), mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename={e.ref or e.id}.ics"})


# Organisers: create, edit, workflow ----------------------------------------------------------------------

def _form_data(form, event=None) -> dict:
    """The page form → the services' input (the same schema as the API)."""
    data = {k: v for k, v in form.items() if k in ("title", "kind", "summary", "city", "venue", "online_url",
                                                  "capacity")}
    for key in ("starts_at", "ends_at", "registration_deadline"):
        if key in form:
            data[key] = form[key].replace("T", " ")
    data["industries"] = request.form.getlist("industries")
    data["audience_cities"] = request.form.getlist("audience_cities")
    for key in ("achievement_ids", "broker_ids"):
        raw = request.form.getlist(key)
        if any(not (v.isascii() and v.isdigit() and len(v) < 10) for v in raw):
            raise BadRequest("编号应为整数", {key: "编号应为整数"})
        data[key] = [int(v) for v in raw]
    day = None
    try:
        from .schemas import parse_local
        day = parse_local(data.get("starts_at")).date() if data.get("starts_at") else None
    except Exception:  # noqa: BLE001 - the schema reports it
        day = None
    data["agenda"] = services.parse_agenda_lines(form.get("agenda"), day)
    return data


def _form_choices() -> dict:
    from ..accounts.models import User
    from ..achievements.models import Achievement
    achievements = db.session.scalars(select(Achievement).where(Achievement.status == "published")
                                      .order_by(Achievement.published_at.desc(), Achievement.id.desc())
                                      .limit(300)).all()
    brokers = db.session.scalars(select(User).where(User.role == "broker", User.active.is_(True))
                                 .order_by(User.name).limit(300)).all()
    return {"achievements": achievements, "brokers": brokers, "kinds": KINDS, "cities": CITIES,
            "industries": INDUSTRIES}


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new():
    if not policy.may_create(actor()):
        raise Forbidden("只有省级或设区市科技成果转化中心的管理员可以举办活动")
    if request.method == "POST":
        out = []

        def make():
            out.append(services.create(actor(), _form_data(request.form)))
        if attempt(make):
            flash(f"已保存活动草稿 {out[0].ref}：核对后点击“发布活动”", "success")
            return redirect(url_for(".detail", event_id=out[0].id))
    return render_template("events/form.html", e=None, form=form_dict() if request.method == "POST" else {},
                           **_form_choices())


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    e = services.get(actor(), event_id)
    if not policy.is_organiser(actor(), e):
        raise Forbidden("只有主办单位可以修改活动")
    if request.method == "POST":
        if attempt(lambda: services.update(actor(), e, _form_data(request.form, e))):
            flash("已保存修改" + ("，已通知报名者" if e.status != "draft" else ""), "success")
            return redirect(url_for(".detail", event_id=e.id))
    return render_template("events/form.html", e=e, form=form_dict() if request.method == "POST" else {},
                           agenda_text=services.agenda_text(e), **_form_choices())


@bp.post("/events/<int:event_id>/act/<any(publish,'close-registration',hold,close,cancel):action>")
@login_required
def act(event_id, action):
    e = services.get(actor(), event_id)
    if attempt(lambda: services.fire(actor(), e, action, request.form.get("reason"))):
        flash(f"已{services.FLOW.transitions[action].label}", "success")
    return redirect(url_for(".detail", event_id=e.id))


# Registration ---------------------------------------------------------------------------------------------

@bp.post("/events/<int:event_id>/register")
@login_required
def register(event_id):
    e = services.get(actor(), event_id)
    out = []
    if attempt(lambda: out.append(services.register(actor(), e, {"note": request.form.get("note")}))):
        reg = out[0]
        if reg.status == "registered":
            flash("报名成功：签到时请出示本页的签到二维码", "success")
        else:
            flash(f"名额已满，您已进入候补名单（第{services.waitlist_position(reg)}位），有人取消时自动递补", "warning")
    return redirect(url_for(".detail", event_id=e.id))


@bp.post("/events/registrations/<int:reg_id>/cancel")
@login_required
def cancel(reg_id):
    reg = services.get_registration(actor(), reg_id)
    if attempt(lambda: services.cancel_registration(actor(), reg)):
        flash("已取消报名", "success")
    target = request.form.get("next")
    if target == "mine":
        return redirect(url_for(".mine"))
    return redirect(url_for(".detail", event_id=reg.event_id))


@bp.get("/events/registrations/<int:reg_id>/qr.svg")
@login_required
def qr(reg_id):
    reg = services.get_registration(actor(), reg_id)
    return Response(services.qr_svg(reg, _root()), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, no-store"})


@bp.get("/events/mine")
@login_required
def mine():
    page = _paginate(services.mine(actor()), 20)
    return render_template("events/mine.html", page=page, now=services.now_local())


@bp.get("/events/<int:event_id>/registrations")
@login_required
def registrations(event_id):
    e = services.get(actor(), event_id)
    status = _choice("status", REGISTRATION_STATUSES)
    page = _paginate(services.registrations(actor(), e, status), 50)
    return render_template("events/registrations.html", e=e, page=page, status=status, counts=services.counts(e),
                           statuses=REGISTRATION_STATUSES)


@bp.get("/events/<int:event_id>/registrations.xlsx")
@login_required
def export(event_id):
    e = services.get(actor(), event_id)
    rows = db.session.scalars(services.registrations(actor(), e)).all()
    wb = Workbook()
    ws = wb.active
    ws.title = "报名名单"
    append_row(ws, ["序号", "姓名", "单位", "电子邮箱", "状态", "报名时间", "签到时间", "备注"])
    for n, r in enumerate(rows, 1):
        append_row(ws, [n, r.user.name, r.org.name, r.user.email, r.status_label,
                        _local(r.created_at), _local(r.checked_in_at), r.note or ""])
    return send_workbook(wb, f"{e.ref}-报名名单.xlsx")


def _local(utc):
    from datetime import timedelta
    return (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") if utc else ""


@bp.route("/events/<int:event_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(event_id):
    e = services.get(actor(), event_id)
    if not policy.is_organiser(actor(), e):
        raise Forbidden("只有主办单位可以签到")
    if request.method == "POST":
        out = []
        reg_id = request.form.get("registration_id")
        reg_id = int(reg_id) if reg_id and reg_id.isascii() and reg_id.isdigit() and len(reg_id) < 10 else None
        if attempt(lambda: out.append(services.check_in(actor(), e, request.form.get("code"), reg_id))):
            flash(f"签到成功：{out[0].user.name}（{out[0].org.name}）", "success")
        if request.form.get("next") == "list":
            return redirect(url_for(".registrations", event_id=e.id))
        return redirect(url_for(".checkin", event_id=e.id))
    return render_template("events/checkin.html", e=e, code=(request.args.get("code") or "")[:64],
                           counts=services.counts(e))


# Interests and leads --------------------------------------------------------------------------------------

@bp.post("/events/<int:event_id>/interest")
@login_required
def interest(event_id):
    e = services.get(actor(), event_id)
    data = {k: v for k, v in form_dict().items() if k in ("achievement_id", "demand_id", "note")}
    if attempt(lambda: services.mark_interest(actor(), e, data)):
        flash("已登记对接意向：活动对接经纪人会尽快与您联系", "success")
    return redirect(url_for(".detail", event_id=e.id) + "#presented")


@bp.get("/events/leads")
@login_required
def leads():
    status = _choice("status", INTEREST_STATUSES)
    page = _paginate(services.leads_query(actor(), status), 20)
    demands = {i.id: services.open_demands_of(i.org_id) for i in page.items
               if i.status == "new" and policy.is_event_broker(actor(), i.event)}
    return render_template("events/leads.html", page=page, status=status, statuses=INTEREST_STATUSES,
                           demands=demands)


@bp.post("/events/interests/<int:interest_id>/introduce")
@login_required
def introduce(interest_id):
    i = services.get_interest(actor(), interest_id)
    if attempt(lambda: services.introduce(actor(), i, {k: v for k, v in form_dict().items()
                                                       if k in ("demand_id", "note")})):
        flash("已转为撮合：请在撮合工作台继续跟进", "success")
        return redirect(url_for("brokers.introduction", intro_id=i.introduction_id))
    return redirect(url_for(".leads"))


# JSON API ---------------------------------------------------------------------------------------------------

def _event_json(e) -> dict:
    out = EventOut().dump(e)
    c = services.counts(e)
    out["seats"] = {"capacity": e.capacity, "registered": c["registered"], "waitlisted": c["waitlisted"],
                    "free": c["free"]}
    out["registration_open"] = services.registration_open(e)
    return out


@api.get("/events")
def api_list():
    args = _list_args() | {"when": _choice("when", WHEN)}
    page = _paginate(services.list_query(actor(), **args), 20)
    return jsonify(envelope(page, [_event_json(e) for e in page.items]))


@api.post("/events")
def api_create():
    require_login()
    e = services.create(actor(), json_body())
    db.session.flush()
    return jsonify(_event_json(e)), 201


@api.get("/events/<int:event_id>")
def api_read(event_id):
    return jsonify(_event_json(services.get(actor(), event_id)))


@api.put("/events/<int:event_id>")
def api_update(event_id):
    require_login()
    e = services.update(actor(), services.get(actor(), event_id), json_body())
    db.session.flush()
    return jsonify(_event_json(e))


@api.post("/events/<int:event_id>/<any(publish,'close-registration',hold,close,cancel):action>")
def api_workflow(event_id, action):
    require_login()
    e = services.get(actor(), event_id)
    values = ReasonIn().validate_dict(_body_object())
    services.fire(actor(), e, action, values.get("reason"))
    return jsonify(_event_json(e))


@api.post("/events/<int:event_id>/registrations")
def api_register(event_id):
    require_login()
    e = services.get(actor(), event_id)
    reg = services.register(actor(), e, _body_object())
    return jsonify(RegistrationOut().dump(reg)), 201


@api.get("/events/<int:event_id>/registrations")
def api_registrations(event_id):
    require_login()
    e = services.get(actor(), event_id)
    page = _paginate(services.registrations(actor(), e, _choice("status", REGISTRATION_STATUSES)), 50)
    return jsonify(envelope(page, RegistrationOut(many=True).dump(page.items)))


@api.get("/events/registrations/mine")
def api_mine():
    require_login()
    page = _paginate(services.mine(actor()), 20)
    return jsonify(envelope(page, RegistrationOut(many=True).dump(page.items)))


@api.post("/events/registrations/<int:reg_id>/cancel")
def api_cancel(reg_id):
    require_login()
    reg = services.cancel_registration(actor(), services.get_registration(actor(), reg_id))
    return jsonify(RegistrationOut().dump(reg))


@api.post("/events/<int:event_id>/checkin")
def api_checkin(event_id):
    from .schemas import CheckinIn
    require_login()
    e = services.get(actor(), event_id)
    values = CheckinIn().validate_dict(json_body())
    reg = services.check_in(actor(), e, values.get("code"), values.get("registration_id"))
    return jsonify(RegistrationOut().dump(reg))


@api.post("/events/<int:event_id>/interests")
def api_interest(event_id):
    require_login()
    e = services.get(actor(), event_id)
    i = services.mark_interest(actor(), e, json_body())
    return jsonify(InterestOut().dump(i)), 201


@api.get("/events/<int:event_id>/outcomes")
def api_outcomes(event_id):
    e = services.get(actor(), event_id)
    out = services.outcomes(e)
    # the contracts themselves (titles, parties' amounts) only to organisers; everyone sees the counts and total
    listed = out.pop("contract_list")  # Contract rows: never serialised as they are (nor shown to everyone)
    shown = listed if policy.is_organiser(actor(), e) else []
    contracts = [{"id": c.id, "title": c.title, "amount": f"{c.amount:.2f}", "signed_on": c.signed_on.isoformat(),
                  "status": c.status} for c in shown]
    out["contract_value"] = f"{out['contract_value']:.2f}"
    return jsonify({**out, "contract_items": contracts})


@api.get("/events/leads")
def api_leads():
    require_login()
    page = _paginate(services.leads_query(actor(), _choice("status", INTEREST_STATUSES)), 20)
    return jsonify(envelope(page, InterestOut(many=True).dump(page.items)))


@api.post("/events/interests/<int:interest_id>/introduce")
def api_introduce(interest_id):
    require_login()
    i = services.introduce(actor(), services.get_interest(actor(), interest_id), json_body())
    return jsonify(InterestOut().dump(i))
