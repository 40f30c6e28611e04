"""服务预约 against the database: the workflow, cancellation rule, usage and fee, permissions, yearly figures and
the 后补助 Excel package, the JSON API (documented, hostile input) and pages."""
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.bookings import services as svc
from marketplace.bookings.models import Booking, BookingSlot
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.notifications.models import Notification

from . import factories_bookings as fb
from .conftest import login


@pytest.fixture
def world(f):
    owner, res = fb.owner_and_resource()
    s = fb.service(owner, res)
    company = fb.customer()
    return owner, res, s, company


def test_booking_workflow_requested_approved_used_rated_with_audit_and_notifications(world):
    owner, res, s, company = world
    monday = fb.monday_ahead()
    b = fb.booking(company, s, fb.at(monday, 9), slots=2)
    assert (b.status, b.estimated_fee, b.ends_at - b.starts_at) == ("requested", Decimal("600.00"), timedelta(hours=2))
    assert BookingSlot.query.filter_by(booking_id=b.id).count() == 2
    assert Notification.query.filter_by(user_id=owner.id, kind="booking").count() == 1
    svc.approve(owner, b)
    assert b.status == "approved"
    assert Notification.query.filter_by(user_id=company.id, kind="booking").count() == 1
    with pytest.raises(Conflict):  # usage only after the slot began
        svc.record_usage(owner, b, {"used_hours": "2"})
    svc.record_usage(owner, b, {"used_hours": "1.5", "invoice_no": "No.0012345"}, now=b.starts_at + timedelta(hours=3))
    assert (b.status, b.computed_fee, b.fee, b.invoice_no) == ("used", Decimal("450.00"), Decimal("450.00"), "No.0012345")
    svc.rate(company, b, {"rating": 5, "comment": "操作规范，出图快"})
    with pytest.raises(Conflict):
        svc.rate(company, b, {"rating": 4})
    db.session.commit()
    trail = [(a.action, a.from_state, a.to_state) for a in AuditLog.query.filter_by(entity_type="booking").order_by(AuditLog.id)]
    assert trail == [("book", None, "requested"), ("approve", "requested", "approved"),
                     ("record-usage", "approved", "used"), ("rate", "used", "used")]


def test_open_service_is_auto_approved(world):
    owner, res, _, company = world
    s = fb.service(owner, res, name="ICP-MS 元素分析", kind="samples", unit_price="180", policy="open")
    b = fb.booking(company, s, fb.at(fb.monday_ahead(), 14), samples=4)
    assert (b.status, b.estimated_fee) == ("approved", Decimal("720.00"))
    entry = AuditLog.query.filter_by(entity_type="booking", action="auto-approve").one()
    assert entry.actor_id is None


def test_fee_differing_from_the_price_needs_a_reason_and_quoted_needs_a_fee(world):
    owner, res, s, company = world
    b = fb.booking(company, s, fb.at(fb.monday_ahead(), 10), status="approved")
    later = b.starts_at + timedelta(hours=2)
    with pytest.raises(ValidationFailed) as e:
        svc.record_usage(owner, b, {"used_hours": "1", "fee": "250"}, now=later)
    assert "fee_reason" in e.value.fields and "300.00" in e.value.message
    svc.record_usage(owner, b, {"used_hours": "1", "fee": "250.50", "fee_reason": "老客户九折后抹零"}, now=later)
    assert (b.fee, b.computed_fee) == (Decimal("250.50"), Decimal("300.00"))
    with pytest.raises(ValidationFailed):
        svc.amend_usage(owner, b, {"used_hours": "1", "fee": "300"})  # no reason
    svc.amend_usage(owner, b, {"used_hours": "1", "invoice_no": "FP-77", "reason": "补录发票号并恢复原价"})
    assert (b.fee, b.invoice_no) == (Decimal("300.00"), "FP-77")
    quoted = fb.service(owner, res, name="铜合金中试线技术服务", kind="quoted", unit_price=None, slot_minutes=240,
                        opening_hours={str(d): "08:00-12:00,13:00-17:00" for d in range(1, 6)})
    q = fb.booking(company, quoted, fb.at(fb.monday_ahead(), 8), status="approved")
    assert q.estimated_fee is None
    with pytest.raises(ValidationFailed) as e:
        svc.record_usage(owner, q, {}, now=q.starts_at + timedelta(hours=5))
    assert "fee" in e.value.fields
    svc.record_usage(owner, q, {"fee": "12800.00", "used_hours": "4"}, now=q.starts_at + timedelta(hours=5))
    assert q.fee == Decimal("12800.00")


