"""Statistics of the three newer domains: the 揭榜挂帅验收 bonus of the institution index (from the challenges
table), the dashboard's figures of challenges, events and bookings equal to what those domains count, money exact
to the fen, count targets (活动促成签约项数), and who sees what."""
from datetime import date, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.bookings import services as bsvc
from marketplace.challenges import services as csvc
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.events import services as esvc
from marketplace.extensions import db
from marketplace.stats import index, outcomes, ranking, service
from marketplace.stats.index import ContractFact, InstitutionInput

from . import factories_bookings as fb
from . import factories_challenges as fc
from . import factories_events as fe
from .conftest import login
from .test_stats_pages import admin, table_values


# The index bonus, pure -------------------------------------------------------------------------------------------

def _pair(challenges):
    a = InstitutionInput(1, "甲大学", [ContractFact("许可", D("2000000.00"), D("2000000.00"), True, True)],
                         challenges=challenges)
    b = InstitutionInput(2, "乙研究院", [ContractFact("技术开发", D("50000.00"), D("0"), False, False)])
    return {r["name"]: r for r in index.score([a, b])}


def test_bonus_points_by_rating_are_added_and_capped():
    base = _pair({})["甲大学"]
    assert base["scores"]["challenge_points"] == D("0.00")
    for rating, points in (("优秀", 3), ("良好", 2), ("合格", 1)):
        row = _pair({rating: 1})["甲大学"]
        assert row["scores"]["challenge_points"] == D(points)
        assert row["index"] == min(base["index"] + points, D(100))
        assert row["figures"]["challenges"][rating] == 1
    # 不合格 (a failed challenge) adds nothing
    assert _pair({"不合格": 2})["甲大学"]["index"] == base["index"]
    # at most 10 points, and the index stays at most 100
    assert _pair({"优秀": 5})["甲大学"]["scores"]["challenge_points"] == D("10")
    assert _pair({"优秀": 5})["甲大学"]["index"] == min(base["index"] + 10, D(100))
    # the other institution is unaffected; the published weights too (the bonus has none)
    assert _pair({"优秀": 1})["乙研究院"]["index"] == _pair({})["乙研究院"]["index"]
    assert sum(f["weight"] for f in index.formula_rows()) == D("100.00")
    assert [b["label"] for b in index.bonus_rows()] == ["揭榜挂帅验收"]


# The index bonus, from the challenges table --------------------------------------------------------------------

def _finished(rating):
    """A challenge won by an institution and finished with `rating` through the services."""
    ch, rows, _ = fc.reviewed()
    poster = fc.ch_poster(ch)
    csvc.award(poster, ch, {"application_id": rows[0].id})
    csvc.transition(poster, ch, "start")
    db.session.commit()
    if rating != "不合格":
        for m in ch.milestones:
            csvc.accept_milestone(poster, ch, m, {"accepted_on": date.today().isoformat(), "evidence": "第三方检测报告"})
    csvc.finish(poster, ch, {"rating": rating, "note": "验收意见：按指标逐项核对"})
    db.session.commit()
    return ch, rows[0].org_id


def _row(org_id):
    return next(r for r in ranking.live(date.today().year) if r["org_id"] == org_id)


@pytest.mark.parametrize("rating, points", [("优秀", 3), ("良好", 2), ("合格", 1), ("不合格", 0)])
def test_a_finished_challenge_feeds_the_winners_index(app, f, rating, points):
    ch, winner = _finished(rating)
    assert ch.status == ("failed" if rating == "不合格" else "accepted")
    row = _row(winner)
    assert D(row["scores"]["challenge_points"]) == points
    # the winner has no contract: its weighted part is 0, so the index is the bonus itself
    assert D(row["index"]) == points
    assert row["figures"]["challenges"] == {"优秀": 0, "良好": 0, "合格": 0, **({rating: 1} if points else {})}
    # read from the table, not from the signal: the same answer on every recomputation
    assert _row(winner)["index"] == row["index"]
    assert ranking.accepted_challenges(date.today().year, [winner]) == ({winner: {rating: 1}} if points else {})
    # the year of the acceptance only
    assert ranking.accepted_challenges(date.today().year - 1, [winner]) == {}


