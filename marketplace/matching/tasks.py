"""The stored matches' Huey tasks (registered on the site's one queue, marketplace.tasks.huey): recompute the
queued records, run a rebuild, and every 5 minutes catch up with what a lost message or a dead worker left."""
from huey import crontab

from ..tasks import _task_app, huey


# In immediate mode (tests) a task runs inside the request or command that enqueued it: a bulk import of
# hundreds of published records must not compute all their lists there. The rest stays queued for the next
# kick, the sweep or the record's first read.
IMMEDIATE_LIMIT = 5


@huey.task(retries=2, retry_delay=30)
def refresh_matches():
    from . import jobs
    with _task_app().app_context():
        jobs.process_queue(max_records=IMMEDIATE_LIMIT if huey.immediate else None)


@huey.task(retries=2, retry_delay=60)
def rebuild_matches(run_id: int):
    from . import jobs
    with _task_app().app_context():
        jobs.run_rebuild(run_id)


@huey.task(retries=2, retry_delay=60)
def embed_vectors(limit: int | None = None):
    from . import semantic
    with _task_app().app_context():
        semantic.embed_missing(limit=limit)


# A sweep embeds at most this many records without a vector and not waiting in the refresh queue (whose worker
# embeds them first; ≈ 0.1 s each): an old database catches up in the background, a minute of work per sweep, and
# `flask match embed` does it all at once.
SWEEP_EMBED = 600


@huey.periodic_task(crontab(minute="*/5"))
def sweep_matches():
    from . import jobs, semantic
    with _task_app().app_context():
        semantic.embed_missing(limit=IMMEDIATE_LIMIT if huey.immediate else SWEEP_EMBED, skip_queued=True)
        jobs.process_queue()
        jobs.resume_stalled()
