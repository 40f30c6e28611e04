"""Input schemas of registration, password change and organisation review."""
from marshmallow import ValidationError, fields, validates, validates_schema

from ..core import vocab
from ..core.schema import InputSchema, Text
from ..core.uscc import uscc_error

LABELS = {"email": "邮箱", "password": "密码", "password2": "确认密码", "name": "姓名", "role": "角色",
          "org_name": "单位名称", "org_subtype": "单位类型", "uscc": "统一社会信用代码", "city": "所在城市",
          "scale": "企业规模", "old_password": "原密码", "new_password": "新密码"}


def password_field(**kw):
    return Text(128, lo=8, **kw)


class RegisterIn(InputSchema):
    LABELS = LABELS
    VOCAB_FIELDS = {"city": "city", "scale": "scale"}
    email = fields.Email(required=True)
    password = password_field(required=True)
    password2 = Text(128, required=True)
    name = Text(50, lo=1, required=True)
    role = Text(16, required=True, choices={k: vocab.ROLES[k] for k in ("institution", "company", "broker")})
    org_name = Text(120, lo=2, required=True)
    org_subtype = Text(16, allow_none=True, choices=vocab.INSTITUTION_SUBTYPES)
    uscc = Text(18, allow_none=True)
    city = Text(16, allow_none=True, choices=vocab.CITIES)
    # Optional, companies only (other roles' value is ignored): the conversion index counts sales to 中小企业.
    scale = Text(8, allow_none=True, choices=vocab.COMPANY_SCALES)

    @validates("uscc")
    def _uscc(self, value, **kw):
        if value:
            err = uscc_error(value)
            if err:
                raise ValidationError(err)

    @validates_schema
    def _cross(self, data, **kw):
        if data.get("password") != data.get("password2"):
            raise ValidationError("两次输入的密码不一致", "password2")
        if data.get("role") == "company" and not data.get("uscc"):
            raise ValidationError("企业须填写统一社会信用代码", "uscc")


class ResetIn(InputSchema):
    """A new password typed twice (password reset; PasswordIn adds the old one)."""
    LABELS = LABELS
    new_password = password_field(required=True)
    password2 = Text(128, required=True)

    @validates_schema
    def _same(self, data, **kw):
        if data.get("new_password") != data.get("password2"):
            raise ValidationError("两次输入的密码不一致", "password2")


class PasswordIn(ResetIn):
    old_password = Text(128, required=True)


class ResetRequestIn(InputSchema):
    LABELS = LABELS
    email = fields.Email(required=True)


class EmailPreferencesIn(InputSchema):
    LABELS = {"topics": "邮件通知"}
    topics = fields.List(Text(16), load_default=list)
