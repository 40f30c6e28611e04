"""Contract pages and JSON API. Thin: the rules are in services.py, the maths in money.py."""
from datetime import date

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook

from ..accounts.models import Organisation
from ..core.errors import BadRequest, ValidationFailed
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.workflow import HistoryOut
from ..core.vocab import CITIES, INDUSTRIES
from ..core.web import actor, attempt, commit, day_arg, form_dict, json_body, require_login
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import money
from . import services as svc
from .models import KINDS, STATUSES, TRANSFER_FORMS, IncomeSplit

bp = Blueprint("contracts", __name__)
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("contracts", __name__)
PER_PAGE = 20


def _as_of() -> date:
    return day_arg(request.args.get("as_of"), "as_of")


def with_terms(form: dict) -> dict:
    """A page form whose term fields (t_*, milestones m_*) become its `terms` (when a kind was chosen)."""
    form = {k: v for k, v in form.items() if not k.startswith(("t_", "m_"))}
    kind = request.form.get("t_kind", "")
    if kind:
        terms = {k[2:]: v for k, v in request.form.items() if k.startswith("t_") and v.strip()}
        names, amounts, triggers = (request.form.getlist(f"m_{x}") for x in ("name", "amount", "trigger"))
        terms["milestones"] = [{"name": n, "amount": m, "trigger": t} for n, m, t in zip(names, amounts, triggers)
                               if n.strip()]
        form["terms"] = terms
    return form


def _status_arg():
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadRequest("status 应为：" + "、".join(STATUSES))
    return status


def _paginate(stmt):
    page, per_page = page_args(request.args, PER_PAGE)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


# API ---------------------------------------------------------------------------------------------------

@api.get("/contracts")
def list_api():
    require_login()
    page = _paginate(svc.visible(actor(), _status_arg()))
    today = _as_of()
    return jsonify(envelope(page, [svc.contract_dict(c, actor(), today) for c in page.items]))


@api.post("/contracts")
def create_api():
    require_login()
    c = svc.create(actor(), json_body())
    commit()
    return jsonify(svc.contract_dict(c, actor())), 201


@api.get("/contracts/<int:contract_id>")
def read_api(contract_id):
    require_login()
    return jsonify(svc.contract_dict(svc.get(actor(), contract_id), actor(), _as_of()))


def _act(contract_id, fn, status=200):
    require_login()
    c = svc.get(actor(), contract_id)
    fn(c)
    commit()
    return jsonify(svc.contract_dict(c, actor(), _as_of())), status


@api.put("/contracts/<int:contract_id>/terms")
def terms_api(contract_id):
    return _act(contract_id, lambda c: svc.set_terms(actor(), c, json_body()))


@api.post("/contracts/<int:contract_id>/submit")
def submit_api(contract_id):
    return _act(contract_id, lambda c: svc.submit(actor(), c))


@api.post("/contracts/<int:contract_id>/register")
def register_api(contract_id):
    return _act(contract_id, lambda c: svc.register(actor(), c, request.get_json(silent=True) or {}))


@api.post("/contracts/<int:contract_id>/return")
def return_api(contract_id):
    return _act(contract_id, lambda c: svc.return_for_changes(actor(), c, json_body()))


@api.post("/contracts/<int:contract_id>/milestones/<int:line_id>/reached")
def milestone_api(contract_id, line_id):
    return _act(contract_id, lambda c: svc.reach_milestone(actor(), c, line_id, json_body()))


@api.post("/contracts/<int:contract_id>/royalty-reports")
def report_api(contract_id):
    return _act(contract_id, lambda c: svc.submit_report(actor(), c, json_body()), 201)


@api.post("/contracts/<int:contract_id>/payments")
def payment_api(contract_id):
    return _act(contract_id, lambda c: svc.record_payment(actor(), c, json_body()), 201)


@api.put("/contracts/<int:contract_id>/income-split")
def split_api(contract_id):
    return _act(contract_id, lambda c: svc.set_split(actor(), c, json_body()))


@api.get("/contracts/<int:contract_id>/history")
def history_api(contract_id):
    require_login()
    c = svc.get(actor(), contract_id)
    return jsonify({"items": HistoryOut(many=True).dump(audit_trail("contract", c.id))})


