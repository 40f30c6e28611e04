"""Demands as a library: filters, sorts, and expiry past the deadline."""
from datetime import date

from sqlalchemy import or_

from ..core import vocab
from ..core.listings import Filter, Library, by_title, newest, oldest, register
from .models import Demand
from .schemas import LABELS, DemandIn, DemandOut


def _open():
    # The public never sees a demand as open after its deadline, even before the expiry sweep ran.
    return or_(Demand.deadline.is_(None), Demand.deadline >= date.today())


LIB = register(Library(
    key="demands",
    entity_type="demand",
    label="需求",
    model=Demand,
    input_schema=DemandIn,
    output_schema=DemandOut,
    owner_roles=("company",),
    owner_label="需求企业",
    filters={
        "industry": Filter("所属产业", "industry", vocab.INDUSTRIES),
        "city": Filter("所在城市", "city", vocab.CITIES),
        "cooperation": Filter("合作方式", "cooperation", vocab.COOPERATION_MODES, search_param="kind"),
        "company": Filter("需求企业", "org", search_param="institution"),
    },
    sorts={
        "newest": ("最新发布", newest),
        "oldest": ("最早发布", oldest),
        "deadline": ("截止日期临近", lambda m: [m.deadline.asc().nulls_last()]),
        "budget_desc": ("预算从高到低", lambda m: [m.budget.desc().nulls_last()]),
        "title": ("名称", by_title),
    },
    text_columns=("title", "description", "indicators"),
    labels=LABELS,
    public_condition=_open,
))
