"""Import jobs on the task queue: confirm (queue), run with progress and heartbeat, retry, sweep, clean up.

previewed ──confirm──▶ queued ──worker claims──▶ running ──▶ done | failed
    │                    ▲                          │
    └─24 h──▶ expired    └── crash (retry) or dead worker found by the sweep, while attempts remain

Every transition is a conditional UPDATE (… WHERE status = <expected>), so a double click, a duplicate
queue message or a sweep racing a live worker can never run one job twice at the same time. A re-run
imports the whole file again: rows are matched by (source, ref), so it updates and never duplicates.
The stored upload is removed when the job ends, and when a preview expires.
"""
import logging
import os
import time
import uuid
from datetime import timedelta, timezone

from flask import current_app
from sqlalchemy import update

from ..core import uow
from ..core.models import utcnow
from ..extensions import db
from .models import ImportJob
from .readers import ImportFileError, stream_file

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_MINUTES = 10  # a running job without a heartbeat for this long has lost its worker
PREVIEW_HOURS = 24  # a preview not confirmed within this time expires and its file is removed
HEARTBEAT_SECONDS = 1.0
WORKER_STOPPED = "导入失败：导入进程意外停止，请重新上传后再试"


class JobLost(Exception):
    """The job is no longer ours (the sweep gave it to another worker): stop writing."""


def _set(job_id: int, expected: tuple, attempt: int | None = None, **values) -> bool:
    """Move the job on, if it is still in one of the expected states (and, for a worker, still in the run
    it claimed: a requeued job claimed again belongs to the new run). True when it did."""
    values.setdefault("updated_at", utcnow())
    stmt = update(ImportJob).where(ImportJob.id == job_id, ImportJob.status.in_(expected))
    if attempt is not None:
        stmt = stmt.where(ImportJob.attempts == attempt)
    stmt = stmt.values(**values).execution_options(synchronize_session=False)
    return db.session.execute(stmt).rowcount == 1


def enqueue(job_id: int) -> None:
    from ..tasks import run_import
    run_import(job_id)


def confirm(job: ImportJob, submit: bool) -> bool:
    """The uploader confirmed a preview: queue the job. The task is enqueued after the request's commit,
    so a worker never looks for a row that is not there yet. False if it was already confirmed."""
    if not _set(job.id, ("previewed",), status="queued", submit=submit, processed=0):
        return False
    job_id = job.id
    uow.after_commit(lambda: enqueue(job_id))
    return True


def run(job_id: int, last_try: bool = True) -> None:
    """The task body: claim the job, import its file, record the outcome. Raises (for the queue to retry
    later) only on an unexpected failure while attempts remain."""
    if not _set(job_id, ("queued",), status="running", started_at=utcnow(), processed=0,
                attempts=ImportJob.attempts + 1):
        db.session.rollback()
        return  # someone else has it, or it is no longer queued (done, failed, a duplicate message)
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    attempt = job.attempts
    try:
        with open(job.stored_path or "", "rb") as fh:
            stream = stream_file(job.filename, fh.read())
    except (OSError, ImportFileError) as exc:  # retrying cannot help
        _finish(job_id, attempt, "failed", message=f"导入失败：文件无法读取（{exc.__class__.__name__}）")
        return
    from ..accounts.models import User
    from .service import import_rows
    errors_path = error_file_path(job.stored_path)
    try:
        with stream:
            report = import_rows(job.library, stream.headers, stream.rows, actor=db.session.get(User, job.user_id),
                                 source=job.source, submit=job.submit, progress=_heartbeat(job_id, attempt),
                                 total=job.total or stream.estimate, errors_out=errors_path + ".part")
    except JobLost:
        uow.rollback()
        _remove(errors_path + ".part")
        log.warning("import job %s was taken over by another worker; stopping", job_id)
        return
    except ImportFileError as exc:  # the file broke off in the middle: what was read is imported
        uow.rollback()
        _remove(errors_path + ".part")
        _finish(job_id, attempt, "failed", message=f"导入失败：{exc}；已导入的行再次导入时只会更新")
        return
    except Exception:
        uow.rollback()
        _remove(errors_path + ".part")
        if last_try or attempt >= MAX_ATTEMPTS:
            current_app.logger.exception("import job %s failed (attempt %s, no retry left)", job_id, attempt)
            _finish(job_id, attempt, "failed",
                    message="导入失败：处理时出错，请稍后重新上传；已导入的行再次导入时只会更新")
            return
        _set(job_id, ("running",), attempt, status="queued", message="导入出错，稍后自动重试")
        db.session.commit()
        raise  # the queue retries it after its retry delay
    old_errors = db.session.get(ImportJob, job_id).errors_path
    if report.rejected:
        os.replace(errors_path + ".part", errors_path)
    else:
        _remove(errors_path + ".part")
        _remove(errors_path)
    _finish(job_id, attempt, "done", processed=report.total, created=report.created, updated=report.updated,
            rejected=report.rejected, skipped=report.skipped, errors=report.errors[:1000],
            notes=report.mapping_lines()[:1000], message="；".join(report.warnings[:20]) or None,
            errors_path=errors_path if report.rejected else None)
    if old_errors and old_errors != errors_path:
        _remove(old_errors)  # the preview's error file: the run's own replaces it


