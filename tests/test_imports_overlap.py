"""Issue 14, fourth pass: the search index brought up to date WHILE the rows are written (imports.indexing: a
forked child applies the outbox as batches are committed), and the index consistent with the database whatever
happens to the import."""
import time

import pytest
from sqlalchemy import func, select

from marketplace.achievements.models import Achievement
from marketplace.extensions import db
from marketplace.imports import service
from marketplace.imports.indexing import IndexFollower
from marketplace.imports.service import import_rows
from marketplace.searching.models import SearchOutbox
from marketplace.searching.sync import apply_pending, backend, check
from search.base import SearchQuery

from .test_imports import ZH
from .test_imports_update import NEW, OLD


@pytest.fixture(autouse=True)
def bulk_path(monkeypatch):
    """The index's bulk path (two forked sub-writers, as for a real import) from 10 documents, not 1,000."""
    from search import whoosh_backend
    monkeypatch.setattr(whoosh_backend, "BULK_FROM", 10)


def row(i, summary):
    return [f"F-{i}", f"第{i}号跟随成果", summary + f"编号{i}。", "", "新材料", "南昌大学", "发明专利",
            f"ZL2020{i:07d}.1", "2021-06-08", "", "", "中试", "许可、转让", "120", ""]


def hits(text):
    be = backend()
    be.refresh()
    return set(be.search(SearchQuery(text=text, types=("achievement",), per_page=200, facets=False)).ids)


def pending():
    return db.session.scalar(select(func.count()).select_from(SearchOutbox))


def waiting_rows(n, summary, follower, wait_after, timeout=30):
    """The file's rows; after `wait_after` rows, wait until the follower has indexed something (so the test
    proves that indexing happened while the import was still reading and writing rows)."""
    for i in range(n):
        if i == wait_after:
            deadline = time.monotonic() + timeout
            while follower.applied == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert follower.applied > 0, "nothing was indexed while the rows were being written"
        yield i + 2, row(i, summary)


def test_rows_are_indexed_while_the_import_runs_then_changed_rows_replace_their_documents(app, ctx,
                                                                                         monkeypatch):
    monkeypatch.setattr(service, "BATCH", 10)
    follower = IndexFollower(app, min_round=10, round_limit=25)
    report = import_rows("achievements", ZH, waiting_rows(60, OLD, follower, wait_after=30), publish=True,
                         index_alongside=follower)
    assert report.created == 60 and report.rejected == 0, report.errors
    assert 0 < report.indexed <= 60 and follower.exitcode == 0 and follower.proc is None
    assert apply_pending(lock_timeout=60) == 60 - report.indexed  # the caller applies what is left
    assert pending() == 0
    ids = {f"achievement:{i}" for i in db.session.scalars(select(Achievement.id))}
    assert len(ids) == 60 and hits("稀土永磁") == ids
    result = check()
    assert not (result["missing"] or result["extra"] or result["stale"]), result
    # every row changed: found by the new words, no longer by the old ones, no duplicate documents
    follower = IndexFollower(app, min_round=10, round_limit=25)
    again = import_rows("achievements", ZH, waiting_rows(60, NEW, follower, wait_after=30), publish=True,
                        index_alongside=follower)
    assert (again.created, again.updated, again.unchanged) == (0, 60, 0)
    apply_pending(lock_timeout=60)
    assert hits("锂云母") == ids and hits("稀土永磁") == set()
    result = check()
    assert result["indexed"] == 60 and not (result["missing"] or result["extra"] or result["stale"]), result


class Broken(Exception):
    pass


def test_an_import_that_fails_midway_leaves_the_index_equal_to_the_database(app, ctx, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 10)
    follower = IndexFollower(app, min_round=10, round_limit=25)

    def rows():
        yield from waiting_rows(45, OLD, follower, wait_after=25)
        raise Broken("the file broke off")

    with pytest.raises(Broken):
        import_rows("achievements", ZH, rows(), publish=True, index_alongside=follower)
    db.session.rollback()
    assert follower.proc is None and follower.applied > 0  # stopped, not left running
    # the batches committed before the failure (40 rows) are in the database; the 5 rows of the unfinished batch
    # were never written, so never reached the outbox nor the index
    assert db.session.scalar(select(func.count()).select_from(Achievement)) == 40
    apply_pending(lock_timeout=60)
    result = check()
    assert result["documents"] == result["indexed"] == 40, result
    assert not (result["missing"] or result["extra"] or result["stale"]), result


def test_a_batch_refused_by_the_database_is_never_indexed(app, ctx, monkeypatch):
    """A batch whose transaction is rolled back after its outbox rows were written: the follower never sees
    those rows (it reads committed rows only), so nothing rolled back is indexed."""
    monkeypatch.setattr(service, "BATCH", 10)
    follower = IndexFollower(app, min_round=5, round_limit=25)
    real_commit = db.session.commit
    state = {"n": 0}

    def commit():
        state["n"] += 1
        if state["n"] == 3:  # the third batch: written, flushed (outbox rows included), then rolled back
            db.session.rollback()
            return
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    import_rows("achievements", ZH, waiting_rows(40, OLD, follower, wait_after=25), publish=True,
                index_alongside=follower)
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Achievement)) == 30
    apply_pending(lock_timeout=60)
    result = check()
    assert result["documents"] == result["indexed"] == 30, result
    assert not (result["missing"] or result["extra"] or result["stale"]), result
    refs = set(db.session.scalars(select(Achievement.ref)))
    assert "F-25" not in refs and "F-5" in refs


def test_a_dry_run_starts_no_follower(ctx, monkeypatch):
    started = []
    monkeypatch.setattr(IndexFollower, "start", lambda self: started.append(self) or self)
    report = import_rows("achievements", ZH, [(2, row(1, OLD))], dry_run=True, index_alongside=True)
    assert report.created == 1 and report.indexed == 0 and started == []
    assert pending() == 0


def test_bulk_commits_merge_no_segment_until_the_index_has_many(app, ctx, monkeypatch):
    """Whoosh's MERGE_SMALL at every bulk commit merged nearly the whole index into one segment, in the committing
    process, once it had ~22 segments (a 100,000-row import: 33 s of CPU while the sub-writers waited). A bulk
    commit now merges nothing up to BULK_MAX_SEGMENTS segments, and Whoosh's policy beyond."""
    from search import whoosh_backend as wb
    monkeypatch.setattr(wb, "BULK_MAX_SEGMENTS", 8)  # MERGE_SMALL alone merges these 10-document segments at 6
    be = backend()

    def segments():
        return len(wb._open(be.current.resolve())._segments())

    counts = []
    for r in range(10):
        rows = [(i + 2, row(i, OLD)) for i in range(r * 10, r * 10 + 10)]
        assert import_rows("achievements", ZH, rows, publish=True).created == 10
        assert apply_pending(lock_timeout=60) == 10  # the bulk path (BULK_FROM is 10 here): one sub-writer's segment
        counts.append(segments())
    assert counts[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9]  # no merge while at most 8 segments were there
    assert counts[9] < 9                              # beyond, MERGE_SMALL merged the small ones
    assert len(hits("稀土永磁")) == 100
    result = check()
    assert not (result["missing"] or result["extra"] or result["stale"]), result
