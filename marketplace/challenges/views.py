"""揭榜挂帅 pages and JSON API. Thin: parse, call services.py (every rule is there), render or serialise."""
from datetime import date, datetime, timezone
from xml.sax.saxutils import escape

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from ..core.errors import AppError, BadRequest, Forbidden
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.vocab import CITIES, INDUSTRIES
from ..core.web import actor, attempt, form_dict, int_arg, json_body, require_login, text_field
from ..core.workflow import HistoryOut
from ..extensions import db
from . import permissions as policy, services as svc
from .models import APPLICATION_STATES, Challenge, KINDS, MILESTONE_STATES, RATINGS, STATES
from ..core.schema import CONTROL
from .schemas import ScoreSheetOut, StatsOut

bp = Blueprint("challenges", __name__)
api = Blueprint("challenges", __name__)  # nested under /api/v1
PER_PAGE = 20
FORM_ROWS = 6  # milestone and rubric rows shown on the form (blank rows are ignored)


def _filters() -> dict:
    args = request.args
    for key, allowed, label in (("industry", INDUSTRIES, "产业领域"), ("city", CITIES, "设区市"),
                                ("status", list(STATES), "状态"), ("scope", list(svc.SCOPES), "范围")):
        if args.get(key) and args[key] not in allowed:
            raise BadRequest(f"未知的{label}：{args[key][:20]}", {key: "不在可选范围内"})
    if CONTROL.search(args.get("q") or ""):
        raise BadRequest("搜索词含有不可见的控制字符", {"q": "含有不可见的控制字符"})
    return {"scope": args.get("scope") or "public", "industry": args.get("industry") or None,
            "city": args.get("city") or None, "status": args.get("status") or None,
            "q": (args.get("q") or "").strip()[:50] or None}


def _page(filters):
    page, per_page = page_args(request.args, PER_PAGE)
    return db.paginate(svc.list_query(actor(), **filters), page=page, per_page=per_page, error_out=False)


def _year_arg():
    return int_arg("year", lo=2000, hi=2999)


# JSON API ----------------------------------------------------------------------------------------------------

@api.get("/challenges")
def list_api():
    page = _page(_filters())
    return jsonify(envelope(page, [svc.challenge_dict(actor(), ch) for ch in page.items]))


@api.post("/challenges")
def create_api():
    require_login()
    body = json_body()
    submit = body.pop("submit", False) is True
    ch = svc.create(actor(), body)
    if submit:
        svc.transition(actor(), ch, "submit")
    return jsonify(svc.challenge_dict(actor(), ch)), 201


@api.get("/challenges/stats")
def stats_api():
    city = request.args.get("city") or None
    if city and city not in CITIES:
        raise BadRequest("未知的设区市", {"city": "不在可选范围内"})
    return jsonify(StatsOut().dump(svc.stats(_year_arg(), city)))


@api.get("/challenges/<int:challenge_id>")
def read_api(challenge_id):
    return jsonify(svc.challenge_dict(actor(), svc.get(actor(), challenge_id)))


@api.patch("/challenges/<int:challenge_id>")
def update_api(challenge_id):
    require_login()
    ch = svc.update(actor(), svc.get(actor(), challenge_id), json_body())
    return jsonify(svc.challenge_dict(actor(), ch))


@api.post("/challenges/<int:challenge_id>/<any(submit, approve, reject, withdraw, revoke, close, review, unaward, start):action>")
def action_api(challenge_id, action):
    require_login()
    body = request.get_json(silent=True) if request.data else {}
    reason = text_field(body, "reason")
    ch = svc.transition(actor(), svc.get(actor(), challenge_id), action, reason)
    return jsonify(svc.challenge_dict(actor(), ch))


@api.post("/challenges/<int:challenge_id>/adjust")
def adjust_api(challenge_id):
    require_login()
    ch = svc.adjust(actor(), svc.get(actor(), challenge_id), json_body())
    return jsonify(svc.challenge_dict(actor(), ch))


@api.post("/challenges/<int:challenge_id>/award")
def award_api(challenge_id):
    require_login()
    ch = svc.get(actor(), challenge_id)
    svc.award(actor(), ch, json_body())
    return jsonify(svc.challenge_dict(actor(), ch))


@api.post("/challenges/<int:challenge_id>/finish")
def finish_api(challenge_id):
    require_login()
    ch = svc.finish(actor(), svc.get(actor(), challenge_id), json_body())
    return jsonify(svc.challenge_dict(actor(), ch))


