"""路演与对接会 attacked through HTTP (session + CSRF and Bearer tokens) and through stale copies of rows (what a
second request changed meanwhile). Each test here failed before the fix it guards (docs/notes/events.md, "Attack
review"), except `test_what_held_*`, which keep refused what was already refused."""
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from marketplace.core.errors import Conflict
from marketplace.events import services
from marketplace.events.models import Event, Interest, Registration
from marketplace.extensions import db

from . import factories_events as fe
from .conftest import csrf_token, login


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def elsewhere(stmt):
    """`stmt` run and committed by another transaction (a second request), behind the test session's back."""
    with Session(db.engine) as other:
        other.execute(stmt)
        other.commit()


def _running(f, admin=None, **over):
    """A roadshow that started an hour ago, one achievement presented, one broker."""
    inst = f.user("institution", city="赣州")
    ach = f.record("achievements", inst, status="published")
    broker = f.user("broker")
    admin = admin or fe.organiser()
    e = fe.event(admin, achievements=[ach], brokers=[broker], **{
        "starts_at": fe.when(0, -1), "ends_at": fe.when(0, 3), "registration_deadline": fe.when(0, 2), **over})
    return e, admin, inst, ach, broker


# Findings -----------------------------------------------------------------------------------------------------

def test_outcomes_of_an_event_with_a_signed_contract_answer_everyone_without_the_contracts(client, f):
    """Was a 500 for everyone but the organisers: the Contract rows stayed in the answer and could not be
    serialised."""
    from marketplace.contracts import services as contracts
    from marketplace.contracts.models import Contract
    e, admin, inst, ach, broker = _running(f)
    company = f.user("company", city="赣州")
    services.register(company, e)
    services.mark_interest(company, e, {"achievement_id": ach.id})
    contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": "永磁技术许可合同",
                            "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "1234567.89",
                            "signed_on": services.now_local().date().isoformat(), "city": "赣州", "industry": "新材料",
                            "achievement_id": ach.id})
    Contract.query.one().status = "registered"
    db.session.commit()
    for headers in ({}, bearer(f, company), bearer(f, broker)):
        r = client.get(f"/api/v1/events/{e.id}/outcomes", headers=headers)
        assert r.status_code == 200, r.json
        assert (r.json["contracts"], r.json["contract_value"], r.json["contract_items"]) == (1, "1234567.89", [])
        assert "contract_list" not in r.json
    r = client.get(f"/api/v1/events/{e.id}/outcomes", headers=bearer(f, admin))
    assert [c["amount"] for c in r.json["contract_items"]] == ["1234567.89"]


def test_control_characters_and_line_breaks_in_one_line_fields_are_refused(client, f):
    """NUL made PostgreSQL refuse the row (a 400 about numbers at best); bidi overrides disguise a title; a line break
    in a title or venue went into notifications, iCalendar lines and Excel cells."""
    h = bearer(f, fe.organiser())
    cases = [("title", "路演\x00测试活动"), ("title", "路演\u202e测试活动"), ("title", "路演\r\nBEGIN:VEVENT\r\nX:伪造"),
             ("venue", "会场\nEND:VEVENT"), ("online_url", "https://meeting.example.cn/\u202egpj.exe"),
             ("summary", "简介\x1b[31m红字")]
    for field, bad in cases:
        r = client.post("/api/v1/events", json=fe.body(**{field: bad}), headers=h)
        assert r.status_code == 422, (field, bad, r.json)
        assert field in r.json["error"]["fields"]
    r = client.post("/api/v1/events", json=fe.body(agenda=[{"starts_at": fe.when(10), "title": "开幕\n致辞"}]),
                    headers=h)
    assert r.status_code == 422 and "agenda.0.title" in r.json["error"]["fields"]
    assert Event.query.count() == 0  # nothing half-written
    r = client.post("/api/v1/events", json=fe.body(summary="第一段。\n第二段。"), headers=h)  # a summary has paragraphs
    assert r.status_code == 201, r.json


