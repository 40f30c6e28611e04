"""Re-import (issue 14): rows whose record already holds the same values are reported as 未变化 and neither
rewritten nor reindexed; changed rows are updated in bulk, their search documents replaced (new words found, old
words gone) without duplicates; a row the database refuses on update costs only itself."""
import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.achievements.models import Achievement
from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.imports import service
from marketplace.imports.service import import_file
from marketplace.searching.models import SearchOutbox
from search.base import SearchQuery

from .test_imports import ZH, xlsx_bytes

OLD = "稀土永磁废料的高效回收与再利用，涂层检测工艺。"
NEW = "锂云母提锂尾渣制备新型建材，催化剂评价装置。"


def rows(n, summary=OLD, price="120", patent="ZL2019{i:07d}.1"):
    return [[f"U-{i}", f"第{i}号成果", summary + f"编号{i}。", "", "新材料", "南昌大学", "发明专利",
             patent.format(i=i), "2021-06-08", "", "", "中试", "许可、转让", price, ""] for i in range(n)]


def outbox_count():
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def audit_count():
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def hits(be, text):
    be.refresh()
    return set(be.search(SearchQuery(text=text, types=("achievement",), per_page=100, facets=False)).ids)


def test_reimport_of_the_same_file_rewrites_nothing_and_says_so(ctx, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 4)  # several batches
    first = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(10)), publish=True)
    assert first.created == 10, first.errors
    db.session.execute(SearchOutbox.__table__.delete())
    db.session.commit()
    stamps = dict(db.session.execute(select(Achievement.id, Achievement.updated_at)).all())
    audits = audit_count()
    again = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(10)), publish=True)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 10, 0)
    assert "未变化10" in again.summary() and again.as_dict()["unchanged"] == 10
    assert again.warnings[0].startswith("未变化 10 条")
    # nothing written: no outbox row (so nothing to reindex), no audit row, updated_at kept
    assert outbox_count() == 0 and audit_count() == audits
    assert dict(db.session.execute(select(Achievement.id, Achievement.updated_at)).all()) == stamps
    # a dry run (the web preview) says the same before anything is written
    preview = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(10)), dry_run=True)
    assert (preview.updated, preview.unchanged) == (0, 10) and "导入时不会改写" in preview.warnings[0]


def test_any_changed_value_makes_the_row_an_update(ctx):
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(4)), publish=True)
    changed = rows(4)
    changed[0][2] = NEW                      # summary
    changed[1][13] = "99"                    # price (万元 → fen-exact Decimal)
    changed[2][7] = "ZL2019999.9"            # only an IP item's number
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, changed), publish=True)
    assert (report.updated, report.unchanged) == (3, 1), report.errors
    db.session.expire_all()
    assert str(Achievement.query.filter_by(ref="U-1").one().asking_price) == "990000.00"
    assert [ip.number for ip in Achievement.query.filter_by(ref="U-2").one().ip_items] == ["ZL2019999.9"]
    # the same values written differently (full-width digits, a price with decimals) are still unchanged
    same = rows(4)
    same[0], same[1], same[2] = changed[0], changed[1][:], changed[2]
    same[1][13] = "９９.00"
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, same), publish=True)
    assert (report.updated, report.unchanged) == (0, 4), report.errors


def test_changed_rows_are_searchable_by_their_new_words_and_not_their_old_ones(ctx, monkeypatch):
    import search.whoosh_backend as wb
    from marketplace.searching import sync
    monkeypatch.setattr(wb, "BULK_FROM", 2)  # the bulk (sub-writer) path, as a large import takes
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(6)), publish=True)
    sync.apply_pending(limit=2, bulk_limit=10)
    be = sync.backend()
    ids = {f"achievement:{a.id}" for a in Achievement.query.all()}
    assert hits(be, "稀土永磁") == ids and not hits(be, "锂云母")
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(6, summary=NEW)), publish=True)
    assert (report.updated, report.unchanged) == (6, 0)
    assert sync.apply_pending(limit=2, bulk_limit=10) == 6
    assert hits(be, "锂云母") == ids and not hits(be, "稀土永磁")
    check = sync.check()
    assert check["indexed"] == 6 and check["stale"] == [] and check["missing"] == [] and check["extra"] == []
    # the re-import replaced every document of the old segments: those segments are gone, not kept dead
    from search.whoosh_backend import _open
    ix = _open(be.current.resolve())
    try:
        assert all(seg.doc_count() > 0 for seg in ix._segments())
        assert ix.doc_count_all() == 6
    finally:
        ix.close()


