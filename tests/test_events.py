"""Events (路演/对接会): workflow, quota and waiting list (also two registrations at once), check-in, interests
becoming broker introductions, outcomes counted from contracts, the iCalendar feed."""
import threading
import time
from decimal import Decimal

import pytest

from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.events import services
from marketplace.events.models import Event, Interest, Registration
from marketplace.extensions import db
from marketplace.notifications.models import Notification

from . import factories_events as fe


def test_workflow_draft_to_closed_with_audit_and_labels(f):
    admin = fe.organiser()
    e = fe.event(admin, status="draft", starts_at=fe.when(-1), ends_at=fe.when(1), registration_deadline=fe.when(1))
    assert e.ref == f"JX-EVT-{e.id:04d}" and e.status == "draft"
    services.fire(admin, e, "publish")
    services.fire(admin, e, "close-registration")
    services.fire(admin, e, "hold")
    services.fire(admin, e, "close")
    assert e.status == "closed"
    with pytest.raises(Conflict):  # a closed event cannot be cancelled
        services.fire(admin, e, "cancel", "场地不可用")
    steps = [(a.action, a.from_state, a.to_state) for a in AuditLog.query.filter_by(entity_type="event")
             .order_by(AuditLog.id)]
    assert steps == [("create", None, "draft"), ("publish", "draft", "published"),
                     ("close-registration", "published", "registration_closed"),
                     ("hold", "registration_closed", "held"), ("close", "held", "closed")]


def test_cancel_needs_a_reason_and_tells_registrants(f):
    admin = fe.organiser()
    e = fe.event(admin)
    company = f.user("company")
    services.register(company, e)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.fire(admin, e, "cancel", "")
    services.fire(admin, e, "cancel", "因台风预警延期举办")
    db.session.commit()
    assert e.status == "cancelled" and e.cancel_reason == "因台风预警延期举办"
    titles = [n.title for n in Notification.query.filter_by(user_id=company.id)]
    assert any(t.startswith("活动已取消") for t in titles) and any(t.startswith("报名成功") for t in titles)


def test_hold_only_after_the_start_and_only_by_the_organiser(f):
    admin = fe.organiser()
    e = fe.event(admin)
    with pytest.raises(Conflict):
        services.fire(admin, e, "hold")
    other_centre = fe.organiser(city="南昌")
    with pytest.raises(Forbidden):
        services.fire(other_centre, e, "close-registration")
    draft = fe.event(admin, status="draft")
    with pytest.raises(NotFound):  # a draft of another centre is not even there
        services.fire(other_centre, draft, "publish")


def test_who_may_create(f):
    for u in (f.user("company"), f.user("broker"), f.user("institution"),
              fe.organiser(level="institution", city="赣州")):
        with pytest.raises(Forbidden):
            services.create(u, fe.body())
    assert services.create(fe.organiser(level="province", city="南昌"), fe.body()).id


@pytest.mark.parametrize("over, field", [
    ({"ends_at": fe.when(9)}, "ends_at"),                      # ends before it starts
    ({"registration_deadline": fe.when(11)}, "registration_deadline"),  # deadline after the end
    ({"venue": None, "online_url": None}, "venue"),
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "1e5"}, "capacity"),
    ({"kind": "茶话会"}, "kind"),
    ({"starts_at": "明天上午"}, "starts_at"),
    ({"starts_at": "2026-02-30 09:00"}, "starts_at"),
    ({"achievement_ids": [999999]}, "achievement_ids"),
    ({"broker_ids": [1]}, "broker_ids"),
    ({"title": "x" * 201}, "title"),
])
def test_hostile_or_wrong_input_is_422_with_the_field(f, over, field):
    admin = fe.organiser()
    with pytest.raises(ValidationFailed) as err:
        services.create(admin, fe.body(**over))
    assert any(k.startswith(field) for k in err.value.fields), err.value.fields


def test_draft_achievements_cannot_be_presented(f):
    inst = f.user("institution")
    draft = f.record("achievements", inst)
    with pytest.raises(ValidationFailed):
        services.create(fe.organiser(), fe.body(achievement_ids=[draft.id]))


