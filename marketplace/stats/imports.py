"""Historical registration data (the old registration system's contracts) into contract_facts, and the site's
own registered contracts (receivers.py) through the same row shape.

Rows are validated in Python (no schema object per row) and written in batches of BATCH: one SELECT finds the
registration numbers already there, then one multi-row INSERT and one executemany UPDATE. A batch that fails
in the database is rolled back to its savepoint and written again row by row, each in its own savepoint, so a
bad row is reported with its number and reason and the others are kept. Re-importing a file updates by
registration number; rows registered on the site are never overwritten by historical data."""

import re
import time
from dataclasses import dataclass, field as dc_field
from datetime import date

from marshmallow import ValidationError
from sqlalchemy import insert, select, update

from ..core import money
from ..core.errors import ValidationFailed
from ..core.orgname import canonical as canonical_org_name
from ..core.schema import SURROGATE_MESSAGE, LenientDate, broken_column
from ..core.vocab import ALIASES, CITIES, COMPANY_SCALES, INDUSTRIES, city_of
from ..extensions import db
from ..imports.columns import (footer_text, formula_error, in_unit, line_breaks, one_line, serial_date, visible,
                               written_amount)
from ..imports.readers import row_fields, row_label
from .models import FIELDS, KINDS, SELLER_TYPES, ContractFact as F

BATCH = 1000

COLUMNS = {
    "registration_no": ["登记编号", "合同登记编号", "登记号", "registration_no"],
    "title": ["合同名称", "项目名称", "title"],
    "kind": ["合同类型", "合同类别", "kind"],
    "seller": ["卖方", "卖方名称", "卖方单位", "seller"],
    "seller_type": ["卖方类型", "卖方性质", "seller_type"],
    "seller_region": ["卖方所在地", "卖方地区", "seller_region"],
    "buyer": ["买方", "买方名称", "买方单位", "buyer"],
    "buyer_region": ["买方所在地", "买方地区", "buyer_region"],
    "buyer_scale": ["买方规模", "买方企业规模", "buyer_scale"],  # optional: 大型/中型/小型/微型
    "amount": ["合同成交额（元）", "合同成交额", "成交额（元）", "成交额", "合同金额（元）", "合同金额", "成交金额（元）", "成交金额",
               "合同总金额（元）", "合同总金额", "amount"],
    "tech_amount": ["技术交易额（元）", "技术交易额", "技术交易金额（元）", "技术交易金额", "tech_amount"],
    "received": ["到账金额（元）", "到账金额", "已到账（元）", "received"],
    # the same amounts in 万元, as the registration system's statistics export gives them: read exactly into 元
    # (up to 6 decimals, a whole number of fen); a file with both columns is read by the 元 one
    "amount_wan": ["合同成交额（万元）", "成交额（万元）", "合同金额（万元）", "成交金额（万元）", "合同总金额（万元）", "amount_wan"],
    "tech_amount_wan": ["技术交易额（万元）", "技术交易金额（万元）", "tech_amount_wan"],
    "received_wan": ["到账金额（万元）", "已到账（万元）", "received_wan"],
    "signed_on": ["签订日期", "签约日期", "signed_on"],
    "registered_on": ["登记日期", "registered_on"],
    "field": ["技术领域", "field"],
    "industry": ["所属产业", "产业", "所属行业", "行业", "industry"],
}
REQUIRED = [
    "registration_no",
    "title",
    "kind",
    "seller",
    "seller_type",
    "seller_region",
    "buyer",
    "buyer_region",
    "amount",
    "signed_on",
    "registered_on",
]
LABELS = {f: names[0] for f, names in COLUMNS.items()}

