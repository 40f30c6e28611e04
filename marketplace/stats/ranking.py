"""The institution ranking (榜单): the index's inputs read from the site's records, who sees what, and the
frozen / published yearly snapshots (audited). The maths is in index.py."""
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import func

from ..core.errors import BadRequest, Conflict, Forbidden, NotFound
from ..core.models import TimestampMixin, record_audit, utcnow
from ..core.permissions import is_admin, is_authenticated
from ..core.vocab import CITIES, SME_SCALES
from ..core.workflow import Transition, Workflow
from ..extensions import db
from . import index

STATUSES = {"frozen": "已冻结（待发布）", "published": "已发布"}
FIRST_YEAR = 2000


class IndexRanking(TimestampMixin, db.Model):
    """A year's ranking as it was computed when the provincial centre froze it: the weights and every row
    (figures as strings, so the snapshot never changes when records do). One per year."""
    __tablename__ = "stats_index_rankings"
    id = db.Column(db.Integer, primary_key=True)
    year = db.Column(db.Integer, nullable=False, unique=True)
    status = db.Column(db.String(12), nullable=False, default="frozen", index=True)
    weights = db.Column(db.JSON, nullable=False)
    rows = db.Column(db.JSON, nullable=False)
    frozen_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    frozen_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    published_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    published_at = db.Column(db.DateTime)


# Who may act ------------------------------------------------------------------------------------------------

def is_province(actor) -> bool:
    return is_admin(actor) and actor.org.admin_level == "province"


def visible_org_ids(actor, rows) -> set | None:
    """The institutions whose components the actor may see: None = all (provincial centre)."""
    if is_province(actor):
        return None
    if not is_authenticated(actor):
        return set()
    if is_admin(actor):
        centre = actor.org
        if centre.admin_level == "city":
            return {r["org_id"] for r in rows if r.get("city") == centre.city}
        if centre.admin_level == "institution" and centre.parent_id:
            return {centre.parent_id}
        return set()
    return {actor.org_id} if actor.role == "institution" else set()


WORKFLOW = Workflow.of(
    "index_ranking",
    [Transition("publish", frozenset({"frozen"}), "published", "发布榜单", who="province")],
    {"province": lambda actor, _obj: is_province(actor)},
    state_labels=STATUSES,
)


# Configuration ------------------------------------------------------------------------------------------------

def weights() -> dict:
    """STATS_INDEX_WEIGHTS: a dict in the config, or the path of a JSON file {component: weight}; else the
    defaults of index.py."""
    value = current_app.config.get("STATS_INDEX_WEIGHTS")
    if isinstance(value, str) and value:
        try:
            value = json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise index.WeightsError(f"无法读取指数权重文件：{exc}") from None
    return {k: str(v) for k, v in index.check_weights(value or None).items()}


def year_arg(value) -> int:
    today = date.today()
    if value in (None, ""):
        return today.year
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise BadRequest("year 应为年份，如 2025", {"year": "应为年份"}) from None
    if not FIRST_YEAR <= year <= today.year + 1:
        raise BadRequest(f"year 应在 {FIRST_YEAR} 到 {today.year + 1} 之间", {"year": "超出范围"})
    return year


# The inputs, from the site's records --------------------------------------------------------------------------

HISTORICAL_MODES = {"技术转让": "转让", "技术许可": "许可"}


def _sme(scale: str | None) -> bool | None:
    """A buyer of known size is a 中小企业 (中型/小型/微型) or not; None when its size is not known."""
    return None if not scale else scale in SME_SCALES


def _mode(c) -> str:
    if c.kind == "技术转让":
        if c.terms is not None and c.terms.kind == "equity":
            return "作价投资"
        return c.transfer_form if c.transfer_form in ("转让", "许可") else "转让"
    return c.kind


