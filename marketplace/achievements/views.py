"""Achievement pages (成果库)."""
from flask import Blueprint

from ..core import vocab
from ..core.forms import FormField as F
from ..libraries.pages import register
from ..core.money import WAN
from .services import LIB

bp = Blueprint("achievements", __name__, url_prefix="/achievements")

FORM = [
    F("title", "成果名称", required=True),
    F("summary", "成果简介", "textarea", required=True, help="技术原理、主要指标、应用领域、合作意向"),
    F("keywords", "关键词", placeholder="用“、”分隔，如：稀土永磁、钕铁硼"),
    F("industry", "所属产业", "select", tuple(vocab.INDUSTRIES), required=True),
    F("category", "成果类别", "select", tuple(vocab.CATEGORIES), required=True),
    F("funding_source", "资金来源", "select", tuple(vocab.FUNDING_SOURCES), required=True,
      help="财政资金形成的应用类成果须登记，并适用先用后转"),
    F("maturity", "成熟度", "select", tuple(vocab.MATURITIES), required=True),
    F("transfer_modes", "转化方式", "checkboxes", tuple(vocab.TRANSFER_MODES)),
    F("asking_price_wan", "意向价格（万元）", help="留空或填“面议”表示面议"),
    F("ip_type", "知识产权类型", "select", ("",) + tuple(vocab.IP_TYPES)),
    F("patent_no", "专利号/登记号", placeholder="多个用“；”分隔"),
    F("ip_filed_on", "申请日期", "date"),
    F("ip_granted_on", "授权日期", "date"),
    F("team", "研发团队"),
    F("inventors", "发明人", placeholder="用“、”分隔"),
    F("implemented_on", "本单位实施日期", "date", help="已投入使用的填写开始实施的日期，未实施留空"),
    F("contact_name", "联系人"),
    F("contact_phone", "联系电话"),
    F("contact_email", "联系邮箱", "email"),
    F("ref", "编号", help="本单位的成果编号（可选，同一来源内唯一）"),
]


def form_values(obj) -> dict:
    first = obj.ip_items[0] if obj.ip_items else None
    return {
        "title": obj.title, "summary": obj.summary, "keywords": obj.keywords, "industry": obj.industry,
        "category": obj.category, "funding_source": obj.funding_source, "maturity": obj.maturity,
        "transfer_modes": obj.transfer_mode_list,
        "asking_price_wan": "" if obj.price_negotiable or obj.asking_price is None
        else format((obj.asking_price / WAN).normalize(), "f"),
        "ip_type": first.ip_type if first else "",
        "patent_no": "；".join(ip.number for ip in obj.ip_items if ip.number),
        "ip_filed_on": first.filed_on.isoformat() if first and first.filed_on else "",
        "ip_granted_on": first.granted_on.isoformat() if first and first.granted_on else "",
        "team": obj.team or "", "inventors": obj.inventors,
        "implemented_on": obj.implemented_on.isoformat() if obj.implemented_on else "",
        "contact_name": obj.contact_name or "", "contact_phone": obj.contact_phone or "",
        "contact_email": obj.contact_email or "", "ref": obj.ref or "",
    }


register(bp, LIB, FORM, form_values)
