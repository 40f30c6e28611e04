"""The Huey queue on Redis, for real: `make test` starts a throwaway redis-server (scripts/test-redis.sh) and
exports REDIS_URL; without it these tests are skipped. A task is enqueued into Redis, a consumer (threads, as
`flask imports worker` runs them) takes it out and does the work in the database; a delayed task waits in
Redis's schedule."""
import os
import signal
import time
from datetime import date, timedelta

import pytest

from marketplace import tasks
from marketplace.extensions import db

def _own_database(url: str) -> str:
    """One Redis database per pytest-xdist worker (gw0 → 1, gw1 → 2, …): their queues never meet."""
    from urllib.parse import urlsplit, urlunsplit
    if not url:
        return url
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker[2:]) + 1 if worker[2:].isdigit() else 1
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


REDIS_URL = _own_database(os.environ.get("REDIS_URL", ""))
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set (make test starts a redis-server)")


@pytest.fixture
def redis_queue(app):
    from huey.storage import RedisStorage
    tasks.configure({"HUEY_BACKEND": "redis", "REDIS_URL": REDIS_URL})
    huey = tasks.huey
    assert isinstance(huey.storage, RedisStorage) and not huey.immediate
    huey.storage.flush_all()
    yield huey
    huey.storage.flush_all()
    tasks.configure(app.config)


def _within(seconds: float, condition) -> bool:
    """Polls `condition` until it holds or `seconds` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.1)
    return True


def redis_client():
    import redis
    return redis.Redis.from_url(REDIS_URL)


def test_a_task_goes_through_redis_to_a_consumer(app, f, redis_queue):
    from marketplace.demands.models import Demand
    company = f.user("company")
    demand = f.record("demands", company, status="published")
    demand.deadline = date.today() - timedelta(days=3)
    db.session.commit()
    tasks.demands_expire()  # a periodic task may be enqueued by hand too
    assert redis_queue.pending_count() == 1
    keys = [k.decode() for k in redis_client().keys("*")]
    assert any("marketplace" in k for k in keys), keys  # the message is in Redis, not in this process
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    tasks.use_app(app)
    consumer = redis_queue.create_consumer(workers=1, periodic=False, worker_type="thread")
    consumer.start()
    try:
        def expired() -> bool:
            db.session.expire_all()
            return db.session.get(Demand, demand.id).status == "expired"
        assert _within(20, expired)
        # the task's commit may enqueue follow-up work (the match store's refresh, the owner's e-mail): the
        # consumer takes those out of Redis too, so the queue drains — it is polled, never read at one instant
        assert _within(20, lambda: redis_queue.pending_count() == 0), redis_queue.pending_count()
    finally:
        consumer.stop(graceful=True)
        tasks.use_app(None)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_execute_a_task_read_back_from_redis(app, f, redis_queue):
    from marketplace.demands.models import Demand
    company = f.user("company")
    demand = f.record("demands", company, status="published")
    demand.deadline = date.today() - timedelta(days=1)
    db.session.commit()
    tasks.demands_expire()
    task = redis_queue.dequeue()
    assert task is not None and task.name == "demands_expire" and redis_queue.pending_count() == 0
    redis_queue.execute(task)
    db.session.expire_all()
    assert db.session.get(Demand, demand.id).status == "expired"


def test_delayed_tasks_wait_in_the_redis_schedule(redis_queue):
    tasks.push_matches.schedule(delay=3600)
    task = redis_queue.dequeue()  # what a consumer's worker does: a task not yet due goes to the schedule
    assert task.name == "push_matches" and not redis_queue.ready_to_run(task)
    redis_queue.add_schedule(task)
    assert redis_queue.pending_count() == 0 and redis_queue.scheduled_count() == 1
    assert redis_queue.read_schedule(task.eta - timedelta(seconds=1)) == []
    assert [t.name for t in redis_queue.read_schedule(task.eta + timedelta(seconds=1))] == ["push_matches"]
