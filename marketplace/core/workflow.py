"""The one workflow primitive: named transitions between states, who may fire each, required reasons,
and the audit record. The libraries, broker introductions, 先用后转 items and contracts declare theirs;
challenges and events to come do the same.

A domain declares its transitions and a policy — a mapping from each transition's `who` to a predicate
`(actor, obj) -> bool` — and calls `fire()`. Every transition fired writes an AuditLog row (who, when,
from → to, reason, details) and sends `transitioned` (sender: the entity type) so that other domains can
react (notify the owner, close a 先用后转 item) without being imported.
"""
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from marshmallow import Schema, fields, post_dump

from . import labels
from .dates import UtcDateTime
from .errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from .models import record_audit
from .signals import _signals

MAX_REASON = 1000
_REGISTRY: dict = {}  # entity type → Workflow, for labelling audit entries

# Audit actions that are not workflow transitions, as a person reads them: the one label table (core.labels).
ACTION_LABELS = labels.ACTIONS

# sender: entity type ("achievement", "contract" ...); kwargs: obj, transition, actor, previous, reason.
transitioned = _signals.signal("workflow-transitioned", doc="A workflow transition was fired.")


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: str
    label: str                    # 提交审核 / 审核通过 … (what a person reads)
    who: str = "owner"            # a key of the workflow's policy; "system": only the system fires it
    needs_reason: bool = False
    min_reason: int = 1


@dataclass
class Workflow:
    entity_type: str
    transitions: Mapping[str, Transition]
    policy: Mapping[str, Callable]
    state_labels: Mapping[str, str] = field(default_factory=dict)
    state_attr: str = "status"
    # When the actor may not even see the object, refusals answer 404 (its existence is not revealed).
    can_view: Callable | None = None
    not_found: str = "没有找到该记录"

    @classmethod
    def of(cls, entity_type: str, transitions: Iterable[Transition], policy: Mapping[str, Callable], **kw):
        flow = cls(entity_type, {t.name: t for t in transitions}, policy, **kw)
        _REGISTRY[entity_type] = flow
        return flow

    def state_label(self, state: str) -> str:
        return self.state_labels.get(state) or labels.STATES.get(state, state)

    def may(self, actor, obj, name: str) -> bool:
        """The actor may fire `name` on `obj` now (its state allows it and the policy says yes)."""
        t = self.transitions.get(name)
        if t is None or t.who == "system" or getattr(obj, self.state_attr) not in t.sources:
            return False
        check = self.policy.get(t.who)
        return bool(check and check(actor, obj))

    def available(self, actor, obj, names: Iterable[str] | None = None) -> list[str]:
        return [n for n in (names or self.transitions) if self.may(actor, obj, n)]

    def fire(self, actor, obj, name: str, reason: str | None = None, *, system: bool = False,
             details: dict | None = None) -> Transition:
        """Move `obj` along `name`, or raise the error a person can act on. The caller owns the commit."""
        t = self.transitions.get(name)
        if t is None:
            raise BadRequest(f"不支持的操作：{name}")
        if t.who == "system" and not system:
            raise Forbidden("该操作只能由系统执行")
        state = getattr(obj, self.state_attr)
        if not system:
            check = self.policy.get(t.who)
            if not (check and check(actor, obj)):
                if self.can_view is not None and not self.can_view(actor, obj):
                    raise NotFound(self.not_found)
                raise Forbidden(f"无权执行“{t.label}”")
        if state not in t.sources:
            raise Conflict(f"当前状态为“{self.state_label(state)}”，不能{t.label}")
        reason = (reason or "").strip() or None
        if t.needs_reason and (not reason or len(reason) < t.min_reason):
            need = f"，至少 {t.min_reason} 个字" if t.min_reason > 1 else ""
            raise ValidationFailed(f"{t.label}须填写理由{need}", {"reason": f"请填写理由{need}"})
        if reason and len(reason) > MAX_REASON:
            raise ValidationFailed(f"理由不能超过{MAX_REASON}个字", {"reason": f"不能超过{MAX_REASON}个字"})
        _compare_and_set(obj, self.state_attr, state, t.target)
        setattr(obj, self.state_attr, t.target)
        record_audit(None if system else actor, self.entity_type, obj.id, t.name, state, t.target, reason, details)
        transitioned.send(self.entity_type, obj=obj, transition=t, actor=None if system else actor,
                          previous=state, reason=reason)
        return t


def _compare_and_set(obj, attr: str, expected, target) -> None:
    """Change the state in the database only if it is still `expected` (UPDATE … WHERE state = expected): of
    two requests that both read the old state (two awards, a double click, a cancel racing an approval), the
    second waits for the first's row lock and then finds the state changed — 409, nothing half-written."""
    from sqlalchemy import inspect as sa_inspect, update

    from ..extensions import db
    insp = sa_inspect(obj, raiseerr=False)
    if insp is None or not insp.persistent:
        return  # a record created in this transaction: nobody else can see it yet
    prop = insp.mapper.get_property(attr) if insp.mapper.has_property(attr) else None
    columns = getattr(prop, "columns", None)
    if not columns or len(insp.mapper.primary_key) != 1:
        return
    db.session.flush()
    pk = insp.mapper.primary_key[0]
    result = db.session.execute(update(pk.table).where(pk == insp.identity[0], columns[0] == expected)
                                .values({columns[0].name: target}))
    if result.rowcount == 0:
        raise Conflict("状态刚刚被其他操作改变，请刷新页面后重试")


def describe(entry) -> dict:
    """An audit entry as a person reads it: the action's and the states' Chinese labels (never a code)."""
    flow = _REGISTRY.get(entry.entity_type)
    action = entry.action or ""
    base = action.split(":", 1)[0]
    if flow is not None and action in flow.transitions:
        action_label = flow.transitions[action].label
    else:
        action_label = ACTION_LABELS.get(base, ACTION_LABELS.get(action, "其他操作"))
    if base == "next-step" and entry.reason:
        action_label = f"{action_label}：{entry.reason}"

    def state(code):
        if not code:
            return None
        if flow is not None and code in flow.state_labels:
            return flow.state_labels[code]
        return _STATE_FALLBACK.get(code) or labels.state(code)

    return {"action": action_label, "from": state(entry.from_state), "to": state(entry.to_state)}


_STATE_FALLBACK: dict = {}


def action_labels(labels: Mapping[str, str]) -> None:
    """Labels of a domain's audit actions that are not transitions of a registered workflow."""
    for action, label in labels.items():
        ACTION_LABELS[action] = label  # ACTION_LABELS is core.labels.ACTIONS: a domain's own label wins


def state_labels(labels: Mapping[str, str]) -> None:
    """Labels of states that no registered workflow names (e.g. a state reached only on creation)."""
    _STATE_FALLBACK.update(labels)


class HistoryOut(Schema):
    """An audit entry in the JSON API: the codes, and the labels a person reads."""
    at = UtcDateTime()
    action = fields.String()
    from_ = fields.String(attribute="from_state", data_key="from", allow_none=True)
    to = fields.String(attribute="to_state", allow_none=True)
    reason = fields.String(allow_none=True)
    actor = fields.Function(lambda e: e.actor.name if e.actor else "系统")
    actor_id = fields.Integer(allow_none=True)
    details = fields.Raw(allow_none=True)

    @post_dump(pass_original=True)
    def _labels(self, data, entry, **_):
        shown = describe(entry)
        data.update(action_label=shown["action"], from_label=shown["from"], to_label=shown["to"])
        return data
