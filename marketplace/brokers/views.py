"""Broker pages (workbench, directory, profiles, agencies, ranking, filing review, evidence export) and the JSON
API (`api`, nested under /api/v1). Thin: parse, call the services with the actor, render or serialise."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from openpyxl import Workbook

from ..core import listings
from ..core import permissions as perm
from ..core.errors import BadRequest, NotFound
from ..core.models import audit_trail
from ..core.paging import envelope, page_args
from ..core.vocab import CITIES, INDUSTRIES
from ..core.web import actor, attempt, form_dict, int_arg, json_body, require_login, text_field
from ..core.xlsx_safe import append_row, send_workbook
from ..extensions import db
from . import permissions as policy
from . import profiles, services
from .models import LEVELS, PROFILE_STATUSES, BrokerProfile
from .schemas import DealOut, DemandRow, OwnProfileOut, PerformanceOut, ProfileOut, RatingOut
from .services import AGES, BUDGETS, NEXT, SORTS, STAGES

bp = Blueprint("brokers", __name__, url_prefix="/brokers")
api = Blueprint("brokers", __name__)
WORKBENCH_PER_PAGE = 20

# Sections other packages add to the introduction page's contract-draft form (the commissions package: the
# commission agreement proposed in the same step): name → (template, fn(actor, intro) → context or None). A
# section's fields are named `<name>_<field>`; they are sent to the services as data[name] only when its
# `<name>_propose` box is ticked.
_DRAFT_SECTIONS: dict = {}


def draft_section(name: str, template: str, fn) -> None:
    _DRAFT_SECTIONS[name] = (template, fn)


def _draft_form(form) -> dict:
    data = {k: v for k, v in form.items() if not k.startswith(tuple(f"{n}_" for n in _DRAFT_SECTIONS))}
    for name in _DRAFT_SECTIONS:
        if form.get(f"{name}_propose"):
            prefix = f"{name}_"
            data[name] = {k[len(prefix):]: v for k, v in form.items()
                          if k.startswith(prefix) and k != f"{name}_propose" and v.strip() != ""}
    return data


def _choice(name, allowed):
    """An optional query argument that must be one of `allowed` (else a 400 naming it)."""
    value = (request.args.get(name) or "").strip()
    if value and value not in allowed:
        raise BadRequest(f"{name} 不在可选范围内", {name: "可选：" + "、".join(allowed)})
    return value or None


def _directory_args() -> dict:
    return {"industry": _choice("industry", INDUSTRIES), "city": _choice("city", CITIES),
            "level": _choice("level", LEVELS), "agency_id": int_arg("agency_id"),
            "q": (request.args.get("q") or "").strip()[:50] or None}


def _workbench_args() -> dict:
    return {"city": _choice("city", CITIES), "industry": _choice("industry", INDUSTRIES),
            "budget": _choice("budget", BUDGETS), "age": _choice("age", AGES),
            "sort": _choice("sort", SORTS) or "newest", "q": (request.args.get("q") or "").strip()[:50] or None}


def _paginate(stmt, per_page=20):
    page, per = page_args(request.args, per_page)
    return db.paginate(stmt, page=page, per_page=per, error_out=False)


def _perf(profile) -> dict:
    return profiles.summary(profiles.performance([profile.user_id])[profile.user_id])


# The workbench --------------------------------------------------------------------------------------------

@bp.route("/")
def index():
    if policy.is_broker(actor()):
        return workbench()
    return redirect(url_for(".directory"))


@bp.route("/workbench")
@login_required
def workbench():
    a = actor()
    board = services.board(a)  # refuses anyone but a broker
    args = _workbench_args()
    page = _paginate(services.open_demands_query(**args), WORKBENCH_PER_PAGE)
    suggestions = services.stored_suggestions([d.id for d in page.items])
    silent = services.silent_demands([d.id for d in page.items])
    params = {k: v for k, v in args.items() if v and not (k == "sort" and v == "newest")}
    return render_template("brokers/workbench.html", board=board, page=page, suggestions=suggestions, silent=silent,
                           stages=STAGES,
                           args=args, params=params, cities=CITIES, industries=INDUSTRIES, budgets=BUDGETS, ages=AGES,
                           sorts=SORTS, profile=profiles.own(a))


@bp.post("/claim/<int:demand_id>")
@login_required
def claim(demand_id):
    demand = listings.get(actor(), listings.LIBRARIES["demands"], demand_id)
    claimed = []
    if not attempt(lambda: claimed.append(services.claim(actor(), demand))):
        return redirect(url_for(".workbench"))
    flash(f"已认领需求“{demand.title}”", "success")
    return redirect(url_for(".introduction", intro_id=claimed[0].id))


@bp.route("/introductions/<int:intro_id>")
@login_required
def introduction(intro_id, form=None):
    from ..contracts.models import KINDS, STATUSES as CONTRACT_STATUSES, TRANSFER_FORMS, Contract
    from ..matching import store as matches
    intro = services.get(actor(), intro_id)
    sections = []
    if intro.broker_id == actor().id and intro.achievement_id and intro.stage != "failed":
        for template, fn in _DRAFT_SECTIONS.values():
            ctx = fn(actor(), intro)
            if ctx is not None:
                sections.append((template, ctx))
    # The demand's stored matches, shown while an achievement is still to be chosen.
    found = matches.read(intro.demand, 10) if intro.stage == "claimed" and intro.broker_id == actor().id else None
    contracts = Contract.query.filter_by(introduction_id=intro.id).order_by(Contract.id).all()
    return render_template("brokers/introduction.html", intro=intro, found=found, stages=STAGES,
                           next_stages=NEXT.get(intro.stage, ()), trail=audit_trail("introduction", intro.id),
                           kinds=KINDS, transfer_forms=TRANSFER_FORMS, contracts=contracts,
                           cstatuses=CONTRACT_STATUSES, draft_sections=sections, form=form or {})


@bp.post("/introductions/<int:intro_id>/<any(introduced,contacted,negotiating,signed,failed):stage>")
@login_required
def advance(intro_id, stage):
    intro = services.get(actor(), intro_id)

    def move():
        if stage == "introduced":
            # As any reader would: a draft of another organisation is "not found", like a wrong number.
            achievement = listings.get(actor(), listings.LIBRARIES["achievements"], request.form.get("achievement_id"))
            services.introduce(actor(), intro, achievement, request.form.get("note"))
        else:
            services.advance(actor(), intro, stage, request.form.get("note"))

    if not attempt(move):
        return redirect(url_for(".introduction", intro_id=intro_id))
    flash(f"已更新为“{STAGES[stage]}”", "success")
    return redirect(url_for(".introduction", intro_id=intro_id))


@bp.post("/introductions/<int:intro_id>/contract")
@login_required
def contract_draft(intro_id):
    intro = services.get(actor(), intro_id)
    data = _draft_form(form_dict())
    out = []
    if attempt(lambda: out.append(services.contract_draft(actor(), intro, data))):
        flash("已生成合同草稿：请核对条款后提交登记" + ("；佣金协议已提交付款方确认" if data.get("commission") else ""),
              "success")
        return redirect(url_for("contracts.detail", contract_id=out[0].id))
    return introduction(intro_id, form=form_dict())  # refused: the page again, with what was typed


# Directory, profiles, agencies, ranking ---------------------------------------------------------------------

@bp.route("/directory")
def directory():
    args = _directory_args()
    page = _paginate(profiles.directory_query(actor(), **args))
    params = {k: v for k, v in args.items() if v}
    return render_template("brokers/directory.html", page=page, args=args, params=params, cities=CITIES,
                           industries=INDUSTRIES, levels=LEVELS)


@bp.route("/<int:profile_id>")
def profile(profile_id):
    a = actor()
    p = profiles.get(a, profile_id)
    reviewer = policy.can_review_profile(a, p)
    return render_template("brokers/profile.html", p=p, perf=_perf(p), deals=profiles.public_deals(p.user_id),
                           ratings=profiles.ratings_of(p.user_id), rateable=profiles.rateable(a, p.user_id),
                           reviewer=reviewer, own=perm.is_authenticated(a) and a.id == p.user_id,
                           actions=profiles.WORKFLOW.available(a, p, profiles.DECISIONS),
                           trail=audit_trail("broker_profile", p.id) if reviewer or a.get_id() == str(p.user_id)
                           else [])


@bp.route("/agencies/<int:org_id>")
def agency(org_id):
    org = profiles.agency(org_id)
    members = db.session.scalars(profiles.directory_query(actor(), agency_id=org.id)).all()
    perf = profiles.performance([m.user_id for m in members])
    rows = [(m, profiles.summary(perf[m.user_id])) for m in members]
    total = profiles.summary(profiles.combine(perf.values()))
    return render_template("brokers/agency.html", org=org, rows=rows, total=total)


@bp.route("/ranking")
def ranking():
    city, level = _choice("city", CITIES), _choice("level", LEVELS)
    return render_template("brokers/ranking.html", rows=profiles.ranking(city, level), city=city, level=level,
                           cities=CITIES, levels=LEVELS)


@bp.post("/ratings")
@login_required
def rate():
    broker_profile = int_arg("profile") or 0
    if attempt(lambda: profiles.rate(actor(), _ints(form_dict(), "contract_id", "score"))):
        flash("已提交评价", "success")
    return redirect(url_for(".profile", profile_id=broker_profile) if broker_profile else url_for(".directory"))


@bp.post("/disclosures")
@login_required
def disclose():
    data = _ints(form_dict(), "contract_id")
    if attempt(lambda: profiles.disclose(actor(), data)):
        flash("已保存成交额公开设置", "success")
    return redirect(url_for("contracts.detail", contract_id=data["contract_id"])
                    if isinstance(data.get("contract_id"), int) else url_for(".directory"))


def _ints(data: dict, *keys) -> dict:
    for key in keys:
        if key in data:
            raw = str(data[key]).strip()
            data[key] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else data[key]
    return data


# The broker's own profile and the filing review ---------------------------------------------------------------

def _form_profile(form) -> dict:
    data = {k: form.get(k) for k in ("real_name", "level", "certificate_no", "certificate_issuer", "bio")}
    data["filed_with_org_id"] = (form.get("filed_with_org_id") or "").strip() or None
    if data["filed_with_org_id"] is not None:
        data = _ints(data, "filed_with_org_id")
    data["specialties"] = request.form.getlist("specialties")
    data["cities"] = request.form.getlist("cities")
    training = []
    for year, hours in zip(request.form.getlist("training_year"), request.form.getlist("training_hours")):
        if year.strip() or hours.strip():
            training.append({"year": year.strip(), "hours": hours.strip()})
    data["training"] = training
    return data


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    a = actor()
    if not policy.is_broker(a):
        abort(403)
    if request.method == "POST":
        if attempt(lambda: profiles.save(a, _form_profile(request.form))):
            flash("已保存执业档案", "success")
            return redirect(url_for(".me"))
    p = profiles.own(a)
    return render_template("brokers/me.html", p=p, form=request.form if request.method == "POST" else None,
                           levels=LEVELS, industries=INDUSTRIES, cities=CITIES, centres=profiles.centres_for(a.org),
                           perf=_perf(p) if p else None, statuses=PROFILE_STATUSES,
                           trail=audit_trail("broker_profile", p.id) if p else [])


@bp.post("/me/submit")
@login_required
def me_submit():
    p = profiles.own(actor())
    if p is None:
        flash("请先填写执业档案", "error")
    elif attempt(lambda: profiles.submit(actor(), p)):
        flash("已提交备案，等待备案中心审核", "success")
    return redirect(url_for(".me"))


@bp.get("/me/deals.xlsx")
@api.get("/brokers/me/deals.xlsx")
@login_required
def evidence_xlsx():
    rows = profiles.evidence_rows(actor())
    wb = Workbook()
    ws = wb.active
    ws.title = "撮合业绩"
    append_row(ws, profiles.EVIDENCE_HEADERS)
    for row in rows:
        append_row(ws, row)
    return send_workbook(wb, "技术经纪人撮合业绩.xlsx")


@bp.route("/filings")
@login_required
def filings():
    if not perm.is_admin(actor()):
        abort(403)
    return render_template("brokers/filings.html", rows=profiles.review_queue(actor()), statuses=PROFILE_STATUSES)


@bp.post("/<int:profile_id>/<any(approve,reject,suspend,reinstate):action>")
@login_required
def decide(profile_id, action):
    p = profiles.get(actor(), profile_id)
    if attempt(lambda: profiles.decide(actor(), p, action, request.form.get("reason"))):
        flash(f"已{profiles.WORKFLOW.transitions[action].label}", "success")
    return redirect(url_for(".profile", profile_id=p.id))


# JSON API ---------------------------------------------------------------------------------------------------

def _profile_json(p, a) -> dict:
    schema = OwnProfileOut() if (perm.is_authenticated(a) and a.id == p.user_id) or policy.can_review_profile(a, p) \
        else ProfileOut()
    return schema.dump(p)


@api.get("/brokers")
def list_api():
    page = _paginate(profiles.directory_query(actor(), **_directory_args()))
    return jsonify(envelope(page, ProfileOut(many=True).dump(page.items)))


@api.get("/brokers/<int:profile_id>")
def read_api(profile_id):
    a = actor()
    p = profiles.get(a, profile_id)
    return jsonify({"profile": _profile_json(p, a), "performance": PerformanceOut().dump(_perf(p)),
                    "deals": DealOut(many=True).dump(profiles.public_deals(p.user_id)),
                    "ratings": RatingOut(many=True).dump(profiles.ratings_of(p.user_id))})


def _own_or_404(a) -> BrokerProfile:
    p = profiles.own(a)
    if p is None:
        raise NotFound("尚未填写执业档案")
    return p


@api.get("/brokers/me/profile")
def me_api():
    require_login()
    a = actor()
    return jsonify(OwnProfileOut().dump(_own_or_404(a)))


@api.put("/brokers/me/profile")
def me_save_api():
    require_login()
    p = profiles.save(actor(), json_body())
    return jsonify(OwnProfileOut().dump(p))


@api.post("/brokers/me/profile/submit")
def me_submit_api():
    require_login()
    a = actor()
    return jsonify(OwnProfileOut().dump(profiles.submit(a, _own_or_404(a))))


@api.post("/brokers/<int:profile_id>/<any(approve,reject,suspend,reinstate):action>")
def decide_api(profile_id, action):
    require_login()
    a = actor()
    body = request.get_json(silent=True)
    reason = text_field(body, "reason")
    p = profiles.decide(a, profiles.get(a, profile_id), action, reason)
    return jsonify(OwnProfileOut().dump(p))


@api.get("/brokers/filings")
def filings_api():
    require_login()
    return jsonify({"items": OwnProfileOut(many=True).dump(profiles.review_queue(actor()))})


@api.get("/brokers/agencies/<int:org_id>")
def agency_api(org_id):
    org = profiles.agency(org_id)
    members = db.session.scalars(profiles.directory_query(actor(), agency_id=org.id)).all()
    perf = profiles.performance([m.user_id for m in members])
    return jsonify({"id": org.id, "name": org.name, "city": org.city,
                    "brokers": [{"profile": ProfileOut().dump(m), "performance": PerformanceOut().dump(
                        profiles.summary(perf[m.user_id]))} for m in members],
                    "total": PerformanceOut().dump(profiles.summary(profiles.combine(perf.values())))})


@api.get("/brokers/ranking")
def ranking_api():
    rows = profiles.ranking(_choice("city", CITIES), _choice("level", LEVELS))
    return jsonify({"items": [{"rank": i, "profile": ProfileOut().dump(p), "performance": PerformanceOut().dump(s)}
                              for i, (p, s) in enumerate(rows, 1)]})


@api.post("/brokers/ratings")
def rate_api():
    require_login()
    return jsonify(RatingOut().dump(profiles.rate(actor(), json_body()))), 201


@api.post("/brokers/disclosures")
def disclose_api():
    require_login()
    row = profiles.disclose(actor(), json_body())
    return jsonify({"contract_id": row.contract_id, "allow_amount": row.allow_amount})


@api.get("/brokers/workbench/demands")
def workbench_api():
    require_login()
    services.board(actor())  # brokers only
    page = _paginate(services.open_demands_query(**_workbench_args()), WORKBENCH_PER_PAGE)
    suggestions = services.stored_suggestions([d.id for d in page.items])
    items = [{**DemandRow().dump(d), "suggestions": suggestions[d.id]} for d in page.items]
    return jsonify(envelope(page, items))


@api.post("/brokers/introductions/<int:intro_id>/contract")
def contract_draft_api(intro_id):
    require_login()
    from ..contracts import services as contracts
    a = actor()
    c = services.contract_draft(a, services.get(a, intro_id), json_body())
    db.session.flush()
    return jsonify(contracts.contract_dict(c, a)), 201
