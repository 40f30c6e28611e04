"""Records → the plain documents the search package indexes (search/ never sees a model)."""
import calendar
import hashlib
import json

from ..achievements.models import Achievement
from ..demands.models import Demand
from ..resources.models import ServiceResource

MODELS = {"achievement": Achievement, "demand": Demand, "service": ServiceResource}
LIBRARY_OF = {"achievement": "achievements", "demand": "demands", "service": "services"}
TYPE_OF = {v: k for k, v in LIBRARY_OF.items()}


def doc_id(entity_type: str, entity_id: int) -> str:
    return f"{entity_type}:{entity_id}"


def parse_doc_id(value: str) -> tuple[str, int]:
    entity_type, _, number = value.partition(":")
    return entity_type, int(number)


def _ts(value) -> int:
    return calendar.timegm(value.timetuple()) if value else 0


def _version(value) -> int:
    """updated_at in microseconds: a monotonic version per record (Elasticsearch refuses an older write)."""
    return _ts(value) * 1_000_000 + value.microsecond if value else 0


def _money(value) -> float | None:
    return float(value) if value is not None else None


def to_document(obj) -> dict:
    doc = _document(obj)
    doc["digest"] = hashlib.sha1(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return doc


def _document(obj) -> dict:
    org = obj.owner_org
    common = {"id": doc_id(obj.entity_type, obj.id), "type": obj.entity_type, "title": obj.title,
              "status": obj.status, "owner_org": obj.owner_org_id, "published_at": _ts(obj.published_at),
              "institution": org.name if org else None, "version": _version(obj.updated_at)}
    if isinstance(obj, Achievement):
        return {**common, "keywords": " ".join(obj.keyword_list),
                "body": "\n".join(filter(None, [obj.summary, obj.team, " ".join(obj.inventor_list)])),
                "industry": obj.industry, "city": org.city if org else None, "maturity": obj.maturity,
                "funding_source": obj.funding_source, "transfer_modes": obj.transfer_mode_list,
                "ip_types": sorted({ip.ip_type for ip in obj.ip_items}),
                "price": None if obj.price_negotiable else _money(obj.asking_price)}
    if isinstance(obj, Demand):
        return {**common, "keywords": obj.indicators or "", "body": obj.description, "industry": obj.industry,
                "city": obj.city, "kind": obj.cooperation,
                "price": None if obj.budget_negotiable else _money(obj.budget)}
    return {**common, "keywords": " ".join(obj.industry_list), "body": "\n".join(
        filter(None, [obj.description, obj.audience, obj.address])), "city": obj.city, "kind": obj.kind,
        "industry": obj.industry_list[0] if obj.industry_list else None}
