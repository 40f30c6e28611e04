"""Commission and reward pages, the JSON API (nested under /api/v1) and `flask commissions statement`.
Thin: the rules are in services.py and rewards.py, the maths in calc.py."""
import json
from datetime import date

import click
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook

from ..accounts.models import Organisation, User
from ..contracts.models import Contract, Payment
from ..core import permissions as perm
from ..core.errors import BadRequest, NotFound
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.vocab import CITIES
from ..core.web import actor, attempt, form_dict, int_arg, json_body, require_login
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import calc, rewards
from . import permissions as policy
from . import services as svc
from .models import AGREEMENT_STATUSES, ENTRY_KINDS, LIST_STATUSES, RECIPIENT_KINDS, PaymentInvoice
from .schemas import AgreementOut, EntryOut, ListOut, RuleOut

bp = Blueprint("commissions", __name__)
api = Blueprint("commissions", __name__)
PER_PAGE = 20


def _paginate(stmt):
    page, per_page = page_args(request.args, PER_PAGE)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _status_arg(allowed):
    status = request.args.get("status") or None
    if status and status not in allowed:
        raise BadRequest("status 应为：" + "、".join(allowed), {"status": "不在可选范围内"})
    return status


def _year():
    return int_arg("year", None, 2000, 2999)


def agreement_dict(a, ag) -> dict:
    out = AgreementOut().dump(ag)
    out["entries"] = [dict(EntryOut().dump(e), effect=svc.effect(e)) for e in svc.entries_of(a, ag)]
    out["split_check"] = svc.split_check(ag) if (policy.is_party(a, ag) or policy.is_broker_of(a, ag)
                                                 or policy.in_scope(a, ag)) else None
    out["actions"] = svc.WORKFLOW.available(a, ag)
    return out


def list_dict(a, lst, with_left_out: bool = False) -> dict:
    out = ListOut().dump(lst)
    if with_left_out and policy.can_manage_rule(a, lst.rule):
        out["left_out"] = rewards.left_out(lst)
    return out


# API: agreements and ledger ----------------------------------------------------------------------------

@api.get("/commissions/agreements")
def agreements_api():
    require_login()
    page = _paginate(svc.visible(actor(), _status_arg(AGREEMENT_STATUSES)))
    return jsonify(envelope(page, [agreement_dict(actor(), ag) for ag in page.items]))


@api.post("/commissions/agreements")
def create_agreement_api():
    require_login()
    ag = svc.create(actor(), json_body())
    db.session.flush()
    return jsonify(agreement_dict(actor(), ag)), 201


@api.get("/commissions/agreements/<int:agreement_id>")
def agreement_api(agreement_id):
    require_login()
    return jsonify(agreement_dict(actor(), svc.get(actor(), agreement_id)))


@api.post("/commissions/agreements/<int:agreement_id>/<any(propose, confirm, decline):action>")
def agreement_action_api(agreement_id, action):
    require_login()
    a = actor()
    ag = svc.get(a, agreement_id)
    if action == "propose":
        svc.propose(a, ag)
    elif action == "confirm":
        svc.confirm(a, ag)
    else:
        svc.decline(a, ag, json_body())
    db.session.flush()
    return jsonify(agreement_dict(a, ag))


@api.put("/commissions/agreements/<int:agreement_id>/split-note")
def split_note_api(agreement_id):
    require_login()
    ag = svc.get(actor(), agreement_id)
    svc.set_split_note(actor(), ag, json_body())
    db.session.flush()
    return jsonify(agreement_dict(actor(), ag))


@api.post("/commissions/entries/<int:entry_id>/<any(confirm, paid, reverse):action>")
def entry_action_api(entry_id, action):
    require_login()
    a = actor()
    e = svc.get_entry(a, entry_id)
    if action == "confirm":
        written = [svc.confirm_entry(a, e)]
    elif action == "paid":
        written = [svc.record_paid(a, e, json_body())]
    else:
        written = svc.reverse(a, e, json_body())
    return jsonify({"items": [dict(EntryOut().dump(x), effect=svc.effect(x)) for x in written]}), 201


def _broker_arg(a) -> User:
    broker_id = int_arg("broker_id")
    if broker_id is None:
        return a
    broker = db.session.get(User, broker_id)
    if broker is None:
        raise NotFound("没有找到该技术经纪人")
    return broker


