"""Service resources as a library."""
from ..core import vocab
from ..core.listings import Filter, Library, by_title, newest, oldest, register
from .models import ServiceResource
from .schemas import LABELS, ServiceIn, ServiceOut

LIB = register(Library(
    key="services",
    entity_type="service",
    label="服务资源",
    model=ServiceResource,
    input_schema=ServiceIn,
    output_schema=ServiceOut,
    # Agencies (broker accounts), institutions running pilot plants, companies sharing instruments.
    owner_roles=("broker", "institution", "company"),
    owner_label="运营机构",
    filters={
        "kind": Filter("资源类型", "kind", vocab.SERVICE_KINDS),
        "city": Filter("所在城市", "city", vocab.CITIES),
        "industry": Filter("服务产业", "industries", vocab.INDUSTRIES, multi_valued=True),
    },
    sorts={"newest": ("最新发布", newest), "oldest": ("最早发布", oldest), "title": ("名称", by_title)},
    text_columns=("title", "description", "audience", "address"),
    labels=LABELS,
))