# Excel ---------------------------------------------------------------------------------------------------

@bp.get("/contracts/<int:contract_id>/schedule.xlsx")
@api.get("/contracts/<int:contract_id>/schedule.xlsx")
def schedule_xlsx(contract_id):
    require_login()
    c = svc.get(actor(), contract_id)
    st = svc.statement(c, _as_of())
    wb = Workbook()
    ws = wb.active
    ws.title = "付款计划"
    append_row(ws, ["合同", c.title, "登记编号", c.registration_no or "", "统计日期", st["as_of"]])
    ws.append(["序号", "类型", "款项", "应付金额（元）", "到期日", "已付（元）", "状态"])
    for i, row in enumerate(st["lines"], 1):
        append_row(ws, [i, row["kind"], row["label"], float(row["amount"]), row["due_on"] or "待触发",
                        float(row["paid"]), row["status_label"]])
        ws.cell(ws.max_row, 4).number_format = ws.cell(ws.max_row, 6).number_format = "#,##0.00"
    ws.append(["合计", "", "", float(st["total_due"]), "", float(st["received"]), st["status_label"]])
    return send_workbook(wb, f"付款计划-{c.id}.xlsx")


@bp.get("/contracts/export.xlsx")
@api.get("/contracts/export.xlsx")
def contracts_xlsx():
    require_login()
    today = _as_of()
    wb = Workbook()
    ws = wb.active
    ws.title = "技术合同"
    ws.append(["编号", "合同名称", "类型", "卖方", "卖方信用代码", "买方", "买方信用代码", "成交额（元）", "签订日期", "设区市",
               "产业领域", "状态", "登记编号", "到账（元）", "履约状态"])
    for c in db.session.scalars(svc.visible(actor(), _status_arg())):
        st = svc.statement(c, today)
        append_row(ws, [c.id, c.title, c.kind + (f"（{c.transfer_form}）" if c.transfer_form else ""),
                        c.seller.name, c.seller_uscc or "", c.buyer.name, c.buyer_uscc, float(c.amount), c.signed_on,
                        c.city, c.industry, STATUSES[c.status], c.registration_no or "", float(st["received"]),
                        st["status_label"]])
    return send_workbook(wb, "技术合同.xlsx")


# Pages -------------------------------------------------------------------------------------------------

@bp.get("/contracts")
@login_required
def list_page():
    status = _status_arg()
    page = _paginate(svc.visible(actor(), status))
    return render_template("contracts/list.html", page=page, status=status, statuses=STATUSES, pending=svc.pending_registration(actor()))


# The contract entry form ------------------------------------------------------------------------------------
# Fields in groups; seller and buyer chosen with a searchable picker (static/js/forms.js, fed by
# /api/v1/organisations); linked records typed as the code shown on their pages (JX-ACH-0069); licence
# terms only for a 技术转让 contract. A refusal comes back with each message next to its field, values kept.

LINK_FIELDS = {"achievement_id": "achievement_code", "demand_id": "demand_code", "introduction_id": "introduction_ref"}


def _by_code(model, code: str, noun: str, field: str):
    """The record whose visible code (its `ref`, e.g. JX-ACH-0069) is `code`; a number alone is its id."""
    from sqlalchemy import func
    code = code.strip()
    row = db.session.scalars(db.select(model).where(func.upper(model.ref) == code.upper())
                             .order_by((model.status == "published").desc(), model.id).limit(1)).first()
    if row is None and code.lstrip("#").isdigit() and len(code) < 10:
        row = db.session.get(model, int(code.lstrip("#")))
    if row is None:
        raise ValidationFailed(f"没有找到编号为“{code}”的{noun}", {field: f"没有找到编号为“{code}”的{noun}，请核对页面上显示的编号"})
    return row.id


