"""Web imports as durable jobs on the Huey queue: no thread in the web process, retries without duplicates,
a dead worker's job requeued or failed (never "running" forever), uploads removed when a job ends or a
preview expires. Huey runs in immediate mode in tests: a task runs when it is enqueued, through the queue."""
import io
import os
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace import tasks
from marketplace.achievements.models import Achievement
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.imports import jobs, service
from marketplace.imports.models import ImportJob

from .conftest import login
from .test_imports import BAD_ROWS, ROWS, ZH, xlsx_bytes


def own_rows(org_name):
    return [r[:5] + [org_name] + r[6:] for r in ROWS]


def preview(client, f, rows=None, org_name="江西理工大学"):
    """An institution user, logged in, with a previewed (not yet confirmed) job of ROWS."""
    user = f.user("institution", name=org_name)
    login(client, user)
    raw = xlsx_bytes(ZH, rows or own_rows(org_name))
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(raw), "成果.xlsx")},
                     content_type="multipart/form-data")
    assert up.status_code == 302, up.get_data(as_text=True)[:300]
    job_id = int(up.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return user, job_id


def job(job_id) -> ImportJob:
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def set_job(job_id, **values):
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
    db.session.commit()


def run_scheduled():
    """Run the retries Huey scheduled (immediate mode keeps them in its in-memory schedule)."""
    due = tasks.huey.scheduled()
    for task in due:
        tasks.huey.storage.flush_schedule()
        tasks.huey.execute(task, timestamp=task.eta + timedelta(seconds=1))
    return len(due)


@pytest.fixture(autouse=True)
def _clean_schedule(app):
    tasks.huey.storage.flush_all()
    yield
    tasks.huey.storage.flush_all()


def test_web_import_goes_through_the_queue_and_starts_no_thread(client, f, monkeypatch):
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), real_start(self))[1])
    bad = BAD_ROWS[1][:5] + ["江西理工大学"] + BAD_ROWS[1][6:]
    user, job_id = preview(client, f, own_rows("江西理工大学") + [bad])
    path = job(job_id).stored_path
    assert os.path.exists(path)
    before = threading.active_count()
    resp = client.post(f"/imports/job/{job_id}/run", data={"submit": "1"})
    assert resp.status_code == 302
    assert started == [] and threading.active_count() == before
    done = job(job_id)  # finished by the time the request returned: the queue ran it (immediate mode)
    assert (done.status, done.created, done.rejected, done.processed, done.attempts) == ("done", 2, 1, 3, 1)
    assert done.finished_at and done.stored_path is None and not os.path.exists(path)
    assert {a.status for a in Achievement.query.all()} == {"submitted"}
    status = client.get(f"/imports/job/{job_id}/status.json").json
    assert status["status"] == "done" and status["processed"] == 3
    # A second confirmation (double click, old tab) queues nothing.
    assert "已经执行过" in client.post(f"/imports/job/{job_id}/run", follow_redirects=True).get_data(as_text=True)
    assert Achievement.query.count() == 2 and job(job_id).attempts == 1


def test_the_task_is_enqueued_only_after_the_commit(client, f, monkeypatch):
    seen = []
    real_run = jobs.run

    def spy(job_id, last_try=True):
        # The task looks at the database from its own session: the queued row must be committed already.
        with db.engine.connect() as conn:
            seen.append(conn.execute(db.select(ImportJob.status).where(ImportJob.id == job_id)).scalar())
        return real_run(job_id, last_try)
    monkeypatch.setattr(jobs, "run", spy)
    _, job_id = preview(client, f)
    client.post(f"/imports/job/{job_id}/run")
    assert seen == ["queued"] and job(job_id).status == "done"


