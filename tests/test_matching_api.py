"""Matching through the API and the CLI on realistic records."""
import json

from marketplace.searching import sync

from .conftest import login


def seed(f):
    inst = f.user("institution", city="鹰潭")
    wire = f.record("achievements", inst, status="published", ref="M-A1", title="铜线拉丝张力智能控制与断线预测技术",
                    summary="针对铜线高速拉丝断线频繁的问题，建立张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
                    keywords="拉丝、断线、张力控制、铜线", industry="有色金属", maturity="中试",
                    transfer_modes="许可", asking_price_wan="30")
    f.record("achievements", inst, status="published", ref="M-A2", title="脐橙采后保鲜涂膜技术",
             summary="壳聚糖复合涂膜用于脐橙采后保鲜，常温贮藏90天腐烂率低于3%，适合果品企业。",
             keywords="脐橙、保鲜", industry="现代农业", maturity="工业化")
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="M-D1", title="铜杆拉丝老断线",
                      description="拉丝速度一提上去就老断线，换了几家的铜杆都不行，想找办法降低断线。",
                      industry="有色金属", city="鹰潭", budget_wan="50", cooperation="技术许可")
    lonely = f.record("demands", company, status="published", ref="M-D2", title="跨境电商报关单据自动识别",
                      description="我们做跨境电商，每天要手工录入几百张报关单据，想找人做自动识别系统。",
                      indicators="单据识别准确率99%以上",
                      industry="数字经济", city="南昌", budget_wan="20", cooperation="委托开发")
    sync.apply_pending()
    return company, wire, demand, lonely


def test_demand_matches_are_scored_explained_and_abstain_when_nothing_fits(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, company)
    found = client.get(f"/api/v1/demands/{demand.id}/matches?limit=5").json
    assert found["abstained"] is False and found["items"][0]["id"] == wire.id, found
    top = found["items"][0]
    assert {"id", "ref", "title", "score", "band", "reasons"} <= set(top) and top["band"] in ("强", "中")
    assert any("拉丝" in r or "断线" in r for r in top["reasons"])
    none = client.get(f"/api/v1/demands/{lonely.id}/matches").json
    assert none["abstained"] is True and {s["code"] for s in none["next_steps"]} == {"broker", "challenge", "push"}
    back = client.get(f"/api/v1/achievements/{wire.id}/matches").json
    assert back["items"][0]["id"] == demand.id


def test_other_companies_see_matches_without_the_reasons(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, f.user("company"))
    items = client.get(f"/api/v1/demands/{demand.id}/matches").json["items"]
    assert items and "reasons" not in items[0]
    assert client.get(f"/api/v1/demands/{demand.id}/matches?limit=0").status_code == 400