@api.post("/challenges/<int:challenge_id>/milestones/<int:milestone_id>/accept")
def milestone_api(challenge_id, milestone_id):
    require_login()
    ch = svc.get(actor(), challenge_id)
    svc.accept_milestone(actor(), ch, svc.get_milestone(actor(), ch, milestone_id), json_body())
    return jsonify(svc.challenge_dict(actor(), ch))


@api.get("/challenges/<int:challenge_id>/history")
def history_api(challenge_id):
    require_login()
    ch = svc.get(actor(), challenge_id)
    if not policy.can_follow(actor(), ch):
        raise Forbidden("只有发榜单位和主管管理员可以查看榜单记录")
    return jsonify({"items": HistoryOut(many=True).dump(audit_trail("challenge", ch.id))})


def _panel_json(ch):
    return {"items": [{"id": m.id, "user_id": m.user_id, "name": m.user.name, "org": m.user.org.name}
                      for m in ch.panel]}


@api.get("/challenges/<int:challenge_id>/panel")
def panel_api(challenge_id):
    require_login()
    ch = svc.get(actor(), challenge_id)
    if not (policy.can_follow(actor(), ch) or policy.is_panel(actor(), ch)):
        raise Forbidden("评审专家名单仅发榜单位、主管管理员和专家本人可见")
    return jsonify(_panel_json(ch))


@api.post("/challenges/<int:challenge_id>/panel")
def invite_api(challenge_id):
    require_login()
    ch = svc.get(actor(), challenge_id)
    svc.invite(actor(), ch, json_body())
    return jsonify(_panel_json(ch)), 201


@api.get("/challenges/<int:challenge_id>/applications")
def applications_api(challenge_id):
    require_login()
    rows = svc.visible_applications(actor(), svc.get(actor(), challenge_id))
    return jsonify({"items": [svc.application_dict(r) for r in rows]})


@api.post("/challenges/<int:challenge_id>/applications")
def apply_api(challenge_id):
    require_login()
    row = svc.apply(actor(), svc.get(actor(), challenge_id), json_body())
    return jsonify(svc.application_dict(row)), 201


@api.get("/challenges/applications/<int:app_id>")
def application_api(app_id):
    require_login()
    return jsonify(svc.application_dict(svc.get_application(actor(), app_id)))


@api.post("/challenges/applications/<int:app_id>/withdraw")
def withdraw_application_api(app_id):
    require_login()
    row = svc.withdraw_application(actor(), svc.get_application(actor(), app_id))
    return jsonify(svc.application_dict(row))


@api.get("/challenges/applications/<int:app_id>/scores")
def scores_api(app_id):
    require_login()
    row = svc.get_application(actor(), app_id)
    return jsonify({"items": ScoreSheetOut(many=True).dump(svc.score_sheets(actor(), row))})


@api.put("/challenges/applications/<int:app_id>/scores")
def save_scores_api(app_id):
    require_login()
    row = svc.get_application(actor(), app_id)
    svc.save_scores(actor(), row, json_body())
    return jsonify({"items": ScoreSheetOut(many=True).dump(svc.score_sheets(actor(), row))})


# Pages: list, feed, detail -----------------------------------------------------------------------------------

@bp.get("/challenges")
def list_page():
    filters = _filters()
    page = _page(filters)
    year = _year_arg()
    return render_template("challenges/list.html", page=page, filters=filters, industries=INDUSTRIES, cities=CITIES,
                           states=STATES, kinds=KINDS, stats=svc.stats(year, filters["city"]), year=year,
                           poster=lambda ch: policy.poster_name(actor(), ch),
                           args={k: v for k, v in filters.items() if v and not (k == "scope" and v == "public")})


@bp.get("/challenges/feed.xml")
def feed():
    rows = db.session.scalars(svc.list_query(None).limit(50)).all()
    base = request.url_root.rstrip("/")

    def item(ch):
        when = ch.published_at or datetime.combine(ch.deadline, datetime.min.time())
        return (f"<item><title>{escape(ch.ref or '')} {escape(ch.title)}</title><link>{base}/challenges/{ch.id}</link>"
                f"<guid>{base}/challenges/{ch.id}</guid><category>{escape(ch.industry)}</category>"
                f"<description>{escape(policy.poster_name(None, ch))}（{escape(ch.city)}）；悬赏 "
                f"{escape(svc.format_yuan(ch.bounty, ch.bounty is None))}；揭榜截止 {ch.deadline}；"
                f"{escape(STATES[ch.status])}</description>"
                f"<pubDate>{when.replace(tzinfo=timezone.utc):%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>江西省揭榜挂帅榜单</title>'
           f"<link>{base}/challenges</link><description>企业出题、科研机构答题、市场评题：江西省网上技术市场揭榜挂帅榜单</description>"
           f"{''.join(item(ch) for ch in rows)}</channel></rss>")
    return Response(xml, mimetype="application/rss+xml")


