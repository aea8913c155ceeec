"""Background work of the referrals app (huey): alert the senders of referrals not received.

Thin: the task calls `services.alert_unreceived`, which raises at most one alert per referral,
so a run repeated, or missed and caught up later, does no harm.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from prossimo.referrals.services import alert_unreceived

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"), name="referrals.alert_unreceived")
def alert_unreceived_referrals() -> dict[str, Any]:
    """Every quarter of an hour: alert the senders of referrals still not received."""
    raised = alert_unreceived()
    logger.info("alert_unreceived_referrals: %d alerts", raised)
    return {"raised": raised}
