"""Broker profiles, their filing (备案) with a centre, the public directory and agency pages, performance and
credit, ratings, disclosure consents and the evidence list. Services take the actor first, flush, never commit.

Filing: draft → submitted (the broker) → active | rejected (the centre it is filed with, a reason to reject);
rejected → submitted again; active → suspended (reason) → active. Every step is audited and the broker told.
What a broker may change after filing: specialties, cities, biography and training hours; the filing's own
facts (name, level, certificate, centre) only while draft or rejected, so a centre never approves one thing and
publishes another.
"""
from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, or_, select

from ..accounts.models import Organisation
from ..contracts.models import Contract, Payment
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.models import AuditLog, utcnow
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from . import calc
from . import permissions as policy
from .models import LEVELS, PROFILE_STATUSES, BrokerProfile, BrokerRating, BrokerTraining, DealDisclosure, Introduction
from .schemas import DisclosureIn, ProfileIn, RatingIn

FILING_FIELDS = ("real_name", "level", "certificate_no", "certificate_issuer", "filed_with_org_id")
EDITABLE_FILING = ("draft", "rejected")

WORKFLOW = Workflow.of("broker_profile", [
    Transition("submit", frozenset({"draft", "rejected"}), "submitted", "提交备案", "owner"),
    Transition("approve", frozenset({"submitted"}), "active", "备案通过", "reviewer"),
    Transition("reject", frozenset({"submitted"}), "rejected", "驳回备案", "reviewer", needs_reason=True, min_reason=2),
    Transition("suspend", frozenset({"active"}), "suspended", "暂停执业", "reviewer", needs_reason=True, min_reason=2),
    Transition("reinstate", frozenset({"suspended"}), "active", "恢复执业", "reviewer"),
], {"owner": policy.owns_profile, "reviewer": policy.can_review_profile}, state_labels=PROFILE_STATUSES,
    can_view=policy.can_view_profile, not_found="没有找到该技术经纪人")
DECISIONS = ("approve", "reject", "suspend", "reinstate")
# How the contract's history reads a party's consent to show its amount (core.workflow.describe).
action_labels({"disclosure": "设置经纪人页面成交额公开"})


# Commission earned: the commissions package registers a function here (broker user ids → {id: Decimal yuan});
# until it does, performance pages show commission as not recorded.
_commission_sources = []


def register_commission_source(fn) -> None:
    """`fn(user_ids: list[int]) -> dict[int, Decimal]`: commission earned per broker, in yuan, for many brokers at
    once (the ranking reads them all). The commissions package registers `services.earned_by_broker`: the commission
    the paying parties confirmed (paid included), net of reversals."""
    if fn not in _commission_sources:
        _commission_sources.append(fn)


# Profiles and filing ----------------------------------------------------------------------------------------

def own(actor) -> BrokerProfile | None:
    if not perm.is_authenticated(actor):
        return None
    return db.session.scalars(select(BrokerProfile).where(BrokerProfile.user_id == actor.id)).first()


def centres_for(agency) -> list[Organisation]:
    """The centres a broker of this agency may file with: its city's centre and the provincial centre."""
    rows = db.session.scalars(select(Organisation).where(
        Organisation.kind == "admin_centre", Organisation.status == "approved",
        Organisation.admin_level.in_(("province", "city"))).order_by(Organisation.admin_level.desc(),
                                                                      Organisation.name)).all()
    return [c for c in rows if policy.may_file_with(c, agency)]