KIND_ALIASES = {
    "开发": "技术开发",
    "委托开发": "技术开发",
    "合作开发": "技术开发",
    "转让": "技术转让",
    "专利权转让": "技术转让",
    "技术秘密转让": "技术转让",
    "许可": "技术许可",
    "专利实施许可": "技术许可",
    "技术秘密许可": "技术许可",
    "咨询": "技术咨询",
    "服务": "技术服务",
    "技术培训": "技术服务",
    "技术中介": "技术服务",
    "专利申请权转让": "技术转让",
    "计算机软件著作权转让": "技术转让",
    "集成电路布图设计专有权转让": "技术转让",
    "植物新品种权转让": "技术转让",
    "专利许可": "技术许可",
    "普通许可": "技术许可",
    "独占许可": "技术许可",
    "排他许可": "技术许可",
}
# (a kind as exports write it: 技术开发合同, 技术开发（委托）— the word 合同 and a remark in brackets taken away)
_KIND_AROUND = re.compile(r"(?:合同)?(?:[（(][^（）()]*[）)])?$")
SELLER_TYPE_ALIASES = {
    "高等院校": "高校",
    "高等学校": "高校",
    "大学": "高校",
    "院校": "高校",
    "科研机构": "科研院所",
    "研究院所": "科研院所",
    "院所": "科研院所",
    "科研单位": "科研院所",
    "企业法人": "企业",
    "公司": "企业",
    "其它": "其他",
    "个人": "其他",
    "机关": "其他",
    "社会团体": "其他",
    "事业单位": "其他",
    "独立科研机构": "科研院所",
    "科研院所（独立）": "科研院所",
    "研究所": "科研院所",
    "研究院": "科研院所",
    "民营企业": "企业",
    "国有企业": "企业",
    "私营企业": "企业",
    "外资企业": "企业",
    "中外合资企业": "企业",
    "股份制企业": "企业",
    "国有控股企业": "企业",
    "有限责任公司": "企业",
    "医疗机构": "其他",
    "医院": "其他",
    "社会组织": "其他",
    "民办非企业单位": "其他",
    "自然人": "其他",
}
FIELD_ALIASES = {
    "新材料": "新材料及其应用",
    "生物医药": "生物、医药和医疗器械",
    "生物、医药和医疗器械技术": "生物、医药和医疗器械",
    "先进制造技术": "先进制造",
    "电子信息技术": "电子信息",
    "其它": "其他",
    "环境保护": "环境保护与资源综合利用",
    "新能源": "新能源与高效节能",
}
INDUSTRY_ALIASES = {"其它": "其他"}
PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "台湾",
    "香港",
    "澳门",
    "境外",
]
_REGION_SUFFIX = re.compile(r"(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$")
# The fields of the site's industries, for contracts registered here (which carry an industry, not a field).
INDUSTRY_FIELD = {
    "电子信息": "电子信息",
    "数字经济": "电子信息",
    "虚拟现实": "电子信息",
    "装备制造": "先进制造",
    "汽车": "现代交通",
    "航空": "航空航天",
    "有色金属": "新材料及其应用",
    "新材料": "新材料及其应用",
    "钢铁": "新材料及其应用",
    "建材": "新材料及其应用",
    "陶瓷": "新材料及其应用",
    "石化化工": "新材料及其应用",
    "新能源": "新能源与高效节能",
    "节能环保": "环境保护与资源综合利用",
    "生物医药": "生物、医药和医疗器械",
    "中医药": "生物、医药和医疗器械",
    "现代农业": "农业",
    "食品": "农业",
    "纺织服装": "先进制造",
    "现代家具": "先进制造",
}
_DATE = LenientDate()


def _norm(header) -> str:
    h = str(header).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*：:]", "", h)


HEADER_MAP = {_norm(name): f for f, names in COLUMNS.items() for name in names}


class RowError(ValueError):
    pass