def test_times_with_an_offset_are_turned_into_jiangxi_time(f):
    e = services.create(fe.organiser(), fe.body(starts_at="2031-05-01T01:00:00Z", ends_at="2031-05-01T17:00:00+08:00",
                                                registration_deadline="2031-04-30 18:00"))
    assert (e.starts_at.hour, e.ends_at.hour, e.registration_deadline.hour) == (9, 17, 18)
    typed = services.create(fe.organiser(), fe.body(starts_at="２０３１－０５－０１ ０９：００", ends_at="2031-05-01 17：00",
                                                    registration_deadline="2031-04-30 18:00"))
    assert (typed.starts_at, typed.ends_at) == (e.starts_at, e.ends_at)  # full-width, as a Chinese input method types


# Quota and waiting list ------------------------------------------------------------------------------------

def test_quota_waiting_list_and_promotion_on_cancel(f):
    e = fe.event(capacity=2)
    a, b, c, d = (f.user("company") for _ in range(4))
    ra, rb, rc, rd = (services.register(u, e) for u in (a, b, c, d))
    db.session.commit()
    assert [r.status for r in (ra, rb, rc, rd)] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert services.waitlist_position(rc) == 1 and services.waitlist_position(rd) == 2
    with pytest.raises(Conflict):  # one registration per user and event
        services.register(a, e)
    services.cancel_registration(b, rb)
    db.session.commit()
    assert (rb.status, rc.status, rd.status) == ("cancelled", "registered", "waitlisted")
    assert services.waitlist_position(rd) == 1
    assert Notification.query.filter_by(user_id=c.id).filter(Notification.title.like("候补转正%")).count() == 1
    # registering again after cancelling: the same row, at the end of the queue
    again = services.register(b, e)
    db.session.commit()
    assert again.id == rb.id and again.status == "waitlisted" and services.waitlist_position(again) == 2
    # raising the capacity promotes the waiting list, lowering it below the seats taken is refused
    services.update(fe_admin(e), e, {"capacity": 4})
    db.session.commit()
    assert Registration.query.filter_by(event_id=e.id, status="registered").count() == 4
    with pytest.raises(Conflict):
        services.update(fe_admin(e), e, {"capacity": 3})


def fe_admin(e):
    from marketplace.accounts.models import User
    return db.session.get(User, e.created_by_id)


def test_only_companies_and_institutions_before_the_deadline(f):
    e = fe.event()
    for u in (f.user("broker"), fe.organiser()):
        with pytest.raises(Forbidden):
            services.register(u, e)
    unapproved = f.user("company", approved=False)
    with pytest.raises(Forbidden):
        services.register(unapproved, e)
    late = fe.event(starts_at=fe.when(-2), ends_at=fe.when(-1), registration_deadline=fe.when(-1, -1))
    with pytest.raises(Conflict):
        services.register(f.user("institution"), late)
    draft = fe.event(status="draft")
    with pytest.raises(Conflict):
        services.register(f.user("company"), draft)


def _race(app, event_id, user_ids, hold_first: float = 0.6):
    """Two registrations for the last seat at once, each in its own thread, app context and database session:
    the first has counted the seats and written its row but not committed when the second starts."""
    from marketplace.accounts.models import User
    flushed, results = threading.Event(), {}

    def run(i):
        with app.app_context():
            try:
                ev = db.session.get(Event, event_id)
                reg = services.register(db.session.get(User, user_ids[i]), ev)
                if i == 0:
                    flushed.set()
                    time.sleep(hold_first)  # the second is counting (or waiting for the roster lock) now
                db.session.commit()
                results[i] = reg.status
            except Exception as exc:  # noqa: BLE001 - shown by the assertion
                results[i] = repr(exc)
                db.session.rollback()
            finally:
                db.session.remove()
    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert flushed.wait(10)
    second = threading.Thread(target=run, args=(1,))
    second.start()
    first.join(30)
    second.join(30)
    return results


