"""Background upkeep of the whole system (huey): the database's planner statistics."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_periodic_task

from prossimo.core.maintenance import optimize_database

logger = logging.getLogger(__name__)

OPTIMIZE_AT = dt.time(3, 45)


def local_time(timestamp: dt.datetime) -> dt.datetime:
    """huey's scheduler timestamp (naive, in UTC unless huey is told otherwise) in the
    project's time zone (crontab would read it as UTC: 04:30 would be 06:30 in Rome)."""
    if timestamp.tzinfo is None:
        zone = dt.UTC if getattr(HUEY, "utc", True) else timezone.get_current_timezone()
        timestamp = timestamp.replace(tzinfo=zone)
    return timestamp.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))


def nightly(timestamp: dt.datetime) -> bool:
    """When `optimize_database_nightly` runs: at 03:45 local time."""
    local = local_time(timestamp)
    return (local.hour, local.minute) == (OPTIMIZE_AT.hour, OPTIMIZE_AT.minute)


@db_periodic_task(nightly, name="core.optimize_database")
def optimize_database_nightly() -> str:
    done = optimize_database()
    logger.info("optimize_database: %s", done)
    return done
