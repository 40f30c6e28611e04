"""contract_cells (stats/cells.py) always equal a GROUP BY over contract_facts, after every kind of write (ORM
insert, update, delete; bulk insert and bulk update by primary key as the import does; UPDATE … WHERE; a site
registration and its payments), and the breakdowns read from the cells answer exactly what the facts do."""

from datetime import date

import pytest
from sqlalchemy import delete, select, update

from marketplace.extensions import db
from marketplace.stats import cells, service
from marketplace.stats import permissions as policy
from marketplace.stats.models import ContractCell, ContractFact
from tests.test_stats_import import CN, GOOD, csv_bytes
from tests.test_stats_service import admin, anonymous, fact, facts  # noqa: F401  (fixture)


def cells_now() -> dict:
    rows = db.session.execute(
        select(*(ContractCell.__table__.c[n] for n in (*cells.KEY, "count", *cells.SUMS)))
    ).all()
    return {tuple(r[:7]): tuple(r[7:]) for r in rows if r[7] != 0 or any(r[8:])}


def cells_from_facts() -> dict:
    return {tuple(r[:7]): tuple(int(x) for x in r[7:]) for r in db.session.execute(cells.grouped_facts())}


def assert_cells_exact():
    db.session.flush()
    assert cells_now() == cells_from_facts()


def test_every_write_keeps_the_cells_exact(ctx, f, facts):  # noqa: F811
    assert cells_from_facts() and cells_now() == cells_from_facts()  # bulk insert (the fixture's)
    # ORM insert
    obj = ContractFact(**fact("O1", "赣州", "12.34", kind="技术转让", month=4, received="1.00"))
    db.session.add(obj)
    db.session.commit()
    assert_cells_exact()
    # ORM update of received_fen, then of a key column (the fact moves to another cell)
    obj.received_fen = 999
    db.session.commit()
    assert_cells_exact()
    obj.city, obj.month, obj.amount_fen = None, 5, 77
    db.session.commit()
    assert_cells_exact()
    obj.title = "改名"  # no figure moves
    db.session.commit()
    assert_cells_exact()
    # ORM delete, of an expired object too
    db.session.delete(obj)
    db.session.commit()
    assert_cells_exact()
    other = ContractFact.query.filter_by(registration_no="B2").one()
    db.session.expire(other)
    db.session.delete(other)
    db.session.commit()
    assert_cells_exact()
    # bulk update by primary key (the import's re-import path)
    a1 = ContractFact.query.filter_by(registration_no="A1").one()
    b1 = ContractFact.query.filter_by(registration_no="B1").one()
    db.session.execute(update(ContractFact), [
        {"id": a1.id, "amount_fen": 5, "kind": "技术咨询"},
        {"id": b1.id, "received_fen": 1, "city": "萍乡", "title": "x"},
    ])
    db.session.commit()
    assert_cells_exact()
    # UPDATE … WHERE, touching figures and not
    db.session.execute(update(ContractFact).where(ContractFact.city == "南昌")
                       .values(received_fen=ContractFact.received_fen + 3))
    db.session.execute(update(ContractFact).where(ContractFact.city == "南昌").values(batch="z"))
    db.session.commit()
    assert_cells_exact()
    # DELETE … WHERE
    db.session.execute(delete(ContractFact).where(ContractFact.year == 2024))
    db.session.commit()
    assert_cells_exact()
    # a rolled back write leaves no trace
    db.session.add(ContractFact(**fact("R1", "南昌", "1.00")))
    db.session.flush()
    db.session.rollback()
    assert_cells_exact()


def test_import_new_and_reimport_keep_the_cells_exact(ctx, f):
    from marketplace.stats.imports import read_and_import

    read_and_import(None, "a.csv", csv_bytes(CN, GOOD), batch="first")
    db.session.commit()
    assert cells_now() == cells_from_facts() != {}
    changed = [list(GOOD[0]), list(GOOD[1])]
    changed[0][8] = "2000000.00"
    changed[1][5] = "南昌"
    report = read_and_import(None, "b.csv", csv_bytes(CN, changed), batch="second")
    db.session.commit()
    assert report.updated == 2
    assert_cells_exact()


def test_site_registration_and_payments_keep_the_cells_exact(client, f):
    from tests.test_stats_service import (
        test_registering_a_site_contract_and_recording_a_payment_change_the_figures as t,
    )

    t(client, f)
    assert ContractFact.query.count() == 1
    assert_cells_exact()


FILTERS = [None, {"kind": "技术开发"}, {"period": "1-6"}, {"city": "南昌"}, {"city": "鹰潭", "kind": "技术转让"}]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_breakdowns_from_cells_equal_the_facts(ctx, f, facts, year):  # noqa: F811
    views = {
        "province": admin(f, "province"),
        "city": admin(f, "city", "南昌"),
        "city2": admin(f, "city", "鹰潭"),
        "institution": admin(f, "institution", "南昌", parent=facts),
    }
    for name, actor in views.items():
        for by in service.BY:
            for filters in FILTERS:
                if name.startswith("city") and (filters or {}).get("city") not in (None, actor.org.city):
                    continue  # another city: refused (test_stats_service)
                view, conds, _ = service._filters(policy.view_of(actor), filters)
                out = service.contract_stats(actor, year, by, filters)
                expected = service._rows_from_facts(view, year, by, conds)
                assert out["rows"] == expected, (name, by, filters)
    for filters in (None, {"period": "2-7"}):
        view, conds, _ = service._filters(policy.View("public"), filters)
        where = [ContractFact.year == year, *conds, policy.registered_condition(view)]
        assert service.contract_stats(anonymous(), year, "month", filters)["total"] == service._figures(
            *service._total(where)
        )
    for actor in (views["province"], views["city"]):
        view = policy.view_of(actor)
        s = service.year_summary(actor, year, today=date(year, 6, 30))
        where = [policy.registered_condition(view)]
        assert s["total"] == service._figures(*service._total([ContractFact.year == year, *where]))
        assert s["previous"]["total"] == service._figures(
            *service._total([ContractFact.year == year - 1, *where])
        )
        ranking = service.city_targets_ranking(actor, year)
        by_city = {r["key"]: r for r in service._rows_from_facts(view, year, "city", [])}
        for r in ranking["rows"]:
            assert {k: r[k] for k in ("count", "amount", "tech_amount", "received")} == {
                k: by_city[r["city"]][k] for k in ("count", "amount", "tech_amount", "received")
            }


def test_rebuild_equals_the_facts(ctx, f, facts):  # noqa: F811
    db.session.execute(delete(ContractCell))
    cells.rebuild(db.session.connection())
    assert cells_now() == cells_from_facts() != {}
