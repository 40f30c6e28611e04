"""先用后转 pages and JSON API. Thin: every rule is in services.py."""
from datetime import date, datetime, timezone
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook
from sqlalchemy import select

from ..core import permissions as perm
from ..core.errors import BadRequest, Forbidden
from ..core.models import audit_trail
from ..core.money import MoneyError, parse_yuan
from ..core.paging import ResultPage, envelope, page_args
from ..core.vocab import CITIES, INDUSTRIES
from ..contracts.views import terms_errors, typed_terms, with_terms
from ..core.web import (actor, attempt, commit, day_arg, form_dict, in_savepoint, int_arg, json_body, require_login,
                        text_field)
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import services as uf
from .schemas import ApplicationOut
from .models import APPLICATION_STATUSES, ITEM_STATUSES, JUSTIFIED_REASONS, TRIAL_STATUSES, Trial, TrialApplication, UseFirstItem

bp = Blueprint("usefirst", __name__)
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("usefirst", __name__)
PER_PAGE = 20


def _filters() -> dict:
    args = request.args
    stage = args.get("stage") or None
    if stage not in (None, "publicity", "open"):
        raise BadRequest("stage 应为 publicity（公示中）或 open（挂牌中）")
    if args.get("industry") and args["industry"] not in INDUSTRIES:
        raise BadRequest("未知的产业领域")
    if args.get("city") and args["city"] not in CITIES:
        raise BadRequest("未知的设区市")
    org_id = int_arg("org_id")
    page, per_page = page_args(args, PER_PAGE)
    return {"industry": args.get("industry") or None, "city": args.get("city") or None, "org_id": org_id,
            "q": (args.get("q") or "").strip()[:50] or None, "stage": stage, "page": page, "per_page": per_page}


def _listing(filters):
    page, per_page = filters.pop("page"), filters.pop("per_page")
    return db.paginate(uf.listing_query(**filters), page=page, per_page=per_page, error_out=False)


# Public list, feed, export ------------------------------------------------------------------------------

@api.get("/usefirst")
def list_api():
    page = _listing(_filters())
    return jsonify(envelope(page, [uf.item_dict(i) for i in page.items]))


@bp.get("/usefirst")
def list_page():
    filters = _filters()
    shown = dict(filters)
    return render_template("usefirst/list.html", page=_listing(filters), filters=shown, industries=INDUSTRIES, cities=CITIES, today=date.today(),
                           args={k: v for k, v in shown.items() if v and k not in ("page", "per_page")})


@bp.get("/usefirst/feed.xml")
def feed():
    items = db.session.scalars(uf.listing_query().limit(50)).all()
    base = request.url_root.rstrip("/")
    entries = "".join(
        f"<item><title>{escape(i.achievement.title)}</title><link>{base}/usefirst/{i.id}</link>"
        f"<guid>{base}/usefirst/{i.id}</guid><category>{escape(i.achievement.industry)}</category>"
        f"<description>{escape(i.org.name)}；挂牌日期 {i.listed_on}；公示期至 {i.publicity_ends_on}</description>"
        f"<pubDate>{datetime.combine(i.listed_on, datetime.min.time(), timezone.utc):%a, %d %b %Y %H:%M:%S +0000}"
        f"</pubDate></item>" for i in items)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>江西省先用后转成果清单</title>'
           f"<link>{base}/usefirst</link><description>财政资金形成、授权满三年未实施的应用技术成果</description>"
           f"{entries}</channel></rss>")
    return Response(xml, mimetype="application/rss+xml")


@bp.get("/usefirst/export.xlsx")
def export():
    filters = _filters()
    filters.pop("page"), filters.pop("per_page")
    wb = Workbook()
    ws = wb.active
    ws.title = "先用后转清单"
    ws.append(["成果编号", "成果名称", "单位", "设区市", "产业领域", "知识产权授权日", "挂牌日期", "公示期至", "独占", "试用期（月）",
               "标准条款"])
    for i in db.session.scalars(uf.listing_query(**filters)):
        a = i.achievement
        append_row(ws, [a.ref or f"#{a.id}", a.title, i.org.name, i.org.city, a.industry, i.ip_granted_on,
                        i.listed_on, i.publicity_ends_on, "是" if i.exclusive else "否", i.trial_months,
                        i.terms and {"zero_threshold": "零门槛费+里程碑+提成", "deferred": "延期支付",
                                     "lump_sum": "一次性", "equity": "作价入股"}[i.terms.kind]])
    return send_workbook(wb, "先用后转清单.xlsx")


# Decisions (institution) and oversight (administrators) --------------------------------------------------

def _decisions_query(a, status=None):
    stmt = select(UseFirstItem)
    if perm.is_admin(a):
        from ..accounts.models import Organisation
        stmt = stmt.join(Organisation, Organisation.id == UseFirstItem.org_id).where(perm.admin_scope_condition(a))
    elif perm.is_authenticated(a) and a.role == "institution":
        stmt = stmt.where(UseFirstItem.org_id == a.org_id)
    else:
        raise Forbidden("只有高校院所和管理员可以查看先用后转确认情况")
    if status:
        if status not in ITEM_STATUSES:
            raise BadRequest("未知的状态：" + "、".join(ITEM_STATUSES))
        stmt = stmt.where(UseFirstItem.status == status)
    return stmt.order_by(UseFirstItem.status, UseFirstItem.id)


