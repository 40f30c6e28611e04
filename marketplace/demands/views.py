"""Demand pages (需求库)."""
from flask import Blueprint

from ..core import vocab
from ..core.forms import FormField as F
from ..libraries.pages import register
from ..core.money import WAN
from .services import LIB

bp = Blueprint("demands", __name__, url_prefix="/demands")

FORM = [
    F("title", "需求名称", required=True),
    F("description", "需求描述", "textarea", required=True, help="现状、遇到的问题、已尝试的办法、约束条件"),
    F("indicators", "技术指标", "textarea", help="希望达到的指标，如：断线率降至每吨0.5次以下"),
    F("industry", "所属产业", "select", tuple(vocab.INDUSTRIES), required=True),
    F("city", "所在城市", "select", tuple(vocab.CITIES), required=True),
    F("budget_wan", "预算（万元）", help="留空或填“面议”表示面议"),
    F("deadline", "截止日期", "date"),
    F("cooperation", "合作方式", "select", tuple(vocab.COOPERATION_MODES), required=True),
    F("contact_name", "联系人"),
    F("contact_phone", "联系电话"),
    F("contact_email", "联系邮箱", "email"),
    F("ref", "编号", help="本企业的需求编号（可选）"),
]


def form_values(obj) -> dict:
    return {
        "title": obj.title, "description": obj.description, "indicators": obj.indicators or "",
        "industry": obj.industry, "city": obj.city, "cooperation": obj.cooperation,
        "budget_wan": "" if obj.budget_negotiable or obj.budget is None
        else format((obj.budget / WAN).normalize(), "f"),
        "deadline": obj.deadline.isoformat() if obj.deadline else "",
        "contact_name": obj.contact_name or "", "contact_phone": obj.contact_phone or "",
        "contact_email": obj.contact_email or "", "ref": obj.ref or "",
    }


register(bp, LIB, FORM, form_values)