def test_fractions_are_refused_not_cut_to_another_number(client, f):
    """capacity 1.5 became 1, and achievement_id 1.9 became achievement 1 (another achievement)."""
    e, admin, inst, ach, broker = _running(f)
    r = client.post("/api/v1/events", json=fe.body(capacity=1.5), headers=bearer(f, admin))
    assert r.status_code == 422 and r.json["error"]["fields"]["capacity"] == "应为整数"
    r = client.put(f"/api/v1/events/{e.id}", json={"capacity": 30.0}, headers=bearer(f, admin))
    assert r.status_code == 200 and r.json["capacity"] == 30  # a whole number written as a float is fine
    company = f.user("company", city="赣州")
    services.register(company, e)
    db.session.commit()
    r = client.post(f"/api/v1/events/{e.id}/interests", json={"achievement_id": ach.id + 0.9},
                    headers=bearer(f, company))
    assert r.status_code == 422 and "achievement_id" in r.json["error"]["fields"]
    assert Interest.query.count() == 0


def test_messages_about_query_strings_and_bodies_are_chinese(client, f):
    """Were “kind 不在可选范围内”, “reason：应为文本” and “_：不认识的字段” for a body that is not an object."""
    r = client.get("/api/v1/events?kind=<script>alert(1)</script>")
    assert r.status_code == 400 and r.json["error"]["message"] == "活动类型不在可选范围内"
    assert "<script>" not in r.get_data(as_text=True)
    r = client.get("/api/v1/events?when=soon")
    assert r.json["error"]["message"] == "时间范围不在可选范围内" and "即将举办" in r.json["error"]["fields"]["when"]
    assert client.get("/events?city=%00").status_code == 400
    admin = fe.organiser()
    e = fe.event(admin)
    h = bearer(f, admin)
    r = client.post(f"/api/v1/events/{e.id}/cancel", data="abc", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["error"]["message"] == "请求体应为 JSON 对象"
    r = client.post(f"/api/v1/events/{e.id}/cancel", json={"reason": 5}, headers=h)
    assert r.status_code == 422 and r.json["error"]["message"] == "原因：应为文本"
    r = client.post(f"/api/v1/events/{e.id}/registrations", json=["x"], headers=bearer(f, f.user("company")))
    assert r.status_code == 400 and r.json["error"]["message"] == "请求体应为 JSON 对象"
    db.session.expire_all()
    assert db.session.get(Event, e.id).status == "published" and Registration.query.count() == 0


def test_check_in_opens_on_the_event_day(client, f):
    """A code was accepted weeks before the event (and then could not be cancelled any more)."""
    admin = fe.organiser()
    e = fe.event(admin)  # in ten days
    company = f.user("company")
    reg = services.register(company, e)
    db.session.commit()
    r = client.post(f"/api/v1/events/{e.id}/checkin", json={"code": reg.code}, headers=bearer(f, admin))
    assert r.status_code == 409 and "签到在活动当天开放" in r.json["error"]["message"], r.json
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).checked_in_at is None
    r = client.post(f"/api/v1/events/registrations/{reg.id}/cancel", headers=bearer(f, company))
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    # later the same day as the start: open
    today = fe.event(admin, starts_at=fe.when(0, 1), ends_at=fe.when(0, 3), registration_deadline=fe.when(0, 1))
    if today.starts_at.date() == services.now_local().date():
        reg2 = services.register(company, today)
        db.session.commit()
        r = client.post(f"/api/v1/events/{today.id}/checkin", json={"code": reg2.code}, headers=bearer(f, admin))
        assert r.status_code == 200 and r.json["checked_in_at"]


