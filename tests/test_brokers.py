"""The broker workbench: claim, introduce, stages; only the claiming broker moves it; parties are told."""
from marketplace.brokers import services
from marketplace.matching.models import Notification

from .conftest import login
from .test_matching_api import seed


def test_claim_introduce_and_advance(client, f):
    company, wire, demand, lonely = seed(f)
    broker = f.user("broker")
    login(client, broker)
    page = client.get("/brokers/workbench").get_data(as_text=True)
    assert demand.title in page and "认领" in page
    resp = client.post(f"/brokers/claim/{demand.id}")
    intro_url = resp.headers["Location"]
    intro_id = int(intro_url.rsplit("/", 1)[1])
    assert demand.title not in client.get("/brokers/workbench").get_data(as_text=True).split("待撮合的需求")[1]
    # Skipping a stage is refused; introducing needs an achievement.
    assert "不能直接" in client.post(f"/brokers/introductions/{intro_id}/signed", follow_redirects=True
                                    ).get_data(as_text=True)
    client.post(f"/brokers/introductions/{intro_id}/introduced", data={"achievement_id": wire.id})
    intro = services.get(broker, intro_id)
    assert intro.stage == "introduced" and intro.achievement_id == wire.id
    told = {n.user_id for n in Notification.query.filter_by(kind="introduction")}
    assert company.id in told and wire.created_by_id in told
    for stage in ("contacted", "negotiating"):
        client.post(f"/brokers/introductions/{intro_id}/{stage}")
    client.post(f"/brokers/introductions/{intro_id}/failed", data={"note": ""})
    assert services.get(broker, intro_id).stage == "negotiating"  # failing needs a reason
    client.post(f"/brokers/introductions/{intro_id}/signed")
    html = client.get(intro_url).get_data(as_text=True)
    assert "已签约" in html and "状态变更记录" in html


def test_only_the_claiming_broker_moves_it_and_others_cannot_see_it(client, f):
    company, wire, demand, lonely = seed(f)
    first, second = f.user("broker"), f.user("broker")
    login(client, first)
    intro_id = int(client.post(f"/brokers/claim/{demand.id}").headers["Location"].rsplit("/", 1)[1])
    login(client, second)
    again = client.post(f"/brokers/claim/{demand.id}", follow_redirects=True).get_data(as_text=True)
    assert "已由技术经纪人" in again
    assert client.get(f"/brokers/introductions/{intro_id}").status_code == 404
    assert client.post(f"/brokers/introductions/{intro_id}/failed", data={"note": "x"}).status_code == 404
    login(client, f.user("company"))
    assert client.get("/brokers/workbench").status_code == 403
    login(client, company)  # the demand's own company may follow it
    assert client.get(f"/brokers/introductions/{intro_id}").status_code == 200
