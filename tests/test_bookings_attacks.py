"""服务预约 attacked through HTTP (Bearer tokens and session + CSRF): a double booking after the owner changes the
slot length, numbers silently truncated, control characters, racing usage records, hostile text in the outputs.
Each test here failed before the fix it guards (see docs/notes/bookings.md, "Attack review"), except `test_what_held`
and the hostile-text test, which keep refused what was already refused."""
import threading
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.bookings import services as svc
from marketplace.bookings.models import Booking
from marketplace.core.errors import AppError
from marketplace.core.models import AuditLog
from marketplace.extensions import db

from . import factories_bookings as fb
from .conftest import login


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


@pytest.fixture
def world(f):
    owner, res = fb.owner_and_resource()
    s = fb.service(owner, res)
    company = fb.customer()
    return owner, res, s, company


def test_changing_the_slot_length_never_lets_two_bookings_overlap(world, client, f):
    """A 10:00–11:00 booking holds the slot starting 10:00; after the owner switches to 30-minute slots, 10:30 is a
    new slot start the unique index does not know. Before the fix it was booked a second time."""
    owner, res, s, company = world
    day = fb.monday_ahead()
    fb.booking(company, s, fb.at(day, 10), status="approved")
    ho = bearer(f, owner)
    r = client.put(f"/api/v1/bookable/{s.id}", headers=ho, json={
        "name": s.name, "kind": "hours", "unit_price": "300", "opening_hours": fb.WEEKDAYS_9_TO_5, "slot_minutes": 30})
    assert r.status_code == 200 and r.json["slot_minutes"] == 30
    path = f"/api/v1/services/{res.id}/bookings"
    other = bearer(f, fb.customer())
    r = client.post(path, headers=other, json={"bookable_id": s.id, "starts_at": fb.at(day, 10, 30), "purpose": "重叠的预约"})
    assert r.status_code == 409 and r.json["error"]["fields"] == {"starts_at": "该时段已被预约"}
    r = client.post(path, headers=other, json={"bookable_id": s.id, "starts_at": fb.at(day, 9, 30), "slots": 2,
                                               "purpose": "跨进已约时段"})
    assert r.status_code == 409
    slots = client.get(f"/api/v1/services/{res.id}/slots?date={day}").json["services"][0]["days"][0]["slots"]
    states = {x["start"][-5:]: x["state"] for x in slots}
    assert (states["09:30"], states["10:00"], states["10:30"], states["11:00"]) == ("free", "taken", "taken", "free")
    assert client.post(path, headers=other, json={"bookable_id": s.id, "starts_at": fb.at(day, 11),
                                                  "purpose": "紧接其后"}).status_code == 201
    # and the other way round: 60 → 120-minute slots from 09:00 cover the 10:00 booking
    s2 = fb.service(owner, res, name="X射线衍射仪机时")
    fb.booking(company, s2, fb.at(day, 10), status="approved")
    r = client.put(f"/api/v1/bookable/{s2.id}", headers=ho, json={
        "name": s2.name, "kind": "hours", "unit_price": "300", "opening_hours": {"1": "09:00-13:00"}, "slot_minutes": 120})
    assert r.status_code == 200
    r = client.post(path, headers=other, json={"bookable_id": s2.id, "starts_at": fb.at(day, 9), "purpose": "两小时时段"})
    assert r.status_code == 409
    assert Booking.query.filter(Booking.status.in_(("requested", "approved"))).count() == 3