def test_docnums_of_finds_every_live_version_in_one_pass(ctx):
    import tempfile

    from whoosh import index as windex

    from search.whoosh_backend import _docnums_of, make_schema, prepare
    with tempfile.TemporaryDirectory() as tmp:
        ix = windex.create_in(tmp, make_schema())
        for part in (range(5), range(5, 10)):  # two segments
            w = ix.writer()
            for i in part:
                w.add_document(**prepare({"id": f"achievement:{i}", "title": f"成果{i}"}))
            w.commit(merge=False)
        w = ix.writer()
        w.delete_by_term("id", "achievement:7")
        w.commit(merge=False)
        w = ix.writer()
        try:
            s = w.searcher()
            found = _docnums_of(s, {"achievement:1", "achievement:7", "achievement:8", "achievement:99"})
            assert sorted(s.stored_fields(d)["id"] for d in found) == ["achievement:1", "achievement:8"]
        finally:
            w.cancel()
        ix.close()


def test_a_row_refused_on_update_costs_only_itself(ctx, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 10)
    import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows(6)), publish=True)
    real = service.Importer.write

    def refuse_one(self, creates, updates):
        ids = real(self, creates, updates)
        if any(p.ref == "U-3" for p, _ in updates):
            raise IntegrityError("UPDATE", {}, Exception("refused"))
        return ids
    monkeypatch.setattr(service.Importer, "write", refuse_one)
    changed = rows(6, summary=NEW)
    changed[5][2] = OLD + "编号5。"  # one row of the batch unchanged
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, changed), publish=True)
    assert (report.updated, report.unchanged, report.rejected) == (4, 1, 1), report.errors
    assert report.errors[0]["row"] == 5 and "数据库拒绝" in report.errors[0]["message"]
    db.session.expire_all()
    by_ref = {a.ref: a.summary for a in Achievement.query.all()}
    assert by_ref["U-3"].startswith(OLD)  # refused: as it was
    assert all(by_ref[f"U-{i}"].startswith(NEW) for i in (0, 1, 2, 4))
    # the refused row's savepoint was rolled back with its outbox rows; the good rows' are there
    queued = set(db.session.scalars(select(SearchOutbox.entity_id)))
    ids = {a.ref: a.id for a in Achievement.query.all()}
    assert {ids[f"U-{i}"] for i in (0, 1, 2, 4)} <= queued


def test_cli_reimport_reports_unchanged_and_exits_0(app, ctx, tmp_path):
    path = tmp_path / "成果.jsonl"
    path.write_text("\n".join(json.dumps(dict(zip(ZH, r)), ensure_ascii=False) for r in rows(3)) + "\n{broken",
                    encoding="utf-8")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import", "achievements", str(path), "--publish"])
    assert "新增3" in first.output
    again = runner.invoke(args=["import", "achievements", str(path), "--publish"])
    assert again.exit_code == 0, again.output  # one bad line, the rest unchanged: not "every row refused"
    assert "未变化3" in again.output and "未变化 3 条" in again.output


def test_web_reupload_shows_unchanged_rows_and_still_submits_unchanged_drafts(client, f):
    import io

    from .conftest import login
    from .test_import_jobs import job, own_rows
    user = f.user("institution", name="江西理工大学")
    login(client, user)
    raw = xlsx_bytes(ZH, own_rows("江西理工大学"))

    def upload():
        up = client.post("/imports/achievements", data={"file": (io.BytesIO(raw), "成果.xlsx")},
                         content_type="multipart/form-data")
        assert up.status_code == 302
        return int(up.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    first = upload()
    client.post(f"/imports/job/{first}/run")
    assert (job(first).created, {a.status for a in Achievement.query.all()}) == (2, {"draft"})
    again = upload()
    page = client.get(f"/imports/job/{again}").get_data(as_text=True)
    assert "未变化 2 条" in page and "导入时不会改写" in page  # the preview says it before anything is written
    assert (job(again).created, job(again).updated) == (0, 0)
    client.post(f"/imports/job/{again}/run", data={"submit": "1"})
    done = job(again)
    assert done.status == "done" and "未变化 2 条" in done.message
    db.session.expire_all()
    assert {a.status for a in Achievement.query.all()} == {"submitted"}  # asked for: submitted, not rewritten
