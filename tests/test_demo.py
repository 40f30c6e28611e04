"""`flask demo load`: the issue's minimum of realistic demo content and a user for every role."""
from sqlalchemy import func

from marketplace.accounts.models import User
from marketplace.achievements.models import Achievement
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.resources.models import ServiceResource

from .conftest import login


def test_demo_load_fills_an_empty_database_once(app, ctx):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    assert "demo12345" in out.output and "拒绝0" in out.output
    published = Achievement.query.filter_by(status="published").count()
    assert published >= 200
    assert Demand.query.count() >= 80 and ServiceResource.query.count() >= 20
    assert Demand.query.filter_by(status="expired").count() >= 1
    assert {u.role for u in User.query.all()} == {"admin", "institution", "company", "broker"}
    industries = db.session.scalar(db.select(func.count(func.distinct(Achievement.industry))))
    assert industries >= 15
    # The demo data is the import path's: Chinese text, exact prices, IP dates.
    sample = Achievement.query.filter(Achievement.asking_price.is_not(None)).first()
    assert sample.ip_items and sample.summary and len(sample.summary) >= 100
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output
    assert Achievement.query.count() == published
    # Demo accounts log in with the printed password.
    client = app.test_client()
    login(client, User.query.filter_by(email="company@demo.jx").one(), "demo12345")
    mine = client.get("/api/v1/demands?scope=mine").json
    assert mine["total"] >= 1