def region(value: str, what: str) -> str:
    """A Jiangxi city (南昌, 南昌市, 江西省南昌市; a place in it, 赣州市章贡区, 南康区, as its city) or another province
    (广东, 广东省), or 境外."""
    text = re.sub(r"\s", "", visible(value or ""))
    if text.startswith("江西省"):
        text = text[3:]
    elif text.startswith("江西") and text[2:]:
        text = text[2:]
    if city := city_of(text):  # 南昌市; 赣州市章贡区, 南康区, 共青城市: the 设区市 they lie in
        return city
    bare = _REGION_SUFFIX.sub("", text)
    if bare in PROVINCES or text in PROVINCES:
        return bare if bare in PROVINCES else text
    for province in PROVINCES:  # 广东省深圳市, 浙江杭州: the province (another province's cities are not counted)
        if province != "江西" and text.startswith(province) and len(text) > len(province):
            return province
    if bare in ("江西", ""):
        raise RowError(f"{what}应为江西省的设区市（如 南昌）或外省（如 广东），不能只写“{value or ''}”")
    raise RowError(f"{what}“{value}”无法识别：应为设区市（如 南昌）或省份（如 广东）")


def _text(values, key, hi) -> str:
    v = values.get(key)
    v = "" if v is None else visible(line_breaks(str(v))).strip()
    if "\n" in v:  # a name wrapped in its cell ("江西理工\n大学"): one seller, not a second one in the ranking
        v = one_line(v)
    if not v:
        raise RowError(f"{LABELS[key]}不能为空")
    if len(v) > hi:
        raise RowError(f"{LABELS[key]}不能超过{hi}个字")
    return v


def _choice(values, key, choices, aliases, default=None, around=None) -> str:
    """One of `choices` (or an alias of one; `around`: what may be written around it, taken away if need be)."""
    v = values.get(key)
    v = "" if v is None else re.sub(r"\s", "", visible(str(v)))
    if not v and default is not None:
        return default
    v = aliases.get(v, v)
    if v not in choices and around is not None and (bare := around.sub("", v)) != v:
        v = aliases.get(bare, bare)
    if v not in choices:
        raise RowError(f"{LABELS[key]}“{v}”不在可选范围内，可选：{'、'.join(choices)}")
    return v


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _fen(values, key, default=None) -> int:
    v, parse, label = values.get(key), money.parse_yuan, LABELS[key]
    if _blank(v) and key + "_wan" in values:  # the column in 万元
        v, parse, label = values[key + "_wan"], money.wan_to_yuan, LABELS[key + "_wan"]
    if isinstance(v, str) and (written := written_amount(v)) is not None:  # 1,234,567.89元, 123.4万元, 1.2亿 (含税)
        v = format(in_unit(*written, "元" if parse is money.parse_yuan else "万"), "f")
    if _blank(v):
        if default is not None:
            return default
        raise RowError(f"{label}不能为空")
    try:
        return int(parse(v) * 100)
    except money.MoneyError as exc:
        raise RowError(f"{label}：{exc}") from None


def _day(values, key) -> date:
    v = values.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        raise RowError(f"{LABELS[key]}不能为空")
    if isinstance(v, str) and (day := serial_date(v)):  # a date cell formatted as a number: its day serial
        return day
    try:
        return _DATE._deserialize(v, key, values)
    except ValidationError as exc:
        raise RowError(f"{LABELS[key]}：{exc.messages[0]}") from None