@api.get("/commissions/statement")
def statement_api():
    require_login()
    return jsonify(svc.broker_statement(actor(), _broker_arg(actor()), _year()))


@api.get("/commissions/agency-statement")
def agency_statement_api():
    require_login()
    org_id = int_arg("org_id")
    org = db.session.get(Organisation, org_id) if org_id else svc.agency_of(actor())
    return jsonify(svc.agency_statement(actor(), org, _year()))


@api.get("/commissions/admin-statement")
def admin_statement_api():
    require_login()
    return jsonify(svc.admin_statement(actor(), _year()))


@bp.get("/commissions/statement.xlsx")
@api.get("/commissions/statement.xlsx")
def statement_xlsx():
    require_login()
    st = svc.broker_statement(actor(), _broker_arg(actor()), _year())
    wb = Workbook()
    ws = wb.active
    ws.title = "佣金对账单"
    append_row(ws, ["技术经纪人", st["broker_name"], st["broker"], "期间", st["from"] or "", st["to"] or ""])
    append_row(ws, ["合计", "计提", float(st["accrued"]), "确认", float(st["confirmed"]), "已支付", float(st["paid"]),
                    "未结", float(st["outstanding"])])
    ws.append([])
    ws.append(["协议", "合同", "登记编号", "计算方式", "计提（元）", "确认（元）", "已支付（元）", "未结（元）"])
    for d in st["deals"]:
        append_row(ws, [d["agreement_id"], d["contract"], d["registration_no"] or "", d["basis"], float(d["accrued"]),
                        float(d["confirmed"]), float(d["paid"]), float(d["outstanding"])])
    ws.append([])
    ws.append(["日期", "协议", "类型", "影响", "付款方", "金额（元）", "形式", "发票号码", "银行回单号", "备注"])
    for e in st["entries"]:
        append_row(ws, [e["entry_on"], e["agreement_id"], e["kind_label"], ENTRY_KINDS[e["effect"]],
                        "卖方" if e["payer"] == "seller" else "买方", float(e["amount"]),
                        "股权" if e["medium"] == "equity" else "现金", e["invoice_no"] or "", e["bank_ref"] or "",
                        e["note"] or ""])
    return send_workbook(wb, "佣金对账单.xlsx")


@api.post("/commissions/payments/<int:payment_id>/invoice")
def invoice_api(payment_id):
    require_login()
    inv = svc.record_invoice(actor(), payment_id, json_body())
    return jsonify({"id": inv.id, "payment_id": inv.payment_id, "contract_id": inv.contract_id,
                    "invoice_no": inv.invoice_no, "contract_no": inv.contract_no}), 201


# API: rewards --------------------------------------------------------------------------------------------

@api.get("/rewards/rules")
def rules_api():
    require_login()
    page = _paginate(rewards.rules(actor()))
    return jsonify(envelope(page, [RuleOut().dump(r) for r in page.items]))


@api.post("/rewards/rules")
def create_rule_api():
    require_login()
    rule = rewards.create_rule(actor(), json_body())
    return jsonify(RuleOut().dump(rule)), 201


@api.get("/rewards/rules/<int:rule_id>")
def rule_api(rule_id):
    require_login()
    return jsonify(RuleOut().dump(rewards.get_rule(actor(), rule_id)))


@api.put("/rewards/rules/<int:rule_id>")
def update_rule_api(rule_id):
    require_login()
    rule = rewards.update_rule(actor(), rewards.get_rule(actor(), rule_id), json_body())
    return jsonify(RuleOut().dump(rule))


@api.post("/rewards/rules/<int:rule_id>/compute")
def compute_api(rule_id):
    require_login()
    lst = rewards.compute(actor(), rewards.get_rule(actor(), rule_id))
    out = ListOut().dump(lst)
    out["left_out"] = lst.left_out
    return jsonify(out), 201


@api.get("/rewards/lists")
def lists_api():
    page = _paginate(rewards.lists(actor()))
    return jsonify(envelope(page, [list_dict(actor(), x) for x in page.items]))


@api.get("/rewards/lists/<int:list_id>")
def list_api(list_id):
    return jsonify(list_dict(actor(), rewards.get_list(actor(), list_id), with_left_out=True))