def test_a_registration_reads_the_event_again_under_the_roster_lock(f):
    """The event loaded before the lock was used after it: a seat was handed out after the organiser had lowered the
    capacity to the seats taken, and a registration was taken by an event cancelled meanwhile."""
    admin = fe.organiser()
    e = fe.event(admin, capacity=3)
    first, second, late = f.user("company"), f.user("company"), f.user("company")
    services.register(first, e)
    db.session.commit()
    assert e.capacity == 3  # the request's copy of the event, loaded before the organiser's change
    elsewhere(update(Event).where(Event.id == e.id).values(capacity=1))
    reg = services.register(second, e)
    assert reg.status == "waitlisted" and services.counts(e)["registered"] == 1
    db.session.commit()
    assert e.status == "published"
    elsewhere(update(Event).where(Event.id == e.id).values(status="cancelled", cancel_reason="场地临时取消"))
    try:
        services.register(late, e)
        raise AssertionError("registered for a cancelled event")
    except Conflict:
        db.session.rollback()
    assert Registration.query.filter_by(user_id=late.id).count() == 0


def test_a_check_in_and_a_cancellation_racing_leave_one_of_them(f):
    """Both wrote: a second organiser checked in a registration already checked in (two audits), a registration
    cancelled meanwhile was checked in (an attendee without a seat), and a registrant cancelled a seat just checked
    in (the attendee counted, the seat given away)."""
    e, admin, *_ = _running(f, capacity=5)
    a, b, c = f.user("company"), f.user("company"), f.user("company")
    ra, rb, rc = (services.register(u, e) for u in (a, b, c))
    db.session.commit()
    assert ra.checked_in_at is None and rb.status == "registered" and rc.checked_in_at is None
    elsewhere(update(Registration).where(Registration.id == ra.id).values(checked_in_at=services.utcnow()))
    elsewhere(update(Registration).where(Registration.id == rb.id).values(status="cancelled"))
    elsewhere(update(Registration).where(Registration.id == rc.id).values(checked_in_at=services.utcnow()))
    for reg, action in ((ra, lambda: services.check_in(admin, e, ra.code)),
                        (rb, lambda: services.check_in(admin, e, None, rb.id)),
                        (rc, lambda: services.cancel_registration(c, rc))):
        try:
            action()
            raise AssertionError(f"registration {reg.id}: both writes went through")
        except Conflict:
            db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Registration, rb.id).checked_in_at is None
    assert db.session.get(Registration, rc.id).status == "registered"


def test_a_lead_becomes_one_introduction_even_when_two_brokers_click_at_once(client, f):
    """The lead's status was read, not compared-and-set: two brokers (or a double click) made two introductions."""
    from marketplace.brokers.models import Introduction
    e, admin, inst, ach, broker = _running(f)
    broker2 = f.user("broker")
    services.update(admin, e, {"broker_ids": [broker.id, broker2.id]})
    company = f.user("company", city="赣州")
    demand = f.record("demands", company, status="published", city="赣州")
    services.register(company, e)
    interest = services.mark_interest(company, e, {"achievement_id": ach.id, "demand_id": demand.id})
    db.session.commit()
    assert interest.status == "new"  # broker 2's request read the lead before broker 1's went through
    elsewhere(update(Interest).where(Interest.id == interest.id).values(status="introduced", broker_id=broker.id))
    try:
        services.introduce(broker2, interest, {})
        raise AssertionError("introduced twice")
    except Conflict:
        db.session.rollback()
    assert Introduction.query.count() == 0 and db.session.get(Interest, interest.id).broker_id == broker.id
    # and through the API, a lead already turned is a 409
    r = client.post(f"/api/v1/events/interests/{interest.id}/introduce", json={}, headers=bearer(f, broker2))
    assert r.status_code == 409