def collect(year: int) -> list[index.InstitutionInput]:
    """Every approved institution's facts for `year`: its registered contracts as the seller (registered in
    the year on the site, or imported historical registrations linked to it), what was received on them by the
    year's end, their income splits, and its 先用后转 items that had become eligible by the year's end."""
    from ..accounts.models import Organisation
    from ..contracts.models import Contract, IncomeSplit, Payment
    from ..usefirst.models import Trial, UseFirstItem

    start, end = date(year, 1, 1), date(year, 12, 31)
    orgs = db.session.scalars(db.select(Organisation).where(Organisation.kind == "institution",
                                                            Organisation.status == "approved")
                              .order_by(Organisation.name)).all()
    inputs = {o.id: index.InstitutionInput(o.id, o.name, city=o.city) for o in orgs}
    contracts = db.session.scalars(db.select(Contract).where(
        Contract.status == "registered", Contract.seller_org_id.in_(list(inputs)),
        Contract.registered_on >= start, Contract.registered_on <= end)).unique().all()
    ids = [c.id for c in contracts]
    received = dict(db.session.execute(
        db.select(Payment.contract_id, func.sum(Payment.amount))
        .where(Payment.contract_id.in_(ids), Payment.received_on <= end).group_by(Payment.contract_id)).all()) \
        if ids else {}
    for c in contracts:
        inputs[c.seller_org_id].contracts.append(index.ContractFact(
            mode=_mode(c), amount=Decimal(c.amount), received=Decimal(received.get(c.id) or 0),
            jiangxi_buyer=c.buyer.city in CITIES, sme_buyer=_sme(c.buyer.scale)))
    # Historical registrations (imported from the old system) linked to an institution count as contracts too;
    # they carry no terms, payments dates or splits: their mode comes from the kind, 到账 from the import.
    # The buyer's size: the file's 买方规模 column, else that of the site's company of the same name.
    from .models import ContractFact as Fact
    facts = db.session.scalars(db.select(Fact).where(
        Fact.source == "historical", Fact.year == year, Fact.seller_org_id.in_(list(inputs)))).all()
    scales = dict(db.session.execute(db.select(Organisation.name, Organisation.scale).where(
        Organisation.scale.isnot(None))).all()) if any(f.buyer_scale is None for f in facts) else {}
    for fact in facts:
        inputs[fact.seller_org_id].contracts.append(index.ContractFact(
            mode=HISTORICAL_MODES.get(fact.kind, fact.kind), amount=fact.amount, received=fact.received,
            jiangxi_buyer=fact.buyer_region in CITIES, sme_buyer=_sme(fact.buyer_scale or scales.get(fact.buyer))))
    if ids:
        for split, seller in db.session.execute(
                db.select(IncomeSplit, Contract.seller_org_id).join(Contract, Contract.id == IncomeSplit.contract_id)
                .where(IncomeSplit.contract_id.in_(ids))).all():
            inputs[seller].splits.append(index.SplitFact(Decimal(split.net_income), Decimal(split.team_percent)))

    items = db.session.scalars(db.select(UseFirstItem).where(
        UseFirstItem.org_id.in_(list(inputs)), UseFirstItem.found_on <= end,
        UseFirstItem.status != "void")).all()
    trialled = set(db.session.scalars(db.select(Trial.item_id).where(Trial.starts_on <= end)).all())
    licensed = set(db.session.scalars(db.select(Trial.item_id).where(Trial.status == "converted")).all())
    funnel = {}
    for it in items:
        f = funnel.setdefault(it.org_id, [0, 0, 0, 0])
        is_licensed = it.status == "closed" or it.id in licensed
        f[0] += 1
        f[1] += bool(it.listed_on and it.listed_on <= end) or is_licensed
        f[2] += it.id in trialled
        f[3] += is_licensed
    for org_id, (e, li, tr, lic) in funnel.items():
        inputs[org_id].usefirst = index.UseFirstFunnel(e, li, tr, lic)
    for org_id, ratings in accepted_challenges(year, list(inputs)).items():
        inputs[org_id].challenges = ratings
    return list(inputs.values())