@api.get("/usefirst/decisions")
def decisions_api():
    require_login()
    page, per_page = page_args(request.args, 50)
    found = db.paginate(_decisions_query(actor(), request.args.get("status")), page=page, per_page=per_page,
                        error_out=False)
    return jsonify(envelope(found, [uf.item_dict(i) for i in found.items]))


@api.post("/usefirst/scan")
def scan_api():
    require_login()
    if not perm.is_admin(actor()):
        raise Forbidden("只有管理员可以运行先用后转扫描")
    body = request.get_json(silent=True) or {}
    out = uf.scan(day_arg(body.get("as_of") if isinstance(body, dict) else None, "as_of"), actor())
    commit()
    return jsonify(out)


@api.get("/usefirst/<int:item_id>")
def item_api(item_id):
    return jsonify(uf.item_dict(uf.get_item(actor(), item_id)))


def _item_action(item_id, fn):
    require_login()
    item = uf.get_item(actor(), item_id)
    fn(item)
    commit()
    return jsonify(uf.item_dict(item))


@api.post("/usefirst/<int:item_id>/confirm")
def confirm_api(item_id):
    return _item_action(item_id, lambda item: uf.confirm(actor(), item, json_body()))


@api.post("/usefirst/<int:item_id>/keep-off")
def keep_off_api(item_id):
    return _item_action(item_id, lambda item: uf.keep_off(actor(), item, json_body()))


@api.post("/usefirst/<int:item_id>/challenge")
def challenge_api(item_id):
    return _item_action(item_id, lambda item: uf.challenge(actor(), item, text_field(json_body(), "note")))


# Applications and trials --------------------------------------------------------------------------------

def _app_dict(row: TrialApplication) -> dict:
    return ApplicationOut().dump(row)


@api.post("/usefirst/<int:item_id>/applications")
def apply_api(item_id):
    require_login()
    row = uf.apply(actor(), uf.get_item(actor(), item_id), json_body())
    commit()
    return jsonify(_app_dict(row)), 201


@api.get("/usefirst/<int:item_id>/applications")
def applications_api(item_id):
    require_login()
    item = uf.get_item(actor(), item_id)
    rows = TrialApplication.query.filter_by(item_id=item.id).order_by(TrialApplication.id).all()
    rows = [r for r in rows if actor().org_id in (r.company_org_id, item.org_id) or perm.in_admin_scope(actor(), item.org)]
    return jsonify(envelope(ResultPage(rows, len(rows), 1, max(1, len(rows))), [_app_dict(r) for r in rows]))


@api.get("/usefirst/applications/<int:app_id>")
def application_api(app_id):
    require_login()
    return jsonify(_app_dict(uf.get_application(actor(), app_id)))


@api.post("/usefirst/applications/<int:app_id>/accept")
def accept_api(app_id):
    require_login()
    trial = uf.accept(actor(), uf.get_application(actor(), app_id), json_body())
    commit()
    return jsonify(uf.trial_dict(trial)), 201


@api.post("/usefirst/applications/<int:app_id>/decline")
def decline_api(app_id):
    require_login()
    row = uf.decline(actor(), uf.get_application(actor(), app_id), text_field(json_body(), "note"))
    commit()
    return jsonify(_app_dict(row))


@api.get("/usefirst/trials/<int:trial_id>")
def trial_api(trial_id):
    require_login()
    return jsonify(uf.trial_dict(uf.get_trial(actor(), trial_id)))


@api.post("/usefirst/trials/<int:trial_id>/convert")
def convert_api(trial_id):
    from ..contracts.services import contract_dict
    require_login()
    c = uf.convert(actor(), uf.get_trial(actor(), trial_id), json_body())
    commit()
    return jsonify(contract_dict(c, actor())), 201


@api.post("/usefirst/trials/<int:trial_id>/terminate")
def terminate_api(trial_id):
    require_login()
    trial = uf.terminate(actor(), uf.get_trial(actor(), trial_id), text_field(json_body(), "reason"))
    commit()
    return jsonify(uf.trial_dict(trial))


# Pages -------------------------------------------------------------------------------------------------

@bp.get("/usefirst/<int:item_id>")
def detail(item_id):
    return _detail_page(uf.get_item(actor(), item_id))