def test_a_draft_cancelled_before_publication_stays_private_and_cancelled_events_leave_the_lists(client, f):
    """A draft cancelled before it was ever published became public (page, API, iCalendar feed); cancelled events
    stayed in the public list of upcoming events."""
    admin = fe.organiser()
    draft = fe.event(admin, status="draft", title="内部筹备中的对接会草稿")
    services.fire(admin, draft, "cancel", "内部调整不再举办")
    shown = fe.event(admin, title="已发布后取消的路演活动")
    services.fire(admin, shown, "cancel", "因台风预警取消")
    fe.event(admin, title="照常举办的路演活动")
    db.session.commit()
    anon = client.application.test_client()
    stranger = bearer(f, f.user("company"))
    for headers in ({}, stranger):
        assert anon.get(f"/api/v1/events/{draft.id}", headers=headers).status_code == 404
        titles = [i["title"] for i in anon.get("/api/v1/events", headers=headers).json["items"]]
        assert titles == ["照常举办的路演活动"]
    assert anon.get(f"/events/{draft.id}").status_code == 404
    assert anon.get(f"/events/{draft.id}.ics").status_code == 404
    for when in ("upcoming", "past"):
        html = anon.get(f"/events?when={when}").get_data(as_text=True)
        assert "内部筹备中" not in html and "已发布后取消" not in html
    feed = anon.get("/events/feed.ics").get_data(as_text=True)
    assert "内部筹备中" not in feed
    assert "已发布后取消的路演活动（已取消）" in feed and "STATUS:CANCELLED" in feed  # subscribers' calendars drop it
    page = anon.get(f"/events/{shown.id}")  # its registrants were sent this page
    assert page.status_code == 200 and "因台风预警取消" in page.get_data(as_text=True)
    login(client, admin)  # the organisers still see both on their own page
    html = client.get("/events/manage").get_data(as_text=True)
    assert "内部筹备中" in html and "已发布后取消" in html


def test_a_no_show_cannot_mark_interest_after_an_in_person_event(client, f):
    """A registrant who never came could mark interest days after an in-person roadshow, counted as its outcome."""
    e, admin, inst, ach, broker = _running(f, starts_at=fe.when(-2), ends_at=fe.when(-2, 4),
                                           registration_deadline=fe.when(-2, -1))
    came, absent = f.user("company", city="赣州"), f.user("company", city="赣州")
    regs = {}
    for u in (came, absent):  # registered before the deadline
        regs[u.id] = Registration(event_id=e.id, user_id=u.id, org_id=u.org_id, status="registered",
                                  code=services._new_code())
        db.session.add(regs[u.id])
    db.session.flush()
    regs[came.id].checked_in_at = services.utcnow() - timedelta(days=2)
    db.session.commit()
    r = client.post(f"/api/v1/events/{e.id}/interests", json={"achievement_id": ach.id}, headers=bearer(f, absent))
    assert r.status_code == 403 and "须已签到" in r.json["error"]["message"]
    login(client, absent)
    assert "btn-interest" not in client.get(f"/events/{e.id}").get_data(as_text=True)
    r = client.post(f"/api/v1/events/{e.id}/interests", json={"achievement_id": ach.id}, headers=bearer(f, came))
    assert r.status_code == 201
    # an online event has no check-in desk: its registrants may mark interest afterwards
    online = fe.event(admin, achievements=[ach], venue=None, city=None, online_url="https://meeting.example.cn/1",
                      starts_at=fe.when(-2), ends_at=fe.when(-2, 4), registration_deadline=fe.when(-2, -1))
    db.session.add(Registration(event_id=online.id, user_id=absent.id, org_id=absent.org_id, status="registered",
                                code=services._new_code()))
    db.session.commit()
    assert services.may_mark_interest(absent, online)


def test_challenges_presented_must_be_public(client, f):
    """Any integer was accepted as a challenge presented, and shown as a link: a draft's id was published."""
    from . import factories_challenges as fc
    draft = fc.challenge(status="draft")
    public = fc.challenge(status="published")
    h = bearer(f, fe.organiser())
    for bad in ([draft.id], [public.id + 999]):
        r = client.post("/api/v1/events", json=fe.body(challenge_ids=bad), headers=h)
        assert r.status_code == 422 and "challenge_ids" in r.json["error"]["fields"], r.json
    r = client.post("/api/v1/events", json=fe.body(challenge_ids=[public.id, public.id]), headers=h)
    assert r.status_code == 201 and [p["challenge_id"] for p in r.json["presented"]] == [public.id]


