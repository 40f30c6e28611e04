"""Signals between domains: a domain announces what happened, others react without being imported by it
(Indico's way). Receivers run inside the request's transaction, before its one commit; they flush, never
commit. Each receiver module is imported once by create_app so its `connect` happens at start-up."""
from blinker import Namespace

_signals = Namespace()

# sender: the Contract just registered (status "registered", registration_no set), after its audit record.
contract_registered = _signals.signal("contract-registered", doc="A technology contract was registered.")

# sender: the Payment (到账) just recorded and flushed (its contract: `contract_id`).
payment_recorded = _signals.signal("payment-recorded", doc="A payment (到账) was recorded on a contract.")

# sender: the Contract draft a broker just made from an introduction (brokers.services.contract_draft), flushed;
# kwargs: actor, introduction, commission — the commission agreement the broker proposes in the same step (a dict
# of the commissions package's agreement fields, as typed) or None. A receiver that takes the proposal returns a
# true value; one that refuses it raises a core.errors error, and the whole step (contract included) is undone.
contract_drafted = _signals.signal("contract-drafted", doc="A broker made a contract draft from an introduction.")
