"""Web import: template download, upload, preview of errors, then the import with a progress bar."""
import os
import uuid

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import login_required

from .. import tasks
from ..core import listings
from ..core.errors import Forbidden, NotFound
from ..core.web import actor, commit
from ..core.xlsx_safe import XLSX_MIME
from ..extensions import db
from . import jobs
from .models import ImportJob
from .readers import ImportFileError, read_file
from .service import import_rows

bp = Blueprint("imports", __name__, url_prefix="/imports")
bp.record_once(lambda state: tasks.init_app(state.app))  # the task queue, configured from the app's config


def _library(name):
    lib = listings.LIBRARIES.get(name)
    if lib is None:
        raise NotFound("没有这个库")
    if actor().role not in lib.owner_roles:
        raise Forbidden(f"当前角色不能导入{lib.label}")
    if not actor().org.approved:
        raise Forbidden("单位尚未通过实名审核，审核通过后才能导入")
    return lib


def _job(job_id) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.org_id != actor().org_id:
        raise NotFound("没有找到该导入任务")
    return job


def _source(org_id: int) -> str:
    # Refs from web uploads are scoped to the uploading organisation: no one can overwrite
    # another organisation's record by reusing its number.
    return f"org:{org_id}"


@bp.route("/<library>", methods=["GET", "POST"])
@login_required
def upload(library):
    lib = _library(library)
    if request.method == "GET":
        return render_template("imports/upload.html", lib=lib)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("请选择要上传的文件", "error")
        return render_template("imports/upload.html", lib=lib), 400
    raw = file.read()
    try:
        headers, rows = read_file(file.filename, raw)
    except ImportFileError as exc:
        flash(str(exc), "error")
        return render_template("imports/upload.html", lib=lib), 400
    source = _source(actor().org_id)
    folder = current_app.config["UPLOAD_DIR"]
    os.makedirs(folder, exist_ok=True)
    ext = file.filename.rsplit(".", 1)[-1].lower()
    path = os.path.join(folder, f"{uuid.uuid4().hex}.{ext}")
    errors_path = jobs.error_file_path(path)
    report = import_rows(lib.key, headers, rows, actor=actor(), source=source, dry_run=True,
                         errors_out=errors_path)
    if not report.rejected:
        jobs._remove(errors_path)
    with open(path, "wb") as fh:
        fh.write(raw)
    job = ImportJob(library=lib.key, filename=file.filename[:200], stored_path=path, source=source,
                    status="previewed", total=report.total, created=report.created, updated=report.updated,
                    rejected=report.rejected, skipped=report.skipped, errors=report.errors[:1000],
                    notes=report.mapping_lines()[:1000], message="；".join(report.warnings[:20]),
                    errors_path=errors_path if report.rejected else None,
                    user_id=actor().id, org_id=actor().org_id)
    db.session.add(job)
    commit()
    return redirect(url_for(".job", job_id=job.id))


@bp.route("/job/<int:job_id>")
@login_required
def job(job_id):
    job = _job(job_id)
    return render_template("imports/job.html", job=job, lib=listings.LIBRARIES[job.library])


@bp.route("/job/<int:job_id>/status.json")
@login_required
def job_status(job_id):
    job = _job(job_id)
    rate = job.rate
    return jsonify({"status": job.status, "total": job.total, "processed": job.processed,
                    "created": job.created, "updated": job.updated, "rejected": job.rejected,
                    "message": job.message, "rate": round(rate, 1) if rate else None,
                    "seconds_left": job.seconds_left})


@bp.route("/job/<int:job_id>/errors.xlsx")
@login_required
def errors_file(job_id):
    """The rows that failed, as they were in the file, plus 错误原因: fix them and upload this file again."""
    job = _job(job_id)
    if not job.errors_path or not os.path.isfile(job.errors_path):
        raise NotFound("该导入任务没有错误文件")
    stem = job.filename.rsplit(".", 1)[0]
    return send_file(job.errors_path, as_attachment=True, download_name=f"{stem}-有问题的行.xlsx",
                     mimetype=XLSX_MIME)


@bp.route("/job/<int:job_id>/run", methods=["POST"])
@login_required
def run(job_id):
    job = _job(job_id)
    _library(job.library)
    # Queued atomically, so a double click never imports the file twice; a queue worker runs it.
    if not jobs.confirm(job, submit=request.form.get("submit") == "1"):
        flash("该导入任务已经执行过", "warning")
    return redirect(url_for(".job", job_id=job.id))
