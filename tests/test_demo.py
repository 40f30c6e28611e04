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
    # Demo companies have plausible scales (企业规模), and so do most historical buyers: the index's 中小企业占比.
    from marketplace.accounts.models import Organisation
    from marketplace.stats.models import ContractFact
    companies = Organisation.query.filter_by(kind="company").all()
    assert Organisation.query.filter_by(name="鹰潭市华鑫铜业有限公司").one().scale == "中型"
    sized = [o.scale for o in companies if o.scale]
    assert len(sized) >= 60 and set(sized) == {"大型", "中型", "小型", "微型"}
    assert ContractFact.query.filter(ContractFact.buyer_scale.isnot(None)).count() > 0.8 * ContractFact.query.count()
    assert "62家企业已填写企业规模" in out.output
    # Demo accounts log in with the printed password.
    client = app.test_client()
    login(client, User.query.filter_by(email="company@demo.jx").one(), "demo12345")
    mine = client.get("/api/v1/demands?scope=mine").json
    assert mine["total"] >= 1


def test_every_history_entry_of_the_demo_reads_in_chinese(app, ctx):
    """Every audit entry the demo writes is shown with Chinese labels: no code word (create, registered …)."""
    import re

    from marketplace.core.models import AuditLog
    from marketplace.core.workflow import describe
    out = app.test_cli_runner().invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    if True:
        entries = AuditLog.query.all()
        assert len({e.entity_type for e in entries}) >= 5
        for e in entries:
            shown = describe(e)
            text = " ".join(v for v in shown.values() if v)
            assert not re.search(r"[A-Za-z]{3,}", text), (e.entity_type, e.action, e.from_state, e.to_state, shown)
            assert shown["action"] != "其他操作", (e.entity_type, e.action)
