"""Service-resource pages (服务资源库)."""
from flask import Blueprint

from ..core import vocab
from ..core.forms import FormField as F
from ..libraries.pages import register
from .services import LIB

bp = Blueprint("services", __name__, url_prefix="/services")

FORM = [
    F("title", "资源名称", required=True),
    F("kind", "资源类型", "select", tuple(vocab.SERVICE_KINDS), required=True),
    F("description", "服务内容", "textarea", required=True, help="设备、能力、服务项目、收费方式"),
    F("city", "所在城市", "select", tuple(vocab.CITIES), required=True),
    F("address", "地址"),
    F("audience", "服务对象"),
    F("industries", "服务产业", "checkboxes", tuple(vocab.INDUSTRIES)),
    F("contact_name", "联系人"),
    F("contact_phone", "联系电话"),
    F("contact_email", "联系邮箱", "email"),
    F("ref", "编号"),
]


def form_values(obj) -> dict:
    return {
        "title": obj.title, "kind": obj.kind, "description": obj.description, "city": obj.city,
        "address": obj.address or "", "audience": obj.audience or "", "industries": obj.industry_list,
        "contact_name": obj.contact_name or "", "contact_phone": obj.contact_phone or "",
        "contact_email": obj.contact_email or "", "ref": obj.ref or "",
    }


register(bp, LIB, FORM, form_values)
