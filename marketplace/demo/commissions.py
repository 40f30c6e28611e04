"""Demo commissions and rewards, made through the services: introductions that became registered contracts
with commission agreements of different bases (received, tiered, equity), payments that accrued commission,
one confirmed and paid, one reversal, invoices on the payments, and a 鹰潭 reward rule with its computed list."""
from datetime import date, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..achievements.models import Achievement
from ..brokers import services as brokers
from ..brokers.models import Introduction
from ..commissions import rewards, services as commissions
from ..commissions.models import CommissionEntry
from ..contracts import services as contracts
from ..demands.models import Demand
from ..extensions import db
from .pairs import pair


def _user(email):
    return User.query.filter_by(email=email).one()


def _free_demand(org_id, skip=()):
    taken = select(Introduction.demand_id)
    return Demand.query.filter(Demand.owner_org_id == org_id, Demand.status == "published", Demand.id.not_in(taken),
                               Demand.id.not_in(list(skip) or [0])).order_by(Demand.id).first()


def _other_company_demand(not_org_id):
    """A published, unclaimed demand of another approved company with a 统一社会信用代码 (a contract party)."""
    from ..accounts.models import Organisation
    taken = select(Introduction.demand_id)
    return Demand.query.join(Organisation, Organisation.id == Demand.owner_org_id).filter(
        Demand.status == "published", Demand.id.not_in(taken), Demand.owner_org_id != not_org_id,
        Organisation.status == "approved", Organisation.uscc.isnot(None)).order_by(Demand.id).first()


def _achievement(org_id, n=0):
    return Achievement.query.filter_by(owner_org_id=org_id, status="published").order_by(Achievement.id).offset(n).first()


def _brokered(broker, demand, achievement):
    intro = brokers.claim(broker, demand)
    brokers.introduce(broker, intro, achievement, "双方技术需求与成果高度契合")
    for stage in ("contacted", "negotiating", "signed"):
        brokers.advance(broker, intro, stage)
    return intro


def _contract(seller, buyer_org_id, intro, title, amount, signed, terms, kind="技术转让", form="许可"):
    return contracts.create(seller, {
        "kind": kind, "transfer_form": form if kind == "技术转让" else None, "title": title,
        "seller_org_id": seller.org_id, "buyer_org_id": buyer_org_id, "amount": amount, "signed_on": signed.isoformat(),
        "city": "鹰潭", "industry": intro.demand.industry or "有色金属", "introduction_id": intro.id,
        "terms": terms})


