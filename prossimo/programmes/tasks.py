"""Background work of the programmes app (huey): the day's calls, resumed enrolments.

`prossimo worker` (and `prossimo serve`, which starts it) runs huey's consumer with periodic
tasks on. The tasks are thin: they call the services, which are idempotent, so a run repeated
or missed and caught up later does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_periodic_task

from prossimo.programmes.calls import generate_due_calls
from prossimo.programmes.services import resume_suspended

logger = logging.getLogger(__name__)

#: Local hours of the runs: the first one prepares the day before anyone starts calling; the
#: later ones catch up on a missed run and on plans set during the day for today.
PLAN_HOURS = frozenset(range(4, 23))
PLAN_MINUTE = 30


def local_time(timestamp: dt.datetime) -> dt.datetime:
    """huey's scheduler timestamp (naive, in UTC unless huey is told otherwise) in the
    project's time zone (crontab would read it as UTC: 04:30 would be 06:30 in Rome)."""
    if timestamp.tzinfo is None:
        zone = dt.UTC if getattr(HUEY, "utc", True) else timezone.get_current_timezone()
        timestamp = timestamp.replace(tzinfo=zone)
    return timestamp.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))


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
