"""The in-site inbox and the stored e-mails (email_outbox, for an SMTP sender)."""
from ..core.models import utcnow
from ..extensions import db


class Notification(db.Model):
    """The in-site inbox."""
    __tablename__ = "notifications"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    kind = db.Column(db.String(16), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    link = db.Column(db.String(200))
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    read_at = db.Column(db.DateTime)
    __table_args__ = (db.Index("ix_notifications_user_read", "user_id", "read_at"),)


class EmailMessage(db.Model):
    """An e-mail stored ready for an SMTP sender (no mail server here)."""
    __tablename__ = "email_outbox"
    id = db.Column(db.Integer, primary_key=True)
    to_email = db.Column(db.String(120), nullable=False)
    subject = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    sent_at = db.Column(db.DateTime)


class EmailPreference(db.Model):
    """Which kinds of notification a user also receives by e-mail (service.EMAIL_TOPICS); no row: yes."""
    __tablename__ = "email_preferences"
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic = db.Column(db.String(16), primary_key=True)
    enabled = db.Column(db.Boolean, nullable=False, default=True)