def test_cancellation_rule(world):
    owner, res, s, company = world
    monday = fb.monday_ahead()
    b = fb.booking(company, s, fb.at(monday, 9), status="approved")
    too_late = b.starts_at - timedelta(hours=23)
    with pytest.raises(Conflict) as e:
        svc.cancel(company, b, None, now=too_late)
    assert "免费取消时限" in e.value.message
    assert "cancel" not in svc.available_actions(company, b, now=too_late)
    svc.cancel(company, b, "样品未到", now=b.starts_at - timedelta(hours=25))
    assert (b.status, b.cancelled_by, b.slots) == ("cancelled", "customer", [])
    db.session.commit()
    # the freed slot can be booked again
    again = fb.booking(fb.customer(), s, fb.at(monday, 9))
    assert again.status == "requested"
    # an owner cancels any time before, with a reason; the customer is told
    with pytest.raises(ValidationFailed):
        svc.cancel(owner, again, "")
    svc.cancel(owner, again, "电镜灯丝更换", now=again.starts_at - timedelta(hours=1))
    assert again.cancelled_by == "owner"
    # a request not yet approved can be withdrawn until the start, even inside the window
    late = fb.booking(company, s, fb.at(monday, 10))
    svc.cancel(company, late, None, now=late.starts_at - timedelta(hours=1))
    assert late.status == "cancelled"


def test_reject_needs_a_reason_and_frees_the_slot(world):
    owner, res, s, company = world
    b = fb.booking(company, s, fb.at(fb.monday_ahead(), 11))
    with pytest.raises(ValidationFailed):
        svc.reject(owner, b, "")
    svc.reject(owner, b, "该时段已安排内部检修")
    assert b.status == "rejected" and BookingSlot.query.count() == 0


@pytest.mark.parametrize("start, slots, message", [
    ("past", 1, "已经过去"), ("wednesday-closed", 1, "开放时间"), ("lunch", 2, "开放时间"), ("blackout", 1, "不开放"),
    ("far", 1, "提前"), ("09:30", 1, "开放时间")])
def test_slot_rules_on_booking(world, start, slots, message):
    owner, res, s, company = world
    monday = fb.monday_ahead()
    svc.add_blackout(owner, s, {"day": (monday + timedelta(days=1)).isoformat(), "reason": "设备年检"})
    starts = {"past": fb.at(monday - timedelta(days=7 * 3), 9), "wednesday-closed": fb.at(monday + timedelta(days=2), 9),
              "lunch": fb.at(monday, 11), "blackout": fb.at(monday + timedelta(days=1), 9),
              "far": fb.at(monday + timedelta(days=70), 9), "09:30": fb.at(monday, 9, 30)}[start]
    if start == "wednesday-closed":
        s.opening_hours = {**s.opening_hours, "3": ""}
    with pytest.raises(ValidationFailed) as e:
        svc.book(company, s, {"starts_at": starts, "slots": slots, "purpose": "测试样品"})
    assert message in e.value.message


def test_a_taken_slot_is_refused_before_the_database_is_asked(world):
    owner, res, s, company = world
    monday = fb.monday_ahead()
    fb.booking(company, s, fb.at(monday, 14), slots=3)
    with pytest.raises(Conflict):
        svc.book(fb.customer(), s, {"starts_at": fb.at(monday, 16), "purpose": "测试样品"})