def test_the_ranking_page_publishes_the_bonus(client, f):
    _finished("良好")
    prov = admin(f, "province")
    login(client, prov)
    html = client.get(f"/stats/ranking?year={date.today().year}").get_data(as_text=True)
    assert 'id="bonus-table"' in html and "揭榜挂帅验收" in html and "优秀 3 分" in html
    assert "加分项" in html and 'data-col="challenge_points"' in html
    wb = load_workbook(BytesIO(client.get(f"/stats/ranking.xlsx?year={date.today().year}").data))
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row}
    assert "揭榜挂帅验收（加分）" in cells and "揭榜挂帅验收" in cells


# Dashboard figures -----------------------------------------------------------------------------------------------

@pytest.fixture
def world(f):
    """Challenges in 鹰潭 (one accepted), a roadshow held in 赣州 with a check-in, interest, introduction and a
    registered contract, and bookings of a 南昌 instrument with used hours and fees."""
    accepted, _ = _finished("优秀")
    fc.challenge(status="published", bounty="123456.78", enterprise_funding="123456.78", fiscal_funding="0")
    fc.challenge(status="published", bounty="面议", enterprise_funding=None, fiscal_funding=None)
    fc.challenge(status="draft")  # not published: not counted

    inst = f.user("institution", name="江西测试理工大学", city="赣州")
    ach = f.record("achievements", inst, status="published")
    broker = f.user("broker")
    org = fe.organiser(city="赣州")
    e = fe.event(org, achievements=[ach], brokers=[broker], starts_at=fe.when(0, -1), ends_at=fe.when(0, 3),
                 registration_deadline=fe.when(0, 2), capacity=5)
    company = f.user("company", name="赣州测试磁材有限公司", city="赣州")
    other = f.user("company", city="赣州")
    demand = f.record("demands", company, status="published", city="赣州", title="高矫顽力磁体降本技术需求")
    reg = esvc.register(company, e)
    esvc.register(other, e)
    db.session.commit()
    esvc.check_in(org, e, reg.code)
    interest = esvc.mark_interest(company, e, {"achievement_id": ach.id})
    db.session.commit()
    esvc.introduce(broker, interest, {"demand_id": demand.id})
    esvc.fire(org, e, "hold")
    db.session.commit()
    from marketplace.contracts import services as contracts
    from marketplace.contracts.models import Contract
    contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "永磁技术许可合同",
                            "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "1234567.89",
                            "signed_on": esvc.now_local().date().isoformat(), "city": "赣州", "industry": "新材料",
                            "achievement_id": ach.id})
    Contract.query.filter_by(title="永磁技术许可合同").one().status = "registered"
    fe.event(org, title="未举办的对接会")  # published, not held: not counted
    db.session.commit()

    owner, res = fb.owner_and_resource(city="南昌")
    s = fb.service(owner, res, unit_price="333.33", policy="open")
    day = fb.monday_ahead()
    buyers = [fb.customer(), fb.customer()]
    used = []
    for i, (who, hours) in enumerate(((buyers[0], "2.5"), (buyers[0], "1"), (buyers[1], "1.5"))):
        b = fb.booking(who, s, fb.at(day, 9 + i), status="approved")
        bsvc.record_usage(owner, b, {"used_hours": hours}, now=b.starts_at + timedelta(hours=2))
        used.append(b)
    fb.booking(buyers[1], s, fb.at(day, 14), status="approved")  # booked, not used yet
    db.session.commit()
    return {"accepted": accepted, "event": e, "resource": res, "owner": owner, "used": used, "year": day.year}


def _values(html, table):
    return table_values(html, table)