def save(actor, data: dict) -> BrokerProfile:
    """Create or update the acting broker's own profile."""
    if not policy.is_broker(actor):
        raise Forbidden("只有技术经纪人可以填写执业档案")
    agency = actor.org
    if agency is None or agency.kind != "agency":
        raise Forbidden("技术经纪人应隶属于一家技术转移服务机构")
    profile = own(actor)
    values = ProfileIn().validate_dict(data, partial=profile is not None)
    if "filed_with_org_id" in values and values["filed_with_org_id"] is not None:
        centre = db.session.get(Organisation, values["filed_with_org_id"])
        if not policy.may_file_with(centre, agency):
            raise ValidationFailed("备案中心应为本机构所在设区市的中心或省级中心",
                                   {"filed_with_org_id": "请选择所在设区市中心或省级中心"})
    if profile is None:
        profile = BrokerProfile(user_id=actor.id, agency_org_id=agency.id, status="draft", specialties="", cities="")
        db.session.add(profile)
        profile.agency = agency
    elif profile.status not in EDITABLE_FILING:
        changed = [k for k in FILING_FIELDS if k in values and values[k] != getattr(profile, k)]
        if changed:
            label = ProfileIn.LABELS.get(changed[0], changed[0])
            raise Conflict(f"已提交备案的档案不能修改{label}；如需变更请联系备案中心")
    for key in ("real_name", "level", "certificate_no", "certificate_issuer", "filed_with_org_id", "bio"):
        if key in values:
            setattr(profile, key, values[key])
    for key in ("specialties", "cities"):
        if key in values:
            setattr(profile, key, "、".join(values[key]))
    if "training" in values:
        hours = {t["year"]: t["hours"] for t in values["training"]}
        for row in list(profile.training):
            if row.year not in hours:
                profile.training.remove(row)
            else:
                row.hours = hours.pop(row.year)
        for year, h in hours.items():
            profile.training.append(BrokerTraining(year=year, hours=h))
    profile.updated_at = utcnow()
    db.session.flush()
    from ..core.models import record_audit
    record_audit(actor, "broker_profile", profile.id, "update", None, None,
                 details={k: str(v) for k, v in values.items() if k != "training"})
    return profile


def submit(actor, profile: BrokerProfile) -> BrokerProfile:
    missing = [ProfileIn.LABELS[k] for k in ("certificate_no", "certificate_issuer", "filed_with_org_id")
               if not getattr(profile, k)]
    if not profile.specialties:
        missing.append("擅长产业")
    if missing and policy.owns_profile(actor, profile):
        raise ValidationFailed("提交备案前请填写：" + "、".join(missing), {"profile": "资料不全"})
    if not profile.agency.approved:
        raise Conflict("所属机构尚未通过实名审核，暂不能提交备案")
    WORKFLOW.fire(actor, profile, "submit")
    profile.submitted_at, profile.review_note = utcnow(), None
    _tell_centre(profile)
    return profile


def decide(actor, profile: BrokerProfile, action: str, reason: str | None = None,
           today: date | None = None) -> BrokerProfile:
    if action not in DECISIONS:
        raise NotFound("没有该操作")
    t = WORKFLOW.fire(actor, profile, action, reason)
    if action == "approve":
        profile.filed_on = today or date.today()
    profile.review_note = (reason or "").strip() or None
    _tell_broker(profile, t.label, profile.review_note)
    return profile


def _tell_broker(profile, label, reason) -> None:
    from ..notifications.service import tell
    body = f"您的技术经纪人执业档案（{profile.level}）：{label}。" + (f"理由：{reason}" if reason else "")
    tell(profile.user, "review", f"技术经纪人备案：{label}", body, "/brokers/me")


def _tell_centre(profile) -> None:
    from ..notifications.service import tell_orgs
    if profile.filed_with_org_id:
        tell_orgs([profile.filed_with_org_id], "review", f"技术经纪人备案待审核：{profile.real_name}",
                  f"{profile.agency.name}的{profile.real_name}（{profile.level}）提交了备案。",
                  f"/brokers/{profile.id}", role="admin")


def get(actor, profile_id) -> BrokerProfile:
    p = db.session.get(BrokerProfile, profile_id) if isinstance(profile_id, int) else None
    if p is None or not policy.can_view_profile(actor, p):
        raise NotFound("没有找到该技术经纪人")
    return p


