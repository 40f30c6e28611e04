"""`flask demo load`: the demo records (data/*.jsonl) through the normal import path, plus demo users."""
from pathlib import Path

from sqlalchemy import func

from ..accounts import services as accounts
from ..accounts.models import Organisation, User
from ..core import listings
from ..core.uscc import make_uscc
from ..extensions import db
from ..imports.readers import read_file
from ..imports.service import import_rows

DATA = Path(__file__).parent / "data"
PASSWORD = "demo12345"

# (email, role, organisation, kind extras, the person's name) — printed by the command and listed in the README.
DEMO_USERS = [
    ("admin@demo.jx", "admin", "江西省技术转移中心", {"admin_level": "province", "city": "南昌"}, "周志刚"),
    ("yingtan-admin@demo.jx", "admin", "鹰潭市科技成果转化中心", {"admin_level": "city", "city": "鹰潭"}, "黄丽华"),
    ("ncu@demo.jx", "institution", "南昌大学", {"city": "南昌", "subtype": "高校"}, "刘晓东"),
    ("jxust@demo.jx", "institution", "江西理工大学", {"city": "赣州", "subtype": "高校"}, "钟文斌"),
    ("company@demo.jx", "company", "鹰潭市华鑫铜业有限公司", {"city": "鹰潭"}, "徐建明"),
    ("broker@demo.jx", "broker", "江西省科晟技术转移服务有限公司", {"city": "南昌"}, "李明远"),
]


def database_is_empty() -> bool:
    return db.session.scalar(db.select(func.count()).select_from(User)) == 0 and \
        db.session.scalar(db.select(func.count()).select_from(Organisation)) == 0


def _org(name, kind, extras):
    uscc = make_uscc(name) if kind in ("company", "agency") else None
    return accounts.get_or_create_org(name, kind, uscc=uscc, **extras)


def load_demo(progress=print) -> str:
    from ..core.vocab import ROLE_ORG_KIND
    lines = ["演示账号（密码均为 %s）：" % PASSWORD]
    for email, role, org_name, extras, person in DEMO_USERS:
        org = _org(org_name, ROLE_ORG_KIND[role], extras)
        accounts.create_user(email, PASSWORD, role, org, name=person)
        lines.append(f"  {role:<12} {email:<26} {org_name}")
    # 江西理工大学's own centre (the "N" of 1+M+N) administers only that university.
    jxust = Organisation.query.filter_by(name="江西理工大学").one()
    centre = accounts.get_or_create_org("江西理工大学技术转移中心", "admin_centre", admin_level="institution",
                                        city="赣州", parent_id=jxust.id)
    accounts.create_user("jxust-admin@demo.jx", PASSWORD, "admin", centre, name="谢玉梅")
    lines.append(f"  {'admin':<12} {'jxust-admin@demo.jx':<26} 江西理工大学技术转移中心（只管理江西理工大学）")
    db.session.commit()
    for library in ("achievements", "demands", "services"):
        for path in sorted(DATA.glob(f"{library}*.jsonl")):
            headers, rows = read_file(path.name, path.read_bytes())
            report = import_rows(library, headers, rows, source="demo", publish=True)
            progress(f"{path.name}: {report.summary()}")
            for err in report.errors[:5]:
                progress(f"  第{err['row']}行：{err['message']}")
    n = listings.expire_overdue(listings.LIBRARIES["demands"])
    from .companies import load_company_scales
    sized = load_company_scales()
    db.session.commit()
    lines.append(f"已导入演示数据；{n}条需求已过截止日期，标记为已过期；{sized}家企业已填写企业规模。")
    from .deals import load_deals
    lines.append(load_deals())
    from .brokers import load_brokers; lines.append(load_brokers())  # noqa: E702
    from .commissions import load_commissions; lines.append(load_commissions())  # noqa: E702
    from .stats import load_stats
    lines.append(load_stats())
    from .site import load as load_site
    lines.append(load_site())
    from .events import load as load_events
    lines.append(load_events())
    from .challenges import load as load_challenges
    lines.append(load_challenges())
    from .bookings import load as load_bookings
    lines.append(load_bookings())
    db.session.commit()  # the bookings demo only flushes: without this its 13 bookings were lost on exit
    return "\n".join(lines)


def push_matches() -> str:
    """双向互推 for the records of the organisations the demo's users belong to, as if each had just been published
    (the import publishes without the workflow's push): so company@demo.jx, ncu@demo.jx … find their 匹配推送.
    Run after the search index holds the records (the CLI applies it first)."""
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    from ..matching import push
    orgs = db.select(User.org_id).where(User.org_id.isnot(None), User.role.in_(("company", "institution")))
    pushed = 0
    for model in (Demand, Achievement):
        for obj in db.session.scalars(db.select(model).where(model.status == "published", model.owner_org_id.in_(orgs))
                                      .order_by(model.id)):
            pushed += push.push_for(obj)
    db.session.commit()
    return f"双向互推：{pushed} 对强匹配已通知需求与成果双方（消息 › 匹配推送）。"
