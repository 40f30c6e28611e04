"""The 揭榜挂帅 demo data loads through the services on top of the demo users."""
from marketplace.accounts import services as accounts
from marketplace.challenges.models import Challenge, ChallengeApplication, ChallengeScore
from marketplace.contracts.models import Contract
from marketplace.demo import challenges as demo
from marketplace.demo.loader import DEMO_USERS, _org
from marketplace.core.vocab import ROLE_ORG_KIND
from marketplace.extensions import db


def test_demo_challenges_load_in_every_state(ctx):
    for email, role, org_name, extras, person in DEMO_USERS:
        accounts.create_user(email, demo.PASSWORD, role, _org(org_name, ROLE_ORG_KIND[role], extras), name=person)
    db.session.commit()
    out = demo.load()
    assert "5个榜单" in out
    states = sorted(c.status for c in Challenge.query)
    assert states == ["accepted", "in_progress", "published", "reviewing", "submitted"]
    assert ChallengeApplication.query.count() == 6 and ChallengeScore.query.count() > 0
    assert Contract.query.filter_by(kind="技术开发").count() == 2
    assert demo.load() == "揭榜挂帅演示数据已存在"