@pytest.mark.parametrize("field, value", [("slots", 1.5), ("slots", "2.5"), ("samples", 2.7)])
def test_fractional_counts_are_refused_not_truncated(world, client, f, field, value):
    owner, res, s, company = world
    t = fb.service(owner, res, name="材料成分测试", kind="samples", unit_price="80")
    sid = t.id if field == "samples" else s.id
    body = {"bookable_id": sid, "starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "样品测试", "samples": 3, field: value}
    r = client.post(f"/api/v1/services/{res.id}/bookings", headers=bearer(f, company), json=body)
    assert r.status_code == 422 and r.json["error"]["fields"][field] == "应为整数", r.json
    assert Booking.query.count() == 0


def test_a_fractional_rating_or_sample_count_in_usage_is_refused(world, client, f):
    owner, res, s, company = world
    t = fb.service(owner, res, name="材料成分测试", kind="samples", unit_price="80")
    b = fb.booking(company, t, fb.at(fb.monday_ahead(), 9), status="approved")
    b.starts_at -= timedelta(days=60)
    db.session.commit()
    r = client.post(f"/api/v1/bookings/{b.id}/record-usage", headers=bearer(f, owner), json={"used_samples": 2.5})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"used_samples": "应为整数"}
    assert client.post(f"/api/v1/bookings/{b.id}/record-usage", headers=bearer(f, owner),
                       json={"used_samples": 3}).json["fee"] == "240.00"
    r = client.post(f"/api/v1/bookings/{b.id}/rate", headers=bearer(f, company), json={"rating": 4.5})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"rating": "应为整数"}
    assert db.session.get(Booking, b.id).rating is None
    assert client.post(f"/api/v1/bookings/{b.id}/rate", headers=bearer(f, company), json={"rating": "5"}).status_code == 200


def test_control_characters_are_refused(world, client, f):
    owner, res, s, company = world
    r = client.post(f"/api/v1/services/{res.id}/bookings", headers=bearer(f, company),
                    json={"bookable_id": s.id, "starts_at": fb.at(fb.monday_ahead(), 9), "purpose": "观察\x00断口"})
    assert r.status_code == 422 and r.json["error"]["fields"] == {"purpose": "含有不可见的控制字符，请删除后重试"}
    r = client.put(f"/api/v1/bookable/{s.id}", headers=bearer(f, owner), json={
        "name": "电镜\u202e机时", "kind": "hours", "unit_price": "300", "opening_hours": fb.WEEKDAYS_9_TO_5})
    assert r.status_code == 422 and "name" in r.json["error"]["fields"]
    assert Booking.query.count() == 0


