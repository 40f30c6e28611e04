"""服务预约: marshmallow input schemas (the same for pages and the API) and the answers as plain dicts."""
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from ..core import money
from ..core.dates import iso_utc
from ..core.schema import Bool, InputSchema, LenientDate, Money, Text, WholeNumber
from .models import KIND_UNITS, KINDS, POLICIES, SLOT_MINUTES, STATUSES, WEEKDAYS


class Hours(fields.Field):
    """Hours used, a plain decimal with at most two places (2.5), never a float or 1e2."""

    def _deserialize(self, value, attr, data, **kw):
        try:
            return money.parse_decimal(value, 2, label="机时", example="2.5", limit=Decimal(10000))
        except money.MoneyError as exc:
            raise ValidationError(str(exc)) from None


def _int(lo, hi, label, **kw):
    return WholeNumber(validate=validate.Range(lo, hi, error=f"{label}应为 {lo}–{hi}"), **kw)


class ServiceIn(InputSchema):
    LABELS = {"name": "服务名称", "kind": "收费方式", "unit_price": "单价", "description": "说明",
              "opening_hours": "开放时间", "slot_minutes": "时段长度", "policy": "预约方式", "cancel_hours": "免费取消时限",
              "advance_days": "可提前预约天数", "active": "接受预约"}
    name = Text(120, lo=2, required=True)
    kind = Text(8, required=True, choices=KINDS)
    unit_price = Money(unit="yuan")
    description = Text(2000, allow_none=True)
    opening_hours = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    slot_minutes = WholeNumber(load_default=60, validate=validate.OneOf(
        SLOT_MINUTES, error="应为 " + "、".join(map(str, SLOT_MINUTES)) + " 分钟之一"))
    policy = Text(10, load_default="approval", choices=POLICIES)
    cancel_hours = _int(0, 720, "免费取消时限（小时）", load_default=24)
    advance_days = _int(1, 365, "可提前预约天数", load_default=60)
    active = Bool(load_default=True)


class BlackoutIn(InputSchema):
    LABELS = {"day": "不开放日期", "reason": "原因"}
    day = LenientDate(required=True)
    reason = Text(100, allow_none=True)


class BookingIn(InputSchema):
    LABELS = {"bookable_id": "预约服务", "starts_at": "开始时间", "slots": "时段数", "samples": "样品数",
              "purpose": "用途说明", "contact_phone": "联系电话"}
    bookable_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1, error="不存在的服务"))
    starts_at = Text(16, required=True, validate=validate.Regexp(
        r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$", error="格式应为 YYYY-MM-DDTHH:MM，如 2026-12-03T09:00"))
    slots = _int(1, 24, "连续时段数", load_default=1)
    samples = _int(1, 10000, "样品数", allow_none=True)
    purpose = Text(2000, lo=4, required=True)
    contact_phone = Text(30, allow_none=True)


class UsageIn(InputSchema):
    LABELS = {"used_hours": "实际机时", "used_samples": "实际样品数", "fee": "收费金额", "fee_reason": "调整理由",
              "invoice_no": "发票号", "reason": "更正理由"}
    used_hours = Hours(allow_none=True)
    used_samples = _int(0, 100000, "样品数", allow_none=True)
    fee = Money(unit="yuan")
    fee_reason = Text(500, allow_none=True)
    invoice_no = Text(40, allow_none=True)
    reason = Text(1000, allow_none=True)


class RateIn(InputSchema):
    LABELS = {"rating": "评分", "comment": "评价"}
    rating = WholeNumber(required=True, validate=validate.Range(1, 5, error="评分应为 1–5"))
    comment = Text(1000, allow_none=True)


class ReasonIn(InputSchema):
    LABELS = {"reason": "理由"}
    reason = Text(1000, allow_none=True)


def _yuan(v):
    return None if v is None else f"{Decimal(v):.2f}"


def _local(dt):
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M")


def service_dict(s) -> dict:
    return {"id": s.id, "resource_id": s.resource_id, "resource": s.resource.title, "name": s.name,
            "kind": s.kind, "kind_label": KINDS[s.kind], "unit_price": _yuan(s.unit_price),
            "unit_label": KIND_UNITS[s.kind], "description": s.description,
            "opening_hours": {k: s.opening_hours.get(k, "") for k in WEEKDAYS},
            "slot_minutes": s.slot_minutes, "policy": s.policy, "policy_label": POLICIES[s.policy],
            "cancel_hours": s.cancel_hours, "advance_days": s.advance_days, "active": bool(s.active),
            "blackouts": [{"id": b.id, "day": b.day.isoformat(), "reason": b.reason} for b in s.blackouts]}


def booking_dict(b, actions=()) -> dict:
    return {"id": b.id, "service_id": b.service_id, "service": b.service.name, "kind": b.service.kind,
            "resource_id": b.service.resource_id, "resource": b.service.resource.title,
            "customer": b.customer_org.name, "customer_user": b.customer_user.name,
            "status": b.status, "status_label": STATUSES[b.status],
            "starts_at": _local(b.starts_at), "ends_at": _local(b.ends_at),
            "hours": f"{Decimal((b.ends_at - b.starts_at).total_seconds()) / 3600:.2f}",
            "samples": b.samples, "purpose": b.purpose, "contact_phone": b.contact_phone,
            "estimated_fee": _yuan(b.estimated_fee), "decision_note": b.decision_note, "cancelled_by": b.cancelled_by,
            "used_hours": _yuan(b.used_hours), "used_samples": b.used_samples,
            "computed_fee": _yuan(b.computed_fee), "fee": _yuan(b.fee), "fee_reason": b.fee_reason,
            "invoice_no": b.invoice_no, "rating": b.rating, "rating_comment": b.rating_comment,
            "created_at": iso_utc(b.created_at), "actions": list(actions)}


def slot_dict(slot) -> dict:
    return {"start": _local(slot.start), "end": _local(slot.end), "state": slot.state}
