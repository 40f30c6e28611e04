"""Account operations: registration, organisation approval, users from the CLI, API tokens."""
import secrets

from sqlalchemy import func

from ..core import permissions as perm
from ..core.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.workflow import state_labels
from ..core.uscc import uscc_error
from ..core.vocab import ROLE_ORG_KIND
from ..extensions import db
from .models import ApiToken, Organisation, User, hash_token


# Organisation states in audit entries (实名审核).
state_labels({"pending": "待实名审核", "approved": "已通过实名审核", "rejected": "未通过实名审核"})


def find_user(email: str) -> User | None:
    return User.query.filter(func.lower(User.email) == (email or "").strip().lower()).first()


def authenticate(email: str, password: str) -> User:
    user = find_user(email)
    if user is None or not user.check_password(password or ""):
        raise NotAuthenticated("邮箱或密码不正确")
    if not user.active:
        raise Forbidden("该账号已停用，请联系管理员")
    user.last_login_at = utcnow()
    return user


def register(data: dict) -> User:
    """Self-registration: a new organisation (pending real-name approval) and its first user.

    Joining an existing organisation is refused here: an administrator adds colleagues, so nobody
    can attach themselves to another organisation by typing its name.
    """
    if find_user(data["email"]):
        raise ValidationFailed("该邮箱已注册", {"email": "该邮箱已注册"})
    if Organisation.query.filter_by(name=data["org_name"]).first():
        raise ValidationFailed("该单位已在平台注册，请联系单位管理员或平台管理员开通账号",
                               {"org_name": "该单位已注册"})
    uscc = (data.get("uscc") or "").upper() or None
    if uscc and Organisation.query.filter_by(uscc=uscc).first():
        raise ValidationFailed("该统一社会信用代码已被其他单位使用", {"uscc": "已被使用"})
    org = Organisation(name=data["org_name"], kind=ROLE_ORG_KIND[data["role"]], uscc=uscc,
                       city=data.get("city"), subtype=data.get("org_subtype"), status="pending",
                       scale=data.get("scale") if data["role"] == "company" else None)
    db.session.add(org)
    db.session.flush()
    user = User(email=data["email"].strip().lower(), name=data["name"], role=data["role"], org_id=org.id)
    user.set_password(data["password"])
    db.session.add(user)
    db.session.flush()
    record_audit(user, "organisation", org.id, "register", None, "pending")
    return user


def change_password(user: User, data: dict) -> None:
    if not user.check_password(data["old_password"]):
        raise ValidationFailed("原密码不正确", {"old_password": "原密码不正确"})
    user.set_password(data["new_password"])
    record_audit(user, "user", user.id, "password-change")


def review_org(actor, org: Organisation, approve: bool, note: str | None = None) -> Organisation:
    if not perm.is_admin(actor):
        raise Forbidden("只有管理员可以审核单位")
    if not perm.in_admin_scope(actor, org):
        raise Forbidden("该单位不在您的管理范围内")
    if not approve and not (note or "").strip():
        raise ValidationFailed("驳回须填写理由", {"note": "请填写理由"})
    previous = org.status
    org.status = "approved" if approve else "rejected"
    org.review_note = (note or "").strip() or None
    org.reviewed_by_id, org.reviewed_at = actor.id, utcnow()
    record_audit(actor, "organisation", org.id, "approve" if approve else "reject", previous, org.status,
                 org.review_note)
    return org


def pending_orgs(actor) -> list[Organisation]:
    if not perm.is_admin(actor):
        raise Forbidden("只有管理员可以审核单位")
    stmt = db.select(Organisation).where(Organisation.status == "pending").order_by(Organisation.created_at)
    if actor.org.admin_level != "province":
        stmt = stmt.where(perm.admin_scope_condition(actor))
    return db.session.scalars(stmt).all()


def get_or_create_org(name: str, kind: str, *, city=None, uscc=None, admin_level=None, subtype=None,
                      parent_id=None, approved=True, scale=None) -> Organisation:
    org = Organisation.query.filter_by(name=name).first()
    if org is not None:
        return org
    if uscc:
        err = uscc_error(uscc)
        if err:
            raise ValidationFailed(err, {"uscc": err})
    org = Organisation(name=name, kind=kind, city=city, uscc=uscc, admin_level=admin_level, subtype=subtype,
                       parent_id=parent_id, status="approved" if approved else "pending",
                       scale=scale if kind == "company" else None)
    if approved:
        org.reviewed_at = utcnow()
    db.session.add(org)
    db.session.flush()
    return org


def create_user(email: str, password: str, role: str, org: Organisation, name: str | None = None) -> User:
    if find_user(email):
        raise ValidationFailed(f"用户 {email} 已存在", {"email": "已存在"})
    if len(password) < 8:
        raise ValidationFailed("密码至少8位", {"password": "至少8位"})
    if ROLE_ORG_KIND[role] != org.kind:
        raise ValidationFailed(f"角色 {role} 不能属于“{org.name}”（{org.kind}）", {"role": "与单位类型不符"})
    user = User(email=email.strip().lower(), name=name or email.split("@")[0], role=role, org_id=org.id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user: User) -> str:
    token = "jxtm_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    return token


def user_for_token(token: str) -> User | None:
    row = ApiToken.query.filter_by(token_hash=hash_token(token), revoked=False).first()
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


def get_org(org_id) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("没有找到该单位")
    return org