def test_two_people_at_once_exactly_one_gets_the_last_seat(app, f):
    e = fe.event(capacity=1)
    u1, u2 = f.user("company"), f.user("institution")
    event_id, ids = e.id, [u1.id, u2.id]
    db.session.remove()
    results = _race(app, event_id, ids)
    assert sorted(results.values()) == ["registered", "waitlisted"], results
    assert Registration.query.filter_by(event_id=event_id, status="registered").count() == 1


def test_without_the_roster_lock_both_would_get_it(app, f, monkeypatch):
    """The race above is real: with the lock removed, both registrations count one free seat and both win."""
    monkeypatch.setattr(services, "_lock_roster", lambda event: None)
    e = fe.event(capacity=1)
    u1, u2 = f.user("company"), f.user("institution")
    event_id, ids = e.id, [u1.id, u2.id]
    db.session.remove()
    results = _race(app, event_id, ids)
    assert sorted(results.values()) == ["registered", "registered"], results


# Check-in and permissions -------------------------------------------------------------------------------------

def test_check_in_by_code_only_by_organisers(f):
    admin = fe.organiser()
    started = {"starts_at": fe.when(0, -1), "ends_at": fe.when(0, 3), "registration_deadline": fe.when(0, 2)}
    e = fe.event(admin, capacity=1, **started)  # check-in opens on the event's day
    a, b = f.user("company"), f.user("company")
    ra, rb = services.register(a, e), services.register(b, e)
    db.session.commit()
    for who in (a, b, fe.organiser(city="南昌"), f.user("broker")):
        with pytest.raises(Forbidden):
            services.check_in(who, e, ra.code)
        with pytest.raises(Forbidden):
            services.registrations(who, e)
    with pytest.raises(NotFound):
        services.check_in(admin, e, "WRONGCODE1")
    with pytest.raises(Conflict):  # waitlisted: no seat
        services.check_in(admin, e, rb.code)
    reg = services.check_in(admin, e, f"https://example.test/events/{e.id}/checkin?code={ra.code.lower()}")
    assert reg.id == ra.id and reg.checked_in_at is not None
    with pytest.raises(Conflict):
        services.check_in(admin, e, ra.code)
    other = fe.event(admin, **started)
    with pytest.raises(NotFound):  # a code of another event
        services.check_in(admin, other, ra.code)


def test_qr_image_only_for_its_owner_and_organisers(app, client, f):
    from .conftest import login
    admin = fe.organiser()
    e = fe.event(admin)
    owner, stranger = f.user("company"), f.user("company")
    reg = services.register(owner, e)
    db.session.commit()
    url = f"/events/registrations/{reg.id}/qr.svg"
    assert client.get(url).status_code in (302, 401, 404)
    login(client, stranger)
    assert client.get(url).status_code == 404
    client.post("/logout")
    login(client, owner)
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    client.post("/logout")
    login(client, admin)
    assert client.get(url).status_code == 200
    assert reg.code.encode() in client.get(f"/events/{e.id}/registrations").data
    client.post("/logout")
    login(client, owner)
    assert client.get(f"/events/{e.id}/registrations").status_code == 403
    assert client.get(f"/events/{e.id}/registrations.xlsx").status_code == 403


# Interests, leads, introductions, outcomes ----------------------------------------------------------------

@pytest.fixture
def roadshow(f):
    inst = f.user("institution", name="江西理工大学测试", city="赣州")
    ach = f.record("achievements", inst, status="published")
    broker = f.user("broker")
    admin = fe.organiser()
    e = fe.event(admin, achievements=[ach], brokers=[broker], starts_at=fe.when(0, -1), ends_at=fe.when(0, 3),
                 registration_deadline=fe.when(0, 2))
    company = f.user("company", name="赣州测试磁材有限公司", city="赣州")
    demand = f.record("demands", company, status="published", city="赣州", title="高矫顽力磁体降本技术需求")
    services.register(company, e)
    db.session.commit()
    return e, admin, inst, ach, broker, company, demand