@api.post("/rewards/lists/<int:list_id>/<any(publish, withdraw, finalise):action>")
def list_action_api(list_id, action):
    require_login()
    a = actor()
    lst = rewards.get_list(a, list_id)
    if action == "publish":
        rewards.publish(a, lst, request.get_json(silent=True) or {})
    elif action == "withdraw":
        rewards.withdraw(a, lst, json_body())
    else:
        rewards.finalise(a, lst)
    return jsonify(list_dict(a, lst))


@api.post("/rewards/lines/<int:line_id>/disburse")
def disburse_api(line_id):
    require_login()
    line = rewards.disburse(actor(), line_id, json_body())
    from .schemas import LineOut
    return jsonify(LineOut().dump(line))


# Pages: commissions --------------------------------------------------------------------------------------

@bp.get("/commissions")
@login_required
def index():
    a = actor()
    status = _status_arg(AGREEMENT_STATUSES)
    page = _paginate(svc.visible(a, status))
    return render_template("commissions/index.html", page=page, status=status, statuses=AGREEMENT_STATUSES,
                           bases=calc.BASES, payers=calc.PAYERS)


def _agreement_form() -> dict:
    form = {k: v for k, v in form_dict().items()
            if not k.startswith(("tier_", "broker_")) and v.strip() != ""}
    for key in ("introduction_id", "contract_id"):
        if key in form:
            form[key] = int(form[key]) if form[key].isdigit() and len(form[key]) < 10 else -1
    tiers = zip(request.form.getlist("tier_upto"), request.form.getlist("tier_rate"))
    form["tiers"] = [{"upto": u or None, "rate": r} for u, r in tiers if r.strip()]
    brokers = zip(request.form.getlist("broker_id"), request.form.getlist("broker_share"))
    form["brokers"] = [{"broker_id": int(b) if b.isdigit() and len(b) < 10 else -1, "share": s}
                       for b, s in brokers if b.strip()]
    form["propose"] = bool(form.get("propose"))
    return form


@bp.route("/commissions/agreements/new", methods=["GET", "POST"])
@login_required
def new_agreement():
    a = actor()
    if request.method == "POST":
        out = []
        if attempt(lambda: out.append(svc.create(a, _agreement_form()))):
            flash("佣金协议已保存", "success")
            return redirect(url_for(".agreement", agreement_id=out[0].id))
    intro_id, contract_id = int_arg("introduction_id"), int_arg("contract_id")
    form = form_dict() or {"introduction_id": intro_id or "", "contract_id": contract_id or ""}
    brokers = User.query.filter_by(role="broker", active=True).order_by(User.name).limit(500).all()
    return render_template("commissions/new.html", form=form, bases=calc.BASES, payers=calc.PAYERS,
                           equity_modes=calc.EQUITY_MODES, brokers=brokers)


@bp.get("/commissions/agreements/<int:agreement_id>")
@login_required
def agreement(agreement_id):
    a = actor()
    ag = svc.get(a, agreement_id)
    entries = svc.entries_of(a, ag)
    states = {e.id: svc.state_of(e) for e in entries if e.kind == "accrual"}
    contract = svc.contract_of(ag)
    payments, invoices = [], {}
    if contract is not None and a.org_id == contract.seller_org_id:
        payments = Payment.query.filter_by(contract_id=contract.id).order_by(Payment.id).all()
        invoices = {i.payment_id: i for i in PaymentInvoice.query.filter_by(contract_id=contract.id)}
    return render_template("commissions/agreement.html", ag=ag, entries=entries, states=states, contract=contract,
                           bases=calc.BASES, payers=calc.PAYERS, statuses=AGREEMENT_STATUSES, kinds=ENTRY_KINDS,
                           actions=svc.WORKFLOW.available(a, ag), transitions=svc.WORKFLOW.transitions,
                           payer_sides=policy.payer_sides(a, ag), check=svc.split_check(ag),
                           is_seller=a.org_id == ag.seller_org_id, payments=payments, invoices=invoices,
                           trail=audit_trail("commission_agreement", ag.id), today=date.today())


@bp.post("/commissions/agreements/<int:agreement_id>/<any(propose, confirm, decline, 'split-note'):action>")
@login_required
def agreement_action(agreement_id, action):
    a = actor()
    ag = svc.get(a, agreement_id)
    form = form_dict()
    fn = {"propose": lambda: svc.propose(a, ag), "confirm": lambda: svc.confirm(a, ag),
          "decline": lambda: svc.decline(a, ag, form), "split-note": lambda: svc.set_split_note(a, ag, form)}[action]
    if attempt(fn):
        flash({"propose": "已提交付款方确认",
               "confirm": "佣金协议已确认生效" if ag.status == "confirmed" else "已确认，等待另一付款方确认",
               "decline": "已拒绝该佣金协议", "split-note": "已保存收益分配差异说明"}[action], "success")
    return redirect(url_for(".agreement", agreement_id=ag.id))


