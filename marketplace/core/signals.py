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

# sender: the Challenge (揭榜挂帅) whose final acceptance (验收) was just recorded, flushed; kwargs: rating (优秀 / 良好 /
# 合格 / 不合格), org_id (the winning organisation, whose index it feeds), actor.
challenge_accepted = _signals.signal("challenge-accepted", doc="A challenge's final rating (验收) was recorded.")
