"""Demo events (路演与对接会): five Jiangxi events through the services — a 赣州 rare-earth roadshow that has been held
(registrations, check-ins, interests, one lead turned into a broker introduction and a registered licence, so its
outcomes count), a 景德镇 ceramics matchmaking meeting, an online 产融对接, an exhibition in 宜春 and a full 鹰潭
roadshow with a waiting list. Called by the demo loader after the brokers (it uses broker@demo.jx):

    from .events import load as load_events; lines.append(load_events())
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..accounts import services as accounts
from ..accounts.models import Organisation, User
from ..achievements.models import Achievement
from ..core import listings
from ..core.uscc import make_uscc
from ..extensions import db

PASSWORD = "demo12345"
# (e-mail, role, organisation, org extras, person)
PEOPLE = [
    ("ganzhou-admin@demo.jx", "admin", "赣州市科技成果转化中心", {"admin_level": "city", "city": "赣州"}, "钟国华"),
    ("jdz-admin@demo.jx", "admin", "景德镇市科技成果转化中心", {"admin_level": "city", "city": "景德镇"}, "汪晓燕"),
    ("ganzhou-company@demo.jx", "company", "赣州稀材磁电科技有限公司", {"city": "赣州"}, "刘振宇"),
    ("jdz-company@demo.jx", "company", "景德镇瓷源新材料有限公司", {"city": "景德镇"}, "程立群"),
    ("yichun-company@demo.jx", "company", "宜春锂源新能源材料有限公司", {"city": "宜春"}, "易春生"),
]


def _user(email):
    return db.session.scalars(select(User).where(User.email == email)).one_or_none()


def _ach(*refs):
    rows = db.session.scalars(select(Achievement).where(Achievement.ref.in_(refs),
                                                        Achievement.status == "published")).all()
    by_ref = {a.ref: a for a in rows}
    return [by_ref[r].id for r in refs if r in by_ref]


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm)).strftime("%Y-%m-%d %H:%M")


def _people():
    made = {}
    for email, role, org_name, extras, person in PEOPLE:
        u = _user(email)
        if u is None:
            kind = {"admin": "admin_centre", "company": "company"}[role]
            org = accounts.get_or_create_org(org_name, kind, uscc=make_uscc(org_name) if kind == "company" else None,
                                             approved=True, **extras)
            u = accounts.create_user(email, PASSWORD, role, org, name=person)
        made[email] = u
    db.session.flush()
    return made


def _demand(company, admin, title, body):
    lib = listings.LIBRARIES["demands"]
    d = listings.create(company, lib, lib.load({
        "title": title, "description": body["description"], "indicators": body["indicators"],
        "industry": body["industry"], "city": company.org.city, "budget_wan": body["budget_wan"],
        "cooperation": "技术许可", "deadline": (date.today() + timedelta(days=365)).isoformat()}))
    listings.transition(company, lib, d, "submit")
    listings.transition(admin, lib, d, "approve")
    return d


def _agenda(day, lines):
    return [{"starts_at": _at(day, *s), "ends_at": _at(day, *e), "title": t, "speaker": sp} for s, e, t, sp in lines]


def load(today: date | None = None) -> str:
    from ..brokers.models import Introduction
    from ..contracts import services as contracts
    from ..events import services as ev
    today = today or date.today()
    p = _people()
    province, yingtan = _user("admin@demo.jx"), _user("yingtan-admin@demo.jx")
    broker, broker2 = _user("broker@demo.jx"), _user("broker2@demo.jx")
    company, ncu, jxust = _user("company@demo.jx"), _user("ncu@demo.jx"), _user("jxust@demo.jx")
    gz, jdz = p["ganzhou-admin@demo.jx"], p["jdz-admin@demo.jx"]
    gz_co, jdz_co, yc_co = p["ganzhou-company@demo.jx"], p["jdz-company@demo.jx"], p["yichun-company@demo.jx"]
    brokers = [b.id for b in (broker, broker2) if b is not None]
    lines = []

    # 1. 赣州: a roadshow held three weeks ago, with its outcomes --------------------------------------------
    day = today + timedelta(days=3)
    e1 = ev.create(gz, {
        "title": "2026稀土新材料科技成果路演（赣州专场）", "kind": "成果路演", "city": "赣州",
        "venue": "赣州市章贡区中国稀金谷科技创新中心一楼报告厅", "capacity": 120,
        "starts_at": _at(day, 9), "ends_at": _at(day, 17, 30), "registration_deadline": _at(day - timedelta(days=1), 18),
        "summary": "聚焦稀土永磁、稀土催化与稀土冶炼绿色化，高校院所现场路演，企业现场登记对接意向，技术经纪人会后跟进。",
        "industries": ["新材料", "有色金属", "节能环保"], "audience_cities": ["赣州", "吉安", "南昌"],
        "achievement_ids": _ach("JX-ACH-0038", "JX-ACH-0007", "JX-ACH-0030", "JX-ACH-0185", "JX-ACH-0032"),
        "broker_ids": brokers,
        "agenda": _agenda(day, [((9, 0), (9, 20), "开幕致辞", "赣州市科学技术局"),
                                ((9, 20), (10, 0), "稀土永磁产业技术需求发布", "赣州市稀土行业协会"),
                                ((10, 0), (12, 0), "成果路演（5项，每项15分钟+答疑）", "江西理工大学、南昌大学等"),
                                ((14, 0), (16, 30), "一对一对接洽谈", "技术经纪人"),
                                ((16, 30), (17, 30), "签约仪式", None)])})
    ev.fire(gz, e1, "publish")
    regs = [ev.register(u, e1, {"note": n}) for u, n in ((gz_co, "2人参会，关注晶界扩散"), (company, None),
                                                          (jxust, "路演团队3人"))]
    # the event took place three weeks ago: its times move back (demo data only), then check-in and interests
    shift = timedelta(days=24)
    e1.starts_at, e1.ends_at, e1.registration_deadline = (e1.starts_at - shift, e1.ends_at - shift,
                                                          e1.registration_deadline - shift)
    for item in e1.agenda:
        item.starts_at, item.ends_at = item.starts_at - shift, item.ends_at - shift
    db.session.flush()
    for r in regs[:2]:
        ev.check_in(gz, e1, r.code)
    demand = _demand(gz_co, province, "高性能烧结钕铁硼磁体降低重稀土用量技术需求", {
        "description": "我司年产烧结钕铁硼毛坯3000吨，主要供新能源汽车驱动电机，镝铽用量高、成本受价格波动影响大，"
                       "希望引进晶界扩散等重稀土减量技术并实现产线改造。",
        "indicators": "矫顽力Hcj≥20 kOe（N52SH），重稀土用量降低50%以上，良品率≥98%", "industry": "新材料",
        "budget_wan": "300"})
    first, second = e1.items[0].achievement, e1.items[2].achievement
    i1 = ev.mark_interest(gz_co, e1, {"achievement_id": first.id, "demand_id": demand.id,
                                      "note": "希望洽谈独占许可，并请团队驻厂指导产线改造"})
    ev.mark_interest(gz_co, e1, {"achievement_id": second.id, "note": "关注催化材料配套"})
    ev.mark_interest(company, e1, {"achievement_id": e1.items[1].achievement.id, "note": "了解中试条件"})
    ev.fire(gz, e1, "hold")
    contract_line = ""
    if broker is not None:
        ev.introduce(broker, i1, {"note": "路演现场对接，双方约定两周内赴企业考察"})
        intro = db.session.get(Introduction, i1.introduction_id)
        from ..brokers import services as workbench
        for stage in ("contacted", "negotiating", "signed"):
            workbench.advance(broker, intro, stage)
        signed = today - timedelta(days=6)
        c = workbench.contract_draft(broker, intro, {"kind": "技术转让", "transfer_form": "许可",
                                                     "amount": "1860000.00", "signed_on": signed.isoformat(),
                                                     "title": f"{first.title}专利独占许可合同"[:200]})
        seller = db.session.scalars(select(User).where(User.org_id == first.owner_org_id,
                                                       User.role == "institution")).first()
        if seller is not None:
            contracts.submit(seller, c)
            contracts.register(province, c, {}, today=signed + timedelta(days=3))
            contract_line = f"，促成签约 1 份（{c.registration_no}，186万元）"
    ev.fire(gz, e1, "close")

    # 2. 景德镇: a ceramics matchmaking meeting in twelve days --------------------------------------------------
    day = today + timedelta(days=12)
    e2 = ev.create(jdz, {
        "title": "陶瓷产业科技成果对接会（景德镇）", "kind": "对接会", "city": "景德镇", "venue": "景德镇陶溪川文创街区会展中心B馆",
        "capacity": 80, "starts_at": _at(day, 9), "ends_at": _at(day, 16), "registration_deadline": _at(day - timedelta(days=2), 17),
        "summary": "面向日用陶瓷、建筑陶瓷与先进陶瓷企业，发布景德镇陶瓷大学等高校院所的釉料、窑炉节能与3D打印成果，设一对一洽谈桌。",
        "industries": ["陶瓷", "建材", "新材料"], "audience_cities": ["景德镇", "上饶", "萍乡"],
        "achievement_ids": _ach("JX-ACH-0003", "JX-ACH-0064", "JX-ACH-0072", "JX-ACH-0105", "JX-ACH-0084"),
        "broker_ids": brokers[1:] or brokers,
        "agenda": _agenda(day, [((9, 0), (9, 15), "致辞", "景德镇市科学技术局"),
                                ((9, 15), (11, 30), "成果发布（5项）", "景德镇陶瓷大学"),
                                ((13, 30), (16, 0), "企业一对一洽谈", None)])})
    ev.fire(jdz, e2, "publish")
    ev.register(jdz_co, e2, {"note": "关注无铅色料与窑炉节能"})

    # 3. online 产融对接, in a week ---------------------------------------------------------------------------
    day = today + timedelta(days=7)
    e3 = ev.create(province, {
        "title": "科技型中小企业知识产权质押融资产融对接会（线上）", "kind": "产融对接",
        "online_url": "https://meeting.example.cn/jx-techmarket/2026-ipfinance", "capacity": 300,
        "starts_at": _at(day, 14, 30), "ends_at": _at(day, 17), "registration_deadline": _at(day, 12),
        "summary": "省内银行、担保与创投机构讲解知识产权质押融资与投贷联动产品，已转化成果的企业路演融资需求。",
        "industries": ["新能源", "装备制造", "电子信息"], "audience_cities": [],
        "achievement_ids": _ach("JX-ACH-0010", "JX-ACH-0054"), "broker_ids": brokers[:1],
        "agenda": _agenda(day, [((14, 30), (15, 15), "知识产权质押融资政策与产品解读", "江西省技术转移中心"),
                                ((15, 15), (16, 30), "企业融资路演（6家）", None),
                                ((16, 30), (17, 0), "机构点评与对接", None)])})
    ev.fire(province, e3, "publish")
    for u in (company, yc_co):
        ev.register(u, e3)

    # 4. 宜春: an exhibition in 25 days --------------------------------------------------------------------------
    day = today + timedelta(days=25)
    e4 = ev.create(province, {
        "title": "锂电新能源科技成果展览展示（宜春）", "kind": "展览展示", "city": "宜春", "venue": "宜春市明月山国际会展中心2号馆",
        "capacity": 500, "starts_at": _at(day, 9), "ends_at": _at(day + timedelta(days=2), 17),
        "registration_deadline": _at(day + timedelta(days=2), 12),
        "summary": "锂云母提锂、电池回收与正负极材料成果集中展示，三天展期，现场登记对接意向。",
        "industries": ["新能源", "有色金属", "节能环保"], "audience_cities": ["宜春", "新余", "萍乡"],
        "achievement_ids": _ach("JX-ACH-0053", "JX-ACH-0080", "JX-ACH-0122", "JX-ACH-0171"), "broker_ids": brokers})
    ev.fire(province, e4, "publish")
    ev.register(yc_co, e4)

    # 5. 鹰潭: a small roadshow, full, with a waiting list ----------------------------------------------------
    day = today + timedelta(days=5)
    e5 = ev.create(yingtan, {
        "title": "铜基新材料成果路演沙龙（鹰潭）", "kind": "成果路演", "city": "鹰潭", "venue": "鹰潭高新区铜产业创新服务中心会议室",
        "capacity": 2, "starts_at": _at(day, 14), "ends_at": _at(day, 17), "registration_deadline": _at(day - timedelta(days=1), 17),
        "summary": "小范围闭门路演：极薄锂电铜箔与铜合金成果，限额2家企业。", "industries": ["有色金属"], "audience_cities": ["鹰潭"],
        "achievement_ids": _ach("JX-ACH-0120"), "broker_ids": brokers[:1]})
    ev.fire(yingtan, e5, "publish")
    for u in (company, gz_co, yc_co):
        ev.register(u, e5)
    db.session.commit()
    return (f"路演与对接会：5 场（{e1.ref} 赣州稀土路演已举办：3 人报名、2 人签到、3 条对接意向、1 条转为撮合{contract_line}；"
            f"景德镇陶瓷对接会、线上产融对接、宜春展览展示、鹰潭路演沙龙（名额已满，1 家候补））；"
            f"新增账号 ganzhou-admin@demo.jx、jdz-admin@demo.jx、ganzhou-company@demo.jx、jdz-company@demo.jx、"
            f"yichun-company@demo.jx（密码 {PASSWORD}）。")