def test_a_crashed_run_is_retried_by_the_queue_and_duplicates_nothing(client, f, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 1)  # the first row is committed before the crash
    real_write = service.Importer.write
    calls = []

    def crash_on_second_batch_once(self, *args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker crashed mid-import")
        return real_write(self, *args, **kw)
    monkeypatch.setattr(service.Importer, "write", crash_on_second_batch_once)
    _, job_id = preview(client, f)
    client.post(f"/imports/job/{job_id}/run")
    first = job(job_id)
    assert (first.status, first.attempts) == ("queued", 1) and "重试" in first.message
    assert Achievement.query.count() == 1 and os.path.exists(first.stored_path)
    assert run_scheduled() == 1  # Huey's retry, after its retry delay
    again = job(job_id)
    # the row committed before the crash is found again, with the same values: reported, not rewritten
    assert (again.status, again.attempts, again.created, again.updated) == ("done", 2, 1, 0)
    assert "未变化 1 条" in again.message
    assert sorted(a.ref for a in Achievement.query.all()) == ["A-1", "A-2"]  # matched by (source, ref)


def test_a_run_that_keeps_crashing_fails_after_its_retries_and_its_file_is_removed(client, f, monkeypatch):
    def always_crash(*args, **kw):
        raise RuntimeError("boom")
    monkeypatch.setattr(service.Importer, "write", always_crash)
    _, job_id = preview(client, f)
    path = job(job_id).stored_path
    client.post(f"/imports/job/{job_id}/run")
    assert run_scheduled() == 1 and run_scheduled() == 1 and run_scheduled() == 0
    failed = job(job_id)
    assert (failed.status, failed.attempts) == ("failed", jobs.MAX_ATTEMPTS) and failed.finished_at
    assert failed.stored_path is None and not os.path.exists(path)
    assert "导入失败" in client.get(f"/imports/job/{job_id}").get_data(as_text=True)


def test_an_unreadable_stored_file_fails_at_once_without_retry(client, f):
    _, job_id = preview(client, f)
    os.remove(job(job_id).stored_path)
    client.post(f"/imports/job/{job_id}/run")
    failed = job(job_id)
    assert failed.status == "failed" and "文件无法读取" in failed.message and run_scheduled() == 0


def test_a_job_whose_worker_died_is_requeued_then_failed_never_running_forever(client, f):
    _, dead = preview(client, f)
    _, dead_again = preview(client, f)
    _, alive = preview(client, f)
    long_ago = utcnow() - timedelta(minutes=jobs.STALE_MINUTES + 5)
    set_job(dead, status="running", attempts=1, updated_at=long_ago, started_at=long_ago)
    set_job(dead_again, status="running", attempts=jobs.MAX_ATTEMPTS, updated_at=long_ago)
    set_job(alive, status="running", attempts=1, updated_at=utcnow(), started_at=long_ago, processed=1)
    stuck_file = job(dead_again).stored_path
    counts = jobs.sweep()
    assert (counts["requeued"], counts["failed"]) == (1, 1)
    retried = job(dead)  # requeued and (immediate mode) run again, importing the file once more
    assert (retried.status, retried.attempts, retried.created) == ("done", 2, 2)
    gone = job(dead_again)
    assert gone.status == "failed" and gone.message == jobs.WORKER_STOPPED and gone.finished_at
    assert not os.path.exists(stuck_file)
    assert jobs.WORKER_STOPPED in client.get(f"/imports/job/{dead_again}").get_data(as_text=True)
    assert client.get(f"/imports/job/{dead_again}/status.json").json["status"] == "failed"
    assert job(alive).status == "running"  # a fresh heartbeat: its worker is still at it


def test_a_queued_job_whose_message_was_lost_is_sent_again(client, f):
    _, job_id = preview(client, f)
    set_job(job_id, status="queued", updated_at=utcnow() - timedelta(minutes=jobs.STALE_MINUTES + 1))
    assert jobs.sweep()["resent"] == 1
    assert job(job_id).status == "done"


def test_a_worker_that_lost_its_job_stops_writing(client, f):
    _, job_id = preview(client, f)
    set_job(job_id, status="running", attempts=1)
    progress = jobs._heartbeat(job_id, 1)
    progress(1, 3)
    set_job(job_id, status="running", attempts=2)  # the sweep requeued it and another worker claimed it
    with pytest.raises(jobs.JobLost):
        progress(3, 3)
    assert job(job_id).processed == 1


def test_previews_never_confirmed_expire_and_their_files_are_removed(client, f, app):
    _, old = preview(client, f)
    _, fresh = preview(client, f)
    set_job(old, created_at=utcnow() - timedelta(hours=jobs.PREVIEW_HOURS + 1))
    old_file, fresh_file = job(old).stored_path, job(fresh).stored_path
    folder = app.config["UPLOAD_DIR"]
    orphan, new_orphan = os.path.join(folder, "orphan.xlsx"), os.path.join(folder, "new-orphan.xlsx")
    for p in (orphan, new_orphan):
        with open(p, "wb") as fh:
            fh.write(b"x")
    day_ago = time.time() - (jobs.PREVIEW_HOURS + 1) * 3600
    os.utime(orphan, (day_ago, day_ago))
    out = app.test_cli_runner().invoke(args=["imports", "sweep"])
    assert out.exit_code == 0 and "过期预览 1" in out.output, out.output
    expired = job(old)
    assert expired.status == "expired" and expired.stored_path is None and not os.path.exists(old_file)
    assert job(fresh).status == "previewed" and os.path.exists(fresh_file)
    assert not os.path.exists(orphan) and os.path.exists(new_orphan)
    os.remove(new_orphan)
    page = client.get(f"/imports/job/{old}").get_data(as_text=True)
    assert "重新上传" in page and "btn-run" not in page
    client.post(f"/imports/job/{old}/run")
    assert job(old).status == "expired" and Achievement.query.count() == 0


def test_the_job_page_shows_progress_rate_and_time_left(client, f):
    _, job_id = preview(client, f)
    started = utcnow() - timedelta(seconds=10)
    set_job(job_id, status="running", total=100, processed=40, started_at=started,
            updated_at=started + timedelta(seconds=10))
    status = client.get(f"/imports/job/{job_id}/status.json").json
    assert (status["status"], status["processed"]) == ("running", 40)
    assert (status["rate"], status["seconds_left"]) == (4.0, 15)
    page = client.get(f"/imports/job/{job_id}").get_data(as_text=True)
    assert 'id="progress"' in page and "每秒 4.0 行" in page and "约剩 15 秒" in page


def test_queue_backend_comes_from_the_config(app, tmp_path):
    from huey.storage import MemoryStorage, SqliteStorage
    try:
        tasks.configure({"HUEY_BACKEND": "sqlite", "HUEY_SQLITE_FILE": str(tmp_path / "q" / "huey.db")})
        assert isinstance(tasks.huey.storage, SqliteStorage) and not tasks.huey.immediate
        assert tasks.huey.storage.filename == str(tmp_path / "q" / "huey.db")
        tasks.configure({"HUEY_BACKEND": "memory"})
        assert isinstance(tasks.huey.storage, MemoryStorage)
        with pytest.raises(ValueError):
            tasks.configure({"HUEY_BACKEND": "rabbit"})
    finally:
        tasks.configure(app.config)
    assert tasks.huey.immediate and app.config["HUEY_IMMEDIATE"]