def test_who_may_book(world, f):
    owner, res, s, company = world
    with pytest.raises(Forbidden):
        svc.book(owner, s, {"starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "自用"})
    pending = fb.customer(approved=False)
    with pytest.raises(Forbidden) as e:
        svc.book(pending, s, {"starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "测试样品"})
    assert "实名审核" in e.value.message
    admin = f.user("admin")
    with pytest.raises(Forbidden):
        svc.book(admin, s, {"starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "测试样品"})


def test_permissions_isolation(world, f):
    owner, res, s, company = world
    other_owner, other_res = fb.owner_and_resource(title="另一家中试平台")
    other_s = fb.service(other_owner, other_res)
    other_company = fb.customer()
    mine = fb.booking(company, s, fb.at(fb.monday_ahead(), 9))
    theirs = fb.booking(other_company, other_s, fb.at(fb.monday_ahead(), 9))
    visible = lambda who: {b.id for b in db.session.scalars(svc.booking_query(who))}  # noqa: E731
    assert visible(owner) == {mine.id}
    assert visible(other_owner) == {theirs.id}
    assert visible(company) == {mine.id}
    assert visible(other_company) == {theirs.id}
    assert visible(f.user("admin")) == {mine.id, theirs.id}  # provincial centre
    assert visible(f.user("admin", admin_level="city", city="九江")) == set()
    for who, b in ((other_owner, mine), (other_company, mine), (company, theirs)):
        with pytest.raises(NotFound):
            svc.get_booking(who, b.id)
    with pytest.raises(NotFound):  # not even told it exists
        svc.approve(other_owner, mine)
    with pytest.raises(Forbidden):  # the customer sees it but may not approve
        svc.approve(company, mine)
    with pytest.raises(Forbidden):
        svc.report(company, res, 2026)
    with pytest.raises(Forbidden):
        svc.save_service(other_owner, res, {"name": "冒名服务", "kind": "hours", "unit_price": "1",
                                            "opening_hours": fb.WEEKDAYS_9_TO_5})


def _used(owner, s, company, day, hh, hours="1", samples=None, fee=None, reason=None, invoice=None):
    b = fb.booking(company, s, fb.at(day, hh), status="approved", **({"samples": samples} if samples else {}))
    data = {"used_hours": hours} if s.kind == "hours" else {"used_samples": samples}
    if fee:
        data.update(fee=fee, fee_reason=reason)
    if invoice:
        data["invoice_no"] = invoice
    svc.record_usage(owner, b, data, now=b.starts_at + timedelta(hours=3))
    db.session.commit()
    return b


def test_yearly_report_and_claim_package(world, client, f):
    owner, res, s, company = world
    owner.org.uscc = None
    icp = fb.service(owner, res, name="ICP-MS 元素分析", kind="samples", unit_price="180.00", opening_hours={"2": "09:00-11:00"})
    second = fb.customer(name="景德镇市测试陶瓷有限公司")
    monday = fb.monday_ahead()
    _used(owner, s, company, monday, 9, hours="1.25", invoice="FP001")
    _used(owner, s, second, monday, 14, hours="1", fee="280.10",
          reason="学生优惠")
    _used(owner, icp, company, monday + timedelta(days=1), 9, samples=7)
    fb.booking(company, s, fb.at(monday, 10), status="approved")       # booked, not used
    fb.booking(company, s, fb.at(monday, 15))                           # requested: not booked yet
    year = monday.year
    r = svc.report(owner, res, year)
    sem = next(x for x in r["services"] if x["service_id"] == s.id)
    assert (sem["booked_hours"], sem["used_hours"], sem["income"], sem["customers"], sem["uses"]) == \
        ("3.00", "2.25", "655.10", 2, 2)   # 375.00 + 280.10
    assert (r["total"]["income"], r["total"]["customers"], r["total"]["samples"]) == ("1915.10", 2, 7)
    assert Decimal(sem["available_hours"]) > 1000 and sem["booked_rate"] is not None
    login(client, owner)
    resp = client.get(f"/bookings/resources/{res.id}/claim.xlsx?year={year}")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    wb = load_workbook(BytesIO(resp.data))
    ws = wb["服务记录"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:4] == ("序号", "预约编号", "客户单位", "统一社会信用代码")
    data = rows[1:-1]
    assert len(data) == 3
    by_customer = {(r[2], r[5]): r for r in data}
    first = by_customer[(company.org.name, s.name)]
    assert first[3] == company.org.uscc and first[6] == "机时" and Decimal(str(first[7])) == Decimal("1.25")
    assert Decimal(str(first[10])) == Decimal("375.00") and first[11] == "FP001"
    assert by_customer[(second.org.name, s.name)][12] == "学生优惠"
    assert by_customer[(company.org.name, icp.name)][8] == 7
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][10])) == Decimal("1915.10")
    assert "年度汇总" in wb.sheetnames
    client.post("/logout")
    login(client, company)
    assert client.get(f"/bookings/resources/{res.id}/claim.xlsx?year={year}").status_code == 403
    assert client.get(f"/api/v1/services/{res.id}/bookings/report?year={year}").status_code == 403


def test_claim_package_keeps_hostile_text_inert(world, client):
    owner, res, s, _ = world
    evil = fb.customer(name="=cmd|' /C calc'!A0")
    _used(owner, s, evil, fb.monday_ahead(), 9, invoice="+SUM(A1:A9)")
    login(client, owner)
    wb = load_workbook(BytesIO(client.get(f"/bookings/resources/{res.id}/claim.xlsx?year={fb.monday_ahead().year}").data))
    row = list(wb["服务记录"].iter_rows(min_row=4, max_row=4))[0]
    assert row[2].value == "=cmd|' /C calc'!A0" and row[2].data_type == "s"
    assert row[11].value == "+SUM(A1:A9)" and row[11].data_type == "s"


# The JSON API --------------------------------------------------------------------------------------------

def _bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def test_api_book_approve_use_rate(world, client, f):
    owner, res, s, company = world
    c, o = _bearer(f, company), _bearer(f, owner)
    day = fb.monday_ahead()
    slots = client.get(f"/api/v1/services/{res.id}/slots?date={day}&days=2").json
    first = slots["services"][0]["days"][0]["slots"]
    assert [x["start"][-5:] for x in first] == ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00"]
    assert {x["state"] for x in first} == {"free"}
    resp = client.post(f"/api/v1/services/{res.id}/bookings", headers=c,
                       json={"bookable_id": s.id, "starts_at": fb.at(day, 9), "slots": 2, "purpose": "断口形貌观察"})
    assert resp.status_code == 201, resp.json
    b = resp.json
    assert (b["status"], b["estimated_fee"], b["hours"], b["actions"]) == ("requested", "600.00", "2.00", ["cancel"])
    taken = client.get(f"/api/v1/services/{res.id}/slots?date={day}").json["services"][0]["days"][0]["slots"]
    assert [x["state"] for x in taken[:3]] == ["taken", "taken", "free"]
    assert client.post(f"/api/v1/services/{res.id}/bookings", headers=_bearer(f, fb.customer()),
                       json={"bookable_id": s.id, "starts_at": fb.at(day, 10), "purpose": "另一家也想约"}).status_code == 409
    assert client.get(f"/api/v1/bookings/{b['id']}", headers=o).json["actions"] == ["approve", "reject", "owner-cancel"]
    assert client.post(f"/api/v1/bookings/{b['id']}/approve", headers=c).status_code == 403
    assert client.post(f"/api/v1/bookings/{b['id']}/approve", headers=o).json["status"] == "approved"
    listed = client.get(f"/api/v1/services/{res.id}/bookings?status=approved", headers=o).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == b["id"]
    assert client.get("/api/v1/bookings?scope=mine", headers=o).json["total"] == 0
    hist = client.get(f"/api/v1/bookings/{b['id']}/history", headers=c).json["items"]
    assert [h["action_label"] for h in hist] == ["提交预约", "确认预约"]


@pytest.mark.parametrize("body, status, field", [
    ({"starts_at": "2026-13-45T09:00"}, 422, "starts_at"),
    ({"starts_at": "tomorrow"}, 422, "starts_at"),
    ({"slots": 0}, 422, "slots"),
    ({"slots": "1e3"}, 422, "slots"),
    ({"slots": 10**30}, 422, "slots"),
    ({"purpose": "x" * 5000}, 422, "purpose"),
    ({"purpose": None}, 422, "purpose"),
    ({"samples": -1}, 422, "samples"),
    ({"extra": 1}, 422, "extra"),
    ({"bookable_id": "1; DROP TABLE bookings"}, 422, "bookable_id"),
    ({"bookable_id": 10**12}, 422, "bookable_id"),
])
def test_api_hostile_booking_bodies(world, client, f, body, status, field):
    owner, res, s, company = world
    data = {"bookable_id": s.id, "starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "断口形貌观察", **body}
    resp = client.post(f"/api/v1/services/{res.id}/bookings", headers=_bearer(f, company), json=data)
    assert resp.status_code == status, resp.json
    assert field in resp.json["error"]["fields"]
    assert Booking.query.count() == 0


@pytest.mark.parametrize("path", ["/api/v1/services/{rid}/slots?date=2026-02-30", "/api/v1/services/{rid}/slots?days=99",
                                  "/api/v1/services/{rid}/slots?date=99999-01-01",
                                  "/api/v1/bookings?status=nope", "/api/v1/bookings?year=1e3",
                                  "/api/v1/services/{rid}/bookings/report?year=abc"])
def test_api_hostile_queries_are_400(world, client, f, path):
    owner, res, s, company = world
    assert client.get(path.format(rid=res.id), headers=_bearer(f, owner)).status_code == 400


@pytest.mark.parametrize("action, body, status", [
    ("record-usage", {"used_hours": "1e2"}, 422), ("record-usage", {"used_hours": "NaN"}, 422),
    ("record-usage", {"used_hours": "0.001"}, 422), ("record-usage", {"used_hours": "1", "fee": "-5"}, 422),
    ("record-usage", {"used_hours": "1", "fee": "12.345"}, 422), ("record-usage", [1, 2], 400),
    ("rate", {"rating": 6}, 422), ("reject", {"reason": {"$ne": 1}}, 422), ("approve", "not json", 400)])
def test_api_hostile_action_bodies(world, client, f, action, body, status):
    owner, res, s, company = world
    b = fb.booking(company, s, fb.at(fb.monday_ahead(), 9), status="approved")
    b.starts_at = b.starts_at - timedelta(days=60)  # already began: usage may be recorded
    db.session.commit()
    headers = _bearer(f, company if action == "rate" else owner)
    if isinstance(body, str):
        resp = client.post(f"/api/v1/bookings/{b.id}/{action}", headers=headers, data=body,
                           content_type="application/json")
    else:
        resp = client.post(f"/api/v1/bookings/{b.id}/{action}", headers=headers, json=body)
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["message"]
    assert db.session.get(Booking, b.id).status == "approved"


def test_api_service_management_and_bad_service_bodies(world, client, f):
    owner, res, s, company = world
    o = _bearer(f, owner)
    good = {"name": "X射线衍射（XRD）机时", "kind": "hours", "unit_price": "260.00",
            "opening_hours": {"1": "08:30-11:30", "3": "14:00-17:00"}, "slot_minutes": 30, "policy": "open"}
    resp = client.post(f"/api/v1/services/{res.id}/bookable", headers=o, json=good)
    assert resp.status_code == 201, resp.json
    assert resp.json["opening_hours"]["1"] == "08:30-11:30" and resp.json["unit_price"] == "260.00"
    for bad, field in (({"unit_price": None}, "unit_price"), ({"unit_price": "1e5"}, "unit_price"),
                       ({"opening_hours": {"1": "17:00-09:00"}}, "opening_hours"),
                       ({"opening_hours": {"1": "09:00-09:20"}}, "opening_hours"),
                       ({"slot_minutes": 45}, "slot_minutes"), ({"kind": "免费"}, "kind"),
                       ({"cancel_hours": -1}, "cancel_hours")):
        r = client.post(f"/api/v1/services/{res.id}/bookable", headers=o, json={**good, **bad})
        assert r.status_code == 422 and field in r.json["error"]["fields"], (bad, r.json)
    assert client.post(f"/api/v1/services/{res.id}/bookable", headers=_bearer(f, company), json=good).status_code == 403
    sid = resp.json["id"]
    r = client.post(f"/api/v1/bookable/{sid}/blackouts", headers=o, json={"day": "2026-12-25", "reason": "年检"})
    assert r.status_code == 201 and r.json["blackouts"][0]["day"] == "2026-12-25"
    assert client.post(f"/api/v1/bookable/{sid}/blackouts", headers=o, json={"day": "2026-12-25"}).status_code == 409
    bid = r.json["blackouts"][0]["id"]
    assert client.delete(f"/api/v1/bookable/{sid}/blackouts/{bid}", headers=o).json["blackouts"] == []


def test_every_booking_route_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path, method in (("/api/v1/services/{resource_id}/bookings", "post"), ("/api/v1/services/{resource_id}/bookings", "get"),
                         ("/api/v1/services/{resource_id}/slots", "get"), ("/api/v1/bookings/{booking_id}/approve", "post"),
                         ("/api/v1/bookings/{booking_id}/record-usage", "post"),
                         ("/api/v1/services/{resource_id}/bookings/claim.xlsx", "get")):
        assert method in paths[path], path
    assert spec["components"]["schemas"]["Booking"]["properties"]["fee"]["nullable"]
    from .test_api import _live_api_operations
    live = {op for op in _live_api_operations(client.application) if "book" in op[1] or "slots" in op[1]}
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert live and live <= documented


# Pages ---------------------------------------------------------------------------------------------------

def test_pages_show_calendar_form_errors_and_queue(world, client):
    owner, res, s, company = world
    day = fb.monday_ahead()
    html = client.get(f"/services/{res.id}").get_data(as_text=True)
    assert "可预约服务" in html and s.name in html
    html = client.get(f"/bookings/services/{s.id}?date={day}&view=week").get_data(as_text=True)
    assert f'data-start="{fb.at(day, 9)}"' not in html and "请先登录" in html  # visitors see the calendar, not the form
    login(client, company)
    html = client.get(f"/bookings/services/{s.id}?date={day}&view=day").get_data(as_text=True)
    assert f'data-start="{fb.at(day, 9)}"' in html and 'id="booking-form"' in html
    resp = client.post(f"/bookings/services/{s.id}", data={"starts_at": fb.at(day, 9), "slots": "1", "purpose": ""})
    assert resp.status_code == 422 and 'id="err-purpose"' in resp.get_data(as_text=True)
    resp = client.post(f"/bookings/services/{s.id}", data={"starts_at": fb.at(day, 9), "slots": "1", "purpose": "观察断口"})
    assert resp.status_code == 302
    b = Booking.query.one()
    assert "等待运营单位确认" in client.get(resp.location).get_data(as_text=True)
    assert "YY" in client.get("/bookings").get_data(as_text=True)
    client.post("/logout")
    login(client, owner)
    html = client.get("/bookings/queue?status=requested").get_data(as_text=True)
    assert f'data-booking="{b.id}"' in html
    assert 'data-confirm="确定确认该预约吗' in client.get(f"/bookings/{b.id}").get_data(as_text=True)
    resp = client.post(f"/bookings/{b.id}/reject", data={"reason": ""})
    assert resp.status_code == 422 and 'id="err-reason"' in resp.get_data(as_text=True)
    assert client.post(f"/bookings/{b.id}/approve").status_code == 302
    assert db.session.get(Booking, b.id).status == "approved"
    html = client.get(f"/bookings/resources/{res.id}/report").get_data(as_text=True)
    assert "后补助申报包" in html


def test_workbench_sections_for_owner_and_customer(world, ctx):
    from marketplace.core import workbench
    owner, res, s, company = world
    monday = fb.monday_ahead()
    fb.booking(company, s, fb.at(monday, 9))
    used = fb.booking(company, s, fb.at(monday, 10), status="used")
    mine = fb.booking(company, s, fb.at(monday, 14), status="approved")
    mine.starts_at -= timedelta(days=30)  # began a month ago, usage not recorded yet
    db.session.commit()
    with ctx.test_request_context():
        own = next(x for x in workbench.collect(owner) if x.title == "服务预约")
        assert {t.label: t.count for t in own.todos} == {"待审批的服务预约": 1, "待登记使用情况的预约": 1}
        cust = next(x for x in workbench.collect(company) if x.title == "服务预约")
        assert {t.label: t.count for t in cust.todos} == {"待评价的服务": 1}
        assert [f.value for f in cust.figures] == ["1 项"]  # the request still ahead
        assert not [x for x in workbench.collect(fb.customer()) if x.title == "服务预约"]
    assert used.status == "used"