@bp.post("/commissions/entries/<int:entry_id>/<any(confirm, paid, reverse):action>")
@login_required
def entry_action(entry_id, action):
    a = actor()
    e = svc.get_entry(a, entry_id)
    form = form_dict()
    fn = {"confirm": lambda: svc.confirm_entry(a, e), "paid": lambda: svc.record_paid(a, e, form),
          "reverse": lambda: svc.reverse(a, e, form)}[action]
    if attempt(fn):
        flash({"confirm": "已确认该笔佣金", "paid": "已登记该笔佣金已支付",
               "reverse": "已冲销该笔佣金（台账已记入冲销记录）"}[action], "success")
    return redirect(url_for(".agreement", agreement_id=e.agreement_id))


@bp.post("/commissions/payments/<int:payment_id>/invoice")
@login_required
def invoice(payment_id):
    a = actor()
    back = request.form.get("agreement_id", "")
    if attempt(lambda: svc.record_invoice(a, payment_id, {k: v for k, v in form_dict().items() if k != "agreement_id"})):
        flash("发票已登记", "success")
    if back.isdigit() and len(back) < 10:
        return redirect(url_for(".agreement", agreement_id=int(back)))
    return redirect(url_for(".index"))


@bp.get("/commissions/statement")
@login_required
def statement():
    a = actor()
    year = _year()
    view = request.args.get("view") or ("admin" if perm.is_admin(a) else "broker")
    if view not in ("broker", "agency", "admin"):
        raise BadRequest("view 应为 broker、agency 或 admin")
    if view == "admin":
        st = svc.admin_statement(a, year)
    elif view == "agency":
        org_id = int_arg("org_id")
        st = svc.agency_statement(a, db.session.get(Organisation, org_id) if org_id else svc.agency_of(a), year)
    else:
        st = svc.broker_statement(a, _broker_arg(a), year)
    return render_template("commissions/statement.html", st=st, view=view, year=year, kinds=ENTRY_KINDS,
                           this_year=date.today().year)


# Pages: rewards ------------------------------------------------------------------------------------------

@bp.get("/rewards")
def rewards_index():
    a = actor()
    rule_page = db.session.scalars(rewards.rules(a).limit(200)).all() if perm.is_admin(a) else []
    list_rows = db.session.scalars(rewards.lists(a).limit(200)).all()
    return render_template("commissions/rewards.html", rules=rule_page, lists=list_rows, statuses=LIST_STATUSES,
                           recipients=RECIPIENT_KINDS, methods=calc.REWARD_METHODS)


def _rule_form() -> dict:
    form = {k: v for k, v in form_dict().items() if not k.startswith("tier_") and v.strip() != ""}
    if "year" in form:
        form["year"] = int(form["year"]) if form["year"].isdigit() and len(form["year"]) < 6 else -1
    tiers = zip(request.form.getlist("tier_upto"), request.form.getlist("tier_rate"))
    form["tiers"] = [{"upto": u or None, "rate": r} for u, r in tiers if r.strip()]
    form["require_payment"] = bool(form.get("require_payment"))
    form["require_invoice"] = bool(form.get("require_invoice"))
    form.pop("contract_kinds", None)
    kinds = request.form.getlist("contract_kinds")
    form["contract_kinds"] = kinds or None
    return form


@bp.route("/rewards/rules/new", methods=["GET", "POST"])
@login_required
def new_rule():
    a = actor()
    if not perm.is_admin(a):
        raise NotFound("没有找到该页面")
    if request.method == "POST":
        out = []
        if attempt(lambda: out.append(rewards.create_rule(a, _rule_form()))):
            flash("奖补规则已保存", "success")
            return redirect(url_for(".rule", rule_id=out[0].id))
    from ..contracts.models import KINDS
    return render_template("commissions/rule_new.html", form=form_dict(), cities=CITIES, recipients=RECIPIENT_KINDS,
                           methods=calc.REWARD_METHODS, kinds=KINDS, this_year=date.today().year)


