"""Statistics: the JSON API (/api/v1/stats/…) and the historical-data import page. The dashboards are in
pages.py, on the same `bp`. Thin: every rule is in service.py, permissions.py and imports.py."""

from datetime import date

from flask import Blueprint, jsonify, render_template, request

from ..core.errors import BadRequest, Forbidden
from ..core.vocab import CITIES
from ..core.web import actor, int_arg, json_body, require_login
from . import service
from .imports import COLUMNS, read_and_import
from .models import KINDS
from .permissions import may_import
from .schemas import valid_scope

bp = Blueprint("stats", __name__, url_prefix="/stats")
# Its JSON endpoints: registered under the API blueprint (/api/v1), so they go through its checks.
api = Blueprint("stats", __name__)
IMPORT_MAX_BYTES = 30 * 1024 * 1024


def _year() -> int:
    return int_arg("year", date.today().year, lo=1900, hi=2999)


def _arg(name: str, choices) -> str | None:
    value = (request.args.get(name) or "").strip() or None
    if value is not None and value not in choices:
        raise BadRequest(f"{name} 应为：{'、'.join(choices)}", {name: "不在可选范围内"})
    return value


@api.get("/stats/contracts")
def contracts_api():
    by = _arg("by", list(service.BY)) or "month"
    filters = {
        "city": _arg("city", CITIES),
        "kind": _arg("kind", KINDS),
        "period": (request.args.get("period") or "").strip() or None,
    }
    return jsonify(service.contract_stats(actor(), _year(), by, filters))


@api.get("/stats/summary")
def summary_api():
    return jsonify(service.year_summary(actor(), _year()))


@api.get("/stats/cities")
def cities_api():
    require_login()
    return jsonify(service.city_targets_ranking(actor(), _year()))


@api.get("/stats/targets")
def targets_api():
    scope = (request.args.get("scope") or "").strip() or None
    if scope is not None and not valid_scope(scope):
        raise BadRequest("scope 应为 province、设区市名称或 设区市/县级市", {"scope": "范围无效"})
    year = int_arg("year", None, lo=1900, hi=2999)
    return jsonify({"items": service.dump_targets(service.list_targets(year, scope))})


@api.post("/stats/targets")
def create_target_api():
    t = service.create_target(actor(), json_body())
    return jsonify(service.dump_target(t)), 201


@api.put("/stats/targets/<int:target_id>")
def update_target_api(target_id):
    t = service.get_target(target_id)
    service.update_target(actor(), t, json_body())
    return jsonify(service.dump_target(t))


@api.delete("/stats/targets/<int:target_id>")
def delete_target_api(target_id):
    service.delete_target(actor(), service.get_target(target_id))
    return "", 204


# The provincial centre's import of historical registration data ---------------------------------------------


def _require_importer():
    if not may_import(actor()):
        raise Forbidden("历史技术合同登记数据由省级中心管理员导入")


@bp.get("/contracts/import")
def import_page():
    _require_importer()
    return render_template("stats/contracts_import.html", report=None, columns=COLUMNS)


@bp.post("/contracts/import")
def import_upload():
    """Synchronous: validating and writing 50,000 rows takes a few seconds (see the benchmark). A dry run
    (试运行) reports every error and writes nothing; the pipeline commits a real import once, at the end."""
    _require_importer()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("请选择要导入的文件")
    raw = upload.stream.read(IMPORT_MAX_BYTES + 1)
    if len(raw) > IMPORT_MAX_BYTES:
        raise BadRequest(f"文件超过 {IMPORT_MAX_BYTES // 1024 // 1024} MB，请拆分后导入")
    dry_run = request.form.get("dry_run") in ("1", "on", "true")
    batch = f"web:{actor().id}:{upload.filename[:40]}"
    report = read_and_import(actor(), upload.filename, raw, batch=batch, dry_run=dry_run)
    return render_template("stats/contracts_import.html", report=report, columns=COLUMNS)


# The dashboards and the targets page: other modules on the same blueprint. A plain import, so that an error in
# them stops the application at start instead of leaving the pages silently missing.
from . import pages, target_pages  # noqa: F401,E402
