"""Account operations: registration, organisation approval, password change and reset, users from the CLI,
API tokens."""
import hashlib
import secrets

from sqlalchemy import func

from ..core import permissions as perm
from ..core.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..core.orgname import canonical as canonical_org_name
from ..core.workflow import action_labels, state_labels
from ..core.uscc import normalise as normalise_uscc
from ..core.uscc import uscc_error
from ..core.vocab import ROLE_ORG_KIND
from ..extensions import db
from .models import ApiToken, Organisation, User, hash_token


# Organisation states in audit entries (实名审核).
state_labels({"pending": "待实名审核", "approved": "已通过实名审核", "rejected": "未通过实名审核"})
action_labels({"password-reset-request": "申请重置密码", "password-reset": "重置密码",
               "email-preferences": "修改邮件通知设置"})


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
    data = {**data, "org_name": canonical_org_name(data["org_name"])}  # 南昌 大学 is 南昌大学, (集团) is （集团）
    if Organisation.query.filter_by(name=data["org_name"]).first():
        raise ValidationFailed("该单位已在平台注册，请联系单位管理员或平台管理员开通账号",
                               {"org_name": "该单位已注册"})
    uscc = normalise_uscc(data.get("uscc") or "") or None
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


# Password reset by e-mail -------------------------------------------------------------------------------
# The token is signed (itsdangerous, the app's SECRET_KEY), carries its date (expiry: PASSWORD_RESET_MAX_AGE
# seconds, one hour by default) and a fingerprint of the password hash: once the password changes — by
# this reset or any other way — the fingerprint no longer matches, so a token works once.
RESET_SALT = "password-reset"


def _reset_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer
    return URLSafeTimedSerializer(current_app.secret_key, salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "h": _fingerprint(user)})


def reset_max_age() -> int:
    from flask import current_app
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600))


def user_for_reset(token: str) -> User:
    """The user a reset token names, or a refusal saying why (expired / used or not valid)."""
    from itsdangerous import BadSignature, SignatureExpired
    try:
        data = _reset_serializer().loads(token or "", max_age=reset_max_age())
    except SignatureExpired:
        raise ValidationFailed("重置链接已过期，请重新申请", {"token": "已过期"}) from None
    except BadSignature:
        raise ValidationFailed("重置链接无效或已使用，请重新申请", {"token": "无效"}) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("h") != _fingerprint(user):
        raise ValidationFailed("重置链接无效或已使用，请重新申请", {"token": "无效"})
    return user


def request_password_reset(email: str, link_for) -> None:
    """E-mail a reset link to this address if an active account has it; nothing otherwise. The caller answers
    the same either way (nobody learns from the page whether an address is registered).
    link_for(token) → the absolute URL of the reset page."""
    from ..notifications.service import send_email
    user = find_user(email)
    if user is None or not user.active:
        return
    minutes = reset_max_age() // 60
    send_email(user.email, "重置密码",
               f"{user.name}，您好：\n\n有人（希望是您本人）申请重置您在江西省网上技术市场的登录密码。"
               f"请在 {minutes} 分钟内打开下面的链接设置新密码（链接只能使用一次）：\n\n{link_for(reset_token(user))}\n\n"
               "如果不是您本人申请，请忽略本邮件，您的密码不会改变。\n")
    record_audit(None, "user", user.id, "password-reset-request")


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset(token)
    user.set_password(new_password)
    record_audit(user, "user", user.id, "password-reset")
    return user


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
    from ..notifications.service import tell_orgs
    tell_orgs([org.id], "review", "实名审核" + ("已通过" if approve else "未通过") + f"：{org.name}",
              f"“{org.name}”的实名审核已通过，现在可以提交和发布信息。" if approve else
              f"“{org.name}”的实名审核未通过，理由：{org.review_note}。请补正后联系管理员。", "/workbench")
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
    written, name = name, canonical_org_name(name)
    org = Organisation.query.filter_by(name=name).first() or (
        Organisation.query.filter_by(name=written).first() if written != name else None)  # (one kept before)
    if org is not None:
        return org
    if uscc:
        err = uscc_error(uscc)
        if err:
            raise ValidationFailed(err, {"uscc": err})
        uscc = normalise_uscc(uscc)
        if holder := Organisation.query.filter_by(uscc=uscc).first():  # (the database would refuse it: a 500)
            raise ValidationFailed(f"统一社会信用代码 {uscc} 已属于“{holder.name}”", {"uscc": "已被其他单位使用"})
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


# A token's last use is recorded at most once a minute: an API read does not write a row every time.
TOKEN_TOUCH_SECONDS = 60


def user_for_token(token: str) -> User | None:
    row = ApiToken.query.filter_by(token_hash=hash_token(token), revoked=False).first()
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= TOKEN_TOUCH_SECONDS:
        row.last_used_at = now
    return row.user


def get_org(org_id) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("没有找到该单位")
    return org


# The organisation picker ---------------------------------------------------------------------------------
ORG_KIND_LABELS = {"institution": "高校院所", "company": "企业", "agency": "技术转移机构"}


def organisation_query(q: str | None = None, kind: str | None = None):
    """Approved organisations that can be a contract party, matching `q` in the name or 统一社会信用代码."""
    from ..core.errors import BadRequest
    stmt = db.select(Organisation).where(Organisation.status == "approved", Organisation.kind != "admin_centre")
    if kind:
        if kind not in ORG_KIND_LABELS:
            raise BadRequest("kind 应为：" + "、".join(ORG_KIND_LABELS), {"kind": "没有该单位类型"})
        stmt = stmt.where(Organisation.kind == kind)
    q = (q or "").strip()[:50]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(db.or_(Organisation.name.ilike(like, escape="\\"), Organisation.uscc.ilike(like, escape="\\")))
    return stmt.order_by(func.length(Organisation.name), Organisation.name, Organisation.id)


def org_dict(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind, "kind_label": ORG_KIND_LABELS.get(org.kind, "单位"),
            "city": org.city, "uscc": org.uscc}