def clean_row(values: dict, orgs: dict) -> dict:
    """One file row (field → raw value) as a contract_facts row, or RowError with the reason in Chinese."""
    for key, value in values.items():
        if error := formula_error(value):
            raise RowError(f"{LABELS[key]}：{error}")
    amount = _fen(values, "amount")
    if amount <= 0:
        raise RowError("合同成交额应大于0")
    tech = _fen(values, "tech_amount", amount)
    received = _fen(values, "received", 0)
    if tech > amount:
        raise RowError("技术交易额不能大于合同成交额")
    if received > amount:
        raise RowError("到账金额不能大于合同成交额")
    signed, registered = _day(values, "signed_on"), _day(values, "registered_on")
    if registered < signed:
        raise RowError("登记日期不能早于签订日期")
    seller_region = region(values.get("seller_region"), "卖方所在地")
    seller = canonical_org_name(_text(values, "seller", 120))  # (the ranking counts one seller however spelt)
    out = {
        "registration_no": re.sub(r"^'(?=\w)", "", _text(values, "registration_no", 40)),  # ('2023…: kept as text)
        "title": _text(values, "title", 200),
        "kind": _choice(values, "kind", KINDS, KIND_ALIASES, around=_KIND_AROUND),
        "seller": seller,
        "seller_type": _choice(values, "seller_type", SELLER_TYPES, SELLER_TYPE_ALIASES),
        "seller_region": seller_region,
        "seller_org_id": orgs.get(seller),
        "buyer": canonical_org_name(_text(values, "buyer", 120)),
        "buyer_region": region(values.get("buyer_region"), "买方所在地"),
        "city": seller_region if seller_region in CITIES else None,
        "amount_fen": amount,
        "tech_amount_fen": tech,
        "received_fen": received,
        "signed_on": signed,
        "registered_on": registered,
        "year": registered.year,
        "month": registered.month,
        "field": _choice(values, "field", FIELDS, FIELD_ALIASES, default="其他"),
        "industry": _choice(values, "industry", INDUSTRIES, INDUSTRY_ALIASES, default="其他"),
    }
    if "buyer_scale" in values:  # the column is optional; when the file has it, a blank cell means not known
        out["buyer_scale"] = _choice(values, "buyer_scale", COMPANY_SCALES, ALIASES["scale"], default="") or None
    return out


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list = dc_field(default_factory=list)
    unknown_headers: list = dc_field(default_factory=list)
    skipped: list = dc_field(default_factory=list)  # a sheet's 合计 row and footer lines: "第N行…已跳过"
    notes: list = dc_field(default_factory=list)  # how the file was read (readers.Headers: a web page, a header row …)
    seconds: float = 0.0
    dry_run: bool = False
    order: list = dc_field(default_factory=list, repr=False)  # each error's place in the file (sorting)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def error(self, row: int, message: str) -> None:
        self.errors.append({**row_fields(row), "message": message})
        self.order.append(int(row))  # (a workbook's rows from several sheets: in reading order, not by number)

    def summary(self) -> str:
        rate = f"，{self.rows / self.seconds:,.0f} 行/秒" if self.seconds else ""
        return (
            f"共 {self.rows} 行：新增 {self.created}，更新 {self.updated}，拒绝 {self.rejected}"
            + (f"，跳过合计行或表尾 {len(self.skipped)}" if self.skipped else "")
            + f"（{self.seconds:.1f} 秒{rate}）"
        )

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "rejected": self.rejected,
            "errors": self.errors,
            "unknown_headers": self.unknown_headers,
            "skipped": self.skipped,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
        }


def map_headers(headers: list) -> tuple[dict[int, str], list[str]]:
    mapping, unknown = {}, []
    for i, h in enumerate(headers or []):
        if h is None or not str(h).strip() or _norm(h) == "序号":  # (the row counter: read by no field)
            continue
        key = HEADER_MAP.get(_norm(h))
        if key and key not in mapping.values():
            mapping[i] = key
        else:
            unknown.append(str(h))
    missing = [LABELS[f] for f in REQUIRED if f not in mapping.values() and f + "_wan" not in mapping.values()]
    if missing:
        raise ValidationFailed(
            f"文件缺少必需的列：{'、'.join(missing)}（中文表头或英文键名均可）", {"file": "缺少列"}
        )
    return mapping, unknown