def review_queue(actor) -> list[BrokerProfile]:
    return db.session.scalars(select(BrokerProfile).where(policy.review_queue_condition(actor))
                              .where(BrokerProfile.status.in_(("submitted", "active", "suspended")))
                              .order_by(BrokerProfile.status.desc(), BrokerProfile.submitted_at)).all()


# The public directory ---------------------------------------------------------------------------------------

def _contains(column, value):
    """A "、"-joined column holds `value` as one whole item (not 南昌 inside another word)."""
    return ("、" + column + "、").like(f"%、{value}、%")


def directory_query(actor, industry=None, city=None, level=None, agency_id=None, q=None):
    stmt = select(BrokerProfile).where(BrokerProfile.status == "active")
    if industry:
        stmt = stmt.where(_contains(BrokerProfile.specialties, industry))
    if city:
        stmt = stmt.where(_contains(BrokerProfile.cities, city))
    if level:
        stmt = stmt.where(BrokerProfile.level == level)
    if agency_id:
        stmt = stmt.where(BrokerProfile.agency_org_id == agency_id)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(BrokerProfile.real_name.like(like),
                              BrokerProfile.agency.has(Organisation.name.like(like))))
    levels = {lv: i for i, lv in enumerate(reversed(LEVELS))}  # senior brokers first
    return stmt.order_by(case(levels, value=BrokerProfile.level, else_=9), BrokerProfile.real_name, BrokerProfile.id)


def agency(agency_id) -> Organisation:
    org = db.session.get(Organisation, agency_id) if isinstance(agency_id, int) else None
    if org is None or org.kind != "agency" or not org.approved:
        raise NotFound("没有找到该机构")
    return org


# Performance and credit -------------------------------------------------------------------------------------

def performance(user_ids) -> dict[int, calc.Performance]:
    """Each broker's figures in a handful of grouped queries (the ranking page reads all brokers at once)."""
    ids = list(user_ids)
    out = {i: calc.Performance() for i in ids}
    if not ids:
        return out
    for broker_id, stage, n in db.session.execute(
            select(Introduction.broker_id, Introduction.stage, func.count()).where(Introduction.broker_id.in_(ids))
            .group_by(Introduction.broker_id, Introduction.stage)):
        p = out[broker_id]
        if stage != "claimed":
            p.introductions += n
        if stage == "signed":
            p.signed += n
        elif stage == "failed":
            p.failed += n
    for broker_id, status, n, value in db.session.execute(
            select(Contract.broker_id, Contract.status, func.count(), func.coalesce(func.sum(Contract.amount), 0))
            .where(Contract.broker_id.in_(ids)).group_by(Contract.broker_id, Contract.status)):
        p = out[broker_id]
        p.contracts += n
        if status == "registered":
            p.registered += n
            p.value += value
    for broker_id, received in db.session.execute(
            select(Contract.broker_id, func.sum(Payment.amount)).join(Payment, Payment.contract_id == Contract.id)
            .where(Contract.broker_id.in_(ids), Contract.status == "registered").group_by(Contract.broker_id)):
        out[broker_id].received += received or 0
    # Days from the introduction (its "introduced" audit row; else the claim) to the contract's signing.
    introduced = (select(AuditLog.entity_id, func.min(AuditLog.at).label("at"))
                  .where(AuditLog.entity_type == "introduction", AuditLog.action == "introduced")
                  .group_by(AuditLog.entity_id).subquery())
    for broker_id, signed_on, intro_at, claimed_at in db.session.execute(
            select(Contract.broker_id, Contract.signed_on, introduced.c.at, Introduction.created_at)
            .join(Introduction, Introduction.id == Contract.introduction_id)
            .outerjoin(introduced, introduced.c.entity_id == Introduction.id)
            .where(Contract.broker_id.in_(ids), Contract.status.in_(("submitted", "registered")))):
        start = (intro_at or claimed_at).date()
        out[broker_id].days_to_sign.append(max(0, (signed_on - start).days))
    for broker_id, score in db.session.execute(
            select(BrokerRating.broker_id, BrokerRating.score).where(BrokerRating.broker_id.in_(ids))):
        out[broker_id].ratings.append(score)
    latest = (select(BrokerProfile.user_id, BrokerTraining.year, BrokerTraining.hours)
              .join(BrokerTraining, BrokerTraining.profile_id == BrokerProfile.id)
              .where(BrokerProfile.user_id.in_(ids)).order_by(BrokerTraining.year))
    for user_id, _year, hours in db.session.execute(latest):
        out[user_id].training_hours = hours  # ordered by year: the latest wins
    for source in _commission_sources:
        for broker_id, amount in (source(ids) or {}).items():
            if broker_id in out:
                out[broker_id].commission = (out[broker_id].commission or 0) + amount
    return out


