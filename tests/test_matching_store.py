"""Stored matches: written after publish, removed after unpublish, both directions, the other side refreshed,
stale after a dictionary/weights change, `flask match rebuild`, read (not computed) by the API and the pages;
the match panel's actions (htmx and no-JS) and who may take them."""
import json
import re
from pathlib import Path

import pytest

from marketplace.core import uow
from marketplace.extensions import db
from marketplace.matching import jobs, scoring, store
from marketplace.matching.models import (MatchFeedback, MatchList, MatchRebuild, MatchRefresh, MatchRequest,
                                         StoredMatch)
from marketplace.searching import sync

from .conftest import login

WIRE = dict(title="铜线拉丝张力智能控制与断线预测技术",
            summary="针对铜线高速拉丝断线频繁的问题，建立张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
            keywords="拉丝、断线、张力控制、铜线", industry="有色金属", maturity="中试", transfer_modes="许可",
            asking_price_wan="30")
WIRE2 = dict(title="铜线拉丝断线在线检测与张力补偿系统",
             summary="在线检测铜线拉丝过程张力波动，提前预警断线，断线次数减少60%，适用于铜杆拉丝机改造。",
             keywords="拉丝、断线、张力、铜线", industry="有色金属", maturity="中试", transfer_modes="许可",
             asking_price_wan="20")
ORANGE = dict(title="脐橙采后保鲜涂膜技术", summary="壳聚糖复合涂膜用于脐橙采后保鲜，常温贮藏90天腐烂率低于3%，适合果品企业。",
              keywords="脐橙、保鲜", industry="现代农业", maturity="工业化")
DEMAND = dict(title="铜杆拉丝老断线", description="拉丝速度一提上去就老断线，换了几家的铜杆都不行，想找办法降低断线。",
              industry="有色金属", city="鹰潭", budget_wan="50", cooperation="技术许可")
LONELY = dict(title="跨境电商报关单据自动识别", description="我们做跨境电商，每天要手工录入几百张报关单据，想找人做自动识别系统。",
              indicators="单据识别准确率99%以上", industry="数字经济", city="南昌", budget_wan="20", cooperation="委托开发")


def settle():
    """What the site does after a commit: the search index first, then the stored matches (the factories
    commit without running the after-commit work)."""
    uow.discard()
    sync.apply_pending()
    jobs.process_queue()


def rows(direction, **where):
    q = StoredMatch.query.filter_by(direction=direction, **where)
    return {(r.demand_id, r.achievement_id): r for r in q}


def listed(entity_type, entity_id):
    return MatchList.query.filter_by(entity_type=entity_type, entity_id=entity_id).one_or_none()


@pytest.fixture
def world(f):
    inst = f.user("institution", city="鹰潭")
    wire = f.record("achievements", inst, status="published", ref="S-A1", **WIRE)
    orange = f.record("achievements", inst, status="published", ref="S-A2", **ORANGE)
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="S-D1", **DEMAND)
    lonely = f.record("demands", company, status="published", ref="S-D2", **LONELY)
    settle()
    return {"inst": inst, "wire": wire, "orange": orange, "company": company, "demand": demand, "lonely": lonely}


def test_publishing_stores_both_directions_and_withdrawing_removes_them(world):
    wire, demand = world["wire"], world["demand"]
    assert MatchRefresh.query.count() == 0
    for kind, obj in (("demand", demand), ("achievement", wire), ("demand", world["lonely"])):
        row = listed(kind, obj.id)
        assert row is not None and row.fingerprint == store.fingerprint() and not row.stale
    assert (demand.id, wire.id) in rows("demand", demand_id=demand.id)
    assert (demand.id, wire.id) in rows("achievement", achievement_id=wire.id)
    assert rows("demand", demand_id=demand.id)[(demand.id, wire.id)].reasons  # score, band, reasons kept
    assert listed("demand", world["lonely"].id).abstained is True

    from marketplace.core import listings
    listings.transition(world["company"], listings.LIBRARIES["demands"], demand, "withdraw")
    db.session.commit()
    settle()
    assert listed("demand", demand.id) is None
    assert not StoredMatch.query.filter_by(demand_id=demand.id).count()  # its list and the rows pointing at it