def test_dashboard_figures_equal_the_domains_counts(client, f, world):
    year = date.today().year
    login(client, admin(f, "province"))
    html = client.get(f"/stats/?year={year}").get_data(as_text=True)

    ch = _values(html, "t-challenges")
    mine = csvc.stats(year)
    assert ch["_total"] == {"posted": str(mine["total"]["posted"]), "bounty": f"{mine['total']['bounty']:.2f}",
                            "applications": str(mine["total"]["applications"]),
                            "solved": str(mine["total"]["solved"])}
    assert ch["鹰潭"]["posted"] == "3" and ch["鹰潭"]["solved"] == "1" and ch["鹰潭"]["applications"] == "2"
    assert ch["_total"]["bounty"] == "1123456.78"  # 1,000,000 + 123,456.78; 面议 not counted; exact

    ev = _values(html, "t-events")
    out = esvc.outcomes(world["event"])
    assert ev["赣州"] == {"held": "1", "attendees": str(out["attendees"]), "interests": str(out["interests"]),
                         "introductions": str(out["introductions"]), "contracts": str(out["contracts"]),
                         "contract_value": f"{out['contract_value']:.2f}"}
    assert ev["_total"]["contracts"] == "1" and ev["_total"]["contract_value"] == "1234567.89"
    assert ev["_total"]["attendees"] == "1" and ev["_total"]["held"] == "1"
    assert ev["南昌"]["held"] == "0"

    if world["year"] == year:
        bk = _values(html, "t-bookings")
        report = bsvc.report(world["owner"], world["resource"], year)["total"]
        assert bk["南昌"]["booked_hours"] == report["booked_hours"] == "4.00"
        assert bk["南昌"]["used_hours"] == report["used_hours"] == "5.00"
        assert bk["南昌"]["income"] == report["income"]
        # 333.33 × 2.5 = 833.325 → 833.33; × 1 = 333.33; × 1.5 = 499.995 → 500.00: 1,666.66, exact
        assert report["income"] == "1666.66" == f"{sum(D(b.fee) for b in world['used']):.2f}"
        assert bk["_total"]["customers"] == "2" and bk["_total"]["uses"] == "3"

    # the 举办活动 tile is real now
    assert service.year_summary(admin(f, "province"), year)["counts"]["events"] == 1
    assert 'id="tile-counts-events"' in html
    tile = html.split('id="tile-counts-events"', 1)[1].split("</div>", 2)[1]
    assert ">1<" in tile


def test_figures_follow_the_data_without_a_stale_cache(client, f, world):
    year = date.today().year
    prov = admin(f, "province")
    before = outcomes.figures(prov, year)
    fc.challenge(status="published", bounty="0.01", enterprise_funding="0.01", fiscal_funding="0")
    e2 = fe.event(fe.organiser(city="赣州"), starts_at=fe.when(0, -1), ends_at=fe.when(0, 3),
                  registration_deadline=fe.when(0, 2))
    esvc.fire(_organiser_of(e2), e2, "hold")
    db.session.commit()
    after = outcomes.figures(prov, year)
    assert after["challenges"]["total"]["posted"] == before["challenges"]["total"]["posted"] + 1
    assert after["challenges"]["total"]["bounty"] == before["challenges"]["total"]["bounty"] + D("0.01")
    assert after["events"]["total"]["held"] == before["events"]["total"]["held"] + 1


def _organiser_of(e):
    from marketplace.accounts.models import User
    return db.session.get(User, e.created_by_id)