def accepted_challenges(year: int, org_ids: list) -> dict:
    """{org_id: {rating: count}}: the 揭榜挂帅 challenges each institution won (the awarded application's
    organisation) whose final acceptance (验收) was recorded in `year` with a passing rating — read from the
    challenges table, not from the challenge_accepted signal, so a recomputation gives the same answer. A failed
    challenge (不合格, status failed) counts nothing."""
    try:
        from ..challenges.models import Challenge, ChallengeApplication
    except ImportError:  # pragma: no cover - the challenges domain is optional for the statistics
        return {}
    if not org_ids:
        return {}
    lo, hi = datetime(year, 1, 1), datetime(year + 1, 1, 1)  # rated_at is naive UTC, like every timestamp
    rows = db.session.execute(
        db.select(ChallengeApplication.org_id, Challenge.rating, func.count(Challenge.id))
        .join(ChallengeApplication, ChallengeApplication.id == Challenge.awarded_application_id)
        .where(Challenge.status == "accepted", Challenge.rating.in_(("优秀", "良好", "合格")),
               Challenge.rated_at >= lo, Challenge.rated_at < hi, ChallengeApplication.org_id.in_(org_ids))
        .group_by(ChallengeApplication.org_id, Challenge.rating)).all()
    out: dict = {}
    for org_id, rating, n in rows:
        out.setdefault(org_id, {})[rating] = int(n)
    return out


def _plain(row: dict) -> dict:
    """A row as JSON (Decimals as strings), the form snapshots keep."""
    def conv(v):
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    return conv(row)


def live(year: int) -> list[dict]:
    return [_plain(r) for r in index.score(collect(year), weights())]


# Reading -----------------------------------------------------------------------------------------------------

def snapshot(year: int) -> IndexRanking | None:
    return db.session.scalar(db.select(IndexRanking).where(IndexRanking.year == year))


def view(actor, year: int) -> dict:
    """What the ranking page shows `actor` for `year`:
    - rows: (rank, name, index) of the published ranking for everyone; before publication, for the provincial
      centre only (the live or frozen ranking);
    - own: the rows whose components the actor may see (its own institution, a city centre's institutions,
      all for the provincial centre), with their rank — live before publication;
    - status: None (live), frozen or published; weights of what is shown."""
    snap = snapshot(year)
    if snap is not None:
        rows, w, status = snap.rows, snap.weights, snap.status
    else:
        rows, w, status = live(year), weights(), None
    allowed = visible_org_ids(actor, rows)
    mine = rows if allowed is None else [r for r in rows if r["org_id"] in allowed]
    public = status == "published" or is_province(actor)
    listing = [{"rank": r["rank"], "name": r["name"], "city": r.get("city"), "index": r["index"],
                "org_id": r["org_id"]} for r in rows] if public else []
    return {"year": year, "status": status, "status_label": STATUSES.get(status, "实时计算（未冻结）"),
            "snapshot": snap, "rows": listing, "detail": mine, "weights": w, "total": len(rows),
            "formula": index.formula_rows(w), "bonus": index.bonus_rows(), "can_freeze": is_province(actor) and status != "published",
            "can_publish": snap is not None and WORKFLOW.may(actor, snap, "publish")}


# Acting (flush, never commit: the pipeline commits) --------------------------------------------------------

def freeze(actor, year: int) -> IndexRanking:
    """Compute the year's ranking now and keep it (again, while it is not published)."""
    if not is_province(actor):
        raise Forbidden("只有省级中心可以冻结榜单")
    snap = snapshot(year)
    rows, w = live(year), weights()
    if snap is None:
        snap = IndexRanking(year=year, status="frozen", weights=w, rows=rows, frozen_by_id=actor.id)
        db.session.add(snap)
        db.session.flush()
        record_audit(actor, "index_ranking", snap.id, "freeze", None, "frozen", None,
                     {"year": year, "institutions": len(rows)})
    elif snap.status == "published":
        raise Conflict(f"{year} 年榜单已发布，不能重新冻结")
    else:
        snap.rows, snap.weights, snap.frozen_by_id, snap.frozen_at = rows, w, actor.id, utcnow()
        record_audit(actor, "index_ranking", snap.id, "refreeze", "frozen", "frozen", None,
                     {"year": year, "institutions": len(rows)})
    db.session.flush()
    return snap


def publish(actor, year: int, note: str | None = None) -> IndexRanking:
    snap = snapshot(year)
    if snap is None:
        if not is_province(actor):
            raise Forbidden("只有省级中心可以发布榜单")
        raise NotFound(f"{year} 年榜单尚未冻结，请先冻结再发布")
    WORKFLOW.fire(actor, snap, "publish", note, details={"year": year})
    snap.published_by_id, snap.published_at = actor.id, utcnow()
    db.session.flush()
    return snap