def test_cli_prints_the_same_json(app, f):
    seed(f)
    out = app.test_cli_runner().invoke(args=["match", "demand", "M-D1", "--limit", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["abstained"] is False and data["items"][0]["ref"] == "M-A1"
    missing = app.test_cli_runner().invoke(args=["match", "demand", "NOPE", "--json"])
    assert missing.exit_code != 0 and "没有编号" in missing.output



def test_detail_pages_show_matches_and_reasons_to_the_owner(client, f):
    company, wire, demand, lonely = seed(f)
    login(client, company)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="matches"' in html and "铜线拉丝张力智能控制与断线预测技术" in html and "技术要点相同" in html
    html = client.get(f"/demands/{lonely.id}").get_data(as_text=True)
    assert 'id="abstained"' in html and "揭榜挂帅" in html
    client.post("/logout")
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "铜线拉丝张力智能控制与断线预测技术" in html and "技术要点相同" not in html


def test_publishing_pushes_strong_matches_once_to_both_sides(client, f, app):
    from marketplace.matching.models import MatchPush
    from marketplace.notifications.models import EmailMessage, Notification
    inst = f.user("institution", city="鹰潭")
    f.record("achievements", inst, status="published", ref="P-A1", title="铜线拉丝张力智能控制与断线预测技术",
             summary="针对铜线高速拉丝断线频繁的问题，建立张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
             keywords="拉丝、断线、张力控制、铜线", industry="有色金属", maturity="中试", transfer_modes="许可",
             asking_price_wan="30")
    sync.apply_pending()
    company = f.user("company")
    admin = f.user("admin")
    h = {"Authorization": f"Bearer {f.token(company)}"}
    ah = {"Authorization": f"Bearer {f.token(admin)}"}
    body = {"title": "铜杆拉丝老断线", "description": "拉丝速度一提上去就老断线，换了几家的铜杆都不行，想找办法降低断线。",
            "industry": "有色金属", "city": "鹰潭", "budget_wan": "50", "cooperation": "技术许可", "submit": True}
    did = client.post("/api/v1/demands", json=body, headers=h).json["id"]
    client.post(f"/api/v1/demands/{did}/approve", headers=ah)
    assert MatchPush.query.count() == 1
    assert {n.user_id for n in Notification.query.filter_by(kind="match")} == {company.id, inst.id}
    assert EmailMessage.query.filter_by(to_email=company.email).filter(EmailMessage.subject.contains("匹配")).count() == 1
    inbox = client.get("/api/v1/notifications?kind=match", headers=h).json
    assert inbox["total"] == 1 and not inbox["items"][0]["read"] and "铜线拉丝" in inbox["items"][0]["title"]
    # Withdraw and publish again: the pair is never pushed twice.
    client.post(f"/api/v1/demands/{did}/withdraw", headers=h)
    client.post(f"/api/v1/demands/{did}/submit", headers=h)
    client.post(f"/api/v1/demands/{did}/approve", headers=ah)
    assert MatchPush.query.count() == 1 and Notification.query.filter_by(kind="match").count() == 2
    read = client.post(f"/api/v1/notifications/{inbox['items'][0]['id']}/read", headers=h)
    assert read.json["read"] is True
    unread = client.get("/api/v1/notifications?kind=match&unread=1", headers=h).json
    assert unread["total"] == 0 and unread["unread"] == 2  # the two review results are still unread
    other = {"Authorization": f"Bearer {f.token(f.user('company'))}"}
    assert client.post(f"/api/v1/notifications/{inbox['items'][0]['id']}/read", headers=other).status_code == 404


def test_daily_cap_and_dismissed_pairs(client, f, app, monkeypatch):
    from marketplace.matching import push
    from marketplace.matching.models import MatchPush
    from marketplace.notifications.models import Notification
    company, wire, demand, lonely = seed(f)
    # 不相关 needs a reason, and only the two sides may say it.
    h = {"Authorization": f"Bearer {f.token(company)}"}
    pair = {"demand_id": demand.id, "achievement_id": wire.id}
    assert client.post("/api/v1/matches/feedback", json={**pair, "verdict": "irrelevant"}, headers=h).status_code == 422
    for body in ({**pair, "verdict": ["interested"]}, {**pair, "verdict": "irrelevant", "reason": {"a": 1}}):
        r = client.post("/api/v1/matches/feedback", json=body, headers=h)  # not text: a 400, not a 500
        assert r.status_code == 400 and r.json["error"]["message"] in ("判断应为文字", "理由应为文字"), r.json
    stranger = {"Authorization": f"Bearer {f.token(f.user('company'))}"}
    assert client.post("/api/v1/matches/feedback", json={**pair, "verdict": "interested"},
                       headers=stranger).status_code == 404  # not a side: as if the pair did not exist
    ok = client.post("/api/v1/matches/feedback", json={**pair, "verdict": "irrelevant", "reason": "已有方案"}, headers=h)
    assert ok.status_code == 200 and ok.json["side"] == "demand"
    MatchPush.query.delete()  # forget what the seed's publication pushed, as if it had not happened yet
    assert push.push_for(demand) == 0 and MatchPush.query.count() == 0  # dismissed: never pushed
    assert wire.id not in [i["id"] for i in client.get(f"/api/v1/demands/{demand.id}/matches", headers=h).json["items"]]
    # The cap: with a cap of 0 nobody can be told, so nothing is recorded as pushed.
    Notification.query.delete()
    monkeypatch.setitem(app.config, "MATCH_PUSH_DAILY_CAP", 0)
    assert push.push_for(lonely) == 0 and push.push_for(wire) == 0 and Notification.query.count() == 0


def test_next_step_is_recorded_with_who_chose_it(client, f):
    from marketplace.core.models import AuditLog
    company, wire, demand, lonely = seed(f)
    h = {"Authorization": f"Bearer {f.token(company)}"}
    resp = client.post(f"/api/v1/demands/{lonely.id}/next-step", json={"step": "challenge"}, headers=h)
    assert resp.status_code == 201 and resp.json["label"].startswith("作为")
    assert AuditLog.query.filter_by(entity_id=lonely.id, action="next-step:challenge").one().actor_id == company.id
    assert client.post(f"/api/v1/demands/{lonely.id}/next-step", json={"step": "x"}, headers=h).status_code == 400
    for odd in ([], {}, 3):  # not text: a 400 naming the field, not a 500
        r = client.post(f"/api/v1/demands/{lonely.id}/next-step", json={"step": odd}, headers=h)
        assert r.status_code == 400 and r.json["error"]["message"] == "下一步应为文字", (odd, r.json)
    other = {"Authorization": f"Bearer {f.token(f.user('company'))}"}
    assert client.post(f"/api/v1/demands/{lonely.id}/next-step", json={"step": "push"}, headers=other).status_code == 403


def test_daily_cap_per_user_holds_back_later_pairs(f, app, monkeypatch):
    from marketplace.matching import push
    from marketplace.matching.models import MatchPush
    from marketplace.notifications.models import Notification
    company, wire, demand, lonely = seed(f)
    inst = wire.owner_org
    owner = f.user("institution", organisation=inst)
    f.record("achievements", owner, status="published", ref="M-A3", title="铜线拉丝断线在线检测与张力补偿系统",
             summary="在线检测铜线拉丝过程张力波动，提前预警断线，断线次数减少60%，适用于铜杆拉丝机改造。",
             keywords="拉丝、断线、张力、铜线", industry="有色金属", maturity="中试", transfer_modes="许可",
             asking_price_wan="20")
    sync.apply_pending()
    MatchPush.query.delete()
    Notification.query.delete()
    monkeypatch.setitem(app.config, "MATCH_PUSH_DAILY_CAP", 1)
    # The cap is what is tested, not the ranking of a three-record corpus: both wire-drawing achievements
    # (same owner) are in the demand's stored list, and are treated as strong matches.
    real_read = push.store.read

    def both_strong(obj, limit=10, fresh=False):
        found = real_read(obj, limit, fresh=fresh)
        for item in found["items"]:
            if item["ref"] in ("M-A1", "M-A3"):
                item["band"] = "强"
        return found

    monkeypatch.setattr(push.store, "read", both_strong)
    listed = [i["ref"] for i in both_strong(demand)["items"]]
    assert {"M-A1", "M-A3"} <= set(listed), listed
    assert push.push_for(demand) == 1
    per_user = {}
    for n in Notification.query.all():
        per_user[n.user_id] = per_user.get(n.user_id, 0) + 1
    assert per_user and max(per_user.values()) == 1
    assert MatchPush.query.count() == 1  # the held-back pair can still go out another day


def test_feedback_informs_the_ranking_on_both_sides(client, f):
    company, wire, demand, lonely = seed(f)
    from marketplace.accounts.models import User
    inst_user = User.query.filter_by(org_id=wire.owner_org_id).first()
    hc = {"Authorization": f"Bearer {f.token(company)}"}
    hi = {"Authorization": f"Bearer {f.token(inst_user)}"}
    pair = {"demand_id": demand.id, "achievement_id": wire.id}

    def score_for_company():
        items = client.get(f"/api/v1/demands/{demand.id}/matches", headers=hc).json["items"]
        return next(i for i in items if i["id"] == wire.id)

    before = score_for_company()
    assert client.post("/api/v1/matches/feedback", json={**pair, "verdict": "interested"}, headers=hi).status_code == 200
    after = score_for_company()
    assert after["score"] == min(100, before["score"] + 6) and "对方已表示感兴趣" in after["reasons"]
    # The institution's own list shows the pair it marked, ahead by its own mark.
    back = client.get(f"/api/v1/achievements/{wire.id}/matches", headers=hi).json["items"]
    assert back[0]["id"] == demand.id and "您已标记“感兴趣”" in back[0]["reasons"]
    # The institution changes its mind: 不相关 → the company's list shows it lower, with the reason.
    assert client.post("/api/v1/matches/feedback", json={**pair, "verdict": "irrelevant", "reason": "成熟度不够"},
                       headers=hi).status_code == 200
    lowered = score_for_company()
    assert lowered["score"] == max(0, before["score"] - 15) and "对方认为不相关（成熟度不够）" in lowered["reasons"]
    assert demand.id not in [i["id"] for i in client.get(f"/api/v1/achievements/{wire.id}/matches",
                                                            headers=hi).json["items"]]
