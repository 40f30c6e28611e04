"""揭榜挂帅 test data, made through the services as the application would."""
from datetime import date, timedelta

from marketplace.challenges import services as svc
from marketplace.extensions import db

from . import factories as f

FUTURE = (date.today() + timedelta(days=30)).isoformat()
CHALLENGE = {
    "title": "高速铜线拉丝断线率攻关", "problem": "拉丝速度提高到每秒25米后断线率明显上升，需要从铜杆质量、模具和润滑系统入手系统解决。",
    "indicators": "拉丝速度≥25 m/s 时断线率≤0.5次/吨", "industry": "有色金属", "city": "鹰潭", "bounty": "1000000",
    "enterprise_funding": "700000", "fiscal_funding": "300000", "deadline": FUTURE,
    "ip_terms": "攻关形成的专利由双方共有，发榜企业享有独占实施权", "anonymous": False,
    "milestones": [{"name": "方案验证", "criteria": "小试线验证断线率下降50%", "share": "30"},
                   {"name": "中试", "criteria": "中试线连续运行30天达到指标", "share": "40"},
                   {"name": "产业化", "criteria": "生产线达到指标并通过第三方检测", "share": "30"}],
    "criteria": [{"name": "技术方案可行性", "weight": 50}, {"name": "团队能力", "weight": 30},
                 {"name": "经费与进度合理性", "weight": 20}],
}
APPLICATION = {"team": "铜合金加工课题组，教授2名、博士4名", "plan": "从铜杆夹杂物控制、拉丝模具型线优化和润滑液配方三方面攻关，先在小试线验证。",
               "budget": "900000", "schedule": "第1–6月小试，第7–12月中试，第13–18月产业化", "no_conflict": True}


def company(**kw):
    return f.user("company", city="鹰潭", **kw)


def challenge(poster=None, status="draft", **over):
    """A 企业榜 (or 政府榜 when `poster` is an administrator) moved on to `status` (draft, submitted, published)."""
    poster = poster or company()
    ch = svc.create(poster, {**CHALLENGE, **over})
    if status in ("submitted", "published"):
        svc.transition(poster, ch, "submit")
    if status == "published":
        svc.transition(f.reviewer(), ch, "approve")
    db.session.commit()
    return ch


def apply(ch, user=None, **over):
    user = user or f.user("institution")
    row = svc.apply(user, ch, {**APPLICATION, **over})
    db.session.commit()
    return row


def expert(ch, user=None):
    user = user or f.user("institution", name=None)
    svc.invite(f.reviewer(), ch, {"user_id": user.id})
    db.session.commit()
    return user


def close(ch):
    """Past the deadline: the system closes it (the deadline moved back for the test)."""
    ch.deadline = date.today() - timedelta(days=1)
    svc.close_due()
    db.session.commit()
    return ch


def score_all(ch, member, value=80):
    for row in svc.ch_applications(ch):
        if row.status == "submitted" and row.org_id != member.org_id:
            svc.save_scores(member, row, {"scores": [{"criterion_id": c.id, "score": value, "comment": "方案可行"}
                                                     for c in ch.criteria]})
    db.session.commit()


def reviewed(poster=None, applicants=2):
    """A published challenge with applications, a panel of two, closed, under review and fully scored."""
    ch = challenge(poster, status="published")
    rows = [apply(ch) for _ in range(applicants)]
    members = [expert(ch), expert(ch)]
    close(ch)
    svc.transition(ch_poster(ch), ch, "review")
    db.session.commit()
    for i, m in enumerate(members):
        score_all(ch, m, 70 + 10 * i)
    return ch, rows, members


def ch_poster(ch):
    from marketplace.accounts.models import User
    return db.session.get(User, ch.created_by_id)