@bp.get("/challenges/<int:challenge_id>")
def detail(challenge_id):
    a = actor()
    ch = svc.get(a, challenge_id)
    return _render_detail(ch)


def _render_detail(ch, status=200, **extra):
    a = actor()
    apps = svc.visible_applications(a, ch)
    mine = next((r for r in apps if policy.is_applicant(a, r)), None)
    contract = None
    if ch.contract_id:
        from ..contracts.services import can_view
        from ..contracts.models import Contract
        c = db.session.get(Contract, ch.contract_id)
        contract = c if c is not None and can_view(a, c) else None
    ctx = dict(ch=ch, apps=apps, mine=mine, amounts=svc.milestone_amounts(ch), states=STATES, kinds=KINDS,
               app_states=APPLICATION_STATES, ms_states=MILESTONE_STATES, ratings=RATINGS,
               poster=policy.poster_name(a, ch), actions=svc.available_actions(a, ch), transitions=svc.FLOW.transitions,
               can_manage=policy.can_manage(a, ch), can_review=policy.can_review(a, ch),
               can_edit=policy.can_edit(a, ch) and ch.status in ("draft", "rejected", "withdrawn", "published"),
               is_panel=policy.is_panel(a, ch), can_follow=policy.can_follow(a, ch),
               may_apply=policy.may_apply(a) and ch.status == "published" and date.today() <= ch.deadline
               and a.org_id != ch.owner_org_id and (mine is None or mine.status == "withdrawn"),
               progress=svc.review_progress(ch) if ch.status in ("reviewing",) else None,
               contract=contract, today=date.today(),
               trail=audit_trail("challenge", ch.id) if policy.can_follow(a, ch) else [],
               form_errors={}, form_values={})
    ctx.update(extra)
    return render_template("challenges/detail.html", **ctx), status


# Pages: the form ---------------------------------------------------------------------------------------------

def _rows(form, prefix: str, keys: tuple) -> list[dict]:
    out = []
    for i in range(12):
        row = {k: (form.get(f"{prefix}_{k}_{i}") or "").strip() for k in keys}
        if any(row.values()):
            out.append(row)
    return out