def test_two_usage_records_at_once_exactly_one_wins(app, f, monkeypatch):
    """A double click on 登记使用情况 (or the customer cancelling at that moment): both requests read “已确认”."""
    with app.app_context():
        owner, res = fb.owner_and_resource()
        s = fb.service(owner, res)
        b = fb.booking(fb.customer(), s, fb.at(fb.monday_ahead(), 9), status="approved")
        bid, owner_id, after = b.id, owner.id, b.starts_at + timedelta(hours=2)
        db.session.remove()
    barrier = threading.Barrier(2, timeout=20)
    real = svc._usage_values

    def values_then_wait(b, data):
        out = real(b, data)
        barrier.wait()
        return out
    monkeypatch.setattr(svc, "_usage_values", values_then_wait)
    results = []

    def attempt(hours):
        with app.app_context():
            from marketplace.accounts.models import User
            try:
                svc.act(db.session.get(User, owner_id), db.session.get(Booking, bid), "record-usage",
                        {"used_hours": hours}, now=after)
                db.session.commit()
                results.append("won")
            except AppError as exc:
                db.session.rollback()
                results.append((exc.status, exc.message))
            finally:
                db.session.remove()
    threads = [threading.Thread(target=attempt, args=(h,)) for h in ("1", "2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(map(str, results)) == sorted(["won", str((409, "预约状态刚刚被其他操作改变，请刷新后重试"))]), results
    with app.app_context():
        assert AuditLog.query.filter_by(entity_type="booking", entity_id=bid, action="record-usage").count() == 1
        db.session.remove()


def test_what_held(world, client, f):
    """Attacks that were already refused (kept so that they stay refused)."""
    owner, res, s, company = world
    other_owner, other_res = fb.owner_and_resource(title="另一家中试平台")
    other_s = fb.service(other_owner, other_res)
    stranger = fb.customer()
    day = fb.monday_ahead()
    mine = fb.booking(company, s, fb.at(day, 9))
    # another customer, another resource's owner, an administrator of another city: 404, not even told it exists
    for who in (stranger, other_owner, f.user("admin", admin_level="city", city="九江")):
        h = bearer(f, who)
        assert client.get(f"/api/v1/bookings/{mine.id}", headers=h).status_code == 404
        for action in ("approve", "cancel", "owner-cancel", "record-usage", "rate"):
            assert client.post(f"/api/v1/bookings/{mine.id}/{action}", json={"reason": "冒名操作"},
                               headers=h).status_code == 404, (who.role, action)
    assert client.post(f"/api/v1/bookings/{mine.id}/approve", headers=bearer(f, company)).status_code == 403
    assert client.get(f"/api/v1/services/{res.id}/bookings/report", headers=bearer(f, other_owner)).status_code == 403
    assert client.get(f"/api/v1/services/{res.id}/bookings/claim.xlsx", headers=bearer(f, company)).status_code == 403
    assert client.put(f"/api/v1/bookable/{s.id}", headers=bearer(f, other_owner), json={
        "name": "冒名服务", "kind": "hours", "unit_price": "1", "opening_hours": fb.WEEKDAYS_9_TO_5}).status_code == 403
    # bookings on another resource's service through this resource's address
    r = client.post(f"/api/v1/services/{res.id}/bookings", headers=bearer(f, stranger),
                    json={"bookable_id": other_s.id, "starts_at": fb.at(day, 10), "purpose": "借道预约"})
    assert r.status_code == 422
    # the owner's own resource, usage before the slot, double usage, rating before use, twice
    assert client.post(f"/api/v1/services/{res.id}/bookings", headers=bearer(f, owner),
                       json={"bookable_id": s.id, "starts_at": fb.at(day, 10), "purpose": "自己约自己"}).status_code == 403
    ho = bearer(f, owner)
    assert client.post(f"/api/v1/bookings/{mine.id}/approve", headers=ho).status_code == 200
    assert client.post(f"/api/v1/bookings/{mine.id}/record-usage", headers=ho, json={"used_hours": "1"}).status_code == 409
    assert client.post(f"/api/v1/bookings/{mine.id}/rate", headers=bearer(f, company), json={"rating": 5}).status_code == 409
    blackout = client.post(f"/api/v1/bookable/{s.id}/blackouts", headers=ho, json={"day": (day + timedelta(days=1)).isoformat()})
    assert blackout.status_code == 201
    for start, slots in ((fb.at(day + timedelta(days=1), 9), 1), (fb.at(day, 9, 30), 1), (fb.at(day, 11), 2),
                         (fb.at(day, 18), 1), (fb.at(day - timedelta(days=14), 9), 1)):
        r = client.post(f"/api/v1/services/{res.id}/bookings", headers=bearer(f, stranger),
                        json={"bookable_id": s.id, "starts_at": start, "slots": slots, "purpose": "违规时段"})
        assert r.status_code == 422, (start, r.json)
    assert Booking.query.count() == 1


def test_hostile_text_stays_inert_in_pages_and_the_claim_package(world, client, f):
    owner, res, s, company = world
    company.org.name = "=HYPERLINK(\"http://evil\",\"点我\")"
    db.session.commit()
    b = fb.booking(company, s, fb.at(fb.monday_ahead(), 9), status="approved", purpose="<script>alert(1)</script>断口")
    svc.record_usage(owner, b, {"used_hours": "1", "fee": "250.10", "fee_reason": "=1+2 优惠", "invoice_no": "@SUM(A1)"},
                     now=b.starts_at + timedelta(hours=2))
    db.session.commit()
    login(client, owner)
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<script>alert(1)" not in client.get("/bookings/queue").get_data(as_text=True)
    year = b.starts_at.year
    wb = load_workbook(BytesIO(client.get(f"/bookings/resources/{res.id}/claim.xlsx?year={year}").data))
    risky = [c for row in wb["服务记录"].iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "@", "+", "-"))]
    assert sorted(c.value for c in risky) == sorted([company.org.name, "=1+2 优惠", "@SUM(A1)"])
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)
    assert [c.value for c in list(wb["服务记录"].iter_rows())[-1]][10] == 250.1  # the total, written exactly
