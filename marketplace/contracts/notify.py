"""Telling both parties of a contract (inbox and e-mail, through the one notification writer)."""
from .models import Contract


def tell(c: Contract, title: str, body: str) -> None:
    from ..notifications.service import tell_orgs
    tell_orgs(c.party_org_ids, "contract", title, body, f"/contracts/{c.id}")
