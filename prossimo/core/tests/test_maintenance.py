import datetime as dt

import pytest
from django.db import connection

from prossimo.core.maintenance import optimize_database
from prossimo.core.tasks import nightly, optimize_database_nightly
from prossimo.programmes.tasks import purge_due

pytestmark = pytest.mark.django_db


def test_optimize_gathers_the_planners_statistics_on_sqlite(person_a):
    done = optimize_database()
    if connection.vendor == "sqlite":
        assert done == "ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
    else:
        assert done == "autovacuum"


def test_the_nightly_task_runs_at_a_quarter_to_four_in_rome():
    # 02:45 UTC is 03:45 in Rome in winter (UTC+1), 01:45 UTC in summer (UTC+2).
    assert nightly(dt.datetime(2026, 1, 15, 2, 45, tzinfo=dt.UTC))
    assert nightly(dt.datetime(2026, 7, 15, 1, 45, tzinfo=dt.UTC))
    assert not nightly(dt.datetime(2026, 1, 15, 3, 45, tzinfo=dt.UTC))
    assert not nightly(dt.datetime(2026, 1, 15, 2, 46, tzinfo=dt.UTC))
    assert optimize_database_nightly.call_local() in {"ANALYZE", "autovacuum"}


def test_stale_referral_imports_are_purged_nightly_at_a_quarter_past_three():
    assert purge_due(dt.datetime(2026, 1, 15, 2, 15, tzinfo=dt.UTC))
    assert not purge_due(dt.datetime(2026, 1, 15, 3, 15, tzinfo=dt.UTC))