def test_approval_through_the_site_stores_the_matches_after_the_commit(client, f, world):
    """The request's commit runs the after-commit work: the index, then the stored matches (Huey, immediate
    in tests) — nobody calls the queue by hand here."""
    company = world["company"]
    new = f.record("demands", company, status="submitted", ref="S-D3", title="拉丝机铜线断线率高",
                   description="铜线拉丝时断线多，张力不稳，希望引进断线预测和张力控制技术。", industry="有色金属",
                   city="鹰潭", budget_wan="40", cooperation="技术许可")
    uow.discard()
    from marketplace.accounts.models import User
    admin = User.query.filter_by(role="admin").first()
    login(client, admin)
    assert client.post(f"/demands/{new.id}/approve").status_code in (302, 303)
    db.session.expire_all()
    assert listed("demand", new.id) is not None
    assert (new.id, world["wire"].id) in rows("demand", demand_id=new.id)
    assert (new.id, world["wire"].id) in rows("achievement", achievement_id=world["wire"].id)  # other side too
    assert MatchRefresh.query.count() == 0


def test_a_new_record_enters_the_other_sides_lists_without_recomputing_them(f, world):
    demand = world["demand"]
    before = listed("demand", demand.id).computed_at
    wire2 = f.record("achievements", world["inst"], status="published", ref="S-A3", **WIRE2)
    settle()
    assert (demand.id, wire2.id) in rows("demand", demand_id=demand.id)  # the demand's list got the new row
    assert listed("demand", demand.id).computed_at == before  # … by propagation, not by recomputing it


def test_a_changed_record_leaves_the_lists_it_no_longer_fits(world):
    wire, demand = world["wire"], world["demand"]
    wire.title, wire.summary, wire.keywords = ("赣南脐橙果园智能灌溉系统",
                                               "根据土壤墒情自动灌溉脐橙果园，节水40%，适用于丘陵果园。", "灌溉、脐橙")
    wire.industry = "现代农业"
    db.session.commit()
    assert MatchRefresh.query.filter_by(entity_type="achievement", entity_id=wire.id).count() == 1
    settle()
    assert (demand.id, wire.id) not in rows("demand", demand_id=demand.id)
    assert (demand.id, wire.id) not in rows("achievement", achievement_id=wire.id)


def test_an_unrelated_change_queues_nothing(world):
    world["wire"].contact_name = "新联系人"
    db.session.commit()
    assert MatchRefresh.query.count() == 0


def test_the_api_reads_the_store_and_does_not_compute(client, world, monkeypatch):
    demand, wire = world["demand"], world["wire"]
    StoredMatch.query.filter_by(direction="demand", demand_id=demand.id, achievement_id=wire.id).update({"score": 42})
    db.session.commit()

    def boom(*a, **k):
        raise AssertionError("computed on read")
    monkeypatch.setattr(store, "compute", boom)
    login(client, world["company"])
    found = client.get(f"/api/v1/demands/{demand.id}/matches?limit=10").json
    item = next(i for i in found["items"] if i["id"] == wire.id)
    assert item["score"] == 42 and found["abstained"] is False and "reasons" in item
    assert {"id", "ref", "title", "score", "band", "reasons", "shared_terms"} <= set(item)
    assert client.get(f"/api/v1/achievements/{wire.id}/matches?limit=10").json["items"]
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="matches"' in html and f'id="match-{wire.id}"' in html
    lonely = client.get(f"/api/v1/demands/{world['lonely'].id}/matches").json
    assert lonely["abstained"] is True and {s["code"] for s in lonely["next_steps"]} == {"broker", "challenge", "push"}


