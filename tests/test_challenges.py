"""揭榜挂帅 through the services and the JSON API: each workflow step, the bounty lock, exact sums, permissions
(applicant isolation, panel isolation, anonymity), hostile input, CSRF, the award's contract and the statistics."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from marketplace.challenges import services as svc
from marketplace.challenges.models import Challenge, ChallengeApplication
from marketplace.contracts.models import Contract
from marketplace.core.models import AuditLog
from marketplace.core.signals import challenge_accepted
from marketplace.extensions import db
from marketplace.notifications.models import Notification

from . import factories_challenges as fc
from .conftest import csrf_token, login


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def titles(user):
    return [n.title for n in Notification.query.filter_by(user_id=user.id).order_by(Notification.id)]


# Posting and review --------------------------------------------------------------------------------------------

def test_company_posts_a_draft_with_a_ref_submits_and_an_admin_publishes(client, f):
    company = fc.company()
    h = bearer(f, company)
    resp = client.post("/api/v1/challenges", json=fc.CHALLENGE, headers=h)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert re.fullmatch(r"JX-BANG-\d{4}", body["ref"]) and body["status"] == "draft" and body["kind"] == "company"
    assert body["bounty"] == "1000000.00" and body["enterprise_funding"] == "700000.00"
    assert [m["amount"] for m in body["milestones"]] == ["300000.00", "400000.00", "300000.00"]
    assert client.get(f"/api/v1/challenges/{body['id']}").status_code == 404  # a draft is not public
    assert client.get("/api/v1/challenges").json["total"] == 0
    cid = body["id"]
    assert client.post(f"/api/v1/challenges/{cid}/submit", headers=h).json["status"] == "submitted"
    admin = f.reviewer()
    ha = bearer(f, admin)
    assert client.get("/api/v1/challenges?scope=review", headers=ha).json["total"] == 1
    assert client.post(f"/api/v1/challenges/{cid}/approve", headers=h).status_code == 403  # not the poster's to do
    out = client.post(f"/api/v1/challenges/{cid}/approve", headers=ha)
    assert out.status_code == 200 and out.json["status"] == "published"
    assert client.get(f"/api/v1/challenges/{cid}").json["poster"] == company.org.name
    assert "揭榜挂帅：榜单已审核通过并发布" in titles(company)
    history = client.get(f"/api/v1/challenges/{cid}/history", headers=h).json["items"]
    assert [e["action"] for e in history] == ["create", "submit", "approve"]


def test_reject_needs_a_reason_and_the_poster_can_fix_and_resubmit(client, f):
    ch = fc.challenge(status="submitted")
    poster, admin = fc.ch_poster(ch), f.reviewer()
    ha = bearer(f, admin)
    assert client.post(f"/api/v1/challenges/{ch.id}/reject", headers=ha).status_code == 422
    out = client.post(f"/api/v1/challenges/{ch.id}/reject", json={"reason": "悬赏构成说明不清"}, headers=ha)
    assert out.json["status"] == "rejected" and out.json["reject_reason"] == "悬赏构成说明不清"
    assert "揭榜挂帅：榜单被驳回" in titles(poster)
    hp = bearer(f, poster)
    assert client.patch(f"/api/v1/challenges/{ch.id}", json={"title": "高速铜线拉丝断线率系统攻关"}, headers=hp).status_code == 200
    assert client.post(f"/api/v1/challenges/{ch.id}/submit", headers=hp).json["status"] == "submitted"


def test_an_administrator_out_of_scope_neither_sees_nor_reviews(client, f):
    ch = fc.challenge(status="submitted")  # a 鹰潭 company
    other_city = f.user("admin", admin_level="city", city="赣州")
    h = bearer(f, other_city)
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=h).status_code == 404
    assert client.post(f"/api/v1/challenges/{ch.id}/approve", headers=h).status_code == 404
    assert client.get("/api/v1/challenges?scope=review", headers=h).json["total"] == 0
    yingtan = f.user("admin", admin_level="city", city="鹰潭")
    assert client.post(f"/api/v1/challenges/{ch.id}/approve", headers=bearer(f, yingtan)).json["status"] == "published"


def test_submit_needs_milestones_rubric_approval_and_a_future_deadline(client, f):
    company = fc.company()
    ch = svc.create(company, {**fc.CHALLENGE, "milestones": [], "criteria": []})
    db.session.commit()
    resp = client.post(f"/api/v1/challenges/{ch.id}/submit", headers=bearer(f, company))
    assert resp.status_code == 422 and {"milestones", "criteria"} <= set(resp.json["error"]["fields"])
    pending = f.user("company", approved=False)
    ch2 = svc.create(pending, fc.CHALLENGE)
    db.session.commit()
    assert client.post(f"/api/v1/challenges/{ch2.id}/submit", headers=bearer(f, pending)).status_code == 409


def test_government_challenge_names_the_company_and_defaults_to_public_money(client, f):
    admin = f.reviewer()
    buyer = fc.company()
    h = bearer(f, admin)
    body = {**fc.CHALLENGE, "enterprise_funding": None, "fiscal_funding": None}
    resp = client.post("/api/v1/challenges", json=body, headers=h)
    assert resp.json["kind"] == "government" and resp.json["fiscal_funding"] == "1000000.00"
    cid = resp.json["id"]
    refused = client.post(f"/api/v1/challenges/{cid}/submit", headers=h)
    assert refused.status_code == 422 and "company_org_id" in refused.json["error"]["fields"]
    assert client.patch(f"/api/v1/challenges/{cid}", json={"company_org_id": buyer.org_id}, headers=h).status_code == 200
    assert client.post(f"/api/v1/challenges/{cid}/submit", headers=h).json["status"] == "submitted"
    assert client.post("/api/v1/challenges", json=fc.CHALLENGE, headers=bearer(f, f.user("institution"))).status_code == 403


# Exact sums and hostile input --------------------------------------------------------------------------------

BAD_BODIES = [
    ({"milestones": [{"name": "一期", "criteria": "达到指标", "share": "60"}, {"name": "二期", "criteria": "达到指标", "share": "39.99"}]}, 422, "milestones"),
    ({"milestones": [{"name": "一期", "criteria": "达到指标", "share": "100.001"}]}, 422, "milestones.0.share"),
    ({"milestones": [{"name": "一期", "criteria": "达到指标", "share": "1e2"}]}, 422, "milestones.0.share"),
    ({"criteria": [{"name": "可行性", "weight": 60}, {"name": "团队", "weight": 30}]}, 422, "criteria"),
    ({"criteria": [{"name": "可行性", "weight": "100"}]}, 422, "criteria.0.weight"),
    ({"criteria": [{"name": "可行性", "weight": 100.5}]}, 422, "criteria.0.weight"),
    ({"fiscal_funding": "300000.01"}, 422, "fiscal_funding"),
    ({"bounty": "1000000.001"}, 422, "bounty"),
    ({"bounty": "-5"}, 422, "bounty"),
    ({"bounty": "面议"}, 422, "enterprise_funding"),
    ({"bounty": 1e309}, 400, None),
    ({"deadline": "2026-02-30"}, 422, "deadline"),
    ({"industry": "火星产业"}, 422, "industry"),
    ({"title": "题" * 201}, 422, "title"),
    ({"milestones": "全部"}, 422, "milestones"),
    ({"milestones": [[1, 2]]}, 422, "milestones.0._schema"),
    ({"company_org_id": "1; drop table"}, 422, "company_org_id"),
    ({"anonymous": {"a": 1}}, 422, "anonymous"),
    ({"unknown": 1}, 422, "unknown"),
]


@pytest.mark.parametrize("change,status,field", BAD_BODIES)
def test_bad_challenge_bodies_are_refused_with_the_field(client, f, change, status, field):
    company = fc.company()
    resp = client.post("/api/v1/challenges", json={**fc.CHALLENGE, **change}, headers=bearer(f, company))
    assert resp.status_code in (status, 400, 422) and resp.status_code < 500, resp.json
    if field:
        assert resp.status_code == status and field in resp.json["error"]["fields"], resp.json
    assert Challenge.query.count() == 0


@pytest.mark.parametrize("data,ctype", [("not json", "application/json"), ("[1]", "application/json"),
                                        ("title=x", "application/x-www-form-urlencoded"), ('{"a":' * 40, "application/json")])
def test_malformed_bodies_are_400(client, f, data, ctype):
    resp = client.post("/api/v1/challenges", data=data, content_type=ctype, headers=bearer(f, fc.company()))
    assert resp.status_code == 400


def test_hostile_ids_and_arguments_never_500(client, f):
    h = bearer(f, fc.company())
    for path in ("/api/v1/challenges/99999999999999", "/api/v1/challenges/0", "/api/v1/challenges?page=0",
                 "/api/v1/challenges?per_page=1000", "/api/v1/challenges?industry=x", "/api/v1/challenges?scope=all",
                 "/api/v1/challenges/stats?year=1e3", "/api/v1/challenges/stats?city=火星", "/challenges?page=-1",
                 "/challenges/999999", "/api/v1/challenges/applications/5/scores"):
        assert client.get(path, headers=h).status_code in (400, 404), path
    ch = fc.challenge(status="published")
    hp = bearer(f, fc.ch_poster(ch))
    for body in ({"reason": ["x"]}, {"reason": 5}):
        assert client.post(f"/api/v1/challenges/{ch.id}/close", json=body, headers=hp).status_code == 400
    assert client.patch(f"/api/v1/challenges/{ch.id}", json=[1], headers=hp).status_code == 400
    assert client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": "x"}, headers=hp).status_code == 422


def test_session_writes_without_the_csrf_token_are_refused(client, f, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    company = fc.company()
    client.post("/login", data={"email": company.email, "password": f.PASSWORD, "csrf_token": csrf_token(client)})
    refused = client.post("/api/v1/challenges", json=fc.CHALLENGE)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    assert client.post("/challenges/new", data={"title": "x"}).status_code == 400
    ok = client.post("/api/v1/challenges", json=fc.CHALLENGE, headers={"X-CSRFToken": csrf_token(client, "/challenges")})
    assert ok.status_code == 201


# The bounty lock ---------------------------------------------------------------------------------------------

def test_published_bounty_cannot_be_lowered_or_withdrawn_by_the_poster(client, f):
    ch = fc.challenge(status="published")
    hp = bearer(f, fc.ch_poster(ch))
    lower = client.patch(f"/api/v1/challenges/{ch.id}", json={"bounty": "900000"}, headers=hp)
    assert lower.status_code == 422 and "bounty" in lower.json["error"]["fields"]
    assert client.patch(f"/api/v1/challenges/{ch.id}", json={"bounty": "面议"}, headers=hp).status_code == 422
    earlier = (date.today() + timedelta(days=3)).isoformat()
    assert client.patch(f"/api/v1/challenges/{ch.id}", json={"deadline": earlier}, headers=hp).status_code == 422
    assert client.patch(f"/api/v1/challenges/{ch.id}", json={"title": "换一个题目吧"}, headers=hp).status_code == 409
    assert client.post(f"/api/v1/challenges/{ch.id}/revoke", json={"reason": "不想做了"}, headers=hp).status_code == 403
    assert client.post(f"/api/v1/challenges/{ch.id}/withdraw", headers=hp).status_code == 409
    assert client.post(f"/api/v1/challenges/{ch.id}/close", headers=hp).status_code == 409  # deadline not reached
    db.session.expire_all()
    assert db.session.get(Challenge, ch.id).bounty == Decimal("1000000.00")
    raised = client.patch(f"/api/v1/challenges/{ch.id}", json={"bounty": "1200000"}, headers=hp)
    assert raised.status_code == 200 and raised.json["bounty"] == "1200000.00"
    assert raised.json["enterprise_funding"] == "900000.00" and raised.json["fiscal_funding"] == "300000.00"


def test_an_administrator_may_lower_the_bounty_with_an_audited_reason(client, f):
    ch = fc.challenge(status="published")
    row = fc.apply(ch)
    admin = f.reviewer()
    ha = bearer(f, admin)
    assert client.post(f"/api/v1/challenges/{ch.id}/adjust", json={"bounty": "800000"}, headers=ha).status_code == 422
    assert client.post(f"/api/v1/challenges/{ch.id}/adjust", json={"bounty": "800000", "reason": "财政资助调减"},
                       headers=bearer(f, fc.ch_poster(ch))).status_code == 403
    bad_split = client.post(f"/api/v1/challenges/{ch.id}/adjust", json={"bounty": "800000", "enterprise_funding": "700000",
                                                                         "fiscal_funding": "200000", "reason": "财政资助调减"}, headers=ha)
    assert bad_split.status_code == 422
    out = client.post(f"/api/v1/challenges/{ch.id}/adjust", json={"bounty": "800000", "enterprise_funding": "700000",
                                                                   "fiscal_funding": "100000", "reason": "财政资助调减"}, headers=ha)
    assert out.status_code == 200 and out.json["bounty"] == "800000.00"
    entry = AuditLog.query.filter_by(entity_type="challenge", entity_id=ch.id, action="bounty-override").one()
    assert entry.actor_id == admin.id and entry.reason == "财政资助调减"
    assert entry.details["bounty"] == {"from": "1000000.00", "to": "800000.00"}
    applicant = db.session.get(ChallengeApplication, row.id).applicant
    assert "揭榜挂帅：管理员调整了榜单" in titles(applicant)
    revoked = client.post(f"/api/v1/challenges/{ch.id}/revoke", json={"reason": "企业经营发生重大变化"}, headers=ha)
    assert revoked.json["status"] == "withdrawn"


# Applications, panel, award -----------------------------------------------------------------------------------

def test_applicants_never_see_each_others_plans(client, f):
    ch = fc.challenge(status="published")
    a, b = f.user("institution"), f.user("institution")
    ra, rb = fc.apply(ch, a), fc.apply(ch, b, plan="我们的秘密方案：采用稀土微合金化铜杆与金刚石模具组合，辅以在线张力控制。")
    ha, hb = bearer(f, a), bearer(f, b)
    assert client.get(f"/api/v1/challenges/applications/{rb.id}", headers=ha).status_code == 404
    assert client.get(f"/api/v1/challenges/applications/{rb.id}/scores", headers=ha).status_code == 404
    listed = client.get(f"/api/v1/challenges/{ch.id}/applications", headers=ha).json["items"]
    assert [r["id"] for r in listed] == [ra.id]
    assert client.get(f"/api/v1/challenges/applications/{rb.id}", headers=hb).json["plan"].startswith("我们的秘密方案")
    page = client.get(f"/challenges/{ch.id}")
    assert "秘密方案" not in page.get_data(as_text=True)
    login(client, a)
    assert "秘密方案" not in client.get(f"/challenges/{ch.id}").get_data(as_text=True)
    assert client.get(f"/challenges/applications/{rb.id}").status_code == 404
    poster = bearer(f, fc.ch_poster(ch))
    assert len(client.get(f"/api/v1/challenges/{ch.id}/applications", headers=poster).json["items"]) == 2
    assert "揭榜挂帅：收到新的揭榜方案" in titles(fc.ch_poster(ch))


def test_an_application_needs_a_conflict_declaration_and_the_window(client, f):
    ch = fc.challenge(status="published")
    inst = f.user("institution")
    h = bearer(f, inst)
    no_decl = client.post(f"/api/v1/challenges/{ch.id}/applications", json={**fc.APPLICATION, "no_conflict": False}, headers=h)
    assert no_decl.status_code == 422 and "conflicts" in no_decl.json["error"]["fields"]
    both = client.post(f"/api/v1/challenges/{ch.id}/applications",
                       json={**fc.APPLICATION, "conflicts": "团队成员曾在发榜企业兼职"}, headers=h)
    assert both.status_code == 422
    assert client.post(f"/api/v1/challenges/{ch.id}/applications", json={**fc.APPLICATION, "budget": "0"}, headers=h).status_code == 422
    ok = client.post(f"/api/v1/challenges/{ch.id}/applications",
                     json={**fc.APPLICATION, "no_conflict": False, "conflicts": "团队成员曾在发榜企业兼职（已于2024年结束）"}, headers=h)
    assert ok.status_code == 201 and ok.json["no_conflict"] is False
    assert client.post(f"/api/v1/challenges/{ch.id}/applications", json=fc.APPLICATION, headers=h).status_code == 409
    own = client.post(f"/api/v1/challenges/{ch.id}/applications", json=fc.APPLICATION, headers=bearer(f, fc.ch_poster(ch)))
    assert own.status_code == 409 and "不能揭自己的榜" in own.json["error"]["message"]
    mate = f.user("company", organisation=fc.ch_poster(ch).org)
    assert client.post(f"/api/v1/challenges/{ch.id}/applications", json=fc.APPLICATION, headers=bearer(f, mate)).status_code == 409
    fc.close(ch)
    late = client.post(f"/api/v1/challenges/{ch.id}/applications", json=fc.APPLICATION, headers=bearer(f, f.user("institution")))
    assert late.status_code == 409


def test_panel_members_see_only_their_challenges_and_never_score_their_own_organisation(client, f):
    ch = fc.challenge(status="published")
    other = fc.challenge(status="published", title="陶瓷岩板低温快烧配方攻关")
    own_row = fc.apply(ch)
    member = fc.expert(ch)
    colleague = f.user("institution", organisation=member.org)
    refused = client.post(f"/api/v1/challenges/{ch.id}/applications", json=fc.APPLICATION, headers=bearer(f, colleague))
    assert refused.status_code == 409 and "利益冲突" in refused.json["error"]["message"]  # would read rivals' plans
    other_row = fc.apply(other)
    h = bearer(f, member)
    assert client.get(f"/api/v1/challenges/applications/{own_row.id}", headers=h).status_code == 200
    assert client.get(f"/api/v1/challenges/applications/{other_row.id}", headers=h).status_code == 404
    assert client.get(f"/api/v1/challenges/{other.id}/applications", headers=h).json["items"] == []
    assert client.get("/api/v1/challenges?scope=panel", headers=h).json["total"] == 1
    fc.close(ch)
    svc.transition(fc.ch_poster(ch), ch, "review")
    db.session.commit()
    scores = {"scores": [{"criterion_id": c.id, "score": 90} for c in ch.criteria]}
    assert client.put(f"/api/v1/challenges/applications/{own_row.id}/scores", json=scores, headers=h).status_code == 200
    outsider = bearer(f, f.user("institution"))
    assert client.put(f"/api/v1/challenges/applications/{own_row.id}/scores", json=scores, headers=outsider).status_code == 404
    partial = {"scores": [{"criterion_id": ch.criteria[0].id, "score": 90}]}
    assert client.put(f"/api/v1/challenges/applications/{own_row.id}/scores", json=partial, headers=h).status_code == 422
    too_high = {"scores": [{"criterion_id": c.id, "score": 101} for c in ch.criteria]}
    assert client.put(f"/api/v1/challenges/applications/{own_row.id}/scores", json=too_high, headers=h).status_code == 422


def test_scores_reach_the_applicant_only_after_the_decision_and_unnamed(client, f):
    ch, rows, members = fc.reviewed()
    applicant = rows[0].applicant
    h = bearer(f, applicant)
    assert client.get(f"/api/v1/challenges/applications/{rows[0].id}/scores", headers=h).json["items"] == []
    poster = bearer(f, fc.ch_poster(ch))
    named = client.get(f"/api/v1/challenges/applications/{rows[0].id}/scores", headers=poster).json["items"]
    assert {s["member"] for s in named} == {m.name for m in members}
    own = client.get(f"/api/v1/challenges/applications/{rows[0].id}/scores", headers=bearer(f, members[0])).json["items"]
    assert [s["member"] for s in own] == [members[0].name]
    client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": rows[1].id}, headers=poster)
    after = client.get(f"/api/v1/challenges/applications/{rows[0].id}/scores", headers=h).json["items"]
    assert [s["member"] for s in after] == ["评审专家1", "评审专家2"]
    assert [s["total"] for s in after] == ["70.00", "80.00"] and after[0]["scores"][0]["comment"] == "方案可行"
    assert client.get(f"/api/v1/challenges/applications/{rows[0].id}", headers=h).json["total_score"] == "75.00"
    assert "揭榜挂帅：评审结果" in titles(applicant)
    assert "揭榜挂帅：揭榜成功" in titles(rows[1].applicant)


def test_the_award_waits_for_every_score_and_makes_a_development_contract(client, f):
    ch = fc.challenge(status="published")
    rows = [fc.apply(ch), fc.apply(ch)]
    m1, m2 = fc.expert(ch), fc.expert(ch)
    poster = fc.ch_poster(ch)
    hp = bearer(f, poster)
    assert client.post(f"/api/v1/challenges/{ch.id}/review", headers=hp).status_code == 409  # not closed yet
    fc.close(ch)
    assert client.post(f"/api/v1/challenges/{ch.id}/review", headers=hp).json["status"] == "reviewing"
    assert "揭榜挂帅：请评审揭榜方案" in titles(m1)
    fc.score_all(ch, m1)
    waiting = client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": rows[0].id}, headers=hp)
    assert waiting.status_code == 409 and "评审尚未完成" in waiting.json["error"]["message"]
    fc.score_all(ch, m2)
    other = fc.challenge(status="published")
    stray = fc.apply(other)
    assert client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": stray.id}, headers=hp).status_code == 422
    assert client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": rows[0].id},
                       headers=bearer(f, rows[0].applicant)).status_code == 403
    out = client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": rows[0].id}, headers=hp)
    assert out.status_code == 200 and out.json["status"] == "awarded"
    c = db.session.get(Contract, out.json["contract_id"])
    assert (c.kind, c.status, c.seller_org_id, c.buyer_org_id, c.amount) == \
        ("技术开发", "draft", rows[0].org_id, poster.org_id, Decimal("1000000.00"))
    assert ch.ref in c.title
    assert [(m.name, m.amount) for m in c.terms.milestones] == [
        ("方案验证", Decimal("300000.00")), ("中试", Decimal("400000.00")), ("产业化", Decimal("300000.00"))]
    assert sum(x.amount for x in c.lines) == c.amount
    states = {r.id: r.status for r in ChallengeApplication.query}
    assert states == {rows[0].id: "awarded", rows[1].id: "not_awarded", stray.id: "submitted"}


def test_government_award_by_an_administrator_drafts_the_contract_between_the_parties(client, f):
    admin = f.reviewer()
    buyer = fc.company()
    ch = fc.challenge(admin, status="published", company_org_id=buyer.org_id, bounty="面议", enterprise_funding=None,
                      fiscal_funding=None)
    row = fc.apply(ch)
    member = fc.expert(ch)
    fc.close(ch)
    ha = bearer(f, admin)
    assert client.post(f"/api/v1/challenges/{ch.id}/review", headers=ha).status_code == 200
    fc.score_all(ch, member)
    no_amount = client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": row.id}, headers=ha)
    assert no_amount.status_code == 422 and "amount" in no_amount.json["error"]["fields"]
    out = client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": row.id, "amount": "333333.33"}, headers=ha)
    assert out.status_code == 200
    c = db.session.get(Contract, out.json["contract_id"])
    assert (c.buyer_org_id, c.seller_org_id, c.amount) == (buyer.org_id, row.org_id, Decimal("333333.33"))
    assert sum(m.amount for m in c.terms.milestones) == Decimal("333333.33")


def test_milestones_accepted_then_rated_emits_the_signal_and_counts_as_solved(client, f):
    ch, rows, members = fc.reviewed()
    poster = fc.ch_poster(ch)
    hp = bearer(f, poster)
    client.post(f"/api/v1/challenges/{ch.id}/award", json={"application_id": rows[0].id}, headers=hp)
    assert client.post(f"/api/v1/challenges/{ch.id}/start", headers=hp).json["status"] == "in_progress"
    early = client.post(f"/api/v1/challenges/{ch.id}/finish", json={"rating": "优秀"}, headers=hp)
    assert early.status_code == 409 and "里程碑未验收" in early.json["error"]["message"]
    m0 = ch.milestones[0]
    future = (date.today() + timedelta(days=2)).isoformat()
    assert client.post(f"/api/v1/challenges/{ch.id}/milestones/{m0.id}/accept",
                       json={"accepted_on": future, "evidence": "第三方检测报告"}, headers=hp).status_code == 422
    assert client.post(f"/api/v1/challenges/{ch.id}/milestones/{m0.id}/accept",
                       json={"accepted_on": date.today().isoformat(), "evidence": "检测报告"},
                       headers=bearer(f, rows[0].applicant)).status_code == 403
    for m in ch.milestones:
        r = client.post(f"/api/v1/challenges/{ch.id}/milestones/{m.id}/accept",
                        json={"accepted_on": date.today().isoformat(), "evidence": "第三方检测报告 JX-2026-118"}, headers=hp)
        assert r.status_code == 200
    assert "揭榜挂帅：里程碑已验收" in titles(rows[0].applicant)
    assert client.post(f"/api/v1/challenges/{ch.id}/finish", json={"rating": "极好"}, headers=hp).status_code == 422
    heard = []
    with challenge_accepted.connected_to(lambda sender, **kw: heard.append((sender.id, kw["rating"], kw["org_id"]))):
        out = client.post(f"/api/v1/challenges/{ch.id}/finish", json={"rating": "优秀", "note": "全部指标达到"}, headers=hp)
    assert out.json["status"] == "accepted" and out.json["rating"] == "优秀"
    assert heard == [(ch.id, "优秀", rows[0].org_id)]
    stats = client.get("/api/v1/challenges/stats").json
    year = date.today().year
    assert stats["rows"] == [{"year": year, "city": "鹰潭", "posted": 1, "bounty": "1000000.00", "applications": 2, "solved": 1}]
    assert stats["total"]["solved"] == 1
    assert client.get(f"/api/v1/challenges/stats?year={year - 1}").json["total"]["posted"] == 0


def test_a_failed_acceptance_needs_a_reason_and_an_unawarded_challenge_tells_applicants(client, f):
    ch, rows, _ = fc.reviewed()
    hp = bearer(f, fc.ch_poster(ch))
    out = client.post(f"/api/v1/challenges/{ch.id}/unaward", json={"reason": "各方案均未达到指标要求"}, headers=hp)
    assert out.json["status"] == "unawarded"
    assert {r.status for r in ChallengeApplication.query} == {"not_awarded"}
    ch2, rows2, _ = fc.reviewed()
    hp2 = bearer(f, fc.ch_poster(ch2))
    client.post(f"/api/v1/challenges/{ch2.id}/award", json={"application_id": rows2[0].id}, headers=hp2)
    client.post(f"/api/v1/challenges/{ch2.id}/start", headers=hp2)
    assert client.post(f"/api/v1/challenges/{ch2.id}/finish", json={"rating": "不合格"}, headers=hp2).status_code == 422
    failed = client.post(f"/api/v1/challenges/{ch2.id}/finish", json={"rating": "不合格", "note": "中试未达到断线率指标"}, headers=hp2)
    assert failed.json["status"] == "failed" and failed.json["rating"] == "不合格"


def test_anonymous_poster_is_hidden_from_the_public_and_applicants(client, f):
    ch = fc.challenge(status="published", anonymous=True)
    poster = fc.ch_poster(ch)
    assert client.get(f"/api/v1/challenges/{ch.id}").json["poster"] is None
    assert client.get("/api/v1/challenges").json["items"][0]["poster"] is None
    row = fc.apply(ch)
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=bearer(f, row.applicant)).json["poster"] is None
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=bearer(f, poster)).json["poster"] == poster.org.name
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=bearer(f, f.reviewer())).json["poster"] == poster.org.name
    for path in ("/challenges", f"/challenges/{ch.id}", "/challenges/feed.xml"):
        text = client.get(path).get_data(as_text=True)
        assert poster.org.name not in text and "匿名发榜单位" in text, path


def test_the_api_routes_are_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = {p for p in spec["paths"] if p.startswith("/api/v1/challenges")}
    for p in ("/api/v1/challenges", "/api/v1/challenges/{challenge_id}", "/api/v1/challenges/{challenge_id}/award",
              "/api/v1/challenges/{challenge_id}/adjust", "/api/v1/challenges/applications/{app_id}/scores",
              "/api/v1/challenges/stats", "/api/v1/challenges/{challenge_id}/revoke"):
        assert p in paths
    assert set(spec["paths"]["/api/v1/challenges/applications/{app_id}/scores"]) == {"get", "put"}
    assert "ChallengeIn" in spec["components"]["schemas"]


def test_workbench_sections_per_role(f, app):
    from marketplace.core import workbench
    ch, rows, members = fc.reviewed()
    extra = fc.expert(ch)
    poster = fc.ch_poster(ch)
    draft = fc.challenge(poster)

    def section(user):
        with app.test_request_context():
            return next((s for s in workbench.collect(user) if s.title == "揭榜挂帅"), None)
    company = section(poster)
    assert {t.label: t.count for t in company.todos} == {"待提交的榜单（草稿、被驳回）": 1, "待阅读的揭榜方案": 2}
    assert {t.label: t.count for t in section(extra).todos} == {"待评分的揭榜方案": 2}
    assert section(members[0]).todos == [] or all(t.label != "待评分的揭榜方案" for t in section(members[0]).todos)
    assert section(rows[0].applicant).figures[0].value == "1 项"
    svc.transition(poster, draft, "submit")
    db.session.commit()
    assert {t.label: t.count for t in section(f.reviewer()).todos}["待审核的榜单"] == 1
