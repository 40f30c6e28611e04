"""Telling users something: an in-site notification and a stored e-mail (email_outbox, for an SMTP sender).
The one writer of both, used by matching pushes, broker introductions, 先用后转, contracts and record reviews."""
from marshmallow import Schema, fields

from ..accounts.models import User
from ..core.dates import UtcDateTime
from ..core.models import utcnow
from ..extensions import db
from .models import EmailMessage, EmailPreference, Notification


# E-mail preferences (账户设置): which kinds of notification also go by e-mail. Every kind belongs to one
# topic; a user who switched a topic off still finds the notification in the inbox.
EMAIL_TOPICS = {"review": "审核结果", "contract": "合同与到账", "match": "匹配推送", "introduction": "经纪撮合",
                "announcement": "系统公告"}
KIND_TOPIC = {"review": "review", "contract": "contract", "commission": "contract", "usefirst": "contract",
              "match": "match", "challenge": "match", "introduction": "introduction", "event": "announcement",
              "notice": "announcement"}


def email_preferences(user) -> dict[str, bool]:
    """topic → whether this user wants it by e-mail (everything on until switched off)."""
    rows = db.session.scalars(db.select(EmailPreference).where(EmailPreference.user_id == user.id))
    chosen = {r.topic: r.enabled for r in rows}
    return {topic: chosen.get(topic, True) for topic in EMAIL_TOPICS}


def set_email_preferences(user, wanted) -> dict[str, bool]:
    """Keep exactly the topics in `wanted` (codes of EMAIL_TOPICS) by e-mail; unknown codes are refused."""
    from ..core.errors import ValidationFailed
    wanted = set(wanted)
    unknown = wanted - set(EMAIL_TOPICS)
    if unknown:
        raise ValidationFailed("没有这种通知类别", {"topics": "没有这种通知类别"})
    for topic in EMAIL_TOPICS:
        row = db.session.get(EmailPreference, (user.id, topic))
        if row is None:
            row = EmailPreference(user_id=user.id, topic=topic)
            db.session.add(row)
        row.enabled = topic in wanted
    db.session.flush()
    return email_preferences(user)


def wants_email(user, kind: str) -> bool:
    topic = KIND_TOPIC.get(kind)
    if topic is None:
        return True
    row = db.session.get(EmailPreference, (user.id, topic))
    return row is None or row.enabled


def send_email(to_email: str, subject: str, body: str) -> None:
    """An e-mail outside the inbox (password reset): stored in the outbox for the SMTP sender."""
    db.session.add(EmailMessage(to_email=to_email, subject=f"【江西省网上技术市场】{subject}"[:200], body=body))
    from ..core import uow
    from ..tasks import enqueue_emails
    uow.after_commit(enqueue_emails, key="email-outbox", order=70)  # sent by the worker, not this process


def tell(user: User, kind: str, title: str, body: str, link: str) -> None:
    db.session.add(Notification(user_id=user.id, kind=kind, title=title[:200], body=body, link=link))
    if wants_email(user, kind):
        send_email(user.email, title, f"{user.name}，您好：\n\n{body}\n\n查看：{link}\n")


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
         "commission": "佣金与奖补", "event": "路演活动", "challenge": "揭榜挂帅"}


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
