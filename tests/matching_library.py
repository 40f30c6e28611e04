"""The library of real texts the matcher's rebuild and evidence tests share (tests/test_matching_rebuild.py,
tests/test_matching_evidence.py): built once per backend for a module that imports these three fixtures, with
what each test computed removed after it."""
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from marketplace.achievements.models import Achievement
from marketplace.core import uow
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matching import jobs, knowledge, service, store
from marketplace.matching.models import MatchFeedback, MatchList, MatchRebuild, MatchRefresh, StoredMatch
from marketplace.searching import sync

from .conftest import _holding_rows, empty_database

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "matching"


def _rows(name, n):
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()][:n]


@pytest.fixture(scope="module")
def _library_ids(app):
    """A small library of real texts (the first labelled set): 36 achievements of two institutions, 18 demands
    of two companies, published and indexed, nothing stored yet; one 感兴趣 mark (a score that differs by side).
    Built once per backend for the module (it took 2-6 s a test); each test's stored lists, runs and caches
    are removed after it (`_empty_tables` below)."""
    from . import factories as f
    empty_database(app, force_index=True)  # whatever an earlier test left
    with app.app_context():
        insts = [f.user("institution", city="南昌"), f.user("institution", city="赣州")]
        companies = [f.user("company"), f.user("company")]
        achs, dems = [], []
        for i, a in enumerate(_rows("achievements.jsonl", 36)):
            price = a.get("asking_price_wan")
            achs.append(f.record("achievements", insts[i % 2], status="published", ref=f"RB-A{i:03d}",
                                 title=a["title"], summary=a["summary"], keywords=a["keywords"],
                                 industry=a["industry"], maturity=a.get("maturity") or "小试",
                                 transfer_modes=a.get("transfer_modes") or "许可",
                                 **({"asking_price_wan": str(price)} if price not in (None, "面议") else {})))
        for i, d in enumerate(_rows("demands.jsonl", 18)):
            budget = d.get("budget_wan")
            dems.append(f.record("demands", companies[i % 2], status="published", ref=f"RB-D{i:03d}",
                                 title=d["title"], description=d["description"],
                                 indicators=d.get("indicators") or "",
                                 industry=d["industry"], city=d.get("city") or "南昌",
                                 cooperation=d.get("cooperation") or "技术许可",
                                 **({"budget_wan": str(budget)} if budget not in (None, "面议") else {})))
        uow.discard()
        sync.apply_pending()
        db.session.add(MatchFeedback(demand_id=dems[0].id, achievement_id=achs[0].id, side="demand",
                                     verdict="interested", user_id=companies[0].id))
        db.session.query(MatchRefresh).delete()
        db.session.commit()
        ids = {"achievements": [a.id for a in achs], "demands": [d.id for d in dems]}
        db.session.remove()
        with db.engine.connect() as conn:
            ids["tables"] = _holding_rows(conn, [t.name for t in db.metadata.sorted_tables])
    yield ids
    empty_database(app, force_index=True)


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Overrides the conftest's: the library stays from one test of this module to the next; what a test
    computed (stored lists, runs, the refresh queue, any table the library left empty) and the matcher's
    caches go."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    library = request.getfixturevalue("_library_ids")  # built for this module's first test, whatever it uses
    yield
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        computed = {m.__tablename__ for m in (StoredMatch, MatchList, MatchRebuild, MatchRefresh)}
        with db.engine.begin() as conn:
            held = _holding_rows(conn, tables)
            for name in reversed(tables):  # children first
                if name in held and (name in computed or name not in library["tables"]):
                    conn.execute(text(f"DELETE FROM {name}"))
        jobs._child.clear()
        service.reset_caches()
        knowledge.invalidate()  # the site's links just deleted: read again, not up to 2 s later
        store.reset_fingerprint_cache()
        db.session.remove()


@pytest.fixture(name="library")
def library_fixture(ctx, _library_ids):
    service.reset_caches()
    return {name: [db.session.get(model, oid) for oid in _library_ids[name]]
            for name, model in (("achievements", Achievement), ("demands", Demand))}
