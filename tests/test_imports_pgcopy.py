"""Issue 14, fourth pass: the batch writer's PostgreSQL path (imports.pgcopy: new ids from the sequence in one
query, rows by COPY, updates as one UPDATE … FROM unnest(arrays)) writes what the SQLite path writes — the same
records, defaults, natural keys, IP items, audit, outbox and match-queue rows — and a row the database itself
refuses still costs only itself. Every test runs on both databases."""
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from marketplace.achievements.models import Achievement, AchievementIP
from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.core import pgcopy
from marketplace.imports import service
from marketplace.imports.models import ImportKey, title_key
from marketplace.imports.service import import_file, import_rows
from marketplace.searching.models import SearchOutbox
from marketplace.searching.sync import apply_pending, check

from .test_imports import ZH, xlsx_bytes


def achievement(ref, title, summary="一段足够长的成果简介文字，说明技术内容。", patent="", granted="", price="",
                institution="南昌大学", maturity="中试", keywords="", funding="", category=""):
    return [ref, title, summary, keywords, "新材料", institution, "发明专利" if patent else "", patent, granted,
            funding, category, maturity, "", price, ""]


def by_title():
    return {a.title: a for a in db.session.scalars(select(Achievement))}


def test_new_rows_get_their_ids_keys_ip_items_audit_and_outbox_rows(ctx, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 3)  # several batches
    rows = [achievement("", "无编号的成果一", patent="ZL2020001.1；ZL2020002.2", granted="2021-06-08"),
            achievement("P-2", "有编号的成果二", price="120.5", keywords="稀土、永磁"),
            achievement("", "无编号的成果三", institution="江西理工大学"),
            achievement("P-4", "有编号的成果四", patent="ZL2020004.4", funding="财政资金", category="基础研究"),
            achievement("", "无编号的成果五", price="面议")]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert (report.created, report.rejected) == (5, 0), report.errors
    found = by_title()
    ids = [found[r[1]].id for r in rows]
    assert report.ids == ids and len(set(ids)) == 5  # one id each (report.ids: the file's order)
    if pgcopy.is_postgresql(db.session):
        assert ids == sorted(ids)  # taken from the sequence in the file's order
    # the Python defaults a Core INSERT applies, applied by COPY too
    one, two, four = found["无编号的成果一"], found["有编号的成果二"], found["有编号的成果四"]
    assert (one.keywords, one.category, one.funding_source, one.inventors) == ("", "应用技术", "非财政资金", "")
    assert (two.keywords, two.asking_price, two.price_negotiable) == ("稀土、永磁", Decimal("1205000.00"), False)
    assert (four.category, four.funding_source) == ("基础研究", "财政资金")
    assert found["无编号的成果五"].price_negotiable is True and found["无编号的成果五"].asking_price is None
    assert all(a.status == "published" and a.source == "local" and a.published_at for a in found.values())
    assert one.ref is None and two.ref == "P-2"
    # IP items belong to the right record, in order, with their dates
    assert [(i.number, i.granted_on) for i in one.ip_items] == [("ZL2020001.1", date(2021, 6, 8)),
                                                                ("ZL2020002.2", date(2021, 6, 8))]
    assert [i.number for i in four.ip_items] == ["ZL2020004.4"] and not two.ip_items
    # natural keys: (type, owner, title key) → the record with that title
    keys = {(k.owner_org_id, k.key): k.entity_id for k in db.session.scalars(select(ImportKey))}
    assert keys == {(a.owner_org_id, title_key(a.title)): a.id for a in found.values()}
    audit = db.session.execute(select(AuditLog.entity_id, AuditLog.action, AuditLog.to_state)
                               .where(AuditLog.entity_type == "achievement")).all()
    assert sorted(audit) == sorted((i, "create", "published") for i in ids)
    outbox = sorted(db.session.scalars(select(SearchOutbox.entity_id)))
    assert outbox == sorted(ids)
    from marketplace.matching.models import MatchRefresh
    assert set(db.session.scalars(select(MatchRefresh.entity_id))) == set(ids)
    # a record created in the site afterwards takes the next id: the sequence knows the imported ids
    later = Achievement(title="站内新建的成果", summary="站内新建", industry="新材料", maturity="中试",
                        owner_org_id=one.owner_org_id)
    db.session.add(later)
    db.session.flush()
    assert later.id > max(ids)
    db.session.rollback()
    # the same file again: found by 编号 or by natural key, nothing written twice
    again = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows), publish=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    apply_pending(lock_timeout=60)
    result = check()
    assert result["documents"] == result["indexed"] == 5 and not result["stale"], result


