"""Excel export of list pages and the import templates (same headers, so exports can be re-imported)."""
import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ..core import vocab
from ..core.money import WAN
from ..core.xlsx_safe import XLSX_MIME, append_row  # noqa: F401  (XLSX_MIME: the library pages' downloads)
from . import columns
from .readers import TEMPLATE_NOTES_SHEET


def _wan(amount, negotiable):
    if negotiable or amount is None:
        return "面议"
    # At most 6 decimals of 万元 (a whole fen): a float keeps that exactly, and Excel users get a number.
    return float(amount / WAN)


def _row_values(library: str, obj) -> dict:
    common = {"ref": obj.ref, "title": obj.title, "contact_name": obj.contact_name,
              "contact_phone": obj.contact_phone, "contact_email": obj.contact_email}
    if library == "achievements":
        first = obj.ip_items[0] if obj.ip_items else None
        return {**common, "summary": obj.summary, "keywords": obj.keywords, "industry": obj.industry,
                "category": obj.category, "institution": obj.owner_org.name,
                "ip_type": first.ip_type if first else None,
                "patent_no": "；".join(ip.number for ip in obj.ip_items if ip.number),
                "ip_filed_on": first.filed_on if first else None,
                "ip_granted_on": first.granted_on if first else None,
                "funding_source": obj.funding_source, "maturity": obj.maturity,
                "transfer_modes": obj.transfer_modes,
                "asking_price_wan": _wan(obj.asking_price, obj.price_negotiable),
                "implemented_on": obj.implemented_on, "team": obj.team, "inventors": obj.inventors}
    if library == "demands":
        return {**common, "description": obj.description, "indicators": obj.indicators, "industry": obj.industry,
                "city": obj.city, "company": obj.owner_org.name, "company_uscc": obj.owner_org.uscc,
                "budget_wan": _wan(obj.budget, obj.budget_negotiable), "cooperation": obj.cooperation,
                "deadline": obj.deadline}
    return {**common, "kind": obj.kind, "organisation": obj.owner_org.name, "description": obj.description,
            "city": obj.city, "address": obj.address, "audience": obj.audience, "industries": obj.industries}


def _sheet(wb, library: str):
    ws = wb.active
    ws.title = {"achievements": "成果", "demands": "需求", "services": "服务资源"}[library]
    fields = [f for f in columns.COLUMNS[library] if f not in columns.READ_ONLY_COLUMNS]
    ws.append([columns.display_header(library, f) for f in fields])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, f in enumerate(fields, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 40 if f in ("summary", "description") else 16
    ws.freeze_panes = "A2"
    return ws, fields


def _save(wb) -> io.BytesIO:
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def export_workbook(lib, rows) -> io.BytesIO:
    wb = Workbook()
    ws, fields = _sheet(wb, lib.key)
    for obj in rows:
        values = _row_values(lib.key, obj)
        append_row(ws, [values.get(f) for f in fields] + [vocab.STATUS_LABELS.get(obj.status, obj.status)])
    ws.cell(1, len(fields) + 1, "状态").font = Font(bold=True)
    return _save(wb)


# The sample row of the templates carries this 编号: the importer skips it (and says so in the summary).
SAMPLE_REF = "示例-请删除"

EXAMPLES = {
    "achievements": {"ref": SAMPLE_REF, "title": "高强高导Cu-Cr-Zr合金连续挤压制备技术",
                     "summary": "采用连续挤压与在线固溶一体化工艺制备Cu-Cr-Zr合金，导电率≥80%IACS，抗拉强度≥550MPa。",
                     "keywords": "铜合金、连续挤压、高强高导", "industry": "有色金属", "category": "应用技术",
                     "institution": "南昌大学", "ip_type": "发明专利", "patent_no": "ZL201910234567.8",
                     "ip_filed_on": "2019-03-20", "ip_granted_on": "2021-06-08", "funding_source": "财政资金",
                     "maturity": "中试", "transfer_modes": "许可、转让", "asking_price_wan": 120,
                     "implemented_on": "", "team": "先进铜合金团队", "inventors": "张三、李四",
                     "contact_name": "王老师", "contact_phone": "0791-83969999", "contact_email": "ttc@example.edu.cn"},
    "demands": {"ref": SAMPLE_REF, "title": "铜线拉丝频繁断线问题攻关",
                "description": "拉丝机速度提到每秒20米以上就断线，换了几家的杆料都不行，希望找到原因和解决办法。",
                "indicators": "断线率降至每吨0.5次以下", "industry": "有色金属", "city": "鹰潭",
                "company": "鹰潭市示例铜业有限公司", "company_uscc": "", "budget_wan": 50, "cooperation": "合作开发",
                "deadline": "2027-12-31", "contact_name": "刘工", "contact_phone": "13900000000"},
    "services": {"ref": SAMPLE_REF, "title": "江西省铜基新材料中试平台", "kind": "中试平台",
                 "organisation": "江西省铜基新材料研究院", "description": "提供熔铸、连续挤压、拉拔等中试线，年中试能力500吨。",
                 "city": "鹰潭", "address": "鹰潭市月湖区", "audience": "省内铜加工企业、高校院所",
                 "industries": "有色金属、新材料", "contact_name": "陈工", "contact_phone": "0701-6200000"},
}


def template_workbook(lib) -> io.BytesIO:
    wb = Workbook()
    ws, fields = _sheet(wb, lib.key)
    example = EXAMPLES[lib.key]
    ws.append([example.get(f, "") for f in fields])
    notes = wb.create_sheet(TEMPLATE_NOTES_SHEET)
    notes.append(["列名", "字段", "可用的其他列名", "必填", "可选值 / 格式"])
    choices = {"industry": vocab.INDUSTRIES, "category": vocab.CATEGORIES, "maturity": vocab.MATURITIES,
               "funding_source": vocab.FUNDING_SOURCES, "transfer_modes": vocab.TRANSFER_MODES,
               "ip_type": vocab.IP_TYPES, "city": vocab.CITIES, "cooperation": vocab.COOPERATION_MODES,
               "kind": vocab.SERVICE_KINDS, "industries": vocab.INDUSTRIES}
    dates = {"ip_filed_on", "ip_granted_on", "implemented_on", "deadline"}
    for f in fields:
        names = columns.COLUMNS[lib.key][f]
        hint = "、".join(choices[f]) if f in choices else ("YYYY-MM-DD" if f in dates else "")
        if f.endswith("_wan"):
            yuan = columns.COLUMNS[lib.key][f.removesuffix("_wan")][0]
            hint = f"数字（万元，最多6位小数）或“面议”；以元为单位的可改用“{yuan}”列"
        notes.append([names[0], f, "、".join(names[1:]), "是" if f in columns.REQUIRED[lib.key] else "",
                      hint])
    notes.append([])
    notes.append([f"说明：第2行是示例（编号“{SAMPLE_REF}”），导入时自动跳过，可删除；同一“编号”再次导入时更新原记录，"
                  "不会重复创建；没有编号时，按单位和名称（忽略空格和全角/半角的差别）找到原记录并更新。"])
    notes.append(["常见写法会自动换成可选值（如“工业化应用”→“工业化”、“绿色食品”→“食品”、“不限”→“其他”），"
                  "预览和结果中逐条列出；全角数字和标点（１２３，．％）在数字、日期和编号中按半角处理。"])
    return _save(wb)