def form_to_input(form) -> dict:
    """The challenge form's fields → the input the schema loads (rows of milestones and criteria)."""
    data = {k: form.get(k) for k in ("title", "problem", "indicators", "industry", "city", "bounty",
                                      "enterprise_funding", "fiscal_funding", "deadline", "ip_terms")}
    data["anonymous"] = form.get("anonymous") in ("1", "on", "是", "true")
    if form.get("company_org_id"):
        raw = form["company_org_id"].strip()
        data["company_org_id"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw
    data["milestones"] = [{"name": r["name"], "criteria": r["criteria"], "share": r["share"], "due_on": r["due"]}
                          for r in _rows(form, "ms", ("name", "criteria", "share", "due"))]
    data["criteria"] = [{"name": r["name"], "description": r["desc"],
                         "weight": int(r["weight"]) if r["weight"].isascii() and r["weight"].isdigit()
                         and len(r["weight"]) < 6 else r["weight"]}
                        for r in _rows(form, "cr", ("name", "weight", "desc"))]
    return data


def _companies():
    from ..accounts.models import Organisation
    return db.session.scalars(select(Organisation).where(Organisation.kind == "company",
                                                         Organisation.status == "approved")
                              .order_by(Organisation.city, Organisation.name).limit(500)).all()


def _own_demands(a):
    """The company's published demands not yet made into a challenge (the form offers to start from one)."""
    from ..demands.models import Demand
    if a.role != "company":
        return []
    used = select(Challenge.demand_id).where(Challenge.demand_id.is_not(None), Challenge.status != "withdrawn")
    return db.session.scalars(select(Demand).where(Demand.owner_org_id == a.org_id,
                                                   Demand.status.in_(("published", "expired")), Demand.id.not_in(used))
                              .order_by(Demand.id.desc()).limit(20)).all()


def _render_form(ch, values, errors, status=200):
    a = actor()
    kind = ch.kind if ch is not None else ("government" if a.role == "admin" else "company")
    return render_template("challenges/form.html", ch=ch, values=values, errors=errors, kind=kind,
                           industries=INDUSTRIES, cities=CITIES, rows=FORM_ROWS,
                           demands=_own_demands(a) if ch is None else [],
                           companies=_companies() if kind == "government" else []), status


DEFAULT_CRITERIA = [{"name": "技术方案先进性与可行性", "weight": 40}, {"name": "团队能力与研究基础", "weight": 25},
                    {"name": "进度安排与经费合理性", "weight": 20}, {"name": "成果转化与产业化前景", "weight": 15}]


@bp.route("/challenges/new", methods=["GET", "POST"])
@login_required
def new():
    if request.method == "POST":
        values = form_to_input(request.form)
        try:
            ch = svc.create(actor(), values)
            if request.form.get("then") == "submit":
                svc.transition(actor(), ch, "submit")
            db.session.flush()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(None, values, exc.fields, exc.status)
        flash(f"榜单 {ch.ref} 已保存" + ("并提交审核" if ch.status == "submitted" else "为草稿"), "success")
        return redirect(url_for(".detail", challenge_id=ch.id))
    svc._may_post(actor())  # 403 with the reason before an empty form
    return _render_form(None, {"criteria": DEFAULT_CRITERIA, "deadline": ""}, {})


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(challenge_id):
    ch = svc.get(actor(), challenge_id)
    if not policy.can_edit(actor(), ch) or ch.status not in ("draft", "rejected", "withdrawn"):
        flash("只能修改本单位草稿、被驳回或已撤回的榜单；已发布的榜单只能提高悬赏或延长截止日期", "error")
        return redirect(url_for(".detail", challenge_id=ch.id))
    if request.method == "POST":
        values = form_to_input(request.form)
        try:
            svc.update(actor(), ch, values, partial=False)
            if request.form.get("then") == "submit":
                svc.transition(actor(), ch, "submit")
            db.session.flush()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _render_form(ch, values, exc.fields, exc.status)
        flash("已保存修改" + ("并提交审核" if ch.status == "submitted" else ""), "success")
        return redirect(url_for(".detail", challenge_id=ch.id))
    values = svc.current_values(ch)
    if not values["criteria"]:
        values["criteria"] = DEFAULT_CRITERIA  # a draft made from a demand: a common rubric to start from
    return _render_form(ch, values, {})


@bp.post("/challenges/from-demand/<int:demand_id>")
@login_required
def new_from_demand(demand_id):
    """The demand page's next step 揭榜挂帅: a draft challenge prefilled from the demand, then its form."""
    from ..core import listings
    demand = listings.get(actor(), listings.LIBRARIES["demands"], demand_id)
    out = []
    if not attempt(lambda: out.append(svc.from_demand(actor(), demand))):
        return redirect(url_for("demands.detail", obj_id=demand.id))
    flash(f"已由需求生成榜单草稿 {out[0].ref}：请补充里程碑、评审指标和悬赏构成后提交审核", "success")
    return redirect(url_for(".edit", challenge_id=out[0].id))


# Pages: workflow and the other steps --------------------------------------------------------------------------

DONE = {"submit": "已提交审核", "approve": "已审核通过并发布", "reject": "已驳回", "withdraw": "已撤回", "revoke": "已撤榜",
        "close": "已截止征集", "review": "已开始评审", "unaward": "已流榜", "start": "已确认签约，进入攻关"}


@bp.post("/challenges/<int:challenge_id>/act/<any(submit, approve, reject, withdraw, revoke, close, review, unaward, start):action>")
@login_required
def act(challenge_id, action):
    ch = svc.get(actor(), challenge_id)
    if attempt(lambda: svc.transition(actor(), ch, action, request.form.get("reason"))):
        flash(DONE[action], "success")
    return redirect(url_for(".detail", challenge_id=ch.id))


def _step(challenge_id, fn, done: str, form_name: str):
    """A step with a body of its own: on a refusal the detail page is shown again with the errors next to the
    form's fields and the values typed (422); on success a flash and a redirect."""
    ch = svc.get(actor(), challenge_id)
    values = form_dict()
    try:
        fn(ch, values)
        db.session.flush()
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        ch = svc.get(actor(), challenge_id)
        return _render_detail(ch, exc.status, form_errors={form_name: exc.fields}, form_values={form_name: values})
    flash(done, "success")
    return redirect(url_for(".detail", challenge_id=ch.id))


@bp.post("/challenges/<int:challenge_id>/raise")
@login_required
def raise_page(challenge_id):
    def run(ch, values):
        svc.update(actor(), ch, {k: v for k, v in values.items() if v and k in ("bounty", "deadline")})
    return _step(challenge_id, run, "已更新悬赏或截止日期", "raise")


@bp.post("/challenges/<int:challenge_id>/adjust")
@login_required
def adjust_page(challenge_id):
    def run(ch, values):
        svc.adjust(actor(), ch, {k: v for k, v in values.items() if v or k == "reason"})
    return _step(challenge_id, run, "已记录管理员调整决定", "adjust")


@bp.post("/challenges/<int:challenge_id>/panel")
@login_required
def invite_page(challenge_id):
    return _step(challenge_id, lambda ch, values: svc.invite(actor(), ch, {"email": values.get("email")}),
                 "已邀请评审专家", "panel")


@bp.post("/challenges/<int:challenge_id>/award")
@login_required
def award_page(challenge_id):
    def run(ch, values):
        raw = (values.get("application_id") or "").strip()
        body = {"application_id": int(raw) if raw.isdigit() and len(raw) < 10 else raw,
                **{k: values[k] for k in ("amount", "note") if values.get(k)}}
        svc.award(actor(), ch, body)
    return _step(challenge_id, run, "已确定揭榜方，技术开发合同草稿已生成", "award")


@bp.post("/challenges/<int:challenge_id>/milestones/<int:milestone_id>/accept")
@login_required
def milestone_page(challenge_id, milestone_id):
    def run(ch, values):
        svc.accept_milestone(actor(), ch, svc.get_milestone(actor(), ch, milestone_id), values)
    return _step(challenge_id, run, "里程碑已验收", f"ms{milestone_id}")


@bp.post("/challenges/<int:challenge_id>/finish")
@login_required
def finish_page(challenge_id):
    return _step(challenge_id, lambda ch, values: svc.finish(actor(), ch, values), "已记录验收评价", "finish")


@bp.route("/challenges/<int:challenge_id>/apply", methods=["GET", "POST"])
@login_required
def apply_page(challenge_id):
    ch = svc.get(actor(), challenge_id)
    if request.method == "POST":
        values = form_dict()
        values["no_conflict"] = values.get("no_conflict") in ("1", "on", "是")
        try:
            row = svc.apply(actor(), ch, values)
            db.session.flush()
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("challenges/apply.html", ch=svc.get(actor(), challenge_id), values=values,
                                   errors=exc.fields), exc.status
        flash("揭榜方案已提交", "success")
        return redirect(url_for(".application_page", app_id=row.id))
    return render_template("challenges/apply.html", ch=ch, values={}, errors={})


@bp.get("/challenges/applications/<int:app_id>")
@login_required
def application_page(app_id, status=200, errors=None, values=None):
    row = svc.get_application(actor(), app_id)
    ch = row.challenge
    return render_template("challenges/application.html", row=row, ch=ch, app_states=APPLICATION_STATES,
                           sheets=svc.score_sheets(actor(), row), may_score=policy.may_score(actor(), row)
                           and ch.status == "reviewing" and row.status == "submitted",
                           conflicted=policy.is_panel(actor(), ch) and policy.conflicted(actor(), row),
                           is_applicant=policy.is_applicant(actor(), row), errors=errors or {},
                           values=values or {}, poster=policy.poster_name(actor(), ch)), status


@bp.post("/challenges/applications/<int:app_id>/scores")
@login_required
def scores_page(app_id):
    row = svc.get_application(actor(), app_id)
    values = form_dict()
    body = {"scores": []}
    for c in row.challenge.criteria:
        raw = (values.get(f"score_{c.id}") or "").strip()
        body["scores"].append({"criterion_id": c.id, "score": int(raw) if raw.isdigit() and len(raw) < 6 else raw,
                               "comment": values.get(f"comment_{c.id}") or None})
    try:
        svc.save_scores(actor(), row, body)
        db.session.flush()
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return application_page(app_id, status=exc.status, errors=exc.fields, values=values)
    flash("评分已保存", "success")
    return redirect(url_for(".application_page", app_id=row.id))


@bp.post("/challenges/applications/<int:app_id>/withdraw")
@login_required
def withdraw_application_page(app_id):
    row = svc.get_application(actor(), app_id)
    if attempt(lambda: svc.withdraw_application(actor(), row)):
        flash("揭榜方案已撤回", "success")
    return redirect(url_for(".detail", challenge_id=row.challenge_id))


@bp.cli.command("close-due")
def close_due_command():
    """Close every published challenge past its deadline (run daily)."""
    from ..core import uow
    n = svc.close_due()
    uow.commit()
    print(f"已截止征集的榜单：{n}")
