"""Demo bookings: bookable services on four demo service resources (a scanning electron microscope by the hour,
an X-ray diffractometer open to any company, ICP-MS tests by the sample, a copper pilot line quoted per job)
with their operators' accounts, and about a dozen bookings across the year in every state — all through the
services, so the rules, notifications and audit trail are the real ones.

Called after the demo resources are imported: `from .bookings import load; lines.append(load())`."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..accounts import services as accounts
from ..accounts.models import Organisation, User
from ..bookings import calc, services as svc
from ..bookings.models import BookableService
from ..extensions import db
from ..resources.models import ServiceResource

PASSWORD = "demo12345"
WORKDAYS = {str(d): "09:00-12:00,14:00-17:30" for d in range(1, 6)}
# (resource ref, operator e-mail, operator's name, [bookable services])
OPERATORS = [
    ("JX-SRV-0013", "instrument@demo.jx", "陈思远", [
        {"name": "场发射扫描电镜（SEM，蔡司 Sigma 300）机时", "kind": "hours", "unit_price": "300.00",
         "opening_hours": {**WORKDAYS, "6": "09:00-12:00"}, "slot_minutes": 60, "policy": "approval",
         "cancel_hours": 24, "advance_days": 45,
         "description": "含二次电子、背散射成像和能谱（EDS）面扫；导电处理另计。首次使用须由平台工程师陪同操作。"},
        {"name": "X射线衍射仪（XRD）机时", "kind": "hours", "unit_price": "260.00", "opening_hours": WORKDAYS,
         "slot_minutes": 30, "policy": "open", "cancel_hours": 12, "advance_days": 30,
         "description": "物相定性、定量分析，粉末与块体样品均可。"}]),
    ("JX-SRV-0014", "jdz-lab@demo.jx", "邹雨晴", [
        {"name": "ICP-MS 微量元素测试", "kind": "samples", "unit_price": "180.00", "opening_hours": WORKDAYS,
         "slot_minutes": 60, "policy": "open", "cancel_hours": 48, "advance_days": 60,
         "description": "按样品计费，含消解前处理；每个预约时段可送样 10 个以内，5 个工作日出具报告。"}]),
    ("JX-SRV-0006", "pilot@demo.jx", "吴国平", [
        {"name": "铜合金连续挤压中试线技术服务", "kind": "quoted", "unit_price": None,
         "opening_hours": {str(d): "08:00-12:00,13:00-17:00" for d in range(1, 6)}, "slot_minutes": 240,
         "policy": "approval", "cancel_hours": 72, "advance_days": 90,
         "description": "连续挤压、拉拔中试，按工艺方案和用料报价，半天为一个时段。"}]),
]
CUSTOMERS = ["鹰潭市华鑫铜业有限公司", "南昌市航宇精密制造有限公司", "宜春市华钽新材料有限公司", "上饶市光耀新能源科技有限公司",
             "南昌大学"]
PEOPLE = ["钱海涛", "方晓琳", "陶志强", "罗慧", "邓文博"]  # the contacts of imported companies without an account


def _workday(d: date) -> date:
    while d.isoweekday() > 5:
        d += timedelta(days=1)
    return d


def _customer_user(name: str):
    org = db.session.scalars(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        return None
    user = db.session.scalars(select(User).where(User.org_id == org.id, User.active.is_(True))).first()
    if user is None:  # an imported company without an account: its demo user books
        role = "institution" if org.kind == "institution" else "company"
        person = PEOPLE[org.id % len(PEOPLE)]
        user = accounts.create_user(f"customer{org.id}@demo.jx", PASSWORD, role, org, name=person)
    return user


def load(today: date | None = None) -> str:
    now = datetime.combine(today, datetime.min.time()).replace(hour=9) if today else calc.local_now()
    made: dict[str, list] = {}
    owners = {}
    for ref, email, person, services in OPERATORS:
        res = db.session.scalars(select(ServiceResource).where(ServiceResource.ref == ref)).first()
        if res is None:
            continue
        owner = db.session.scalars(select(User).where(User.email == email)).first()
        if owner is None:
            owner = accounts.create_user(email, PASSWORD, "broker", res.owner_org, name=person)
        owners[ref] = owner
        if db.session.scalars(select(BookableService).where(BookableService.resource_id == res.id)).first():
            return "服务预约演示数据已存在。"
        made[ref] = [svc.save_service(owner, res, data) for data in services]
    if not made:
        return "未找到演示服务资源，未加载服务预约。"
    customers = [u for u in (_customer_user(n) for n in CUSTOMERS) if u is not None]
    sem, xrd = made.get("JX-SRV-0013", [None, None])
    icp = made.get("JX-SRV-0014", [None])[0]
    line = made.get("JX-SRV-0006", [None])[0]
    sem_owner, icp_owner, line_owner = owners.get("JX-SRV-0013"), owners.get("JX-SRV-0014"), owners.get("JX-SRV-0006")
    if sem is not None:
        svc.add_blackout(sem_owner, sem, {"day": _workday(now.date() + timedelta(days=10)).isoformat(),
                                          "reason": "电子枪灯丝更换及年度校准"})
    count = 0

    def book(service, owner, who, days, hh, mm=0, end="requested", slots=1, samples=None, usage=None, why=None,
             rating=None, purpose="材料表征"):
        nonlocal count
        if service is None or who is None:
            return
        day = _workday(now.date() + timedelta(days=days))
        start = datetime(day.year, day.month, day.day, hh, mm)
        before = start - timedelta(days=3)
        data = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "slots": slots, "purpose": purpose,
                "contact_phone": "0791-8816" + f"{count:04d}"}
        if samples:
            data["samples"] = samples
        b = svc.book(who, service, data, now=min(before, now))
        count += 1
        if end in ("approved", "used") and b.status == "requested":
            svc.approve(owner, b, now=min(before + timedelta(hours=2), now))
        if end == "used":
            svc.record_usage(owner, b, usage or {}, now=start + timedelta(hours=6))
            if rating:
                svc.rate(who, b, {"rating": rating[0], "comment": rating[1]})
        elif end == "rejected":
            svc.reject(owner, b, why)
        elif end == "cancelled":
            svc.cancel(who, b, why, now=min(before + timedelta(hours=3), now))
        db.session.flush()

    c = (customers + [None] * 5)[:5]
    book(sem, sem_owner, c[0], -160, 9, end="used", slots=2, usage={"used_hours": "2", "invoice_no": "36012600001"},
         rating=(5, "工程师指导耐心，能谱面扫结果清晰。"), purpose="铜杆夹杂物形貌与成分分析")
    book(sem, sem_owner, c[1], -120, 14, end="used", slots=3,
         usage={"used_hours": "2.5", "fee": "700.00", "fee_reason": "按平台中小企业创新券政策九三折并抹零",
                "invoice_no": "36012600047"}, rating=(4, "出图快，预约排队略长。"), purpose="航空紧固件断口分析")
    book(sem, sem_owner, c[4], -75, 9, end="used", usage={"used_hours": "1"}, purpose="稀土发光粉体形貌观察")
    book(sem, sem_owner, c[2], -40, 10, end="rejected", why="该时段设备已安排校准，请改约下周", purpose="钽粉粒度形貌")
    book(sem, sem_owner, c[0], 4, 9, end="approved", slots=2, purpose="新牌号铜合金晶粒观察")
    book(sem, sem_owner, c[3], 6, 14, end="requested", purpose="光伏焊带表面缺陷分析")
    book(xrd, sem_owner, c[2], -90, 9, end="used", slots=2, usage={"used_hours": "1", "invoice_no": "36012600063"},
         purpose="钽酸锂物相鉴定")
    book(xrd, sem_owner, c[3], 3, 10, mm=30, end="approved", purpose="硅片表面涂层物相")
    book(icp, icp_owner, c[0], -140, 9, end="used", samples=6, usage={"used_samples": 6, "invoice_no": "36022600012"},
         rating=(5, "报告规范，数据可直接用于申报。"), purpose="铜渣中铅砷镉含量")
    book(icp, icp_owner, c[2], -60, 14, end="used", samples=4, usage={"used_samples": 5}, purpose="锂云母浸出液杂质元素")
    book(icp, icp_owner, c[1], -20, 9, end="cancelled", samples=3, why="样品尚未制备完成", purpose="合金微量元素")
    book(line, line_owner, c[0], -100, 8, end="used", usage={"used_hours": "4", "fee": "18600.00",
                                                            "invoice_no": "36062600005"},
         purpose="铜铬锆合金连续挤压 200 kg 试制")
    book(line, line_owner, c[1], 12, 8, end="requested", purpose="异型铜排挤压工艺验证")
    return f"服务预约：{sum(len(v) for v in made.values())} 项可预约服务，{count} 条预约（运营方账号 " + \
        "、".join(e for _, e, _, _ in OPERATORS) + f"，密码 {PASSWORD}）。"