def summary(p: calc.Performance) -> dict:
    score, parts = calc.credit_score(p)
    return {"introductions": p.introductions, "signed": p.signed, "failed": p.failed, "contracts": p.contracts,
            "registered": p.registered, "value": p.value, "received": p.received, "commission": p.commission,
            "success_rate": p.success_rate, "median_days": p.median_days, "rating_mean": p.rating_mean,
            "ratings": len(p.ratings), "score": score, "components": parts}


def combine(perfs) -> calc.Performance:
    """An agency's figures: the sum of its brokers' (ratings and days pooled, training not summed)."""
    total = calc.Performance()
    for p in perfs:
        for key in ("introductions", "signed", "failed", "contracts", "registered", "value", "received"):
            setattr(total, key, getattr(total, key) + getattr(p, key))
        total.days_to_sign += p.days_to_sign
        total.ratings += p.ratings
        if p.commission is not None:
            total.commission = (total.commission or 0) + p.commission
    return total


def ranking(city=None, level=None) -> list[tuple[BrokerProfile, dict]]:
    stmt = select(BrokerProfile).where(BrokerProfile.status == "active")
    if city:
        stmt = stmt.where(_contains(BrokerProfile.cities, city))
    if level:
        stmt = stmt.where(BrokerProfile.level == level)
    profiles = db.session.scalars(stmt).all()
    perf = performance([p.user_id for p in profiles])
    rows = [(p, summary(perf[p.user_id])) for p in profiles]
    return sorted(rows, key=lambda r: (-r[1]["score"], -r[1]["value"], r[0].real_name))


# Deals, disclosure, ratings, evidence -----------------------------------------------------------------------

def registered_deals(user_id):
    return db.session.scalars(select(Contract).where(Contract.broker_id == user_id, Contract.status == "registered")
                              .order_by(Contract.signed_on.desc(), Contract.id.desc())).all()


def public_deals(user_id) -> list[dict]:
    """A broker's registered deals as the public sees them: title, kind, year, industry and the amount band;
    the exact amount only when both parties agreed (deal_disclosures). Drafts and unregistered contracts never."""
    deals = registered_deals(user_id)
    allowed = defaultdict(set)
    if deals:
        for cid, org_id in db.session.execute(select(DealDisclosure.contract_id, DealDisclosure.org_id).where(
                DealDisclosure.contract_id.in_([c.id for c in deals]), DealDisclosure.allow_amount.is_(True))):
            allowed[cid].add(org_id)
    return [{"contract_id": c.id, "title": c.title, "kind": c.kind, "year": c.signed_on.year, "industry": c.industry,
             "amount_band": calc.amount_band(c.amount),
             "amount": c.amount if c.party_org_ids <= allowed[c.id] else None} for c in deals]


def _party_contract(actor, contract_id, what) -> Contract:
    c = db.session.get(Contract, contract_id)
    if c is None or not (perm.is_authenticated(actor) and actor.org_id in c.party_org_ids):
        raise NotFound("没有找到该合同")
    if not actor.active:
        raise Forbidden(f"账号已停用，不能{what}")
    return c