@bp.get("/rewards/rules/<int:rule_id>")
@login_required
def rule(rule_id):
    a = actor()
    r = rewards.get_rule(a, rule_id)
    from .models import RewardList
    lists_ = RewardList.query.filter_by(rule_id=r.id).order_by(RewardList.id.desc()).all()
    return render_template("commissions/rule.html", r=r, lists=lists_, statuses=LIST_STATUSES,
                           recipients=RECIPIENT_KINDS, methods=calc.REWARD_METHODS,
                           can_manage=policy.can_manage_rule(a, r), trail=audit_trail("reward_rule", r.id))


@bp.post("/rewards/rules/<int:rule_id>/compute")
@login_required
def compute(rule_id):
    a = actor()
    r = rewards.get_rule(a, rule_id)
    out = []
    if attempt(lambda: out.append(rewards.compute(a, r))):
        flash("奖补名单已计算，请审核", "success")
        return redirect(url_for(".reward_list", list_id=out[0].id))
    return redirect(url_for(".rule", rule_id=r.id))


@bp.get("/rewards/lists/<int:list_id>")
def reward_list(list_id):
    a = actor()
    lst = rewards.get_list(a, list_id)
    manage = policy.can_manage_rule(a, lst.rule)
    return render_template("commissions/reward_list.html", lst=lst, statuses=LIST_STATUSES, manage=manage,
                           left_out=rewards.left_out(lst) if manage else [], recipients=RECIPIENT_KINDS,
                           actions=rewards.WORKFLOW.available(a, lst), transitions=rewards.WORKFLOW.transitions,
                           trail=audit_trail("reward_list", lst.id) if manage else [], today=date.today())


@bp.post("/rewards/lists/<int:list_id>/<any(publish, withdraw, finalise):action>")
@login_required
def reward_list_action(list_id, action):
    a = actor()
    lst = rewards.get_list(a, list_id)
    form = form_dict()
    if "publicity_days" in form:
        form["publicity_days"] = int(form["publicity_days"]) if form["publicity_days"].isdigit() and \
            len(form["publicity_days"]) < 4 else -1
    fn = {"publish": lambda: rewards.publish(a, lst, form), "withdraw": lambda: rewards.withdraw(a, lst, form),
          "finalise": lambda: rewards.finalise(a, lst)}[action]
    if attempt(fn):
        flash("已保存", "success")
    return redirect(url_for(".reward_list", list_id=lst.id))


@bp.post("/rewards/lines/<int:line_id>/disburse")
@login_required
def disburse(line_id):
    a = actor()
    from .models import RewardLine
    line = db.session.get(RewardLine, line_id)
    if line is None:
        raise NotFound("没有找到该奖补记录")
    if attempt(lambda: rewards.disburse(a, line_id, form_dict())):
        flash("已登记拨付", "success")
    return redirect(url_for(".reward_list", list_id=line.list_id))


# Command line --------------------------------------------------------------------------------------------

@bp.cli.command("statement")
@click.option("--broker", "email", required=True, help="技术经纪人的电子邮箱")
@click.option("--year", type=click.IntRange(2000, 2999), default=None, help="年度（默认全部）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def statement_command(email, year, as_json):
    """A broker's commission statement: accrued, confirmed, paid, outstanding, and the entries."""
    broker = User.query.filter_by(email=email.strip().lower()).first() or User.query.filter_by(email=email).first()
    if broker is None or broker.role != "broker":
        raise click.ClickException(f"没有技术经纪人 {email}")
    st = svc.broker_statement(broker, broker, year)
    if as_json:
        keys = ("broker", "accrued", "confirmed", "paid", "outstanding", "entries")
        click.echo(json.dumps({k: st[k] for k in keys} | {"from": st["from"], "to": st["to"], "deals": st["deals"]},
                              ensure_ascii=False, default=str))
        return
    click.echo(f"{st['broker_name']}（{st['broker']}）{year or '全部'}年度佣金：计提 {st['accrued']} 元，确认 "
               f"{st['confirmed']} 元，已支付 {st['paid']} 元，未结 {st['outstanding']} 元")
    for d in st["deals"]:
        click.echo(f"  协议 #{d['agreement_id']} {d['contract']} {d['registration_no'] or ''}：计提 {d['accrued']}，"
                   f"已支付 {d['paid']}，未结 {d['outstanding']}")


def contract_link(contract: Contract | None) -> str | None:
    return url_for("contracts.detail", contract_id=contract.id) if contract else None
