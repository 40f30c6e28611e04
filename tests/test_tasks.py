"""Background work on the Huey queue: pushes and e-mails are handed to the worker after the commit (the web
process only enqueues), the daily jobs are periodic tasks with their schedules, and they do their work.

Most tests switch the queue out of immediate mode (an in-memory queue that nothing consumes) to see what the
web process leaves for the worker, then run the queued tasks the way the consumer does (`huey.execute`)."""
from datetime import date, datetime, timedelta

import pytest

from marketplace import tasks
from marketplace.core import uow
from marketplace.extensions import db

from .test_contracts import bearer, new_contract, register


@pytest.fixture
def queued(app):
    """A queue that keeps what is enqueued (memory storage, not immediate); restored afterwards."""
    tasks.configure({"HUEY_BACKEND": "memory"})
    assert not tasks.huey.immediate
    tasks.huey.storage.flush_all()
    yield tasks.huey
    tasks.huey.storage.flush_all()
    tasks.configure(app.config)
    assert tasks.huey.immediate


def run_pending(huey) -> list[str]:
    """Run what is queued, as the consumer would (tasks may enqueue more); returns the task names run."""
    names = []
    for _ in range(50):
        task = huey.dequeue()
        if task is None:
            return names
        names.append(task.name)
        huey.execute(task)
    raise AssertionError("the queue never emptied")


def pending_names(huey) -> list[str]:
    return [t.name for t in huey.pending()]


# The schedule --------------------------------------------------------------------------------------------

def periodic(name):
    found = [t for t in tasks.huey._registry.periodic_tasks if t.name == name]
    assert found, f"{name} is not a periodic task"
    return found[0]


def runs_at(name, *hm) -> bool:
    return periodic(name).validate_datetime(datetime(2026, 3, 2, *hm))  # Huey's clock: naive UTC


def test_periodic_tasks_are_registered_with_their_schedules():
    assert set(tasks.SCHEDULE) == {t.name for t in tasks.huey._registry.periodic_tasks}
    # Daily jobs at Beijing times (UTC+8): 08:30, 02:10 and 00:05 in Beijing, once a day.
    assert runs_at("transfer_remind", 0, 30) and not runs_at("transfer_remind", 8, 30)
    assert runs_at("transfer_scan", 18, 10) and not runs_at("transfer_scan", 2, 10)
    assert runs_at("demands_expire", 16, 5) and not runs_at("demands_expire", 0, 5)
    assert runs_at("challenges_close_due", 16, 10) and not runs_at("challenges_close_due", 0, 10)
    for name in ("transfer_remind", "transfer_scan", "demands_expire", "challenges_close_due"):
        day = [datetime(2026, 3, 2) + timedelta(minutes=m) for m in range(24 * 60)]
        assert sum(periodic(name).validate_datetime(t) for t in day) == 1, name
    assert all(runs_at("deliver_emails_periodic", 9, m) for m in range(60))
    for name in ("sweep_imports", "sweep_matches"):
        assert runs_at(name, 9, 5) and runs_at(name, 9, 55) and not runs_at(name, 9, 3)
    assert tasks.beijing(8, 30).__call__(datetime(2026, 1, 1, 0, 30))


# Pushes --------------------------------------------------------------------------------------------------

def test_publishing_leaves_the_push_to_the_worker(client, f, app, queued):
    from marketplace.matching.models import MatchPush
    from marketplace.notifications.models import Notification
    from marketplace.searching import sync
    inst = f.user("institution", city="鹰潭")
    f.record("achievements", inst, status="published", ref="Q-A1", title="铜线拉丝张力智能控制与断线预测技术",
             summary="针对铜线高速拉丝断线频繁的问题，建立张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
             keywords="拉丝、断线、张力控制、铜线", industry="有色金属", maturity="中试", transfer_modes="许可",
             asking_price_wan="30")
    sync.apply_pending()
    run_pending(queued)
    company, admin = f.user("company"), f.user("admin")
    h = {"Authorization": f"Bearer {f.token(company)}"}
    body = {"title": "铜杆拉丝老断线", "description": "拉丝速度一提上去就老断线，换了几家的铜杆都不行，想找办法降低断线。",
            "industry": "有色金属", "city": "鹰潭", "budget_wan": "50", "cooperation": "技术许可", "submit": True}
    did = client.post("/api/v1/demands", json=body, headers=h).json["id"]
    approved = client.post(f"/api/v1/demands/{did}/approve", headers={"Authorization": f"Bearer {f.token(admin)}"})
    assert approved.status_code == 200
    # The request returned with the push still queued: nothing was pushed by the web process.
    assert "push_matches" in pending_names(queued)
    assert MatchPush.query.count() == 0 and Notification.query.filter_by(kind="match").count() == 0
    assert "push_matches" in run_pending(queued)
    db.session.expire_all()
    assert MatchPush.query.count() == 1
    assert {n.user_id for n in Notification.query.filter_by(kind="match")} == {company.id, inst.id}