def error_file_path(stored_path: str | None) -> str:
    """Where a job's error file goes: next to its upload, with a name of its own."""
    folder = current_app.config["UPLOAD_DIR"]
    base = os.path.splitext(os.path.basename(stored_path or ""))[0] or uuid.uuid4().hex
    return os.path.join(folder, f"{base}-errors.xlsx")


def _heartbeat(job_id: int, attempt: int):
    """The importer's progress callback: progress and heartbeat at most once a second, each in a short
    transaction of its own (it also commits the rows imported so far; a re-run updates them)."""
    last = [0.0]

    def progress(done, total):
        now = time.monotonic()
        if now - last[0] < HEARTBEAT_SECONDS and done != total:
            return
        last[0] = now
        if not _set(job_id, ("running",), attempt, processed=done):
            raise JobLost(job_id)
        db.session.commit()
    return progress


def _finish(job_id: int, attempt: int, status: str, **values) -> None:
    path = db.session.get(ImportJob, job_id).stored_path
    if not _set(job_id, ("running",), attempt, status=status, finished_at=utcnow(), stored_path=None, **values):
        db.session.rollback()
        return
    db.session.commit()
    uow.discard()
    _remove(path)
    from ..searching.sync import try_apply
    try_apply(lock_timeout=60)  # the worker brings the search index up to date itself


def _remove(path: str | None) -> None:
    if not path:
        return
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError:
        log.warning("could not remove the upload %s", path, exc_info=True)


def sweep(now=None) -> dict:
    """Repair what a dead worker or a lost queue message left, and expire old previews (safe to run any
    time; a periodic task runs it every 5 minutes and `flask imports sweep` on demand)."""
    now = now or utcnow()
    stale = now - timedelta(minutes=current_app.config.get("IMPORT_STALE_MINUTES", STALE_MINUTES))
    old = now - timedelta(hours=current_app.config.get("IMPORT_PREVIEW_HOURS", PREVIEW_HOURS))
    counts = {"requeued": 0, "failed": 0, "resent": 0, "expired": 0, "orphans": 0}
    to_enqueue = []
    for job_id, attempts, path in db.session.execute(
            db.select(ImportJob.id, ImportJob.attempts, ImportJob.stored_path)
            .where(ImportJob.status == "running", ImportJob.updated_at < stale)).all():
        if attempts < MAX_ATTEMPTS:
            if _set_if_stale(job_id, stale, status="queued", message="导入进程中断，已重新排队"):
                counts["requeued"] += 1
                to_enqueue.append(job_id)
        elif _set_if_stale(job_id, stale, status="failed", message=WORKER_STOPPED, finished_at=now,
                           stored_path=None):
            counts["failed"] += 1
            db.session.commit()
            _remove(path)
    # Queued for long with nobody claiming it: the queue message was lost (or the queue was down when the
    # job was confirmed). Sending it again is harmless: only one message can claim the job.
    for (job_id,) in db.session.execute(db.select(ImportJob.id).where(ImportJob.status == "queued",
                                                                       ImportJob.updated_at < stale)).all():
        if _set(job_id, ("queued",)):
            counts["resent"] += 1
            to_enqueue.append(job_id)
    for job_id, path, errors_path in db.session.execute(
            db.select(ImportJob.id, ImportJob.stored_path, ImportJob.errors_path).where(
                ImportJob.status == "previewed", ImportJob.created_at < old)).all():
        if _set(job_id, ("previewed",), status="expired", stored_path=None, errors_path=None,
                message="预览超过有效期未确认，上传的文件已删除，请重新上传"):
            counts["expired"] += 1
            db.session.commit()
            _remove(path)
            _remove(errors_path)
    db.session.commit()
    for job_id in to_enqueue:
        enqueue(job_id)
    counts["orphans"] = _remove_orphans(old)
    return counts


def _set_if_stale(job_id: int, stale, **values) -> bool:
    # The heartbeat condition again: a worker that wrote progress since we looked keeps its job.
    stmt = (update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running",
                                    ImportJob.updated_at < stale).values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False))
    return db.session.execute(stmt).rowcount == 1


def _remove_orphans(old) -> int:
    """Uploads that no job refers to (the request failed after the file was written), once they are old."""
    folder = current_app.config["UPLOAD_DIR"]
    if not os.path.isdir(folder):
        return 0
    known = {os.path.basename(p) for (p,) in db.session.execute(
        db.select(ImportJob.stored_path).where(ImportJob.stored_path.is_not(None)))}
    known |= {os.path.basename(p) for (p,) in db.session.execute(
        db.select(ImportJob.errors_path).where(ImportJob.errors_path.is_not(None)))}
    cutoff = old.replace(tzinfo=timezone.utc).timestamp()
    removed = 0
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name not in known and entry.stat().st_mtime < cutoff:
            _remove(entry.path)
            removed += 1
    return removed
