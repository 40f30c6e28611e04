"""Import rows into a library: validate each row, upsert by (source, ref), report per-row errors.

A bad row never stops or corrupts the others: each row is written inside its own savepoint, and the
good rows are committed in batches. A dry run validates everything and writes nothing.
"""
from dataclasses import dataclass, field
from typing import Callable

from ..accounts.models import Organisation
from ..accounts.services import get_or_create_org
from ..core import listings
from ..core.errors import AppError
from ..core.uscc import make_uscc, uscc_error
from ..extensions import db
from sqlalchemy.exc import SQLAlchemyError
from . import columns
from .readers import read_file

BATCH = 200


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)  # [{"row": n, "message": "..."}]
    warnings: list = field(default_factory=list)
    ids: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated,
                "rejected": self.rejected, "errors": self.errors, "warnings": self.warnings}

    def summary(self) -> str:
        return f"共{self.total}行：新增{self.created}，更新{self.updated}，拒绝{self.rejected}"


class RowError(Exception):
    pass


def _resolve_org(library: str, record: dict, actor, dry_run: bool, org_cache: dict) -> Organisation | None:
    """The owning organisation of a row: the uploader's own, or (system import) the one the row names."""
    org_field = columns.ORG_COLUMN[library]
    name = (record.pop(org_field, None) or "").strip()
    uscc = (record.pop("company_uscc", None) or "").strip().upper() or None
    if actor is not None and not getattr(actor, "is_admin", False):
        if name and name != actor.org.name:
            raise RowError(f"{columns.display_header(library, org_field)}“{name}”与当前账号所属单位"
                           f"“{actor.org.name}”不一致")
        return actor.org
    if not name:
        raise RowError(f"缺少{columns.display_header(library, org_field)}")
    if len(name) > 120:
        raise RowError("单位名称过长")
    if uscc and uscc_error(uscc):
        raise RowError(uscc_error(uscc))
    if name in org_cache:
        return org_cache[name]
    org = Organisation.query.filter_by(name=name).first()
    if org is None and not dry_run:
        kind = columns.ORG_KIND[library]
        if kind == "company" and not uscc:
            uscc = make_uscc(name)  # imported companies without a code get a placeholder marked below
        org = get_or_create_org(name, kind, uscc=uscc, city=record.get("city"),
                                subtype="高校" if "大学" in name or "学院" in name else None)
    org_cache[name] = org
    return org


def import_rows(library: str, headers: list, rows: list, *, actor=None, source="local", publish=False,
                submit=False, dry_run=False, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    lib = listings.LIBRARIES[library]
    model = lib.model
    report = ImportReport(total=len(rows))
    mapping, unknown = columns.map_headers(library, headers)
    if unknown:
        report.warnings.append("未识别的列已忽略：" + "、".join(unknown))
    missing = [columns.display_header(library, f) for f in columns.REQUIRED[library] if f not in mapping.values()]
    if missing:
        report.rejected = report.total
        report.errors.append({"row": 1, "message": "缺少必需的列：" + "、".join(missing)})
        return report
    schema = lib.input_schema(**({"allow_past_deadline": True} if library == "demands" else {}))
    seen_refs: dict[str, int] = {}
    # One query for all the refs this source already has, instead of one per row.
    known_ids = dict(db.session.execute(db.select(model.ref, model.id).where(model.source == source,
                                                                            model.ref.is_not(None))).all())
    org_cache: dict[str, Organisation | None] = {}
    status = "published" if publish else "draft"
    for done, (number, values) in enumerate(rows, start=1):
        try:
            if values is None:
                raise RowError("该行不是有效的记录（应为 JSON 对象）")
            record = {mapping[i]: v for i, v in enumerate(values) if i in mapping and v not in (None, "")}
            ref = str(record.get("ref") or "").strip() or None
            if ref:
                if ref in seen_refs:
                    raise RowError(f"编号“{ref}”在文件中重复（与第{seen_refs[ref]}行）")
                seen_refs[ref] = number
            org = _resolve_org(library, record, actor, dry_run, org_cache)
            data = schema.validate_dict(record)
            existing = db.session.get(model, known_ids[ref]) if ref in known_ids else None
            if existing is not None and org is not None and existing.owner_org_id != org.id:
                raise RowError(f"编号“{ref}”已属于“{existing.owner_org.name}”，不能改为其他单位")
            if dry_run:
                if existing is not None:
                    report.updated += 1
                else:
                    report.created += 1
                continue
            with db.session.begin_nested():
                if existing is not None:
                    listings.update(actor, lib, existing, data, system=actor is None)
                    report.updated += 1
                    obj = existing
                else:
                    obj = listings.create(actor, lib, data, org=org, source=source, status=status,
                                          system=actor is None, check_ref=False)
                    report.created += 1
                if submit and obj.status in listings.TRANSITIONS["submit"].sources:
                    listings.transition(actor, lib, obj, "submit")
            report.ids.append(obj.id)
        except RowError as exc:
            report.rejected += 1
            report.errors.append({"row": number, "message": str(exc)})
        except SQLAlchemyError as exc:
            report.rejected += 1
            report.errors.append({"row": number, "message": f"数据库拒绝该行：{exc.__class__.__name__}"})
        except AppError as exc:
            report.rejected += 1
            detail = "；".join(f"{lib.labels.get(k.split('.')[0], k)}：{v}" for k, v in exc.fields.items())
            report.errors.append({"row": number, "message": detail or exc.message})
        if not dry_run and done % BATCH == 0:
            db.session.commit()
        if progress:
            progress(done, report.total)
    if not dry_run:
        db.session.commit()
    return report


def import_file(library: str, filename: str, raw: bytes, **kw) -> ImportReport:
    headers, rows = read_file(filename, raw)
    return import_rows(library, headers, rows, **kw)