def import_contracts(
    actor,
    headers: list,
    rows: list,
    *,
    batch: str = "local",
    dry_run: bool = False,
    after_batch=None,
    progress=None,
) -> ImportReport:
    """Import historical registered contracts. `rows` as imports.readers.read_file gives them. Flushes, never
    commits; `after_batch()` is called after each written batch (the CLI commits there)."""
    from ..accounts.models import Organisation

    started = time.perf_counter()
    mapping, unknown = map_headers(headers)
    report = ImportReport(rows=len(rows), unknown_headers=unknown, dry_run=dry_run,
                          notes=list(getattr(headers, "notes", ())))
    orgs = {canonical_org_name(name): oid
            for name, oid in db.session.execute(select(Organisation.name, Organisation.id)).all()}
    seen: dict[str, int] = {}
    pending: list[tuple[int, dict]] = []
    done = 0
    for number, values in rows:
        if values is None:
            report.error(number, "不是一条记录（应为对象）")
            continue
        if where := broken_column(values, headers):  # half a character, from a JSON escape: no database stores it
            report.error(number, f"{where}：{SURROGATE_MESSAGE}")
            continue
        record = {mapping[i]: v for i, v in enumerate(values) if i in mapping}
        if isinstance(values, list) and (shown := footer_text(values, record.get("registration_no"))):
            report.skipped.append(f"{row_label(number)}是表格的合计行或表尾（“{shown[:20]}”），已跳过")  # (its sums: no contract)
            continue
        try:
            clean = clean_row(record, orgs)
        except RowError as exc:
            report.error(number, str(exc))
            continue
        no = clean["registration_no"]
        if no in seen:
            report.error(number, f"登记编号 {no} 与{row_label(seen[no])}重复")
            continue
        seen[no] = number
        clean["batch"], clean["source"] = batch[:64], "historical"
        pending.append((number, clean))
        if len(pending) >= BATCH:
            _write(pending, report, dry_run)
            done += len(pending)
            pending = []
            if after_batch and not dry_run:
                after_batch()
            if progress:
                progress(done + report.rejected, len(rows))
    if pending:
        _write(pending, report, dry_run)
        if after_batch and not dry_run:
            after_batch()
    if progress:
        progress(len(rows), len(rows))
    report.errors = [e for _k, e in sorted(zip(report.order, report.errors), key=lambda x: x[0])]
    report.seconds = time.perf_counter() - started
    return report


def _write(pending: list[tuple[int, dict]], report: ImportReport, dry_run: bool) -> None:
    nos = [r["registration_no"] for _, r in pending]
    existing = {
        no: (fid, source)
        for no, fid, source in db.session.execute(
            select(F.registration_no, F.id, F.source).where(F.registration_no.in_(nos))
        )
    }
    inserts, updates = [], []
    for number, r in pending:
        found = existing.get(r["registration_no"])
        if found is None:
            inserts.append((number, r))
        elif found[1] != "historical":
            report.error(number, f"登记编号 {r['registration_no']} 属于本站登记的合同，历史数据不能覆盖")
        else:
            updates.append((number, {**r, "id": found[0]}))
    if dry_run:
        report.created += len(inserts)
        report.updated += len(updates)
        return
    savepoint = db.session.begin_nested()
    try:
        if inserts:
            db.session.execute(insert(F), [r for _, r in inserts])
        if updates:
            db.session.execute(update(F), [r for _, r in updates])
        savepoint.commit()
        report.created += len(inserts)
        report.updated += len(updates)
        return
    except Exception:  # noqa: BLE001 - the batch is written again row by row to find the bad one
        savepoint.rollback()
    for kind, items in (("insert", inserts), ("update", updates)):
        for number, r in items:
            sp = db.session.begin_nested()
            try:
                db.session.execute(insert(F) if kind == "insert" else update(F), [r])
                sp.commit()
                if kind == "insert":
                    report.created += 1
                else:
                    report.updated += 1
            except Exception as exc:  # noqa: BLE001 - reported with the row, the others go on
                sp.rollback()
                report.error(number, f"写入失败：{exc.__class__.__name__}")


# The old system's registrations come as year-long exports: one file may hold a few hundred thousand rows.
MAX_FILE_ROWS = 500_000


def read_and_import(actor, filename: str, raw: bytes, **kw) -> ImportReport:
    """A file (.xlsx/.csv/.json/.jsonl, read by imports.readers) imported; a file that cannot be read is a 422."""
    from ..imports.readers import ImportFileError, read_file

    try:
        headers, rows = read_file(filename, raw, max_rows=MAX_FILE_ROWS)
    except ImportFileError as exc:
        raise ValidationFailed(str(exc), {"file": str(exc)}) from None
    return import_contracts(actor, headers, rows, **kw)