def _detail_page(item, form_name: str | None = None, values: dict | None = None, errors: dict | None = None,
                 status: int = 200):
    """The item's page; after a refused form (confirm, keep-off, apply), that form with what was typed and each
    message by its field (`form_name` names it)."""
    a = actor()
    apps = uf.visible_applications(a, item)
    trials = {t.application_id: t for t in Trial.query.filter_by(item_id=item.id)}
    return render_template("usefirst/detail.html", item=item, apps=apps, trials=trials, today=date.today(),
                           reasons=JUSTIFIED_REASONS, item_statuses=ITEM_STATUSES, app_statuses=APPLICATION_STATUSES,
                           trail=audit_trail("usefirst", item.id) if uf.can_follow_item(a, item) else [],
                           form_name=form_name, fv=values or {}, fe=errors or {}), status


@bp.get("/usefirst/manage")
@login_required
def manage():
    status = request.args.get("status") or None
    page, per_page = page_args(request.args, PER_PAGE)
    found = db.paginate(_decisions_query(actor(), status), page=page, per_page=per_page, error_out=False)
    return render_template("usefirst/manage.html", rows=found.items, page=found, status=status,
                           item_statuses=ITEM_STATUSES)


@bp.post("/usefirst/scan")
@login_required
def scan_page():
    if not perm.is_admin(actor()):
        abort(403)
    out = {}
    if attempt(lambda: out.update(uf.scan(date.today(), actor()))):
        flash(f"扫描完成：符合条件 {len(out['candidates'])} 项，新发现 {out['new']} 项", "success")
    return redirect(url_for(".manage"))


@bp.post("/usefirst/<int:item_id>/<any(confirm, 'keep-off', challenge, apply):action>")
@login_required
def item_form(item_id, action):
    a = actor()
    item = uf.get_item(a, item_id)
    form = form_dict()
    if action == "challenge":
        if attempt(lambda: uf.challenge(a, item, form.get("note"))):
            flash("已质询并退回，等待成果单位重新决定", "success")
        return redirect(url_for(".detail", item_id=item.id))
    if action == "confirm":
        run = lambda: uf.confirm(a, item, with_terms(form))  # noqa: E731
        message = "已确认列入先用后转，成果已挂牌，企业可以申请试用"
    elif action == "keep-off":
        run = lambda: uf.keep_off(a, item, form)  # noqa: E731
        message = "已提交“不列入”及理由，等待科技成果转化中心审查"
    else:
        run = lambda: uf.apply(a, item, form)  # noqa: E731
        message = "已提交试用申请，等待成果单位答复"
    refused = in_savepoint(run)
    if refused is not None:  # the form again, as typed, each message by its field
        flash(refused.message, "error")
        return _detail_page(uf.get_item(a, item_id), action, typed_terms(form), terms_errors(refused.fields),
                            refused.status)
    flash(message, "success")
    return redirect(url_for(".detail", item_id=item.id))


@bp.post("/usefirst/applications/<int:app_id>/<any(accept, decline):action>")
@login_required
def application_form(app_id, action):
    a = actor()
    row = uf.get_application(a, app_id)
    form = form_dict()
    out = []
    if action == "accept":
        if attempt(lambda: out.append(uf.accept(a, row, form))):
            flash("已接受试用申请，试用已开始", "success")
            return redirect(url_for(".trial_page", trial_id=out[0].id))
    elif attempt(lambda: uf.decline(a, row, form.get("note"))):
        flash("已答复不接受该试用申请，申请单位会收到通知", "success")
    return redirect(url_for(".detail", item_id=row.item_id))


@bp.get("/usefirst/trials/<int:trial_id>")
@login_required
def trial_page(trial_id):
    trial = uf.get_trial(actor(), trial_id)
    return _trial_page(trial)


def _trial_page(trial, values: dict | None = None, errors: dict | None = None, status: int = 200):
    """The trial's page; after a refused 转为正式合同, that form as typed with each message by its field."""
    return render_template("usefirst/trial.html", trial=trial, statuses=TRIAL_STATUSES, today=date.today(),
                           trail=audit_trail("usefirst-trial", trial.id), fv=values or {}, fe=errors or {}), status


def _positive_yuan(text) -> bool:
    try:
        return parse_yuan(text or "") > 0
    except MoneyError:
        return False


@bp.post("/usefirst/trials/<int:trial_id>/<any(convert, terminate):action>")
@login_required
def trial_form(trial_id, action):
    a = actor()
    trial = uf.get_trial(a, trial_id)
    form = form_dict()
    if action == "terminate":
        if attempt(lambda: uf.terminate(a, trial, form.get("reason"))):
            flash("已终止试用", "success")
        return redirect(url_for(".trial_page", trial_id=trial.id))
    out = []
    refused = in_savepoint(lambda: out.append(uf.convert(a, trial, with_terms(form))))
    if refused is not None:  # the form again, as typed, each message by its field
        flash(refused.message, "error")
        # an "amount" refused is the contract's when the contract's is not a positive number, else the terms'
        own = () if _positive_yuan(form.get("amount")) else ("amount",)
        return _trial_page(uf.get_trial(a, trial_id), typed_terms(form), terms_errors(refused.fields, own),
                           refused.status)
    flash("已转为技术合同草稿：请核对条款后提交登记", "success")
    return redirect(url_for("contracts.detail", contract_id=out[0].id))
