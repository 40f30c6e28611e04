"""The search index's Huey task (on the site's one queue, marketplace.tasks.huey): every 5 minutes, rebuild the
index in the background when a deploy changed how text is cut (sync.reindex_if_outdated) — once, whichever worker
gets there first; searches go on meanwhile on the old index."""
from huey import crontab
from huey.exceptions import TaskLockedException

from ..tasks import _task_app, huey


@huey.periodic_task(crontab(minute="*/5"))
def reindex_when_outdated():
    from . import sync
    try:
        with huey.lock_task("search-reindex"), _task_app().app_context():
            sync.reindex_if_outdated()
    except TaskLockedException:
        pass  # another worker is rebuilding it
