"""No double booking, decided by the database: two users book the same slot at the same moment, each in its own
thread with its own database connection, both having passed the availability check before either inserts.
Exactly one wins; the other gets a clear 409. Runs on SQLite and (with `make test`) on PostgreSQL."""
import threading

from marketplace.bookings import services as svc
from marketplace.bookings.models import Booking, BookingSlot
from marketplace.core.errors import Conflict
from marketplace.extensions import db

from . import factories_bookings as fb
from .conftest import login


def _both_past_the_check(monkeypatch):
    """Make each booking wait after its availability check until the other has checked too."""
    barrier = threading.Barrier(2, timeout=20)
    real = svc.check_free

    def check_then_wait(service, units):
        real(service, units)
        barrier.wait()
    monkeypatch.setattr(svc, "check_free", check_then_wait)


def test_two_sessions_book_the_same_slot_exactly_one_wins(app, f, monkeypatch):
    with app.app_context():
        owner, res = fb.owner_and_resource()
        s = fb.service(owner, res)
        a, b = fb.customer(), fb.customer()
        sid, users, start = s.id, [a.id, b.id], fb.at(fb.monday_ahead(), 9)
        db.session.remove()
    _both_past_the_check(monkeypatch)
    results = {}

    def attempt(user_id):
        with app.app_context():  # its own session, its own connection
            from marketplace.accounts.models import User
            user = db.session.get(User, user_id)
            service = db.session.get(svc.BookableService, sid)
            try:
                svc.book(user, service, {"starts_at": start, "slots": 2, "purpose": "同一时段"})
                db.session.commit()
                results[user_id] = "won"
            except Conflict as exc:
                db.session.rollback()
                results[user_id] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values()) == ["won", "该时段刚刚被其他用户预约，请选择其他时段"], results
    with app.app_context():
        assert Booking.query.count() == 1 and BookingSlot.query.count() == 2
        winner = Booking.query.one()
        assert results[winner.customer_user_id] == "won"
        db.session.remove()


def test_two_browsers_post_the_same_slot_one_201_one_409(app, f, monkeypatch):
    with app.app_context():
        owner, res = fb.owner_and_resource()
        s = fb.service(owner, res, policy="open")
        users = [fb.customer(), fb.customer()]
        body = {"bookable_id": s.id, "starts_at": fb.at(fb.monday_ahead(), 14), "purpose": "同一时段"}
        path = f"/api/v1/services/{res.id}/bookings"
        clients = []
        for u in users:
            c = app.test_client()
            login(c, u)
            clients.append(c)
        db.session.remove()
    _both_past_the_check(monkeypatch)
    answers = []

    def post(c):
        r = c.post(path, json=body)
        answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(code for code, _ in answers)
    assert codes == [201, 409], answers
    loser = next(j for code, j in answers if code == 409)
    assert loser["error"]["message"] == "该时段刚刚被其他用户预约，请选择其他时段"
    assert loser["error"]["fields"] == {"starts_at": "该时段已被预约"}
    with app.app_context():
        assert Booking.query.count() == 1 and Booking.query.one().status == "approved"
        db.session.remove()
