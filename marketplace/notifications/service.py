"""Telling users something: an in-site notification and a stored e-mail (email_outbox, for an SMTP sender).
The one writer of both, used by matching pushes, broker introductions, 先用后转, contracts and record reviews."""
from marshmallow import Schema, fields

from ..accounts.models import User
from ..core.dates import UtcDateTime
from ..core.models import utcnow
from ..extensions import db
from .models import EmailMessage, Notification


def tell(user: User, kind: str, title: str, body: str, link: str) -> None:
    db.session.add(Notification(user_id=user.id, kind=kind, title=title[:200], body=body, link=link))
    db.session.add(EmailMessage(to_email=user.email, subject=f"【江西省网上技术市场】{title}"[:200],
                                body=f"{user.name}，您好：\n\n{body}\n\n查看：{link}\n"))


def tell_orgs(org_ids, kind: str, title: str, body: str, link: str, role: str | None = None) -> None:
    """Every active user of these organisations (of one role, if given)."""
    q = User.query.filter(User.org_id.in_(list(org_ids)), User.active.is_(True))
    if role:
        q = q.filter(User.role == role)
    for user in q:
        tell(user, kind, title, body, link)


# The inbox ---------------------------------------------------------------------------------------------

KINDS = {"match": "匹配推送", "introduction": "经纪人引荐", "usefirst": "先用后转", "contract": "合同",
         "review": "审核结果",
         "commission": "佣金与奖补"}


def inbox_query(user, unread_only: bool = False, kind: str | None = None):
    stmt = db.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return stmt.order_by(Notification.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user, note_id: int) -> Notification:
    from ..core.errors import NotFound
    row = db.session.get(Notification, note_id)
    if row is None or row.user_id != user.id:
        raise NotFound("没有找到该通知")
    row.read_at = row.read_at or utcnow()
    return row


def mark_all_read(user) -> int:
    return db.session.execute(db.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())).rowcount


def local_link(link: str | None) -> str | None:
    """Links in notifications may be absolute (SITE_URL, for e-mails); the page follows only their path."""
    from urllib.parse import urlsplit
    if not link:
        return None
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else None


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.Function(lambda n: KINDS.get(n.kind, n.kind))
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = UtcDateTime()
    read = fields.Function(lambda n: n.read_at is not None)


def as_dict(n: Notification) -> dict:
    return NotificationOut().dump(n)