def test_an_online_link_that_is_not_http_is_never_a_link(client, f):
    """The form and API refuse it; a row written any other way (SQL, an old import) is shown as text, not as a
    javascript: link."""
    admin = fe.organiser()
    e = fe.event(admin, online_url="https://meeting.example.cn/88")
    r = client.put(f"/api/v1/events/{e.id}", json={"online_url": "javascript:alert(document.cookie)"},
                   headers=bearer(f, admin))
    assert r.status_code == 422
    elsewhere(update(Event).where(Event.id == e.id).values(online_url="javascript:alert(document.cookie)"))
    db.session.expire_all()  # the test client's requests share the test's session
    html = client.get(f"/events/{e.id}").get_data(as_text=True)
    assert 'href="javascript:' not in html and "javascript:alert(document.cookie)" in html


# What held ------------------------------------------------------------------------------------------------------

def test_what_held_authorisation(client, f):
    """Every read and write of a registration, the registrant list, check-in and leads, for the wrong user."""
    e, admin, inst, ach, broker = _running(f)
    other_centre = fe.organiser(city="南昌")
    e2, *_ = _running(f, admin=other_centre)
    province = fe.organiser(level="province", city="南昌")
    a, b = f.user("company", city="赣州"), f.user("company", city="赣州")
    ra = services.register(a, e)
    services.register(b, e2)
    draft = fe.event(admin, status="draft", title="内部草稿活动")
    db.session.commit()
    login(client, b)
    token = csrf_token(client, "/events")
    assert client.post(f"/events/registrations/{ra.id}/cancel", headers={"X-CSRFToken": token}).status_code == 404
    assert client.get(f"/events/registrations/{ra.id}/qr.svg").status_code == 404
    for path in (f"/events/{e.id}/registrations", f"/events/{e.id}/registrations.xlsx", f"/events/{e.id}/checkin"):
        assert client.get(path).status_code == 403
    assert client.get(f"/events/{draft.id}").status_code == 404
    for u in (other_centre, province, broker, f.user("broker")):
        h = bearer(f, u)
        assert client.get(f"/api/v1/events/{e.id}/registrations", headers=h).status_code == 403
        assert client.post(f"/api/v1/events/{e.id}/checkin", json={"code": ra.code}, headers=h).status_code == 403
        assert client.get(f"/events/registrations/{ra.id}/qr.svg", headers=h).status_code == 404
        assert client.post(f"/api/v1/events/registrations/{ra.id}/cancel", headers=h).status_code == 404
        assert client.get(f"/api/v1/events/{draft.id}", headers=h).status_code == 404
    # a code of one event is not valid at another, even for that other event's organisers
    r = client.post(f"/api/v1/events/{e2.id}/checkin", json={"code": ra.code}, headers=bearer(f, other_centre))
    assert r.status_code == 404
    r = client.post(f"/api/v1/events/{e2.id}/checkin", json={"registration_id": ra.id}, headers=bearer(f, other_centre))
    assert r.status_code == 404
    # personal data: the public answers name no registrant
    for path in (f"/api/v1/events/{e.id}", f"/events/{e.id}", f"/events/{e.id}.ics", "/events/feed.ics",
                 f"/api/v1/events/{e.id}/outcomes", "/api/v1/events"):
        body = client.application.test_client().get(path).get_data(as_text=True)
        assert a.email not in body and a.name not in body and ra.code not in body, path
    # a broker of another event neither sees nor converts this event's leads
    interest = services.mark_interest(a, e, {"achievement_id": ach.id})
    db.session.commit()
    stranger_broker = f.user("broker")
    assert client.get("/api/v1/events/leads", headers=bearer(f, stranger_broker)).json["total"] == 0
    r = client.post(f"/api/v1/events/interests/{interest.id}/introduce", json={}, headers=bearer(f, stranger_broker))
    assert r.status_code == 404
    assert client.get("/api/v1/events/leads", headers=bearer(f, broker)).json["total"] == 1


