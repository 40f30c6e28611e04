"""Demo statistics: the seeds' targets with their sources, and historical registered contracts generated
deterministically for 2023–2026. The generator is also the benchmark's (benchmarks/stats_bench.py).

What makes the contracts realistic enough for dashboards and for timing:
- seasonality: registrations pile up before the year closes (December about a fifth of the year), June and
  November busy, February (Spring Festival) quiet;
- Jiangxi's 11 cities weighted by their economy (GDP 2023, 亿元), 南昌 weighted more again as the seat of the
  universities and institutes;
- the national mix of contract kinds by count (技术服务 and 技术开发 dominate), of seller types (companies
  first), amounts log-normal with a median per kind, 技术交易额 a share of the amount, cash received partial;
- buyers mostly in Jiangxi (half of them in the seller's own city), the rest in the neighbouring and coastal
  provinces; about one row in ten a purchase by a Jiangxi buyer from a seller outside (吸纳).
"""

import math
import random
from datetime import date, timedelta
from decimal import Decimal

from ..core.vocab import INDUSTRIES
from ..stats.imports import INDUSTRY_FIELD

# The seeds' targets for 技术合同成交额 (yuan), with the document and the passage that states them.
SEED_TARGETS = [
    (
        2025,
        "province",
        Decimal("100000000000"),
        "《科技兴赣六大行动实施方案（2023-2025年）》（赣科发〔2023〕1号）"
        "一、总体目标：技术合同成交额达1000亿元",
        True,
    ),
    (
        2024,
        "province",
        Decimal("180000000000"),
        "《科技兴赣六大行动2024年工作要点》（赣科发字〔2024〕1号）（二）主要目标：技术合同成交额达1800亿元",
        True,
    ),
    (
        2027,
        "province",
        Decimal("360000000000"),
        "《江西省推进科技创新和产业创新深度融合改革实施方案（2025—2027年）》"
        "总体目标：到2027年技术合同成交额达到3600亿元",
        True,
    ),
    (
        2025,
        "鹰潭",
        Decimal("9200000000"),
        "《2025年鹰潭市科技工作意见》（市科技局，2025-04-23）总体目标：全市技术合同成交额突破92亿元",
        True,
    ),
    (
        2025,
        "赣州/瑞金",
        Decimal("800000000"),
        "《瑞金市“十四五”科技创新发展规划》主要指标表：技术合同成交金额 2020年0.83亿元，2025年8.0亿元",
        True,
    ),
]

CITY_WEIGHT = {
    "南昌": 7800 * 1.8,
    "赣州": 4800,
    "九江": 3900,
    "上饶": 3400,
    "宜春": 3500,
    "吉安": 2700,
    "抚州": 1900,
    "萍乡": 1200,
    "新余": 1250,
    "鹰潭": 1250,
    "景德镇": 1200,
}
MONTH_WEIGHT = [4, 3, 6, 7, 7, 10, 7, 7, 9, 7, 10, 23]
KIND_WEIGHT = {"技术服务": 52, "技术开发": 30, "技术咨询": 10, "技术转让": 4, "技术许可": 4}
KIND_MEDIAN = {
    "技术服务": 100_000,
    "技术开发": 300_000,
    "技术咨询": 50_000,
    "技术转让": 500_000,
    "技术许可": 300_000,
}
SELLER_TYPE_WEIGHT = {"企业": 75, "高校": 12, "科研院所": 8, "其他": 5}
PROVINCE_WEIGHT = {
    "广东": 8,
    "浙江": 6,
    "上海": 4,
    "江苏": 4,
    "北京": 3,
    "湖南": 3,
    "福建": 3,
    "湖北": 2,
    "安徽": 2,
    "山东": 1,
    "四川": 1,
}
INDUSTRY_WEIGHT = {
    i: (
        6
        if i in ("电子信息", "装备制造", "有色金属", "新材料", "数字经济")
        else 3
        if i in ("生物医药", "新能源", "节能环保", "现代农业", "汽车", "航空", "石化化工")
        else 1
    )
    for i in INDUSTRIES
}
DEMO_SCALE = 150
GROWTH = 1.18  # contract value grows about this much a year
SELLERS = {
    "高校": [
        "南昌大学",
        "江西理工大学",
        "华东交通大学",
        "南昌航空大学",
        "江西师范大学",
        "江西农业大学",
        "东华理工大学",
        "江西财经大学",
        "景德镇陶瓷大学",
        "井冈山大学",
    ],
    "科研院所": [
        "江西省科学院",
        "江西省农业科学院",
        "中国科学院赣江创新研究院",
        "江西省稀土研究院",
        "江西省林业科学院",
    ],
}


def _weights(d: dict):
    return list(d), list(d.values())