def _contract_data(form: dict) -> dict:
    """The form's fields → the service's input (ContractSchema), or a refusal naming the form field."""
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    data = {k: v.strip() for k, v in form.items() if v.strip() and not k.startswith(("t_", "m_"))
            and k not in LINK_FIELDS.values()}
    if data.get("kind") != "技术转让":
        data.pop("transfer_form", None)  # only a 技术转让 contract assigns or licenses
    errors = {}
    for key in ("seller_org_id", "buyer_org_id"):
        if key in data:
            if data[key].isdigit() and len(data[key]) < 10:
                data[key] = int(data[key])
            else:
                errors[key] = "请从列表中选择单位"
    for key, model, noun in (("achievement_code", Achievement, "成果"), ("demand_code", Demand, "需求")):
        if (form.get(key) or "").strip():
            try:
                data[key.replace("_code", "_id")] = _by_code(model, form[key], noun, key)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    intro = (form.get("introduction_ref") or "").strip().lstrip("#")
    if intro:
        if intro.isdigit() and len(intro) < 10:
            data["introduction_id"] = int(intro)
        else:
            errors["introduction_ref"] = "撮合记录编号应为数字，如 12"
    if data.get("kind") == "技术转让":
        terms = with_terms(form).get("terms")
        if terms and terms.get("kind"):
            data["terms"] = terms
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return data


def form_errors(fields: dict) -> dict:
    """A service's field names → the form's: linked ids become the code fields, terms.x the t_x fields."""
    out = {}
    for key, msg in (fields or {}).items():
        key = LINK_FIELDS.get(key, key)
        if key.startswith("terms.milestones."):
            parts = key.split(".")
            key = f"m_{parts[3]}.{parts[2]}" if len(parts) > 3 else "t_milestones"
        elif key.startswith("terms."):
            key = "t_" + key.split(".", 1)[1]
        out.setdefault(key, msg)
    return out


def typed_milestones() -> list:
    """The milestone rows of the submitted form, as typed: [(name, trigger, amount)]."""
    return list(zip(request.form.getlist("m_name"), request.form.getlist("m_trigger"), request.form.getlist("m_amount")))


def typed_terms(form: dict) -> dict:
    """A refused form's values as typed, with its milestone rows (`_milestones`) for terms_fields."""
    return {**form, "_milestones": typed_milestones()}


def terms_errors(fields: dict | None, own: tuple = ()) -> dict:
    """form_errors for a form whose terms a service read on their own (build_terms names their fields bare:
    royalty_rate, milestones.1.amount, or "terms" for the whole sheet): those become t_x / m_x.i; a name in `own`
    is the form's own field (转为正式合同 has an amount of its own besides the terms')."""
    from .schemas import TermsSchema
    terms = set(TermsSchema().fields)
    out = {}
    for k, v in (fields or {}).items():
        if k == "terms":
            k = "terms.kind"
        elif k not in own and (k in terms or k.startswith("milestones")):
            k = "terms." + k
        out[k] = v
    return form_errors(out)


def _picked_orgs(form: dict) -> list:
    """The organisations the form shows as chosen (the picker loads the others as one types)."""
    ids = {int(v) for k in ("seller_org_id", "buyer_org_id") if str(form.get(k, "")).isdigit()
           and len(str(form.get(k))) < 10 for v in [form[k]]}
    return Organisation.query.filter(Organisation.id.in_(ids)).all() if ids else []


@bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def new():
    from ..core.errors import AppError
    form = form_dict()
    if request.method == "POST":
        try:
            c = svc.create(actor(), _contract_data(form))
            db.session.flush()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_new(form, form_errors(exc.fields), exc.status)
        flash(f"合同草稿“{c.title}”已保存。下一步：核对{'条款与' if c.terms else ''}付款计划，然后提交登记。", "success")
        return redirect(url_for(".detail", contract_id=c.id))
    if not form and actor().org_id:
        form = {"seller_org_id": str(actor().org_id)} if actor().role != "company" else {"buyer_org_id": str(actor().org_id)}
    return _render_new(form, {})


def _render_new(form: dict, errors: dict, status: int = 200):
    milestones = typed_milestones() if request.method == "POST" else []
    return render_template("contracts/new.html", form=form, errors=errors, orgs=_picked_orgs(form), kinds=KINDS,
                           forms=TRANSFER_FORMS, cities=CITIES, industries=INDUSTRIES, milestones=milestones), status