def test_the_matches_api_does_not_read_what_it_does_not_answer(app, client, world):
    """An achievement's page shows its patents (loaded with it); its matches answer does not: not read."""
    from sqlalchemy import event
    seen = []
    wire_id = world["wire"].id  # (read here: the test's own refresh of the record loads its patents)
    db.session.remove()  # the request reads with a session of its own, as it does outside tests

    def log(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        found = client.get(f"/api/v1/achievements/{wire_id}/matches?limit=10").json
        assert found["items"] and seen
        assert not [s for s in seen if "achievement_ip" in s], seen
        seen.clear()
        client.get(f"/achievements/{wire_id}")
        assert [s for s in seen if "achievement_ip" in s]  # (the page does read them: the check can see it)
    finally:
        event.remove(db.engine, "before_cursor_execute", log)


def test_an_answered_lists_weak_rows_are_folded_and_a_weak_only_list_shows_them(client, world):
    demand, wire, orange = world["demand"], world["wire"], world["orange"]
    q = StoredMatch.query.filter_by(direction="demand", demand_id=demand.id)
    if not q.filter_by(achievement_id=orange.id).count():
        db.session.add(StoredMatch(direction="demand", demand_id=demand.id, achievement_id=orange.id, score=31,
                                   band="弱", coverage=0.0, reasons=["跨产业应用"], shared_terms=[]))
    q.filter_by(achievement_id=wire.id).update({"score": 80, "band": "强"})
    q.filter_by(achievement_id=orange.id).update({"score": 31, "band": "弱"})
    MatchList.query.filter_by(entity_type="demand", entity_id=demand.id).update({"abstained": False})
    db.session.commit()
    login(client, world["company"])
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    fold = html.index('id="weak-matches"')
    assert html.index(f'id="match-{wire.id}"') < fold < html.index(f'id="match-{orange.id}"')
    assert "另有 1 条弱相关的成果" in html
    q.filter_by(achievement_id=wire.id).update({"score": 45, "band": "弱"})
    db.session.commit()
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="weak-matches"' not in html and f'id="match-{wire.id}"' in html and f'id="match-{orange.id}"' in html


def test_a_record_without_a_stored_list_is_computed_once_and_stored(client, world):
    demand = world["demand"]
    StoredMatch.query.filter_by(direction="demand", demand_id=demand.id).delete()
    MatchList.query.filter_by(entity_type="demand", entity_id=demand.id).delete()
    db.session.commit()
    login(client, world["company"])
    assert client.get(f"/api/v1/demands/{demand.id}/matches").json["items"][0]["id"] == world["wire"].id
    db.session.expire_all()
    assert listed("demand", demand.id) is not None and rows("demand", demand_id=demand.id)


def test_anonymous_readers_get_the_stored_list_without_reasons(client, world):
    found = client.get(f"/api/v1/demands/{world['demand'].id}/matches").json
    assert found["items"] and "reasons" not in found["items"][0]
    html = client.get(f"/demands/{world['demand'].id}").get_data(as_text=True)
    assert world["wire"].title in html and "match-actions" not in html and "js/matching.js" not in html


def test_a_fingerprint_change_marks_the_lists_stale_and_a_rebuild_brings_them_back(world, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs, "enqueue_rebuild", queued.append)
    monkeypatch.setattr(store, "compute_fingerprint", lambda: "new-dictionary")
    store.reset_fingerprint_cache()
    try:
        assert store.check_fingerprint() is True
        uow.commit()
        assert MatchList.query.filter_by(stale=False).count() == 0
        run = MatchRebuild.query.one()
        assert (run.status, run.reason, run.fingerprint, queued) == ("queued", "fingerprint", "new-dictionary",
                                                                     [run.id])
        assert store.check_fingerprint() is False  # once per fingerprint
        jobs.run_rebuild(run.id)
        db.session.expire_all()
        assert MatchRebuild.query.one().status == "done"
        lists = MatchList.query.all()
        assert lists and all(r.fingerprint == "new-dictionary" and not r.stale for r in lists)
    finally:
        monkeypatch.undo()
        store.reset_fingerprint_cache()


def test_rebuild_command_shows_progress_and_resumes_after_a_failure(app, world, monkeypatch):
    calls = []
    real = store.compute

    def flaky(obj, limit=50):
        calls.append((obj.entity_type, obj.id))
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real(obj, limit)
    monkeypatch.setattr(store, "compute", flaky)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["match", "rebuild", "--batch", "1"])
    assert out.exit_code != 0 and "失败" in out.output, out.output
    assert re.search(r"2/4 条，[\d.]+ 条/秒，预计剩余", out.output), out.output
    run = MatchRebuild.query.one()
    assert (run.status, run.done, run.total) == ("failed", 2, 4)
    out = runner.invoke(args=["match", "rebuild", "--batch", "1"])
    assert out.exit_code == 0, out.output
    assert "继续未完成的重建" in out.output and "4/4 条" in out.output and "已完成" in out.output
    assert len(calls) == 5  # two before the failure, the failed one again, and the last one: nothing twice
    db.session.expire_all()
    assert MatchRebuild.query.one().status == "done"
    status = runner.invoke(args=["match", "rebuild", "--status"])
    assert "已完成" in status.output and "4/4" in status.output
    only = runner.invoke(args=["match", "rebuild", "--type", "demand"])
    assert only.exit_code == 0 and "2/2 条" in only.output