# E-mails -------------------------------------------------------------------------------------------------

class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, mail):
        if FakeSMTP.fail:
            raise OSError("mail server refused")
        FakeSMTP.sent.append(mail)


@pytest.fixture
def smtp(app, monkeypatch):
    import smtplib
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.test")
    return FakeSMTP


def test_emails_are_sent_by_the_worker_once(f, queued, smtp):
    from marketplace.notifications.models import EmailMessage
    from marketplace.notifications.service import tell
    user = f.user("company")
    tell(user, "review", "您的需求已通过审核", "需求“铜线拉丝”已发布。", "http://127.0.0.1:5000/demands/1")
    uow.commit()
    assert pending_names(queued) == ["deliver_emails"] and smtp.sent == []  # stored, not sent by the web
    assert run_pending(queued) == ["deliver_emails"]
    assert len(smtp.sent) == 1
    mail = smtp.sent[0]
    assert mail["To"] == user.email and "通过审核" in mail["Subject"] and "铜线拉丝" in mail.get_content()
    db.session.expire_all()
    assert EmailMessage.query.filter(EmailMessage.sent_at.is_(None)).count() == 0
    queued.execute(tasks.deliver_emails_periodic.s())  # the minute's catch-up finds nothing left
    assert len(smtp.sent) == 1


def test_a_refused_email_stays_for_the_next_run(f, queued, smtp, app):
    from marketplace.notifications.models import EmailMessage
    from marketplace.notifications.service import send_email
    send_email("a@test.cn", "重置密码", "链接")
    uow.commit()
    smtp.fail = True
    with app.app_context(), pytest.raises(OSError):
        tasks.deliver_outbox()
    db.session.expire_all()
    assert EmailMessage.query.one().sent_at is None
    smtp.fail = False
    queued.storage.flush_all()
    queued.execute(tasks.deliver_emails_periodic.s())
    db.session.expire_all()
    assert EmailMessage.query.one().sent_at is not None and len(smtp.sent) == 1


def test_without_a_mail_server_nothing_is_queued_or_sent(f, queued, app):
    from marketplace.notifications.models import EmailMessage
    from marketplace.notifications.service import send_email
    assert not app.config["MAIL_SERVER"]
    send_email("a@test.cn", "重置密码", "链接")
    uow.commit()
    assert pending_names(queued) == []
    assert tasks.deliver_outbox() == 0 and EmailMessage.query.one().sent_at is None


# The daily jobs ------------------------------------------------------------------------------------------

def test_demands_expire_task(f, queued):
    from marketplace.demands.models import Demand
    company = f.user("company")
    demand = f.record("demands", company, status="published")
    demand.deadline = date.today() - timedelta(days=2)
    db.session.commit()
    queued.execute(tasks.demands_expire.s())
    db.session.expire_all()
    assert db.session.get(Demand, demand.id).status == "expired"


def test_transfer_remind_task_tells_both_parties_once(client, f, queued, monkeypatch):
    from marketplace.notifications.models import Notification
    inst, company = f.user("institution", city="南昌"), f.user("company", city="南昌")
    register(client, f, new_contract(client, f, inst, company, {"kind": "lump_sum", "amount": "1000",
                                                                 "due_days": 30}), inst)
    assert bearer  # the contracts tests' helpers build the deal
    monkeypatch.setattr(tasks, "_today", lambda: date(2026, 1, 25))
    queued.execute(tasks.transfer_remind.s())
    queued.execute(tasks.transfer_remind.s())  # run twice the same day: sent once
    db.session.expire_all()
    titles = [n.title for n in Notification.query.filter_by(kind="contract", user_id=company.id)]
    assert sum("付款提醒" in t for t in titles) == 1


def test_beijing_date_is_used_for_the_daily_jobs(monkeypatch):
    got = tasks._today()
    from datetime import timezone
    now = datetime.now(timezone(timedelta(hours=8))).date()
    assert got == now