def test_changed_rows_are_updated_in_one_statement_with_every_type_exact(ctx):
    first = [achievement("C-1", "价格将改为面议的成果", price="120.5", patent="ZL1.1", granted="2021-06-08"),
             achievement("C-2", "面议将改为价格的成果", price="面议"),
             achievement("C-3", "只改简介的成果")]
    assert import_file("achievements", "a.xlsx", xlsx_bytes(ZH, first)).created == 3
    changed = [achievement("C-1", "价格将改为面议的成果", price="面议", patent="ZL1.1；ZL9.9", granted="2022-01-31",
                           maturity="工业化"),
               achievement("C-2", "面议将改为价格的成果", price="0.01"),
               achievement("C-3", "只改简介的成果", summary="换了一段新的简介文字，足够长的说明。")]
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, changed))
    assert (report.created, report.updated, report.rejected) == (0, 3, 0), report.errors
    db.session.expire_all()
    found = by_title()
    c1, c2, c3 = found["价格将改为面议的成果"], found["面议将改为价格的成果"], found["只改简介的成果"]
    assert (c1.price_negotiable, c1.asking_price, c1.maturity) == (True, None, "工业化")
    assert [(i.number, i.granted_on) for i in c1.ip_items] == [("ZL1.1", date(2022, 1, 31)),
                                                               ("ZL9.9", date(2022, 1, 31))]
    assert (c2.price_negotiable, c2.asking_price) == (False, Decimal("100.00"))
    assert c3.summary.startswith("换了一段新的简介") and c3.updated_at > c3.created_at
    # written once more, exactly: every value compares equal, so nothing is rewritten
    again = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, changed))
    assert (again.updated, again.unchanged) == (0, 3)


def test_a_row_the_database_itself_refuses_costs_only_itself(ctx, monkeypatch):
    """A real refusal by the database (a duplicate (source, 编号) the lookup did not see, as a concurrent import
    could cause): the COPY of the batch fails, the batch is rolled back to its savepoint and replayed row by row;
    only the duplicate is refused, with 数据库拒绝该行, and nothing of it is left behind."""
    assert import_file("achievements", "a.xlsx", xlsx_bytes(ZH, [achievement("D-1", "先导入的成果")])).created == 1
    real = service.Importer._lookup

    def blind(self, batch):  # the importer does not see D-1: it will try to create it again
        return {n: v for n, v in real(self, batch).items()
                if next(p for p in batch if p.number == n).ref != "D-1"}
    monkeypatch.setattr(service.Importer, "_lookup", blind)
    rows = [achievement(f"D-{i}", f"同一批的成果{i}", patent=f"ZL{i}.1") for i in (2, 3)] + \
        [achievement("D-1", "重复编号的成果", patent="ZL1.1")] + [achievement("D-4", "同一批的成果4")]
    outbox_before = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    report = import_file("achievements", "a.xlsx", xlsx_bytes(ZH, rows))
    assert (report.created, report.rejected) == (3, 1), report.errors
    assert report.errors[0]["row"] == 4 and "数据库拒绝该行" in report.errors[0]["message"]
    found = by_title()
    assert "重复编号的成果" not in found and {"同一批的成果2", "同一批的成果3", "同一批的成果4"} <= set(found)
    assert db.session.scalar(select(func.count()).select_from(Achievement)) == 4
    # the refused row left no IP item, key, audit or outbox row; the good rows have theirs
    assert sorted(db.session.scalars(select(AchievementIP.number))) == ["ZL2.1", "ZL3.1"]
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == outbox_before + 3
    assert db.session.scalar(select(func.count()).select_from(ImportKey)) == 4


def test_copy_rows_maps_a_database_error_to_sqlalchemys(ctx):
    """pgcopy raises SQLAlchemy's IntegrityError for a psycopg one, so that the importer's fallback catches it."""
    if not pgcopy.is_postgresql(db.session):
        return  # the COPY path is PostgreSQL's; SQLite keeps its executemany
    from sqlalchemy.exc import IntegrityError
    try:
        with db.session.begin_nested():
            pgcopy.copy_rows(db.session, ImportKey.__table__,
                             [{"entity_type": "achievement", "owner_org_id": 999999, "key": "x", "entity_id": 1}])
    except IntegrityError as exc:
        assert "foreign key" in str(exc.orig).lower() or "violates" in str(exc.orig)
    else:  # the table may have no foreign key: then the row must simply be there
        assert db.session.scalar(select(func.count()).select_from(ImportKey)) == 1
    db.session.rollback()


def test_statistics_are_refreshed_once_an_import_has_grown_the_table(ctx, monkeypatch):
    """PostgreSQL: ANALYZE after 1,000 rows (then at every doubling) so that the 编号 lookups use both columns of
    the (source, ref) index instead of filtering every record of the source; never on SQLite."""
    calls = []
    real = service.Importer.refresh_statistics

    def spy(self):
        done = real(self)
        calls.append((self.report.created, done))
        return done
    monkeypatch.setattr(service.Importer, "refresh_statistics", spy)
    monkeypatch.setattr(service.Importer, "__init__", _with_threshold(service.Importer.__init__, 4))
    rows = [(n + 2, achievement(f"S-{n}", f"统计信息测试成果{n}")) for n in range(20)]
    report = import_rows("achievements", ZH, rows, batch_size=4)
    assert report.created == 20
    analysed = [c for c, done in calls if done]
    if pgcopy.is_postgresql(db.session):
        assert analysed[:3] == [4, 8, 16]
        from sqlalchemy import text
        assert db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'achievements'")) >= 16
    else:
        assert analysed == []


def _with_threshold(init, threshold):
    def wrapped(self, *a, **kw):
        init(self, *a, **kw)
        self._analyze_at = threshold
    return wrapped
