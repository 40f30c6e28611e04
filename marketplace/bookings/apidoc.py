"""The booking routes of the OpenAPI document (called by marketplace/api/openapi.build_spec)."""
from ..api.openapi import (DATE, DATETIME, ID, PAGING, XLSX, YUAN, B, I, S, answer, array, envelope, enum, n, obj,
                           path_id, query, ref)
from .models import KINDS, POLICIES, SLOT_MINUTES, STATUSES, WEEKDAYS
from .schemas import BlackoutIn, BookingIn, RateIn, ReasonIn, ServiceIn, UsageIn

LOCAL = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", "description": "北京时间 YYYY-MM-DDTHH:MM"}
HOURS = {"type": "string", "pattern": r"^\d+\.\d{2}$", "description": "小时，两位小数"}
PERCENT = {"type": "string", "pattern": r"^\d+(\.\d)?$", "description": "百分比，一位小数"}
YEAR = query("year", {"type": "integer", "minimum": 2000, "maximum": 2999}, "年度（默认今年）")


def document(spec, doc) -> None:
    for name, schema in (("BookableServiceIn", ServiceIn), ("BlackoutIn", BlackoutIn), ("BookingIn", BookingIn),
                         ("BookingUsageIn", UsageIn), ("BookingRateIn", RateIn), ("BookingReasonIn", ReasonIn)):
        spec.components.schema(name, schema=schema)
    service = obj({"id": I, "resource_id": I, "resource": S, "name": S, "kind": enum(KINDS), "kind_label": S,
                   "unit_price": n(YUAN), "unit_label": S, "description": n(S),
                   "opening_hours": obj({k: S for k in WEEKDAYS}), "slot_minutes": {"type": "integer",
                                                                                   "enum": list(SLOT_MINUTES)},
                   "policy": enum(POLICIES), "policy_label": S, "cancel_hours": I, "advance_days": I, "active": B,
                   "blackouts": array(obj({"id": I, "day": DATE, "reason": n(S)}))})
    booking = obj({"id": I, "service_id": I, "service": S, "kind": enum(KINDS), "resource_id": I, "resource": S,
                   "customer": S, "customer_user": S, "status": enum(STATUSES), "status_label": S,
                   "starts_at": LOCAL, "ends_at": LOCAL, "hours": HOURS, "samples": n(I), "purpose": S,
                   "contact_phone": n(S), "estimated_fee": n(YUAN), "decision_note": n(S),
                   "cancelled_by": n(enum(("customer", "owner"))), "used_hours": n(YUAN), "used_samples": n(I),
                   "computed_fee": n(YUAN), "fee": n(YUAN), "fee_reason": n(S), "invoice_no": n(S),
                   "rating": n(I), "rating_comment": n(S), "created_at": DATETIME, "actions": array(S)})
    slot = obj({"start": LOCAL, "end": LOCAL, "state": enum(("free", "taken", "past", "closed", "far"))})
    figures = {"available_hours": HOURS, "booked_hours": HOURS, "used_hours": HOURS, "samples": I, "customers": I,
               "uses": I, "income": YUAN, "booked_rate": n(PERCENT), "used_rate": n(PERCENT)}
    report = obj({"resource_id": I, "resource": S, "owner": S, "year": I,
                  "services": array(obj({"service_id": I, "name": S, "kind": enum(KINDS), "kind_label": S, **figures,
                                         "bookings": obj({k: I for k in STATUSES})})),
                  "total": obj(figures)})
    for name, schema in (("BookableService", service), ("Booking", booking), ("BookingList", envelope(ref("Booking"))),
                         ("BookingReport", report)):
        spec.components.schema(name, schema)
    rid, sid, bid = [path_id("resource_id")], [path_id("service_id")], [path_id("booking_id")]
    one = ref("BookableService")
    lists = [query("status", enum(STATUSES), "状态"), query("scope", enum(("all", "mine", "owner")),
                                                         "all：可见的全部；mine：本单位预约的；owner：本单位资源收到的"),
             query("year", {"type": "integer", "minimum": 2000, "maximum": 2999}, "按开始时间的年度"), *PAGING]
    doc.op("get", "/api/v1/services/{resource_id}/bookable", "服务资源的可预约服务（机时、测试、技术服务）",
           answer(200, "可预约服务", obj({"items": array(one)})), params=rid, auth=False)
    doc.op("post", "/api/v1/services/{resource_id}/bookable", "运营单位新增可预约服务（开放时间、单价、预约方式、取消规则）",
           answer(201, "可预约服务", one), params=rid, body=ref("BookableServiceIn"))
    doc.op("get", "/api/v1/bookable/{service_id}", "一项可预约服务", answer(200, "可预约服务", one), params=sid,
           auth=False)
    doc.op("put", "/api/v1/bookable/{service_id}", "运营单位修改可预约服务", answer(200, "可预约服务", one), params=sid,
           body=ref("BookableServiceIn"))
    doc.op("post", "/api/v1/bookable/{service_id}/blackouts", "设置不开放日", answer(201, "可预约服务", one),
           params=sid, body=ref("BlackoutIn"))
    doc.op("delete", "/api/v1/bookable/{service_id}/blackouts/{blackout_id}", "取消不开放日",
           answer(200, "可预约服务", one), params=sid + [path_id("blackout_id")])
    doc.op("get", "/api/v1/services/{resource_id}/slots", "预约日历：某日起 1–7 天的时段及其状态（free 可预约、taken 已约、"
           "past 已过、closed 不开放、far 超出可预约范围）",
           answer(200, "时段", obj({"date": DATE, "days": I, "services": array(obj({
               "id": I, "name": S, "kind": enum(KINDS), "slot_minutes": I,
               "days": array(obj({"date": DATE, "slots": array(slot)}))}))})),
           params=rid + [query("date", DATE, "起始日期（默认今天）"),
                         query("days", {"type": "integer", "minimum": 1, "maximum": 7}, "天数"),
                         query("bookable_id", dict(ID), "只看一项服务")], auth=False)
    doc.op("get", "/api/v1/services/{resource_id}/bookings", "服务资源的预约（运营单位、预约单位、管辖管理员可见）",
           answer(200, "预约", ref("BookingList")), params=rid + lists)
    doc.op("post", "/api/v1/services/{resource_id}/bookings", "预约时段（数据库保证同一时段只有一人约到，另一人得到 409）",
           answer(201, "预约", ref("Booking")), params=rid, body=ref("BookingIn"))
    doc.op("get", "/api/v1/bookings", "本人可见的预约", answer(200, "预约", ref("BookingList")), params=lists)
    doc.op("get", "/api/v1/bookings/{booking_id}", "一项预约（actions：当前用户可执行的操作）",
           answer(200, "预约", ref("Booking")), params=bid)
    doc.op("get", "/api/v1/bookings/{booking_id}/history", "预约的状态变更记录", answer(200, "记录", ref("History")),
           params=bid)
    for action, label, body in (
            ("approve", "运营单位确认预约", None), ("reject", "运营单位驳回预约（reason 必填）", "BookingReasonIn"),
            ("cancel", "预约单位取消（开始前 cancel_hours 小时以前可免费取消）", "BookingReasonIn"),
            ("owner-cancel", "运营单位取消预约（reason 必填）", "BookingReasonIn"),
            ("record-usage", "登记使用情况：机时、样品数、收费（默认按单价计算，不同须写 fee_reason）", "BookingUsageIn"),
            ("amend-usage", "更正使用记录（reason 必填）", "BookingUsageIn"),
            ("rate", "预约单位评价（1–5 分，使用后一次）", "BookingRateIn")):
        doc.op("post", f"/api/v1/bookings/{{booking_id}}/{action}", label, answer(200, "预约", ref("Booking")),
               params=bid, body=ref(body) if body else None, body_required=action in ("record-usage", "amend-usage",
                                                                                     "rate"))
    doc.op("get", "/api/v1/services/{resource_id}/bookings/report", "年度统计：可用、已预约、实际使用机时，服务客户数，收入",
           answer(200, "统计", ref("BookingReport")), params=rid + [YEAR])
    doc.op("get", "/api/v1/services/{resource_id}/bookings/claim.xlsx", "年度后补助申报包（服务记录 Excel）", XLSX,
           params=rid + [YEAR])
