"""Achievements as a library: filters, sorts and rules on top of core.listings."""
from ..core import vocab
from ..core.listings import Filter, Library, by_title, newest, oldest, register
from .models import Achievement, AchievementIP
from .schemas import LABELS, AchievementIn, AchievementOut

LIB = register(Library(
    key="achievements",
    entity_type="achievement",
    label="成果",
    model=Achievement,
    input_schema=AchievementIn,
    output_schema=AchievementOut,
    owner_roles=("institution",),
    owner_label="完成单位",
    filters={
        "industry": Filter("所属产业", "industry", vocab.INDUSTRIES),
        "maturity": Filter("成熟度", "maturity", vocab.MATURITIES),
        "category": Filter("成果类别", "category", vocab.CATEGORIES),
        "funding_source": Filter("资金来源", "funding_source", vocab.FUNDING_SOURCES),
        "transfer_mode": Filter("转化方式", "transfer_modes", vocab.TRANSFER_MODES, multi_valued=True),
        "institution": Filter("完成单位", "org"),
    },
    sorts={
        "newest": ("最新发布", newest),
        "oldest": ("最早发布", oldest),
        "price_asc": ("价格从低到高", lambda m: [m.asking_price.asc().nulls_last()]),
        "price_desc": ("价格从高到低", lambda m: [m.asking_price.desc().nulls_last()]),
        "title": ("名称", by_title),
    },
    text_columns=("title", "summary", "keywords", "team", "inventors"),
    labels=LABELS,
    # IP items are replaced as a whole
    setters={"ip_items": lambda obj, items: setattr(obj, "ip_items", [AchievementIP(**i) for i in (items or [])])},
))
