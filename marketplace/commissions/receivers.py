"""The ledger hears the deal's money: a registered contract accrues the contract-basis commission, a payment
(到账) the received-basis commission, for every confirmed agreement of the deal (services.sync, idempotent)."""
from ..contracts.models import Contract
from ..core.signals import contract_registered, payment_recorded
from ..extensions import db
from . import services


@contract_registered.connect
def _registered(contract, **_):
    services.on_contract_money(contract)


@payment_recorded.connect
def _payment(payment, **_):
    contract = db.session.get(Contract, payment.contract_id)
    if contract is not None:
        services.on_contract_money(contract)