def contracts(n: int, years: range, seed: int = 2025, prefix: str = "H", scale: int = 1):
    """`n` registered contracts spread over `years` (growing each year), as contract_facts rows (dicts);
    `scale` multiplies the amounts (the demo's few thousand contracts stand for a province's year)."""
    rng = random.Random(seed)
    years = list(years)
    year_w = [GROWTH**i for i in range(len(years))]
    cities, city_w = _weights(CITY_WEIGHT)
    kinds, kind_w = _weights(KIND_WEIGHT)
    stypes, stype_w = _weights(SELLER_TYPE_WEIGHT)
    provs, prov_w = _weights(PROVINCE_WEIGHT)
    inds, ind_w = _weights(INDUSTRY_WEIGHT)
    months = list(range(1, 13))
    out = []
    for i in range(n):
        year = rng.choices(years, year_w)[0]
        month = rng.choices(months, MONTH_WEIGHT)[0]
        day = rng.randint(1, 28)
        registered = date(year, month, day)
        kind = rng.choices(kinds, kind_w)[0]
        stype = rng.choices(stypes, stype_w)[0]
        industry = rng.choices(inds, ind_w)[0]
        outside_seller = rng.random() < 0.10
        if outside_seller:
            seller_region, city = rng.choices(provs, prov_w)[0], None
            buyer_region = rng.choices(cities, city_w)[0]
            seller = f"{seller_region}某{industry}技术有限公司{rng.randint(1, 400)}"
        else:
            city = seller_region = rng.choices(cities, city_w)[0]
            r = rng.random()
            buyer_region = (
                city
                if r < 0.45
                else rng.choices(cities, city_w)[0]
                if r < 0.65
                else rng.choices(provs, prov_w)[0]
            )
            seller = (
                rng.choice(SELLERS[stype])
                if stype in SELLERS
                else f"{city}{industry}科技有限公司{rng.randint(1, 300)}"
            )
        amount = min(int(rng.lognormvariate(math.log(KIND_MEDIAN[kind]), 1.3) * 100), 50_000_000_000)
        amount = min(max(amount, 100_00) * scale, 200_000_000_000)
        tech = amount if rng.random() < 0.5 else int(amount * rng.uniform(0.5, 1.0))
        paid = rng.random()
        received = amount if paid < 0.55 else int(amount * rng.uniform(0, 1)) if paid < 0.85 else 0
        out.append(
            {
                "registration_no": f"{prefix}{year}36{i:08d}",
                "title": f"{industry}{kind}合同",
                "kind": kind,
                "seller": seller,
                "seller_type": stype,
                "seller_region": seller_region,
                "seller_org_id": None,
                "buyer": f"{buyer_region}{industry}企业{rng.randint(1, 999)}",
                "buyer_region": buyer_region,
                "city": city,
                "amount_fen": amount,
                "tech_amount_fen": tech,
                "received_fen": received,
                "signed_on": registered - timedelta(days=rng.randint(0, 60)),
                "registered_on": registered,
                "year": year,
                "month": month,
                "field": INDUSTRY_FIELD.get(industry, "其他"),
                "industry": industry,
                "source": "historical",
                "contract_id": None,
                "batch": f"generated:{seed}",
            }
        )
    return out


BUYER_SCALES = ["大型", "中型", "小型", "微型", None]
BUYER_SCALE_WEIGHTS = [30, 25, 25, 10, 10]


def load_targets(actor=None) -> int:
    from ..stats.models import INDICATOR, StatTarget
    from ..extensions import db

    for year, scope, value, source, current in SEED_TARGETS:
        db.session.add(
            StatTarget(
                year=year,
                scope=scope,
                indicator=INDICATOR,
                value=value,
                source=source,
                is_current=current,
                created_by_id=getattr(actor, "id", None),
            )
        )
    db.session.flush()
    return len(SEED_TARGETS)


def load_stats(n: int = 4000) -> str:
    """The seeds' targets and `n` generated historical contracts registered in 2023–2026 (seeded: the same
    every time), linked to the demo institutions by name. Amounts are scaled by DEMO_SCALE so that a few
    thousand contracts add up to the order of the province's real yearly value (hundreds of 亿元)."""
    from sqlalchemy import insert, select

    from ..accounts.models import Organisation
    from ..core import uow
    from ..extensions import db
    from ..stats.models import ContractFact

    targets = load_targets()
    rows = contracts(n, range(2023, 2027), seed=11, prefix="JX", scale=DEMO_SCALE)
    orgs = dict(db.session.execute(select(Organisation.name, Organisation.id)).all())
    today = date.today()
    rows = [r for r in rows if r["registered_on"] <= today]
    # The buyers' company scale (买方规模), drawn apart from the generator so its rows stay the benchmark's:
    # large companies buy a third of the contracts, 中小企业 most of the rest, one in ten not stated.
    sizes = random.Random(12)
    for r in rows:
        r["seller_org_id"] = orgs.get(r["seller"])
        r["buyer_scale"] = sizes.choices(BUYER_SCALES, BUYER_SCALE_WEIGHTS)[0]
    db.session.execute(insert(ContractFact), rows)
    uow.commit()
    return (
        f"统计：目标 {targets} 项（附来源文件），历史技术合同登记数据 {len(rows)} 份（2023–2026，演示生成）。"
    )