def test_interest_becomes_a_lead_then_an_introduction_then_an_outcome(f, roadshow):
    from marketplace.brokers.models import Introduction
    from marketplace.contracts import services as contracts
    e, admin, inst, ach, broker, company, demand = roadshow
    with pytest.raises(ValidationFailed):  # only what the event presents
        services.mark_interest(company, e, {"achievement_id": ach.id + 1000})
    interest = services.mark_interest(company, e, {"achievement_id": ach.id, "note": "希望洽谈许可"})
    db.session.commit()
    with pytest.raises(Conflict):
        services.mark_interest(company, e, {"achievement_id": ach.id})
    assert Notification.query.filter_by(user_id=broker.id).filter(Notification.title.like("新对接线索%")).count() == 1
    assert [i.id for i in db.session.scalars(services.leads_query(broker))] == [interest.id]
    assert list(db.session.scalars(services.leads_query(f.user("broker")))) == []
    with pytest.raises(NotFound):
        services.introduce(f.user("broker"), interest, {"demand_id": demand.id})
    with pytest.raises(ValidationFailed):  # no demand linked yet: the broker must pick one
        services.introduce(broker, interest, {})
    services.introduce(broker, interest, {"demand_id": demand.id})
    db.session.commit()
    intro = db.session.get(Introduction, interest.introduction_id)
    assert (interest.status, intro.stage, intro.broker_id, intro.demand_id, intro.achievement_id) == \
        ("introduced", "introduced", broker.id, demand.id, ach.id)
    # a contract for the same achievement and buyer, signed after the event, is the event's outcome
    contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "永磁技术许可合同",
                            "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "1234567.89",
                            "signed_on": services.now_local().date().isoformat(), "city": "赣州", "industry": "新材料",
                            "achievement_id": ach.id})
    c = __import__("marketplace.contracts.models", fromlist=["Contract"]).Contract.query.one()
    out = services.outcomes(e)
    assert out["contracts"] == 0  # a draft is not signed yet
    c.status = "registered"
    db.session.commit()
    out = services.outcomes(e)
    assert (out["registered"], out["interests"], out["introductions"], out["contracts"]) == (1, 1, 1, 1)
    assert out["contract_value"] == Decimal("1234567.89")


def test_interest_needs_a_seat_and_a_started_event(f, roadshow):
    e, admin, inst, ach, broker, company, demand = roadshow
    with pytest.raises(Forbidden):  # not registered
        services.mark_interest(f.user("company"), e, {"achievement_id": ach.id})
    later = fe.event(admin, achievements=[ach])
    services.register(company, later)
    with pytest.raises(Forbidden):  # not started yet
        services.mark_interest(company, later, {"achievement_id": ach.id})


# iCalendar ----------------------------------------------------------------------------------------------------

def test_ical_feed_parses_back(client, f):
    from icalendar import Calendar
    admin = fe.organiser()
    e = fe.event(admin, starts_at="2031-06-01 09:00", ends_at="2031-06-01 17:30",
                 registration_deadline="2031-05-30 18:00")
    fe.event(admin, status="draft", title="尚未发布的活动草稿")
    r = client.get("/events/feed.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    v = events[0]
    assert "稀土新材料科技成果路演" in str(v["summary"])
    assert v.decoded("dtstart").isoformat() == "2031-06-01T01:00:00+00:00"  # 09:00 in Jiangxi
    assert v.decoded("dtend").isoformat() == "2031-06-01T09:30:00+00:00"
    one = Calendar.from_ical(client.get(f"/events/{e.id}.ics").data)
    assert str(one.walk("VEVENT")[0]["uid"]).startswith(e.ref)


def test_a_change_of_time_or_place_tells_registrants_and_other_edits_do_not(f):
    admin = fe.organiser()
    e = fe.event(admin)
    company = f.user("company")
    services.register(company, e)
    db.session.commit()
    services.update(admin, e, {"summary": "补充：请携带名片"})
    assert Notification.query.filter_by(user_id=company.id).filter(Notification.title.like("活动信息有变更%")).count() == 0
    services.update(admin, e, {"venue": "赣州国际会展中心3号厅"})
    db.session.commit()
    note = Notification.query.filter_by(user_id=company.id).filter(Notification.title.like("活动信息有变更%")).one()
    assert "赣州国际会展中心3号厅" in note.body
    services.fire(admin, e, "close-registration")
    with pytest.raises(Forbidden):
        services.update(company, e, {"venue": "别处"})