def test_what_held_workflow_abuse(client, f):
    e, admin, inst, ach, broker = _running(f, capacity=1)
    a, b = f.user("company"), f.user("company")
    ha, hb = bearer(f, a), bearer(f, b)
    assert client.post(f"/api/v1/events/{e.id}/registrations", headers=ha).json["status"] == "registered"
    assert client.post(f"/api/v1/events/{e.id}/registrations", headers=ha).status_code == 409
    assert client.post(f"/api/v1/events/{e.id}/registrations", headers=hb).json["status"] == "waitlisted"
    r = client.put(f"/api/v1/events/{e.id}", json={"capacity": 0}, headers=bearer(f, admin))
    assert r.status_code == 422
    ra = Registration.query.filter_by(user_id=a.id).one()
    assert client.post(f"/api/v1/events/registrations/{ra.id}/cancel", headers=ha).json["status"] == "cancelled"
    assert client.post(f"/api/v1/events/registrations/{ra.id}/cancel", headers=ha).status_code == 409
    rb = Registration.query.filter_by(user_id=b.id).one()
    assert rb.status == "registered"  # promoted
    r = client.post(f"/api/v1/events/{e.id}/interests", json={"achievement_id": ach.id}, headers=ha)
    assert r.status_code == 403  # cancelled: no seat
    assert client.post(f"/api/v1/events/{e.id}/checkin", json={"code": rb.code},
                       headers=bearer(f, admin)).status_code == 200
    assert client.post(f"/api/v1/events/{e.id}/checkin", json={"code": rb.code},
                       headers=bearer(f, admin)).status_code == 409
    r = client.post(f"/api/v1/events/{e.id}/cancel", json={"reason": "场地不可用"}, headers=bearer(f, admin))
    assert r.status_code == 200
    assert client.post(f"/api/v1/events/{e.id}/registrations", headers=bearer(f, f.user("company"))).status_code == 409
    from marketplace.notifications.models import Notification
    assert Notification.query.filter_by(user_id=rb.user_id).filter(Notification.title.like("活动已取消%")).count() == 1


def test_what_held_output(client, f):
    """Titles and agenda are escaped on every page; iCalendar folds and escapes; the export keeps formulas as text."""
    import io

    from icalendar import Calendar
    from openpyxl import load_workbook
    admin = fe.organiser()
    e = fe.event(admin, title="<script>alert(1)</script>路演", venue="<img src=x onerror=alert(2)>",
                 summary="=HYPERLINK(\"http://evil\")\n第二行；逗号,分号;反斜杠\\",
                 agenda=[{"starts_at": fe.when(10), "title": "<b>开幕</b>", "speaker": "<i>x</i>"}])
    company = f.user("company")
    services.register(company, e, {"note": "=1+2"})
    db.session.commit()
    login(client, admin)
    for path in ("/events", f"/events/{e.id}", f"/events/{e.id}/agenda", "/events/manage",
                 f"/events/{e.id}/registrations", f"/events/{e.id}/checkin?code=<script>x</script>"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>开幕" not in html \
            and "<script>x" not in html, path
    cal = Calendar.from_ical(client.get("/events/feed.ics").data)
    (v,) = cal.walk("VEVENT")
    assert str(v["description"]).endswith(f"/events/{e.id}") and "第二行；逗号,分号;反斜杠\\" in str(v["description"])
    wb = load_workbook(io.BytesIO(client.get(f"/events/{e.id}/registrations.xlsx").data))
    note = wb.active.cell(row=2, column=8)
    assert note.value == "=1+2" and note.data_type == "s"
