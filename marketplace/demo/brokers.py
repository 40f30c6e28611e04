"""Demo brokers: two agencies, brokers of each level with filings (one waiting for review), a brokered deal from
claim to registered contract with a payment, and ratings — all through the services, so the rules, the
notifications and the audit trail are the real ones."""
from datetime import date, timedelta

from sqlalchemy import select

from ..accounts import services as accounts
from ..accounts.models import Organisation, User
from ..achievements.models import Achievement
from ..brokers import profiles, services as workbench
from ..contracts import services as contracts
from ..core.uscc import make_uscc
from ..demands.models import Demand
from ..extensions import db
from .pairs import pair

PASSWORD = "demo12345"
YINGTAN_AGENCY = "鹰潭市铜都技术转移服务中心"
# (e-mail, agency, real name, level, certificate, specialties, cities, filed with, final status)
BROKERS = [
    ("broker@demo.jx", "江西省科晟技术转移服务有限公司", "李明远", "高级技术经理人", "JXJJ-2021-0007",
     ["有色金属", "新材料", "装备制造"], ["南昌", "鹰潭", "赣州"], "江西省技术转移中心", "active"),
    ("broker2@demo.jx", "江西省科晟技术转移服务有限公司", "张晓雯", "中级技术经纪人", "JXJJ-2022-0135",
     ["电子信息", "数字经济", "生物医药"], ["南昌", "九江"], "江西省技术转移中心", "active"),
    ("broker3@demo.jx", YINGTAN_AGENCY, "王磊", "中级技术经纪人", "JXJJ-2023-0288",
     ["有色金属", "节能环保"], ["鹰潭", "上饶"], "鹰潭市科技成果转化中心", "active"),
    ("broker4@demo.jx", YINGTAN_AGENCY, "陈静", "初级技术经纪人", "JXJJ-2025-0412",
     ["现代农业", "食品"], ["鹰潭"], "鹰潭市科技成果转化中心", "submitted"),
]


def _user(email):
    return db.session.scalars(select(User).where(User.email == email)).one_or_none()


def load_brokers(today: date | None = None) -> str:
    today = today or date.today()
    accounts.get_or_create_org(YINGTAN_AGENCY, "agency", uscc=make_uscc(YINGTAN_AGENCY), city="鹰潭",
                                        approved=True)
    db.session.flush()
    province = _user("admin@demo.jx")
    yingtan = _user("yingtan-admin@demo.jx")
    made = {}
    for email, org_name, name, level, cert, specialties, cities, centre_name, status in BROKERS:
        user = _user(email)
        if user is None:
            org = db.session.scalars(select(Organisation).where(Organisation.name == org_name)).one()
            user = accounts.create_user(email, PASSWORD, "broker", org, name=name)
        centre = db.session.scalars(select(Organisation).where(Organisation.name == centre_name)).one()
        p = profiles.save(user, {"real_name": name, "level": level, "certificate_no": cert,
                                 "certificate_issuer": "江西省科学技术厅", "specialties": specialties, "cities": cities,
                                 "filed_with_org_id": centre.id,
                                 "training": [{"year": today.year - 1, "hours": "32"}, {"year": today.year, "hours": "16"}],
                                 "bio": f"{name}，{level}，长期服务{'、'.join(cities)}的{'、'.join(specialties)}企业。"})
        profiles.submit(user, p)
        if status == "active":
            reviewer = province if centre_name == "江西省技术转移中心" else yingtan
            profiles.decide(reviewer, p, "approve", today=today - timedelta(days=300))
        made[email] = user
    deal = _brokered_deal(made["broker@demo.jx"], today)
    db.session.commit()
    return (f"技术经纪人：2 家机构、{len(BROKERS)} 名经纪人（1 名备案待审核，鹰潭市中心审核）；{deal}")


def _brokered_deal(broker, today) -> str:
    """broker@demo.jx: claims a demand of the demo company, introduces a university's achievement that
    answers it (pairs.py), the parties sign, the broker makes the contract draft in one step, it is
    registered, paid in part and rated by both sides."""
    company, admin = _user("company@demo.jx"), _user("admin@demo.jx")
    demand, achievement = pair("brokered")
    if demand is None:  # a demo database edited by hand: the company's first demand, 南昌大学's first one
        ncu = _user("ncu@demo.jx")
        demand = db.session.scalars(select(Demand).where(
            Demand.owner_org_id == company.org_id, Demand.status == "published").order_by(Demand.id)).first()
        achievement = db.session.scalars(select(Achievement).where(
            Achievement.owner_org_id == ncu.org_id, Achievement.status == "published")
            .order_by(Achievement.id)).first()
    if demand is None or achievement is None:
        return "（演示数据中没有可撮合的需求与成果）"
    seller = db.session.scalars(select(User).where(User.org_id == achievement.owner_org_id,
                                                   User.role == "institution").order_by(User.id)).first()
    intro = workbench.claim(broker, demand)
    workbench.introduce(broker, intro, achievement, "双方技术路线契合，建议先小批量试产")
    for stage in ("contacted", "negotiating", "signed"):
        workbench.advance(broker, intro, stage)
    signed = today - timedelta(days=120)
    c = workbench.contract_draft(broker, intro, {"kind": "技术转让", "transfer_form": "许可", "amount": "360000",
                                                 "signed_on": signed.isoformat(),
                                                 "title": f"{achievement.title}专利实施许可合同"[:200]})
    contracts.set_terms(seller, c, {"kind": "deferred", "amount": "360000", "defer_months": 0,
                                    "instalments": 3, "interval_months": 6, "due_days": 30})
    contracts.submit(seller, c)
    contracts.register(admin, c, {}, today=signed + timedelta(days=7))
    contracts.record_payment(seller, c, {"amount": "120000", "note": "首期款",
                                         "received_on": (signed + timedelta(days=30)).isoformat()})
    profiles.rate(company, {"contract_id": c.id, "score": 5, "comment": "需求理解准确，对接高效"})
    profiles.rate(seller, {"contract_id": c.id, "score": 4, "comment": "沟通及时，合同条款梳理清楚"})
    profiles.disclose(company, {"contract_id": c.id, "allow_amount": True})
    profiles.disclose(seller, {"contract_id": c.id, "allow_amount": True})
    return f"撮合成交 1 份（{c.registration_no}，已登记、首期到账、双方评价）。"