def disclose(actor, data: dict) -> DealDisclosure:
    """A party agrees (or stops agreeing) to show its contract's exact amount on the broker's profile."""
    values = DisclosureIn().validate_dict(data)
    c = _party_contract(actor, values["contract_id"], "设置公开范围")
    row = db.session.scalars(select(DealDisclosure).where(DealDisclosure.contract_id == c.id,
                                                          DealDisclosure.org_id == actor.org_id)).first()
    if row is None:
        row = DealDisclosure(contract_id=c.id, org_id=actor.org_id)
        db.session.add(row)
    row.allow_amount, row.decided_by_id, row.decided_at = values["allow_amount"], actor.id, utcnow()
    db.session.flush()
    from ..core.models import record_audit
    record_audit(actor, "contract", c.id, "disclosure", details={"org": actor.org_id,
                                                                 "allow_amount": values["allow_amount"]})
    return row


def rate(actor, data: dict) -> BrokerRating:
    """A party rates the broker of its registered contract: once per party (organisation) per deal."""
    values = RatingIn().validate_dict(data)
    c = _party_contract(actor, values["contract_id"], "评价")
    if c.broker_id is None:
        raise Conflict("该合同没有技术经纪人")
    if c.status != "registered":
        raise Conflict("合同登记后才能评价技术经纪人")
    exists = db.session.scalar(select(func.count()).select_from(BrokerRating).where(
        BrokerRating.contract_id == c.id, BrokerRating.rater_org_id == actor.org_id))
    if exists:
        raise Conflict("本单位已评价过该合同的技术经纪人")
    r = BrokerRating(contract_id=c.id, broker_id=c.broker_id, rater_org_id=actor.org_id, rater_user_id=actor.id,
                     score=values["score"], comment=values.get("comment"))
    db.session.add(r)
    db.session.flush()
    from ..core.models import record_audit
    record_audit(actor, "broker_rating", r.id, "create", details={"contract": c.id, "score": r.score})
    return r


def ratings_of(user_id, limit=20) -> list[BrokerRating]:
    return db.session.scalars(select(BrokerRating).where(BrokerRating.broker_id == user_id)
                              .order_by(BrokerRating.id.desc()).limit(limit)).all()


def rateable(actor, broker_user_id) -> list[Contract]:
    """The actor's organisation's registered contracts with this broker not yet rated by it."""
    if not perm.is_authenticated(actor) or actor.role == "broker":
        return []
    rated = select(BrokerRating.contract_id).where(BrokerRating.rater_org_id == actor.org_id)
    return db.session.scalars(select(Contract).where(
        Contract.broker_id == broker_user_id, Contract.status == "registered", Contract.id.not_in(rated),
        or_(Contract.seller_org_id == actor.org_id, Contract.buyer_org_id == actor.org_id))).all()


EVIDENCE_HEADERS = ["登记号", "登记日期", "合同名称", "合同类型", "卖方（让与方/受托方）", "买方（受让方/委托方）",
                    "成交额（元）", "签订日期", "设区市", "产业领域", "到账金额（元）"]


def evidence_rows(actor) -> list[list]:
    """The acting broker's registered deals with their registration numbers (for a 职称 application)."""
    if not policy.is_broker(actor):
        raise Forbidden("只有技术经纪人可以导出撮合业绩")
    deals = registered_deals(actor.id)
    received = dict(db.session.execute(select(Payment.contract_id, func.sum(Payment.amount)).where(
        Payment.contract_id.in_([c.id for c in deals] or [0])).group_by(Payment.contract_id)).all())
    return [[c.registration_no, c.registered_on, c.title, c.kind + (f"（{c.transfer_form}）" if c.transfer_form else ""),
             c.seller.name, c.buyer.name, c.amount, c.signed_on, c.city, c.industry, received.get(c.id) or 0]
            for c in deals]


