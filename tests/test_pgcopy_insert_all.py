"""core/pgcopy.insert_all (the importer's batches, the stored matches' writer): COPY on PostgreSQL, an INSERT
elsewhere; the rows read back exactly as written, JSON as UTF-8 as the engine writes it."""
from datetime import datetime

from marketplace.core import pgcopy
from marketplace.core.pgcopy import insert_all
from marketplace.extensions import db
from marketplace.matching.models import MatchList, StoredMatch


def _copies(monkeypatch) -> list:
    seen = []
    real = pgcopy.copy_rows
    monkeypatch.setattr(pgcopy, "copy_rows", lambda session, table, rows: seen.append(table.name)
                        or real(session, table, rows))
    return seen


def test_rows_read_back_exactly_as_written_whichever_way_they_went(app, f, monkeypatch):
    inst, company = f.user("institution"), f.user("company")
    a = f.record("achievements", inst, status="published")
    demands = [f.record("demands", company, status="published") for _ in range(3)]
    db.session.commit()
    copies = _copies(monkeypatch)
    when = datetime(2026, 12, 2, 8, 1, 2, 345678)
    awkward = ["技术要点相同：稀土、永磁", 'a "quote", a tab\there, a new line\nand a backslash \\ \\N', "", "null"]
    rows = [{"direction": "achievement", "demand_id": d.id, "achievement_id": a.id, "score": 90 - i, "band": "强",
             "reasons": awkward[: i + 2], "shared_terms": ["稀土"] if i else [], "coverage": 0.1234567890123 * (i + 1),
             "computed_at": when} for i, d in enumerate(demands)]
    insert_all(StoredMatch.__table__, rows)
    assert copies == (["stored_matches"] if app.config["BACKEND"] == "postgresql" else [])
    db.session.commit()
    got = StoredMatch.query.filter_by(direction="achievement", achievement_id=a.id).order_by(StoredMatch.score.desc())
    assert [{k: getattr(r, k) for k in rows[0]} for r in got] == rows
    # JSON keeps Chinese as UTF-8 either way (the engine's serializer, config.json_dumps)
    raw = db.session.execute(db.text("SELECT CAST(reasons AS TEXT) FROM stored_matches WHERE demand_id = :d"),
                             {"d": demands[0].id}).scalar()
    assert "稀土" in raw and "\\u" not in raw


def test_a_column_with_a_python_default_left_out_gets_its_default(app, ctx, monkeypatch):
    copies = _copies(monkeypatch)
    insert_all(MatchList.__table__, [{"entity_type": "demand", "entity_id": 7, "abstained": True,
                                      "terms": ["铜冶炼"], "size": 0, "fingerprint": "x", "stale": False}])
    assert len(copies) == (app.config["BACKEND"] == "postgresql")
    db.session.commit()
    row = MatchList.query.one()
    assert row.terms == ["铜冶炼"] and row.computed_at is not None and row.abstained is True
