"""Telling users something: an in-site notification and a stored e-mail (email_outbox, for an SMTP sender).
The one writer of both, used by matching pushes, broker introductions, 先用后转 and contracts."""
from ..accounts.models import User
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
