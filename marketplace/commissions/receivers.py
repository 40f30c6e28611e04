"""The ledger hears the deal's money: a registered contract accrues the contract-basis commission, a payment
(到账) the received-basis commission, for every confirmed agreement of the deal (services.sync, idempotent).

Also connected here (create_app imports this module once):
- the broker profiles read commission earned from the ledger (brokers.profiles.register_commission_source);
- a contract draft made from an introduction carries the commission agreement the broker proposes with it
  (core.signals.contract_drafted), and the introduction page shows the fields for it (a draft section);
- when an agreement is proposed, the paying parties are told to confirm it."""
from ..brokers import profiles as broker_profiles
from ..brokers import views as broker_pages
from ..contracts.models import Contract
from ..core.signals import contract_drafted, contract_registered, payment_recorded
from ..core.workflow import transitioned
from ..extensions import db
from . import calc, services
from .models import AGREEMENT_STATUSES

broker_profiles.register_commission_source(services.earned_by_broker)


@contract_registered.connect
def _registered(contract, **_):
    services.on_contract_money(contract)


@payment_recorded.connect
def _payment(payment, **_):
    contract = db.session.get(Contract, payment.contract_id)
    if contract is not None:
        services.on_contract_money(contract)


@contract_drafted.connect
def _drafted(contract, actor=None, introduction=None, commission=None, **_):
    if not commission:
        return None
    return services.propose_with_draft(actor, contract, introduction, commission)


@transitioned.connect_via("commission_agreement")
def _proposed(_sender, obj=None, transition=None, **_):
    if transition is not None and transition.name == "propose":
        services.tell_payers(obj)


# Brokers propose the agreement on the introduction page, in the form that makes the contract draft.
QUICK_BASES = ("contract", "received", "fixed")  # tiers, equity or several brokers: the full agreement page


def _draft_section(actor, intro):
    existing = services.open_for_introduction(intro)
    return {"existing": existing, "payers": calc.PAYERS, "bases": {k: calc.BASES[k] for k in QUICK_BASES},
            "statuses": AGREEMENT_STATUSES}


broker_pages.draft_section("commission", "commissions/_draft_section.html", _draft_section)
