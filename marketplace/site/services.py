"""Announcements (通知公告 / 政策法规 / 工作动态): write, publish, withdraw (core.workflow), list and read."""
from datetime import date

from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db
from . import permissions as policy
from .models import CATEGORIES, STATUSES, Notice, NoticeAttachment

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = {".pdf": "application/pdf", ".doc": "application/msword",
              ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              ".xls": "application/vnd.ms-excel",
              ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              ".wps": "application/vnd.ms-works", ".zip": "application/zip", ".txt": "text/plain",
              ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

WORKFLOW = Workflow.of("notice", [
    Transition("publish", frozenset({"draft", "withdrawn"}), "published", "发布", "editor"),
    Transition("withdraw", frozenset({"published"}), "withdrawn", "撤回", "editor"),
], {"editor": policy.can_edit}, state_labels=STATUSES, can_view=policy.can_view, not_found="没有找到该公告")
action_labels({"notice-create": "新建公告", "notice-edit": "修改公告"})


def public_query(category: str | None = None):
    stmt = db.select(Notice).where(Notice.status == "published")
    if category:
        stmt = stmt.where(Notice.category == category)
    return stmt.order_by(Notice.pinned.desc(), Notice.publish_on.desc(), Notice.id.desc())


def manage_query(actor):
    if not policy.can_manage(actor):
        raise Forbidden("只有管理员可以管理公告")
    return db.select(Notice).where(policy.manage_condition(actor)).order_by(Notice.updated_at.desc(), Notice.id.desc())


def latest(limit: int = 5) -> list[Notice]:
    return db.session.scalars(public_query().limit(limit)).all()


def check_category(category: str | None) -> str | None:
    from ..core.errors import BadRequest
    if category and category not in CATEGORIES:
        raise BadRequest("栏目应为：" + "、".join(CATEGORIES.values()), {"category": "没有该栏目"})
    return category or None


def get(actor, notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None or not policy.can_view(actor, notice):
        raise NotFound("没有找到该公告")
    return notice


def _attach(notice: Notice, files) -> None:
    import os
    files = [f for f in files or [] if getattr(f, "filename", "")]
    if len(notice.attachments) + len(files) > MAX_FILES:
        raise ValidationFailed(f"附件最多 {MAX_FILES} 个", {"files": f"最多 {MAX_FILES} 个"})
    for f in files:
        name = os.path.basename(f.filename.replace("\\", "/"))[:200]
        ext = os.path.splitext(name)[1].lower()
        if ext not in FILE_TYPES:
            raise ValidationFailed(f"附件“{name}”的类型不支持（可上传 PDF、Word、Excel、WPS、ZIP、TXT、图片）",
                                   {"files": "文件类型不支持"})
        data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValidationFailed(f"附件“{name}”超过 5 MB", {"files": "单个文件不能超过 5 MB"})
        if not data:
            raise ValidationFailed(f"附件“{name}”是空文件", {"files": "空文件"})
        notice.attachments.append(NoticeAttachment(filename=name, mimetype=FILE_TYPES[ext], size=len(data), data=data))


def create(actor, data: dict, files=(), publish: bool = False) -> Notice:
    if not policy.can_manage(actor):
        raise Forbidden("只有管理员可以发布公告")
    notice = Notice(**data, status="draft", org_id=actor.org_id, created_by_id=actor.id)
    db.session.add(notice)
    _attach(notice, files)
    db.session.flush()
    record_audit(actor, "notice", notice.id, "notice-create", None, "draft")
    if publish:
        transition(actor, notice, "publish")
    return notice


def update(actor, notice: Notice, data: dict, files=(), remove_ids=()) -> Notice:
    if not policy.can_edit(actor, notice):
        raise NotFound("没有找到该公告") if not policy.can_view(actor, notice) else Forbidden("无权修改该公告")
    for key, value in data.items():
        setattr(notice, key, value)
    remove = {int(i) for i in remove_ids if str(i).isdigit()}
    notice.attachments = [a for a in notice.attachments if a.id not in remove]
    _attach(notice, files)
    db.session.flush()
    record_audit(actor, "notice", notice.id, "notice-edit")
    return notice


def transition(actor, notice: Notice, name: str) -> Notice:
    WORKFLOW.fire(actor, notice, name)
    if name == "publish" and notice.publish_on is None:
        notice.publish_on = date.today()
    db.session.flush()
    return notice


def attachment(actor, notice_id: int, file_id: int) -> NoticeAttachment:
    notice = get(actor, notice_id)
    for a in notice.attachments:
        if a.id == file_id:
            return a
    raise NotFound("没有找到该附件")
