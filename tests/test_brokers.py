"""The broker workbench: claim, introduce, stages; only the claiming broker moves it; parties are told."""
from marketplace.brokers import services
from marketplace.notifications.models import Notification

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
    # A demand answered by a signed deal no longer waits on the workbench, and no broker may claim it again.
    login(client, f.user("broker"))
    assert demand.title not in client.get("/brokers/workbench").get_data(as_text=True).split("待撮合的需求")[1]
    again = client.post(f"/brokers/claim/{demand.id}", follow_redirects=True).get_data(as_text=True)
    assert "已通过技术经纪人撮合签约" in again


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


def _introduced(f):
    """An introduction between a company in 鹰潭 and an institution in 南昌."""
    company = f.user("company", city="鹰潭")
    demand = f.record("demands", company, status="published", ref="BR-D1")
    inst = f.user("institution", city="南昌")
    ach = f.record("achievements", inst, status="published", ref="BR-A1", title="铜杆连铸连轧在线检测技术")
    broker = f.user("broker")
    intro = services.claim(broker, demand)
    services.introduce(broker, intro, ach)
    from marketplace.extensions import db
    db.session.commit()
    return intro, company, inst, broker


def _admin(f, level, city=None, parent=None):
    return f.user("admin", admin_level=level, city=city, parent_id=parent)


def test_administrators_read_introductions_only_within_their_scope(client, f):
    intro, company, inst, broker = _introduced(f)
    allowed = {"province": f.user("admin"), "city of the demand": _admin(f, "city", "鹰潭"),
               "city of the achievement": _admin(f, "city", "南昌"),
               "centre of the institution": _admin(f, "institution", "南昌", inst.org_id),
               "the broker": broker, "the company": company, "the institution": inst}
    refused = {"another city": _admin(f, "city", "赣州"),
               "centre of another institution": _admin(f, "institution", "南昌", f.org("institution").id),
               "another broker": f.user("broker"), "another company": f.user("company"),
               "another institution": f.user("institution", city="鹰潭")}
    for who, user in {**allowed, **refused}.items():
        login(client, user)
        status = client.get(f"/brokers/introductions/{intro.id}").status_code
        listed = [i.id for i in services.visible(user)]
        if who in allowed:
            assert status == 200 and listed == [intro.id], who
        else:
            assert status == 404 and listed == [], who
    # The same answer for an introduction that does not exist.
    login(client, refused["another city"])
    client.get("/")  # the welcome message
    missing = client.get(f"/brokers/introductions/{intro.id + 999}")
    assert missing.status_code == 404
    assert client.get(f"/brokers/introductions/{intro.id}").get_data() == missing.get_data()


def test_only_published_achievements_can_be_introduced_and_drafts_are_not_revealed(client, f):
    company, wire, demand, lonely = seed(f)
    draft = f.record("achievements", f.user("institution"), ref="BR-DRAFT", title="未发布的草稿成果")
    broker = f.user("broker")
    login(client, broker)
    intro_id = int(client.post(f"/brokers/claim/{demand.id}").headers["Location"].rsplit("/", 1)[1])
    as_draft = client.post(f"/brokers/introductions/{intro_id}/introduced", data={"achievement_id": draft.id},
                           follow_redirects=True).get_data(as_text=True)
    as_missing = client.post(f"/brokers/introductions/{intro_id}/introduced", data={"achievement_id": draft.id + 999},
                             follow_redirects=True).get_data(as_text=True)
    assert "没有找到该成果" in as_draft and "没有找到该成果" in as_missing
    assert services.get(broker, intro_id).stage == "claimed"
