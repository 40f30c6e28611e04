"""How the statistics hear of the site's own contracts (imported by create_app, which connects them): a
registered contract becomes (or updates) its contract_facts row in the registering transaction, and each
payment recorded on it updates the row's cash received (到账)."""

from decimal import Decimal

from sqlalchemy import select

from ..core.signals import contract_registered, payment_recorded
from ..extensions import db
from .imports import INDUSTRY_FIELD
from .models import ContractFact


def _seller_type(org) -> str:
    if org.kind == "institution":
        return org.subtype if org.subtype in ("高校", "科研院所") else "科研院所"
    return "企业" if org.kind == "company" else "其他"


def _fen(value) -> int:
    return int(Decimal(value) * 100)


def _received_fen(contract) -> int:
    return sum(_fen(p.amount) for p in contract.payments)


def _kind(contract) -> str:
    """A licence (技术转让 in the form 许可) counts as 技术许可, as the registration statistics list it."""
    return "技术许可" if contract.kind == "技术转让" and contract.transfer_form == "许可" else contract.kind


@contract_registered.connect
def record_registered_contract(contract, **_):
    fact = db.session.scalars(
        select(ContractFact).where(
            (ContractFact.contract_id == contract.id)
            | (ContractFact.registration_no == contract.registration_no)
        )
    ).first()
    if fact is None:
        fact = ContractFact()
        db.session.add(fact)
    seller, buyer = contract.seller, contract.buyer
    registered = contract.registered_on
    amount = _fen(contract.amount)
    values = dict(
        registration_no=contract.registration_no,
        title=contract.title,
        kind=_kind(contract),
        seller=seller.name,
        seller_type=_seller_type(seller),
        seller_region=seller.city or contract.city,
        seller_org_id=seller.id,
        buyer=buyer.name,
        buyer_region=buyer.city or contract.city,
        buyer_scale=buyer.scale,
        city=contract.city,
        amount_fen=amount,
        tech_amount_fen=amount,
        received_fen=_received_fen(contract),
        signed_on=contract.signed_on,
        registered_on=registered,
        year=registered.year,
        month=registered.month,
        field=INDUSTRY_FIELD.get(contract.industry, "其他"),
        industry=contract.industry,
        source="site",
        contract_id=contract.id,
        batch=None,
    )
    for key, value in values.items():
        setattr(fact, key, value)
    db.session.flush()


@payment_recorded.connect
def record_payment_received(payment, **_):
    """Sender: the Payment (core.signals); its contract is already in the session."""
    from ..contracts.models import Contract

    fact = db.session.scalars(
        select(ContractFact).where(ContractFact.contract_id == payment.contract_id)
    ).first()
    if fact is not None:  # not registered yet: registration counts every payment made before it
        fact.received_fen = _received_fen(db.session.get(Contract, payment.contract_id))
        db.session.flush()