# The match panel ------------------------------------------------------------------------------------------

def test_panel_actions_in_page_with_htmx(client, world):
    demand, wire = world["demand"], world["wire"]
    login(client, world["company"])
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "感兴趣" in html and "申请对接" in html and "技术不对口" in html and "交给技术经纪人" in html
    assert "vendor/htmx/htmx.min.js" in html and "js/matching.js" in html  # htmx from base.html
    hx = {"HX-Request": "true"}
    resp = client.post(f"/matches/demand/{demand.id}/{wire.id}/interested", headers=hx)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith('<li class="match-row') and f'id="match-{wire.id}"' in body
    assert "已标记感兴趣" in body and "<html" not in body
    assert MatchFeedback.query.filter_by(demand_id=demand.id, achievement_id=wire.id, side="demand").one().verdict \
        == "interested"
    resp = client.post(f"/matches/demand/{demand.id}/{wire.id}/request", headers=hx)
    assert "已申请对接" in resp.get_data(as_text=True)
    assert MatchRequest.query.filter_by(demand_id=demand.id, achievement_id=wire.id, side="demand").count() == 1
    from marketplace.notifications.models import Notification
    assert Notification.query.filter(Notification.title.like("企业申请对接%")).count() >= 1
    # 不相关 without a reason is refused in the row itself; with one the row says so.
    body = client.post(f"/matches/demand/{demand.id}/{wire.id}/irrelevant", headers=hx).get_data(as_text=True)
    assert "match-error" in body and "请选择不相关的原因" in body
    body = client.post(f"/matches/demand/{demand.id}/{wire.id}/irrelevant", data={"reason": "价格不合适"},
                       headers=hx).get_data(as_text=True)
    assert "已标记不相关（价格不合适）" in body
    # … and the pair has left the company's list at once.
    assert wire.id not in [i["id"] for i in client.get(f"/api/v1/demands/{demand.id}/matches").json["items"]]
    steps = client.post(f"/matches/demand/{world['lonely'].id}/next-step", data={"step": "broker"}, headers=hx)
    assert 'id="match-next-steps"' in steps.get_data(as_text=True) and "已选择" in steps.get_data(as_text=True)