@bp.get("/contracts/<int:contract_id>")
@login_required
def detail(contract_id):
    return _render_detail(svc.get(actor(), contract_id))


def _render_detail(c, money_form: str | None = None, values: dict | None = None, errors: dict | None = None,
                   status: int = 200):
    """The contract page; after a refused money form (report, payment, split), that form with its values and
    each message next to its field (`money_form` names it)."""
    a = actor()
    today = _as_of()
    split_row = IncomeSplit.query.filter_by(contract_id=c.id).first() if svc.can_see_split(a, c) else None
    return render_template("contracts/detail.html", c=c, st=svc.statement(c, today), statuses=STATUSES,
                           term_kinds=money.TERM_KINDS, periods=money.PERIOD_LABELS,
                           is_party=svc.is_party(a, c), is_seller=a.org_id == c.seller_org_id,
                           is_buyer=a.org_id == c.buyer_org_id, can_register=svc.can_register(a, c),
                           can_see_split=svc.can_see_split(a, c), split=split_row,
                           trial_id=svc.trial_id_of(c), trail=audit_trail("contract", c.id),
                           money_form=money_form, mf_values=values or {}, mf_errors=errors or {}), status


def _terms_form(c, form: dict):
    """设置条款: on a refusal the page again with the terms as typed (milestones too) and each message next to its
    field (422), as the money forms do; nothing saved."""
    from ..core.errors import AppError
    a = actor()
    try:
        svc.set_terms(a, c, with_terms(form).get("terms") or {})
        db.session.flush()
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        c = svc.get(a, c.id)
        return _render_detail(c, "terms", typed_terms(form), terms_errors(exc.fields), exc.status)
    return redirect(url_for(".detail", contract_id=c.id))


MONEY_DONE = {"report": "提成报告已提交，提成已计入付款计划", "payment": "到账已登记", "split": "收益分配已保存"}


def _money_form(c, action: str, form: dict):
    """到账, 提成报告, 收益分配: a flash on success; on a refusal the page again with the typed values."""
    from ..core.errors import AppError
    a = actor()
    if action == "split":
        names, pcts = request.form.getlist("inv_name"), request.form.getlist("inv_percent")
        data = {k: v for k, v in form.items() if not k.startswith("inv_")}
        data["inventors"] = [{"name": n, "percent": p} for n, p in zip(names, pcts) if n.strip()]
        data["confirm_low_team_share"] = bool(form.get("confirm_low_team_share"))
        call = lambda: svc.set_split(a, c, data)  # noqa: E731
    elif action == "report":
        call = lambda: svc.submit_report(a, c, form)  # noqa: E731
    else:
        call = lambda: svc.record_payment(a, c, form)  # noqa: E731
    try:
        call()
        db.session.flush()
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        c = svc.get(a, c.id)
        values = {**form, "inv_name": request.form.getlist("inv_name"), "inv_percent": request.form.getlist("inv_percent")}
        return _render_detail(c, action, values, {**(exc.fields or {}), "_form": exc.message}, exc.status)
    flash(MONEY_DONE[action], "success")
    return redirect(url_for(".detail", contract_id=c.id, _anchor=f"{action}-form"))


@bp.post("/contracts/<int:contract_id>/<any(terms, submit, register, return, report, payment, split):action>")
@login_required
def act(contract_id, action):
    a = actor()
    c = svc.get(a, contract_id)
    form = form_dict()
    if action == "terms":
        return _terms_form(c, form)
    if action == "submit":
        attempt(lambda: svc.submit(a, c))
    elif action == "register":
        attempt(lambda: svc.register(a, c, form))
    elif action == "return":
        attempt(lambda: svc.return_for_changes(a, c, form))
    else:  # report, payment, split
        return _money_form(c, action, form)
    return redirect(url_for(".detail", contract_id=c.id))


@bp.post("/contracts/<int:contract_id>/milestones/<int:line_id>/reached")
@login_required
def milestone_page(contract_id, line_id):
    a = actor()
    c = svc.get(a, contract_id)
    form = form_dict()
    attempt(lambda: svc.reach_milestone(a, c, line_id, form))
    return redirect(url_for(".detail", contract_id=c.id))
