"""匹配效果: the demands' stored lists against what people then did — by band, first rows, deals (in the list or
not, the list silent or not, no list at all) and silences; the page (administrators and brokers) and the command."""
import json

from marketplace.brokers.models import Introduction
from marketplace.extensions import db
from marketplace.matching import outcomes, store
from marketplace.matching.models import MatchFeedback, MatchList, MatchRequest, NextStep

from .conftest import login
from .test_matching_store import DEMAND, LONELY, ORANGE, WIRE, WIRE2, settle


def test_outcomes_follow_the_lists_to_what_people_did(app, client, f):
    inst = f.user("institution", city="鹰潭")
    wire = f.record("achievements", inst, status="published", ref="O-A1", **WIRE)
    wire2 = f.record("achievements", inst, status="published", ref="O-A2", **WIRE2)
    orange = f.record("achievements", inst, status="published", ref="O-A3", **ORANGE)
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="O-D1", **DEMAND)
    lonely = f.record("demands", company, status="published", ref="O-D2", **LONELY)
    draft = f.record("demands", company, status="draft", ref="O-D3", **DEMAND)
    settle()
    listed = [i["id"] for i in store.read(demand, 50)["items"]]
    assert listed[:2] == [wire.id, wire2.id] or listed[:2] == [wire2.id, wire.id], listed
    first, second = listed[0], listed[1]
    assert MatchList.query.filter_by(entity_type="demand", entity_id=lonely.id).one().abstained
    assert orange.id not in [i["id"] for i in store.read(lonely, 50)["items"]]
    broker = f.user("broker")
    db.session.add_all([
        MatchFeedback(demand_id=demand.id, achievement_id=first, side="demand", verdict="interested",
                      user_id=company.id),
        MatchFeedback(demand_id=demand.id, achievement_id=second, side="achievement", verdict="irrelevant",
                      reason="other", user_id=inst.id),
        MatchRequest(demand_id=demand.id, achievement_id=first, side="achievement", user_id=inst.id),
        Introduction(demand_id=demand.id, achievement_id=first, broker_id=broker.id, stage="signed"),
        Introduction(demand_id=lonely.id, achievement_id=orange.id, broker_id=broker.id, stage="signed"),
        Introduction(demand_id=draft.id, achievement_id=wire.id, broker_id=broker.id, stage="signed"),
        Introduction(demand_id=demand.id, achievement_id=orange.id, broker_id=broker.id, stage="negotiating"),
        NextStep(demand_id=lonely.id, step="broker", user_id=company.id),
    ])
    db.session.commit()

    r = outcomes.report()
    rows = {band: c for band, c in r["bands"].items() if c.get("shown")}
    assert sum(c["shown"] for c in rows.values()) == len(listed) + len(store.read(lonely, 50)["items"])
    assert sum(c.get("interested", 0) for c in rows.values()) == 1
    assert sum(c.get("requested", 0) for c in rows.values()) == 1
    assert sum(c.get("irrelevant", 0) for c in rows.values()) == 1
    assert sum(c.get("deal", 0) for c in rows.values()) == 1  # the negotiating introduction is no deal
    assert sum(c.get("positive", 0) for c in rows.values()) == 1 and sum(c["judged"] for c in rows.values()) == 2
    assert r["first"] == {"lists": 1, "positive": 1, "irrelevant": 0, "positive_share": 1.0}
    assert r["recall"]["deals"] == {"total": 3, "measurable": 2, "no_list": 1, "top10": 1, "not_listed": 1}
    assert (r["recall"]["top10_share"], r["recall"]["listed_share"]) == (0.5, 0.5)
    assert r["silent"] == {"lists": 1, "with_deal": 1, "with_next_step": 1}

    result = app.test_cli_runner().invoke(args=["match", "outcomes", "--json"])
    assert json.loads(result.output) == json.loads(json.dumps(r))
    assert "前10条 50%" in app.test_cli_runner().invoke(args=["match", "outcomes"]).output

    login(client, company)
    assert client.get("/matching/knowledge/outcomes").status_code == 403
    client.post("/logout")
    login(client, f.user("admin"))
    html = client.get("/matching/knowledge/outcomes").get_data(as_text=True)
    assert "成交配对</th><td>3（可核对 2，需求已无列表 1）" in html
    assert "其中 1 个后来仍然成交" in html and "1 个选择了下一步" in html