def test_a_silent_lists_weak_rows_are_folded_for_those_who_read_reasons_and_hidden_from_others(client, f, world):
    """A silent list whose nearest records are all weak: its owner and a broker can open them (folded, told that
    the system judged them not good enough); a visitor sees only that nothing fits."""
    lonely = world["lonely"]
    store.read(lonely, 10)
    MatchList.query.filter_by(entity_type="demand", entity_id=lonely.id).update({"abstained": True})
    q = StoredMatch.query.filter_by(direction="demand", demand_id=lonely.id)
    if not q.count():
        db.session.add(StoredMatch(direction="demand", demand_id=lonely.id, achievement_id=world["orange"].id,
                                   score=22, band="弱", coverage=0.0, reasons=["跨产业应用"], shared_terms=[]))
    q.update({"band": "弱", "score": 20})
    db.session.commit()
    rows = [m.achievement_id for m in q]
    path = f"/demands/{lonely.id}"
    anonymous = client.get(path).get_data(as_text=True)
    assert 'id="abstained"' in anonymous and 'id="weak-matches"' not in anonymous
    assert not any(f'id="match-{i}"' in anonymous for i in rows)
    for user in (world["company"], f.user("broker")):
        login(client, user)
        html = client.get(path).get_data(as_text=True)
        fold = html.index('id="weak-matches"')
        assert html.index('id="abstained"') < fold and 'id="nearest"' not in html
        assert f"最接近的 {len(rows)} 条成果均为弱相关" in html
        assert all(html.index(f'id="match-{i}"') > fold for i in rows)
        client.post("/logout")


def test_the_page_says_why_a_list_is_silent_to_those_who_read_reasons(client, f, world):
    """The signals the engine decided on are stored with the list and worded on the page for the owner, brokers and
    administrators (the ratio, the bar and why that bar); visitors see no figures; a list stored before the
    signals were kept says nothing rather than guessing."""
    lonely, demand = world["lonely"], world["demand"]
    for record in (lonely, demand):
        store.read(record, 10)
    db.session.commit()
    kept = MatchList.query.filter_by(entity_type="demand", entity_id=lonely.id).one()
    assert kept.abstained and kept.decision is not None and 0 <= kept.decision["confidence"] <= 0.5
    why = "为什么没有推荐：" + scoring.describe_decision(kept.decision["signals"], True)
    assert ("需达到" in why) == bool(kept.decision["signals"])  # (no candidate at all: says so)
    assert client.get(f"/demands/{lonely.id}").get_data(as_text=True).count("为什么没有推荐") == 0  # a visitor
    for user in (world["company"], f.user("broker")):
        login(client, user)
        html = client.get(f"/demands/{lonely.id}").get_data(as_text=True)
        assert why in html and html.index('id="abstained"') < html.index('id="why-decision"')
        client.post("/logout")
    login(client, world["company"])
    answered = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "推荐依据：最突出的候选成果比其余候选的中位水平强" in answered and "为什么没有推荐" not in answered
    kept.decision = None  # as a list written before migration 0023 reads
    db.session.commit()
    assert 'id="why-decision"' not in client.get(f"/demands/{lonely.id}").get_data(as_text=True)
    assert "decision" not in client.get(f"/api/v1/demands/{lonely.id}/matches").json


