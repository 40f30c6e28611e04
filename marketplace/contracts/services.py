"""Contracts: the names other packages and the views use, gathered from the modules that own them.

  permissions.py  who may see and act (can_view, can_register, visible_condition ...)
  terms.py        term sheets, the schedule they make, and that changed terms never move money received
  lifecycle.py    create (with the links a party or broker may make), set terms, submit, register, return
  numbering.py    registration numbers
  payments.py     milestones, royalty reports, payments received, the statement on a date
  split.py        income split
  reminders.py    payment reminders
  output.py       the contract as JSON
The maths is in money.py. Every change is audited; services flush, never commit.
"""
from .lifecycle import create, register, return_for_changes, set_terms, submit  # noqa: F401
from .models import EDITABLE  # noqa: F401
from .output import contract_dict, trial_id_of  # noqa: F401
from .payments import paid_total, reach_milestone, record_payment, statement, submit_report  # noqa: F401
from .permissions import (can_register, can_see_split, can_view, get, is_party, pending_registration,  # noqa: F401
                          visible, visible_condition)
from .reminders import REMIND_BEFORE_DAYS, send_reminders  # noqa: F401
from .split import set_split, split_dict  # noqa: F401
from .terms import build_terms, copy_terms, sync_schedule, terms_dict, terms_of  # noqa: F401
