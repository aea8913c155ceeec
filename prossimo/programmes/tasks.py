"""Background work of the programmes app (huey): the day's calls, resumed enrolments,
referral imports.

`prossimo worker` (and `prossimo serve`, which starts it) runs huey's consumer with periodic
tasks on. The tasks are thin: they call the services, which are idempotent, so a run repeated
or missed and caught up later does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from prossimo.core.tasks import local_time
from prossimo.programmes.calls import generate_due_calls
from prossimo.programmes.imports import (
    fail_stalled_jobs,
    purge_old_jobs,
    purge_stale_pending,
    run_import,
)
from prossimo.programmes.services import resume_suspended

logger = logging.getLogger(__name__)

#: Local hours of the runs: the first one prepares the day before anyone starts calling; the
#: later ones catch up on a missed run and on plans set during the day for today.
PLAN_HOURS = frozenset(range(4, 23))
PLAN_MINUTE = 30


def plan_calls_due(timestamp: dt.datetime) -> bool:
    """When `plan_todays_calls` runs: at hh:30 local time from 04:30 to 22:30."""
    local = local_time(timestamp)
    return local.minute == PLAN_MINUTE and local.hour in PLAN_HOURS


@db_periodic_task(plan_calls_due, name="programmes.plan_todays_calls")
def plan_todays_calls() -> dict[str, Any]:
    """Resume the enrolments whose date has come, then create today's planned calls."""
    today = timezone.localdate()
    resumed = resume_suspended(today=today)
    created = generate_due_calls(today)
    logger.info("plan_todays_calls %s: %d resumed, %d calls", today, resumed, created)
    return {"day": today.isoformat(), "resumed": resumed, "created": created}


def purge_due(timestamp: dt.datetime) -> bool:
    """When `purge_stale_imports` runs: at 03:15 local time."""
    local = local_time(timestamp)
    return (local.hour, local.minute) == (3, 15)


@db_periodic_task(purge_due, name="programmes.purge_stale_imports")
def purge_stale_imports() -> int:
    """Delete the encrypted rows of referral imports previewed and never confirmed, and the
    outcome of imports finished long ago."""
    removed = purge_stale_pending()
    jobs = purge_old_jobs()
    logger.info("purge_stale_imports: %d files, %d finished imports removed", removed, jobs)
    return removed


@db_task(name="programmes.run_referral_import")
def run_referral_import(job_id: str) -> None:
    """Write the rows of a confirmed referral import (`imports.run_import`)."""
    job = run_import(job_id)
    if job is not None:
        logger.info("run_referral_import %s: %s, %d rows", job.pk, job.state, job.done)


@db_periodic_task(crontab(minute="*/15"), name="programmes.fail_stalled_imports")
def fail_stalled_imports() -> int:
    """Close the imports the worker will never finish (`imports.fail_stalled_jobs`) and
    delete the rows that expired with them."""
    failed = fail_stalled_jobs()
    removed = purge_stale_pending()
    if failed or removed:
        logger.info("fail_stalled_imports: %d imports closed, %d files removed", failed, removed)
    return failed
