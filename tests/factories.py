"""Test data built through the services, as the application itself would."""
import itertools

from marketplace.accounts import services as accounts
from marketplace.core import listings
from marketplace.core.uscc import make_uscc
from marketplace.extensions import db

PASSWORD = "password123"
_seq = itertools.count(1)

ACHIEVEMENT = {
    "title": "钕铁硼稀土永磁材料晶界扩散技术", "summary": "通过重稀土晶界扩散提高钕铁硼磁体矫顽力，重稀土用量降低60%。",
    "keywords": "稀土永磁、钕铁硼、晶界扩散", "industry": "新材料", "category": "应用技术",
    "funding_source": "财政资金", "maturity": "中试", "transfer_modes": "许可、转让", "asking_price_wan": "80",
    "ip_type": "发明专利", "patent_no": "ZL201910000001.1", "ip_filed_on": "2019-01-10",
    "ip_granted_on": "2021-05-20", "inventors": "张明、李华",
}
DEMAND = {
    "title": "铜线拉丝频繁断线问题攻关", "description": "拉丝速度提到每秒20米以上就断线，换了几家的铜杆都不行。",
    "indicators": "断线率降至每吨0.5次以下", "industry": "有色金属", "city": "鹰潭", "budget_wan": "50",
    "cooperation": "合作开发", "deadline": "2030-12-31",
}
SERVICE = {
    "title": "江西省铜基新材料中试平台", "kind": "中试平台", "description": "提供熔铸、连续挤压、拉拔中试线，年中试能力500吨。",
    "city": "鹰潭", "industries": "有色金属、新材料",
}
DEFAULTS = {"achievements": ACHIEVEMENT, "demands": DEMAND, "services": SERVICE}
KIND = {"institution": "institution", "company": "company", "broker": "agency", "admin": "admin_centre"}


def org(kind="institution", name=None, approved=True, city="南昌", **kw):
    name = name or f"测试单位{next(_seq)}"
    uscc = make_uscc(name) if kind == "company" else None
    o = accounts.get_or_create_org(name, kind, city=city, uscc=uscc, approved=approved, **kw)
    db.session.commit()
    return o


def user(role="institution", organisation=None, email=None, **org_kw):
    if organisation is None:
        if role == "admin":
            org_kw.setdefault("admin_level", "province")
        organisation = org(KIND[role], **org_kw)
    u = accounts.create_user(email or f"user{next(_seq)}@test.cn", PASSWORD, role, organisation)
    db.session.commit()
    return u


def token(u) -> str:
    t = accounts.issue_token(u)
    db.session.commit()
    return t


REVIEWER_EMAIL = "reviewer@test.cn"


def reviewer():
    """The provincial administrator who reviews the records `record()` moves on: one per test (tables are
    emptied after each test), found again by its e-mail rather than created for every record."""
    from marketplace.accounts.models import User
    u = User.query.filter_by(email=REVIEWER_EMAIL).one_or_none()
    if u is None:
        u = user("admin", email=REVIEWER_EMAIL, name="测试审核中心")
    return u


def record(library, owner, status="draft", **over):
    """A record of `library` owned by `owner`'s organisation, moved on to `status`."""
    lib = listings.LIBRARIES[library]
    data = lib.load({**DEFAULTS[library], **over})
    obj = listings.create(owner, lib, data)
    if status in ("submitted", "published", "rejected"):
        listings.transition(owner, lib, obj, "submit")
    if status in ("published", "rejected"):
        admin = reviewer()
        listings.transition(admin, lib, obj, "approve" if status == "published" else "reject", "资料不全")
    db.session.commit()
    return obj