def test_city_centres_see_their_city_only(client, f, world):
    year = date.today().year
    login(client, admin(f, "city", city="鹰潭"))
    for path in (f"/stats/?year={year}", f"/stats/?year={year}&city=赣州"):
        html = client.get(path).get_data(as_text=True)
        assert set(_values(html, "t-challenges")) == {"鹰潭", "_total"}
        assert set(_values(html, "t-events")) == {"鹰潭", "_total"}
        assert _values(html, "t-events")["_total"]["contracts"] == "0"  # 赣州's roadshow is not 鹰潭's
        assert "1234567.89" not in html
    wb = load_workbook(BytesIO(client.get(f"/stats/export.xlsx?year={year}&table=outcomes").data))
    assert len(wb.sheetnames) == 3
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
    assert "鹰潭" in cells and "赣州" not in cells
    with pytest.raises(Forbidden):
        outcomes.figures(admin(f, "city", city="鹰潭"), year, "赣州")
    # The 赣州 centre sees its roadshow and nothing of 鹰潭's challenges.
    c2 = client.application.test_client()
    login(c2, admin(f, "city", city="赣州"))
    html = c2.get(f"/stats/?year={year}").get_data(as_text=True)
    assert _values(html, "t-events")["赣州"]["contract_value"] == "1234567.89"
    assert _values(html, "t-challenges")["_total"]["posted"] == "0"


def test_the_province_filters_a_city_and_others_see_nothing(client, f, world):
    year = date.today().year
    login(client, admin(f, "province"))
    html = client.get(f"/stats/?year={year}&city=赣州").get_data(as_text=True)
    assert set(_values(html, "t-events")) == {"赣州", "_total"}
    wb = load_workbook(BytesIO(client.get(f"/stats/export.xlsx?year={year}&table=challenges").data))
    assert len(wb.sheetnames) == 1
    rows = list(wb.active.iter_rows(values_only=True))
    total = next(r for r in rows if r[0] == "合计")
    assert total[1] == 3 and D(str(total[2])) == D("112.345678")  # 万元, exact
    # an institution's centre: no outcome tables, and the export is refused
    inst = f.org("institution", name="测试大学", city="南昌")
    c2 = client.application.test_client()
    login(c2, admin(f, "institution", parent=inst))
    html = c2.get(f"/stats/?year={year}").get_data(as_text=True)
    assert 't-challenges' not in html and 't-events' not in html
    assert c2.get(f"/stats/export.xlsx?year={year}&table=outcomes").status_code == 403
    # visitors: the dashboard needs a login
    assert client.application.test_client().get(f"/stats/?year={year}").status_code in (302, 401)


# Count targets ---------------------------------------------------------------------------------------------------

def test_event_contract_target_counts_from_the_data(client, f, world):
    year = date.today().year
    prov = admin(f, "province")
    t = service.create_target(prov, {"year": year, "scope": "province", "indicator": "活动促成签约项数", "value": "30",
                                     "source": "《江西省科技成果转化行动方案》：促成成果落地转化30项"})
    db.session.commit()
    data = outcomes.figures(prov, year)
    assert data["target"]["value"] == "30.00"
    login(client, prov)
    html = client.get(f"/stats/?year={year}").get_data(as_text=True)
    note = html.split('id="events-target"', 1)[1].split("</p>", 1)[0]
    assert "活动促成签约 1 项" in note and "目标 30 项" in note and "3.3%" in note
    # the targets page shows it in 项, not 亿元
    page = client.get(f"/stats/targets?year={year}").get_data(as_text=True)
    assert "30 项" in page
    assert "30 项" in client.get(f"/stats/targets/{t.id}").get_data(as_text=True)
    # a count is a whole number; and typed in 项
    with pytest.raises(ValidationFailed) as exc:
        service.create_target(prov, {"year": year, "scope": "province", "indicator": "活动促成签约项数",
                                     "value": "30.5", "source": "测试来源"})
    assert "整数" in str(exc.value.fields)
    db.session.rollback()
    from .conftest import csrf_token
    form = {"year": str(year), "scope": "province", "indicator": "活动促成签约项数", "value": "260", "unit": "亿元",
            "source": "《科技兴赣六大行动》：签约超260项", "csrf_token": csrf_token(client)}
    r = client.post("/stats/targets", data=form)
    assert r.status_code == 422 and "单位请选“项”" in r.get_data(as_text=True)
    r = client.post("/stats/targets", data={**form, "unit": "项"}, follow_redirects=True)
    assert r.status_code == 200 and "260 项" in r.get_data(as_text=True)
