"""Imports every model so that db.metadata (and Alembic) sees the whole schema."""
from .accounts.models import ApiToken, Organisation, User  # noqa: F401
from .achievements.models import Achievement, AchievementIP  # noqa: F401
from .core.models import AuditLog  # noqa: F401
from .demands.models import Demand  # noqa: F401
from .imports.models import ImportJob  # noqa: F401
from .resources.models import ServiceResource  # noqa: F401
from .searching.models import SearchOutbox  # noqa: F401
from .matching.models import MatchFeedback, MatchPush, NextStep, PushQueue  # noqa: F401
from .matching.knowledge import KnowledgeLink  # noqa: F401
from .notifications.models import EmailMessage, Notification  # noqa: F401
from .brokers.models import BrokerProfile, BrokerRating, BrokerTraining, DealDisclosure, Introduction  # noqa: F401
from .contracts.models import (  # noqa: F401
    Contract, IncomeSplit, InventorShare, MilestoneTermRow, Payment, Reminder, RoyaltyReport, ScheduleLine, TermSheet)
from .usefirst.models import Trial, TrialApplication, UseFirstItem  # noqa: F401
from .stats.models import ContractCell, ContractFact, StatTarget  # noqa: F401
from .stats import cache as _stats_cache, cells as _stats_cells  # noqa: F401  (their write events)
from .stats.ranking import IndexRanking  # noqa: F401
from .commissions.models import (  # noqa: F401
    AgreementBroker, CommissionAgreement, CommissionEntry, PaymentInvoice, RewardLine, RewardList, RewardRule)


def _domain_models():
    """Domains added later declare their tables in `<domain>/models.py`: imported here by name from
    DOMAINS, so that a new domain needs no line in this file."""
    from importlib import import_module
    from importlib.util import find_spec

    from . import DOMAINS
    for name in DOMAINS:
        if find_spec(f"marketplace.{name}.models") is not None:
            import_module(f"marketplace.{name}.models")


_domain_models()