def load_commissions(today: date | None = None) -> str:
    today = today or date.today()
    broker, ncu, jxust = _user("broker@demo.jx"), _user("ncu@demo.jx"), _user("jxust@demo.jx")
    company, registrar = _user("company@demo.jx"), _user("yingtan-admin@demo.jx")
    # pairs a broker would make (pairs.py); on a demo database edited by hand, the first free ones as before
    d1, a1 = pair("received")  # both pay: the buyer is the demo company, who confirms
    if d1 is None:
        d1, a1 = _free_demand(company.org_id), _achievement(ncu.org_id, 0)
    d2, a2 = pair("tiered")  # seller-paid: the buyer need not confirm
    if d2 is None:
        d2, a2 = _free_demand(company.org_id, skip=[d1.id] if d1 else []), _achievement(jxust.org_id, 0)
    d3, a3 = pair("equity")  # seller-paid equity
    if d3 is None:
        d3, a3 = _other_company_demand(company.org_id), _achievement(jxust.org_id, 1)
    if not all((d1, d2, d3, a1, a2, a3)):
        return "佣金演示：缺少可撮合的需求或成果，未生成。"
    signed = today - timedelta(days=90)
    # Registered this year (the reward rule is for this year), never before signing.
    registered = max(signed + timedelta(days=7), date(today.year, 1, 1))

    # 1. Received basis, both pay (50/50), 3% capped at 30,000: two payments accrue, one part confirmed and paid,
    #    one part reversed (a correction).
    intro = _brokered(broker, d1, a1)
    ag = commissions.create(broker, {"introduction_id": intro.id, "payer": "both", "seller_share": "50",
                                     "basis": "received", "rate": "3", "cap": "30000", "propose": True,
                                     "note": "按到账金额的3%计提，双方各付一半"})
    commissions.confirm(ncu, ag)
    commissions.confirm(company, ag)
    c1 = _contract(ncu, d1.owner_org_id, intro, f"{a1.title}专利实施许可合同"[:200], "600000", signed,
                   {"kind": "deferred", "amount": "600000", "defer_months": 0, "instalments": 3, "interval_months": 2})
    contracts.submit(ncu, c1)
    contracts.register(registrar, c1, {}, today=registered)
    for amount, days in (("200000", 60), ("100000", 20)):
        p = contracts.record_payment(ncu, c1, {"amount": amount, "received_on": (today - timedelta(days=days)).isoformat(),
                                               "note": "银行转账"})
        commissions.record_invoice(ncu, p.id, {"invoice_no": f"3600{p.id:08d}", "contract_no": c1.registration_no})
    db.session.flush()
    first = CommissionEntry.query.filter_by(agreement_id=ag.id, kind="accrual").order_by(CommissionEntry.id).all()
    buyer_part = next(e for e in first if e.payer == "buyer")
    commissions.confirm_entry(company, buyer_part)
    commissions.record_paid(broker, buyer_part, {"invoice_no": "36001234", "bank_ref": "HD202611050018",
                                                 "paid_on": today.isoformat()})
    second_seller = [e for e in first if e.payer == "seller"][-1]
    commissions.reverse(ncu, second_seller, {"reason": "到账金额含代垫检测费，本笔佣金更正后重新约定"})

    # 2. Tiered on the contract amount, paid by the seller: accrued at registration.
    intro2 = _brokered(broker, d2, a2)
    ag2 = commissions.create(jxust, {"introduction_id": intro2.id, "payer": "seller", "basis": "tiered",
                                     "tiers": [{"upto": "100000", "rate": "5"}, {"upto": "1000000", "rate": "3"},
                                               {"upto": None, "rate": "1"}], "propose": True})
    commissions.confirm(jxust, ag2)
    title2 = f"{a2.title.removesuffix('技术')}技术开发合同"[:200]
    c2 = _contract(jxust, d2.owner_org_id, intro2, title2, "1500000", signed,
                   {"kind": "lump_sum", "amount": "1500000", "due_days": 60}, kind="技术开发")
    contracts.submit(jxust, c2)
    contracts.register(registrar, c2, {}, today=registered)
    p = contracts.record_payment(jxust, c2, {"amount": "500000", "received_on": (today - timedelta(days=30)).isoformat()})
    commissions.record_invoice(jxust, p.id, {"invoice_no": f"3600{p.id:08d}", "contract_no": c2.registration_no})

    # 3. Equity: 5% of the seller's equity consideration (作价入股), recorded as equity, not cash.
    intro3 = _brokered(broker, d3, a3)
    ag3 = commissions.create(jxust, {"introduction_id": intro3.id, "payer": "seller", "basis": "equity",
                                     "equity_mode": "percent", "equity_percent": "5", "propose": True})
    commissions.confirm(jxust, ag3)
    c3 = _contract(jxust, d3.owner_org_id, intro3, f"{a3.title}专利作价入股合同"[:200], "2000000", signed,
                   {"kind": "equity", "amount": "2000000", "equity_percent": "20"}, form="转让")
    contracts.submit(jxust, c3)
    contracts.register(registrar, c3, {}, today=registered)

    # A 鹰潭 reward rule for brokers, computed (免申即享) and left for the administrator's review.
    rule = rewards.create_rule(registrar, {
        "name": f"{today.year}年鹰潭市技术交易奖补（技术经纪人）", "year": today.year, "city": "鹰潭",
        "recipient_kind": "broker", "method": "tiered", "annual_cap": "50000", "require_payment": True,
        "require_invoice": True, "note": "参照鹰潭市科技成果转化奖补办法：按登记成交额分段累进，每人每年不超过5万元",
        "tiers": [{"upto": "100000", "rate": "1"}, {"upto": "1000000", "rate": "0.5"}, {"upto": None, "rate": "0.1"}]})
    lst = rewards.compute(registrar, rule, today=today)
    db.session.commit()
    st = commissions.broker_statement(broker, broker)
    return (f"佣金：3 份佣金协议（按到账比例、分段累进、股权），{broker.name}计提 {st['accrued']} 元、已支付 "
            f"{st['paid']} 元（含 1 笔冲销）；奖补：{rule.name}，名单 {len(lst.lines)} 人，合计 {lst.total} 元（待审核）。")