def test_panel_actions_without_javascript_redirect_with_a_flash(app, client, world):
    demand, wire = world["demand"], world["wire"]
    login(client, world["company"])
    lonely = client.get(f"/demands/{world['lonely'].id}").get_data(as_text=True)
    assert 'id="btn-challenge"' in lonely and "需求推送" in lonely  # the engine abstained: 揭榜挂帅 offered
    # an abstained list's nearest records (中/强) are introduced as such, never under an answered list
    items = client.get(f"/api/v1/demands/{world['lonely'].id}/matches").json["items"]
    assert ('id="nearest"' in lonely) == any(i["band"] != "弱" for i in items)
    assert 'id="nearest"' not in client.get(f"/demands/{demand.id}").get_data(as_text=True)
    if "challenges.new_from_demand" in app.view_functions:  # the 揭榜挂帅 package's own "from a demand" page
        assert f'action="/challenges/from-demand/{world["lonely"].id}"' in lonely
    resp = client.post(f"/matches/demand/{demand.id}/{wire.id}/irrelevant", data={"reason": "技术不对口"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/demands/{demand.id}#matches")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已标记为不相关" in html
    assert f'id="match-{wire.id}"' not in html  # gone from the list
    resp = client.post(f"/matches/demand/{world['lonely'].id}/next-step", data={"step": "challenge"})
    assert resp.status_code == 303
    assert "已选择" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_only_the_records_own_side_may_mark_its_matches(client, f, world):
    demand, wire = world["demand"], world["wire"]
    assert client.post(f"/matches/demand/{demand.id}/{wire.id}/interested").status_code in (302, 401)
    login(client, f.user("company"))  # another company
    assert client.post(f"/matches/demand/{demand.id}/{wire.id}/interested").status_code == 403
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "match-actions" not in html
    client.post("/logout")
    from marketplace.accounts.models import User
    inst_user = User.query.filter_by(org_id=wire.owner_org_id).first()
    login(client, inst_user)  # the achievement's side: not on the demand's list …
    assert client.post(f"/matches/demand/{demand.id}/{wire.id}/interested").status_code == 403
    resp = client.post(f"/matches/achievement/{wire.id}/{demand.id}/interested", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "已标记感兴趣" in resp.get_data(as_text=True)  # … but on its own
    assert MatchFeedback.query.filter_by(side="achievement").count() == 1
    assert MatchFeedback.query.filter_by(side="demand").count() == 0


def test_broker_suggestions_come_from_the_store(world):
    found = store.suggestions([world["demand"].id, world["lonely"].id], per_demand=2)
    assert found[world["demand"].id][0]["id"] == world["wire"].id
    assert len(found[world["demand"].id]) <= 2


def test_workbench_counts_strong_matches_not_yet_marked(app, world):
    from marketplace.core import workbench
    from marketplace.matching import push
    demand, wire = world["demand"], world["wire"]
    StoredMatch.query.filter_by(direction="demand", demand_id=demand.id).update({"band": "中"})
    StoredMatch.query.filter_by(direction="demand", demand_id=demand.id, achievement_id=wire.id).update({"band": "强"})
    db.session.commit()

    def count():
        with app.test_request_context():
            section = next(s for s in workbench.collect(world["company"]) if s.title == "精准匹配")
            return int(section.figures[0].value.split()[0])
    assert count() == 1
    push.feedback(world["company"], demand, wire, "interested", None)
    db.session.commit()
    uow.discard()
    assert count() == 0


def test_queued_rows_go_in_multi_row_inserts_on_postgresql(ctx):
    """Many rows without RETURNING (the refresh queue, the search outbox, stored matches): one multi-row INSERT
    per 1,000 rows on PostgreSQL (extensions.batch_bulk_inserts), not psycopg's statement per row."""
    from sqlalchemy import event

    from marketplace.searching import outbox
    from marketplace.searching.models import SearchOutbox
    seen = []

    def log(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO"):
            seen.append((statement, executemany))
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        store.enqueue("demand", range(1, 2501), kick=False)
        outbox.enqueue_many(db.session, "demands", range(1, 1201))
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert MatchRefresh.query.count() == 2500 and SearchOutbox.query.count() >= 1200
    if db.engine.dialect.name == "postgresql":
        assert len(seen) == 3 + 2  # ⌈2,500/1,000⌉ + ⌈1,200/1,000⌉ statements
        assert all(statement.count("), (") >= 199 for statement, _ in seen)  # each of 200 rows at least
    else:
        assert len(seen) == 2 and all(many for _, many in seen)  # one executemany each
    db.session.rollback()


def test_stored_reasons_keep_chinese_as_utf8_not_escapes(world):
    """JSON columns are written with ensure_ascii=False: a stored row's reasons take half the bytes (a 100,000-
    achievement store holds ≈ 5.5 million rows) and read back the same."""
    from sqlalchemy import text
    demand, wire = world["demand"], world["wire"]
    row = rows("demand", demand_id=demand.id)[(demand.id, wire.id)]
    raw = db.session.execute(text("SELECT CAST(reasons AS TEXT) FROM stored_matches WHERE id = :i"),
                             {"i": row.id}).scalar_one()
    assert "\\u" not in raw and any("\u4e00" <= ch <= "\u9fff" for ch in raw), raw[:80]
    assert json.loads(raw) == row.reasons


def test_the_fingerprint_reads_the_data_files_but_not_their_readmes(app):
    with app.app_context():
        files = store._fingerprint_files()
    names = {(p.parent.name, p.name) for p in files}
    assert {("graph", "建材.tsv"), ("data", "generic.txt"), ("data", "synonyms.txt")} <= names
    assert {("matching", "scoring.py"), ("matching", "service.py")} <= names  # the engine's code and word lists
    # a folder's README (data/graph/README.md exists) describes the data: editing it must not mark lists stale
    assert (Path(store.__file__).parent / "data" / "graph" / "README.md").is_file()
    assert not [p for p in files if p.suffix == ".md"]


def test_an_abstained_lists_nearest_records_are_introduced_as_such(app, client, world, monkeypatch):
    from marketplace.matching import store
    demand = world["demand"]
    login(client, world["company"])
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="nearest"' not in html and 'id="abstained"' not in html  # answered: its list, no caveat
    real = store.read

    def silent(obj, limit, **kw):  # the same list, as if the engine had abstained on it
        found = real(obj, limit, **kw)
        assert any(i["band"] != "弱" for i in found["items"])
        return dict(found, abstained=True)
    monkeypatch.setattr(store, "read", silent)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'id="abstained"' in html and 'id="nearest"' in html and "以下是最接近的成果，仅供参考" in html
    order = [html.index(mark) for mark in ('id="abstained"', 'id="nearest"', 'class="plain list-unstyled')]
    assert order == sorted(order)


def test_a_pair_with_a_signed_deal_is_marked_and_not_offered_for_contact_again(app, client, world, f):
    """On both records' panels the other side of a brokered deal that reached 签约 shows 已签约, without the actions
    (申请对接 an achievement already licensed to you reads as nonsense); the other rows keep them; visitors
    other than the records' own organisations are not told of the deal."""
    import re

    from marketplace.brokers import services as brokers
    demand, wire = world["demand"], world["wire"]
    wire2 = f.record("achievements", world["inst"], status="published", ref="S-A3", **WIRE2)
    settle()
    broker = f.user("broker")
    intro = brokers.claim(broker, demand)
    brokers.introduce(broker, intro, wire)
    for stage in ("contacted", "negotiating", "signed"):
        brokers.advance(broker, intro, stage)
    db.session.commit()

    def row(html, other_id):
        found = re.search(rf'<li class="match-row[^"]*" id="match-{other_id}">(.*?)</li>', html, re.S)
        assert found, other_id
        return found.group(1)
    login(client, world["company"])
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "已签约" in row(html, wire.id) and "申请对接" not in row(html, wire.id)
    assert "已签约" not in row(html, wire2.id) and "申请对接" in row(html, wire2.id)  # no deal: actions kept
    login(client, world["inst"])
    html = client.get(f"/achievements/{wire.id}").get_data(as_text=True)
    assert "已签约" in row(html, demand.id) and "申请对接" not in row(html, demand.id)
    login(client, f.user("company"))  # another company: no word of the deal
    assert "match-signed" not in client.get(f"/achievements/{wire.id}").get_data(as_text=True)


def test_the_documented_matches_answer_names_when_and_whether_stale(client, world):
    """`computed_at` and `stale` are in the answer and in the OpenAPI document (they were answered undocumented)."""
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Matches"]["properties"]
    assert spec["computed_at"]["type"] == "string" and spec["stale"]["type"] == "boolean"
    found = client.get(f"/api/v1/demands/{world['demand'].id}/matches?limit=5").json
    assert found["stale"] is False and found["computed_at"][:4].isdigit() and set(found) <= set(spec)


def test_own_list_page_shows_each_records_matches_in_figures_as_the_workbench_counts_them(client, world, f):
    """本单位的需求: under each published demand, its strong and medium matches and the strong ones not yet looked
    at (the workbench's "待查看的强匹配成果" leads here: the same count), or that the engine found none; a pair
    marked 感兴趣, or with a signed deal, is no longer "未处理"."""
    import re

    from marketplace.brokers import services as brokers
    from marketplace.matching import store
    demand, lonely = world["demand"], world["lonely"]
    twin = f.record("demands", world["company"], status="published", ref="S-D3", **dict(
        DEMAND, title="铜线拉丝断线太多", description="拉丝机速度一快铜线就断，一个班要断好几次，想找办法把断线降下来。"))
    settle()
    found = {d.id: store.read(d, 50) for d in (demand, twin)}
    strong = {i: [x["id"] for x in r["items"] if x["band"] == "强"] for i, r in found.items()}
    assert all(strong.values()) and not any(r["abstained"] for r in found.values()), found
    db.session.commit()

    def figures():
        page = client.get("/demands/?scope=mine").get_data(as_text=True)
        rows = dict((int(i), (int(n), int(u or 0))) for n, u, _m, i in re.findall(
            r"匹配：强 (\d+) 项(?:（<strong>(\d+) 项未处理</strong>）)?、中 (\d+) 项 · <a href=\"/demands/(\d+)#matches\"",
            page))
        todo = re.search(r"待查看的强匹配成果</[^>]+>\s*<[^>]+>(\d+)<", client.get("/workbench").get_data(as_text=True))
        return page, rows, int(todo.group(1)) if todo else 0
    login(client, world["company"])
    page, rows, todo = figures()
    assert rows == {d: (len(s), len(s)) for d, s in strong.items()} and todo == sum(map(len, strong.values()))
    assert "匹配：暂未找到足够匹配的成果" in page and f"/demands/{lonely.id}#matches" in page  # the lonely one
    client.post(f"/matches/demand/{demand.id}/{strong[demand.id][0]}/interested")
    broker = f.user("broker")
    intro = brokers.claim(broker, twin)
    brokers.introduce(broker, intro, db.session.get(type(world["wire"]), strong[twin.id][0]))
    for stage in ("contacted", "negotiating", "signed"):
        brokers.advance(broker, intro, stage)
    db.session.commit()
    _page, rows, todo = figures()
    assert rows == {d: (len(s), len(s) - 1) for d, s in strong.items()} and todo == sum(map(len, strong.values())) - 2
    login(client, f.user("company"))  # another company's list shows none of it
    assert "匹配：" not in client.get("/demands/?scope=mine").get_data(as_text=True)


def test_the_broker_workbench_tells_a_silent_demands_nearest_from_matches(client, f, world):
    """A demand whose stored list is silent shows its nearest achievements as such, not as matches."""
    import re

    from flask import url_for

    from .conftest import login
    demand, lonely = world["demand"], world["lonely"]
    assert store.silent("demand", [demand.id, lonely.id]) == {lonely.id}
    login(client, f.user("broker"))
    with client.application.test_request_context():
        path = url_for("brokers.workbench")

    def candidates():
        html = client.get(path).get_data(as_text=True)
        assert "已推送" not in html
        return re.search(re.escape(demand.title) + r'.*?<p class="help candidates">(.*?)</p>', html, re.S).group(1)
    assert candidates().startswith("系统匹配的候选成果：") and world["wire"].title in candidates()
    MatchList.query.filter_by(entity_type="demand", entity_id=demand.id).update({"abstained": True})
    db.session.commit()  # the same rows, the list now silent
    assert candidates().startswith("系统判断暂无合适成果，最接近的（仅供参考）：")
