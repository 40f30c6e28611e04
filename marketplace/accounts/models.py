"""Organisations, users and API tokens."""
import hashlib

from flask import current_app, has_app_context
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import permissions
from ..core.models import TimestampMixin, utcnow
from ..extensions import db


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    kind = db.Column(db.String(16), nullable=False)  # vocab.ORG_KINDS
    subtype = db.Column(db.String(16))  # 高校 / 科研院所 for institutions
    uscc = db.Column(db.String(18), unique=True)  # 统一社会信用代码, required for companies
    city = db.Column(db.String(16), index=True)
    # 企业规模 of a company (vocab.COMPANY_SCALES: 大型/中型/小型/微型); NULL when not stated. 中小企业 = 中型/小型/微型.
    scale = db.Column(db.String(8))
    # Administrative centres of the "1+M+N" network: province (1), city (M), institution (N).
    admin_level = db.Column(db.String(16))
    # An institution centre administers its parent institution; a city centre its city.
    parent_id = db.Column(db.Integer, db.ForeignKey("organisations.id"))
    # Real-name approval: an organisation publishes only once an administrator approved it.
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    review_note = db.Column(db.Text)
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id", use_alter=True))
    reviewed_at = db.Column(db.DateTime)

    parent = db.relationship("Organisation", remote_side=[id])

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    def __repr__(self):
        return f"<Organisation {self.id} {self.name}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120), nullable=False, unique=True)
    name = db.Column(db.String(50), nullable=False)
    password_hash = db.Column(db.String(256), nullable=False)
    role = db.Column(db.String(16), nullable=False)  # vocab.ROLES
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    last_login_at = db.Column(db.DateTime)

    org = db.relationship("Organisation", foreign_keys=[org_id], lazy="joined")

    def set_password(self, password: str) -> None:
        # PASSWORD_HASH_METHOD: werkzeug's scrypt by default; the test suite sets a cheap method. The method is
        # stored in the hash itself, so check_password() verifies hashes made by either.
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, method=method or "scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and self.org is not None and self.org.kind == "admin_centre"

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """Bearer tokens for the API. Only the SHA-256 of a token is stored."""

    __tablename__ = "api_tokens"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    last_used_at = db.Column(db.DateTime)
    revoked = db.Column(db.Boolean, nullable=False, default=False)
    user = db.relationship("User", lazy="joined")

permissions.bind_org_model(Organisation)
