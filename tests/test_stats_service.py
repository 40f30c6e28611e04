"""Statistics of registered contracts: exact totals to the fen, every breakdown, the scope of each
administrator (never another city's contract in any figure), targets and their versions, the signal path from
a contract registered on the site and a payment recorded on it."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert

from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.stats import service
from marketplace.stats.models import ContractFact, StatTarget

BYS = list(service.BY)


def fact(
    no,
    city,
    amount,
    *,
    buyer_region=None,
    kind="技术开发",
    year=2025,
    month=3,
    tech=None,
    received="0",
    seller_type="企业",
    industry="新材料",
    field="新材料及其应用",
    seller_org_id=None,
    seller_region=None,
):
    fen = lambda v: int(Decimal(v) * 100)  # noqa: E731
    day = date(year, month, 15)
    return {
        "registration_no": no,
        "title": f"合同{no}",
        "kind": kind,
        "seller": f"卖方{no}",
        "seller_type": seller_type,
        "seller_region": seller_region or city or "广东",
        "seller_org_id": seller_org_id,
        "buyer": f"买方{no}",
        "buyer_region": buyer_region or city or "南昌",
        "city": city,
        "amount_fen": fen(amount),
        "tech_amount_fen": fen(tech if tech is not None else amount),
        "received_fen": fen(received),
        "signed_on": day,
        "registered_on": day,
        "year": year,
        "month": month,
        "field": field,
        "industry": industry,
        "source": "historical",
        "contract_id": None,
        "batch": "test",
    }


def load(rows):
    db.session.execute(insert(ContractFact), rows)
    db.session.commit()


@pytest.fixture()
def facts(ctx, f):
    inst = f.org("institution", name="测试大学", city="南昌", subtype="高校")
    rows = [
        fact(
            "A1",
            "南昌",
            "100000.01",
            kind="技术开发",
            month=1,
            received="50000.00",
            seller_org_id=inst.id,
            seller_type="高校",
        ),
        fact("A2", "南昌", "0.02", kind="技术服务", month=12, tech="0.01", buyer_region="广东"),
        fact(
            "A3",
            "南昌",
            "2500000.10",
            kind="技术许可",
            month=12,
            buyer_region="鹰潭",
            seller_org_id=inst.id,
            seller_type="高校",
            industry="有色金属",
        ),
        fact("B1", "鹰潭", "333333.33", kind="技术转让", month=6, received="333333.33", industry="有色金属"),
        fact("B2", "鹰潭", "0.05", kind="技术咨询", month=6, buyer_region="浙江"),
        fact("C1", None, "777.77", seller_region="广东", buyer_region="鹰潭"),  # bought by 鹰潭 from 广东
        fact("C2", None, "1000.00", seller_region="上海", buyer_region="南昌"),
        fact("D1", "赣州", "42.42", year=2024, month=7),  # last year
        fact("E1", "九江", "9.99", year=2026, month=2),  # next year
    ]
    load(rows)
    return inst


def admin(f, level, city=None, parent=None):
    kw = {"admin_level": level, "city": city}
    if parent is not None:
        kw["parent_id"] = parent.id
    return f.user("admin", **kw)


def anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()


def test_province_totals_exact_to_the_fen_for_every_breakdown(f, facts):
    prov = admin(f, "province")
    registered = (
        Decimal("100000.01")
        + Decimal("0.02")
        + Decimal("2500000.10")
        + Decimal("333333.33")
        + Decimal("0.05")
    )
    for by in BYS:
        out = service.contract_stats(prov, 2025, by)
        assert set(out) == {"year", "by", "rows", "total", "target"}
        if by in ("flow", "in_region", "out_region"):
            continue
        assert out["total"] == {
            "count": 5,
            "amount": f"{registered:.2f}",
            "tech_amount": "2933333.50",
            "received": "383333.33",
        }, by
        assert sum(Decimal(r["amount"]) for r in out["rows"]) == registered
    by_month = {r["key"]: r for r in service.contract_stats(prov, 2025, "month")["rows"]}
    assert (
        len(by_month) == 12
        and by_month["2025-12"]["amount"] == "2500000.12"
        and by_month["2025-12"]["count"] == 2
    )
    by_city = {r["key"]: r["amount"] for r in service.contract_stats(prov, 2025, "city")["rows"]}
    assert by_city["南昌"] == "2600000.13" and by_city["鹰潭"] == "333333.38" and by_city["赣州"] == "0.00"
    kinds = {r["key"]: r["count"] for r in service.contract_stats(prov, 2025, "kind")["rows"]}
    assert kinds == {"技术开发": 1, "技术转让": 1, "技术许可": 1, "技术咨询": 1, "技术服务": 1}


def test_flow_definitions_for_the_province(f, facts):
    rows = {r["key"]: r for r in service.contract_stats(admin(f, "province"), 2025, "flow")["rows"]}
    assert rows["out"]["amount"] == "0.07" and rows["out"]["count"] == 2  # A2 → 广东, B2 → 浙江
    assert rows["in"]["amount"] == "1777.77" and rows["in"]["count"] == 2  # C1, C2 from outside sellers
    assert rows["local"]["amount"] == "2933333.44" and rows["local"]["count"] == 3  # A1, A3, B1
    regions = {
        r["key"]: r["amount"] for r in service.contract_stats(admin(f, "province"), 2025, "in_region")["rows"]
    }
    assert regions == {"上海": "1000.00", "广东": "777.77"}


def test_city_admin_sees_only_its_city_in_every_figure(f, facts):
    yt = admin(f, "city", "鹰潭")
    for by in BYS:
        out = service.contract_stats(yt, 2025, by)
        keys = {r["key"] for r in out["rows"]}
        if by != "in_region":  # 吸纳 by seller region: its own buyers' purchases, from wherever
            assert "南昌" not in keys and "上海" not in keys
        assert "上海" not in keys  # C2 was bought by a 南昌 buyer
        if by not in ("flow", "in_region", "out_region"):
            assert out["total"] == {
                "count": 2,
                "amount": "333333.38",
                "tech_amount": "333333.38",
                "received": "333333.33",
            }, by
    flow = {r["key"]: r for r in service.contract_stats(yt, 2025, "flow")["rows"]}
    # 输出: B2 to 浙江; 市内: B1; 吸纳: A3 from 南昌 and C1 from 广东 (its buyers' purchases)
    assert (flow["out"]["amount"], flow["local"]["amount"], flow["in"]["amount"]) == (
        "0.05",
        "333333.33",
        "2500777.87",
    )
    assert [r["key"] for r in service.contract_stats(yt, 2025, "city")["rows"]] == ["鹰潭"]
    from marketplace.core.errors import Forbidden

    with pytest.raises(Forbidden):
        service.contract_stats(yt, 2025, "kind", {"city": "南昌"})
    ranking = service.city_targets_ranking(yt, 2025)
    assert [r["city"] for r in ranking["rows"]] == ["鹰潭"]
    summary = service.year_summary(yt, 2025)
    assert summary["total"]["amount"] == "333333.38" and summary["previous"]["total"]["count"] == 0


def test_city_admin_api_never_returns_another_city(client, f, facts):
    yt = admin(f, "city", "鹰潭")
    h = {"Authorization": f"Bearer {f.token(yt)}"}
    for by in BYS:
        body = client.get(f"/api/v1/stats/contracts?year=2025&by={by}", headers=h).get_json()
        if by not in ("flow", "in_region"):
            assert "2500000.10" not in str(body) and "100000.01" not in str(body), by
    assert client.get("/api/v1/stats/contracts?year=2025&by=kind&city=南昌", headers=h).status_code == 403


def test_institution_admin_sees_its_contracts_as_seller(f, facts):
    centre = admin(f, "institution", "南昌", parent=facts)
    out = service.contract_stats(centre, 2025, "kind")
    assert out["total"] == {
        "count": 2,
        "amount": "2600000.11",
        "tech_amount": "2600000.11",
        "received": "50000.00",
    }
    assert out["target"] is None
    flow = {r["key"]: r["amount"] for r in service.contract_stats(centre, 2025, "flow")["rows"]}
    assert flow == {"out": "0.00", "local": "2600000.11"}


def test_anonymous_gets_the_province_total_only(client, facts):
    body = client.get("/api/v1/stats/contracts?year=2025&by=city").get_json()
    assert body["rows"] == [] and body["total"]["amount"] == "2933333.51" and body["total"]["count"] == 5
    assert client.get("/api/v1/stats/contracts?year=2025&by=city&city=鹰潭").status_code == 403
    assert client.get("/api/v1/stats/cities?year=2025").status_code == 401


def test_filters_kind_and_period(f, facts):
    prov = admin(f, "province")
    assert (
        service.contract_stats(prov, 2025, "month", {"kind": "技术许可"})["total"]["amount"] == "2500000.10"
    )
    assert service.contract_stats(prov, 2025, "kind", {"period": "1-6"})["total"]["amount"] == "433333.39"
    city = service.contract_stats(prov, 2025, "flow", {"city": "鹰潭"})  # the province looking at one city
    assert {r["key"]: r["amount"] for r in city["rows"]}["in"] == "2500777.87"
    from marketplace.core.errors import BadRequest

    for bad in ("7-3", "13", "1-6-9", "a-b"):
        with pytest.raises(BadRequest):
            service.contract_stats(prov, 2025, "month", {"period": bad})


def test_targets_versions_current_and_audit(client, f, facts):
    prov, yt = admin(f, "province"), admin(f, "city", "鹰潭")
    hp, hy = ({"Authorization": f"Bearer {f.token(u)}"} for u in (prov, yt))
    r = client.post(
        "/api/v1/stats/targets",
        headers=hp,
        json={"year": 2025, "scope": "province", "value": "100000000000", "source": "赣科发〔2023〕1号 一"},
    )
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    r = client.post(
        "/api/v1/stats/targets",
        headers=hp,
        json={
            "year": 2025,
            "scope": "province",
            "value": "120000000000.50",
            "source": "另一文件",
            "is_current": False,
        },
    )
    second = r.get_json()
    out = service.contract_stats(prov, 2025, "month")
    assert out["target"] == {
        "value": "100000000000.00",
        "source": "赣科发〔2023〕1号 一",
        "indicator": "技术合同成交额",
        "scope": "province",
    }
    r = client.put(f"/api/v1/stats/targets/{second['id']}", headers=hp, json={"is_current": True})
    assert r.status_code == 200 and r.get_json()["is_current"] is True
    assert service.contract_stats(prov, 2025, "month")["target"]["value"] == "120000000000.50"
    assert db.session.get(StatTarget, first["id"]).is_current is False  # both versions kept
    r = client.put(f"/api/v1/stats/targets/{second['id']}", headers=hp, json={"value": "110000000000"})
    trail = AuditLog.query.filter_by(entity_type="stat_target", entity_id=second["id"], action="update") \
        .order_by(AuditLog.id).all()
    assert trail[-1].details["before"]["value"] == "120000000000.50"
    assert trail[-1].details["after"]["value"] == "110000000000.00"
    # A city centre: its own city and counties, not the province nor another city.
    assert (
        client.post(
            "/api/v1/stats/targets",
            headers=hy,
            json={"year": 2025, "scope": "province", "value": "1", "source": "越权"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/stats/targets",
            headers=hy,
            json={"year": 2025, "scope": "南昌", "value": "1", "source": "越权"},
        ).status_code
        == 403
    )
    assert (
        client.put(f"/api/v1/stats/targets/{first['id']}", headers=hy, json={"value": "1"}).status_code == 403
    )
    r = client.post(
        "/api/v1/stats/targets",
        headers=hy,
        json={"year": 2025, "scope": "鹰潭", "value": "9200000000", "source": "2025年鹰潭市科技工作意见"},
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/api/v1/stats/targets",
            headers=hy,
            json={"year": 2025, "scope": "鹰潭/贵溪", "value": "100000000", "source": "县级"},
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/stats/targets",
            headers=hp,
            json={"year": 2025, "scope": "火星", "value": "1", "source": "无"},
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/stats/targets",
            headers=hp,
            json={"year": 2025, "scope": "南昌", "value": "-5", "source": "负数"},
        ).status_code
        == 422
    )
    assert service.contract_stats(yt, 2025, "month")["target"]["value"] == "9200000000.00"
    ranking = service.city_targets_ranking(prov, 2025)
    assert ranking["rows"][0]["city"] == "鹰潭" and ranking["rows"][0]["rank"] == 1
    assert ranking["rows"][0]["share"] == "0.0000"  # 333,333.38 of 92亿
    assert client.delete(f"/api/v1/stats/targets/{first['id']}", headers=hp).status_code == 204
    assert (
        AuditLog.query.filter_by(entity_type="stat_target", entity_id=first["id"], action="delete").count()
        == 1
    )
    listed = client.get("/api/v1/stats/targets?year=2025").get_json()["items"]
    assert {t["scope"] for t in listed} == {"province", "鹰潭", "鹰潭/贵溪"}


def test_year_summary_share_pace_and_yoy(f, facts):
    prov = admin(f, "province")
    db.session.add(
        StatTarget(year=2025, scope="province", value=Decimal("5866667.02"), source="测试", is_current=True)
    )
    db.session.commit()
    s = service.year_summary(prov, 2025, today=date(2025, 7, 2))  # day 183 of 365
    assert s["total"]["amount"] == "2933333.51"
    assert s["share"] == "0.5000"
    assert (
        s["pace"]["fraction"] == "0.5014"
        and s["pace"]["value"] == "2941370.04"
        and s["pace"]["ahead"] is False
    )
    assert s["previous"]["year"] == 2024  # D1 is in 赣州, 42.42
    assert s["previous"]["total"]["amount"] == "42.42"
    assert s["yoy"] == str(
        ((Decimal("2933333.51") - Decimal("42.42")) / Decimal("42.42")).quantize(Decimal("0.0001"))
    )
    assert set(s["counts"]) >= {"usefirst_listed", "usefirst_converted", "demands_collected"}


def test_registering_a_site_contract_and_recording_a_payment_change_the_figures(client, f):
    from tests.test_contracts import bearer, new_contract

    inst = f.user("institution", city="南昌")
    company = f.user("company", city="鹰潭")
    prov = admin(f, "province")
    year = date.today().year
    before = service.contract_stats(prov, year, "kind")["total"]
    assert before["count"] == 0
    c = new_contract(
        client,
        f,
        inst,
        company,
        {"kind": "lump_sum", "amount": "500000.55", "due_days": 15},
        amount="500000.55",
        signed_on=f"{year}-01-02",
    )
    assert client.post(f"/api/v1/contracts/{c['id']}/submit", headers=bearer(f, inst)).status_code == 200
    r = client.post(
        f"/api/v1/contracts/{c['id']}/payments",
        headers=bearer(f, inst),
        json={"amount": "1000.01", "received_on": f"{year}-01-03"},
    )  # before registration: counted at it
    assert r.status_code == 201, r.get_json()
    assert service.contract_stats(prov, year, "kind")["total"]["count"] == 0  # submitted is not registered
    r = client.post(f"/api/v1/contracts/{c['id']}/register", json={}, headers=bearer(f, prov))
    assert r.status_code == 200, r.get_json()
    out = service.contract_stats(prov, year, "kind")
    assert out["total"] == {
        "count": 1,
        "amount": "500000.55",
        "tech_amount": "500000.55",
        "received": "1000.01",
    }
    assert {r["key"]: r["count"] for r in out["rows"]}["技术许可"] == 1
    r = client.post(
        f"/api/v1/contracts/{c['id']}/payments",
        headers=bearer(f, inst),
        json={"amount": "200000.00", "received_on": f"{year}-01-04"},
    )
    assert r.status_code == 201, r.get_json()
    db.session.expire_all()
    assert service.contract_stats(prov, year, "kind")["total"]["received"] == "201000.01"
    flow = {r["key"]: r["amount"] for r in service.contract_stats(prov, year, "flow")["rows"]}
    assert flow["local"] == "500000.55"
    fact_row = ContractFact.query.one()
    assert (
        fact_row.source == "site"
        and fact_row.contract_id == c["id"]
        and fact_row.seller_type in ("高校", "科研院所")
    )


def test_bad_arguments_answer_400(client, f, facts):
    h = {"Authorization": f"Bearer {f.token(admin(f, 'province'))}"}
    for q in ("year=abc", "year=1e3", "by=nothing", "city=火星", "kind=买卖", "period=0-5", "year=99999"):
        assert client.get(f"/api/v1/stats/contracts?{q}", headers=h).status_code == 400, q


def test_figures_reused_between_requests_change_as_soon_as_the_facts_do(ctx, f):
    """Breakdowns are computed once per version of the facts (stats/cache.py): an ORM write, a bulk insert
    and a bulk update each bump the version in their own transaction, so a cached figure is never stale."""
    from sqlalchemy import update

    from marketplace.stats import cache

    admin = f.user("admin")
    first = service.contract_stats(admin, 2025, "kind")["total"]
    v0 = cache.version()
    row = dict(registration_no="CACHE-1", title="缓存测试合同", kind="技术开发", seller="南昌大学", seller_type="高校",
               seller_region="南昌", buyer="某公司", buyer_region="南昌", city="南昌", amount_fen=123456,
               tech_amount_fen=123456, received_fen=0, signed_on=date(2025, 3, 1), registered_on=date(2025, 3, 2),
               year=2025, month=3, field="电子信息", industry="电子信息", source="historical")
    db.session.execute(insert(ContractFact), [row])
    db.session.commit()
    assert cache.version() != v0
    after_insert = service.contract_stats(admin, 2025, "kind")["total"]
    assert int(after_insert["count"]) == int(first["count"]) + 1
    fact = ContractFact.query.filter_by(registration_no="CACHE-1").one()
    db.session.execute(update(ContractFact), [{"id": fact.id, "amount_fen": 223456}])
    db.session.commit()
    bumped = service.contract_stats(admin, 2025, "kind")["total"]
    assert Decimal(bumped["amount"]) - Decimal(after_insert["amount"]) == Decimal("1000.00")
    fact = db.session.get(ContractFact, fact.id)
    fact.received_fen = 100000
    db.session.commit()
    assert service.contract_stats(admin, 2025, "kind")["total"]["received"] != bumped["received"]
