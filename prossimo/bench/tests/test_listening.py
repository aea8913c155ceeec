"""The "Oggi" benchmark's data, and the page's number of queries whatever the item count.

Small data in the test database, made by the benchmark's own generator (`add_worklist`).
"""

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prossimo.bench import data
from prossimo.bench.data import BulkLoader
from prossimo.bench.listening import open_items, rows_shown, shift_to_today
from prossimo.bench.listening_data import Cast, ListeningRows, add_worklist, split
from prossimo.core.permissions import Role
from prossimo.listening.models import FollowUp, NeedCategory
from prossimo.listening.selectors import TODAY_ROWS
from prossimo.territory.models import Membership, Municipality

pytestmark = pytest.mark.django_db

CAP = TODAY_ROWS  # rows "Oggi" shows of each section


@pytest.fixture
def cast(org_a, coordinator, volunteer, operator, lecco):
    """org_a runs the desk of Lecco; its coordinator is a proximity operator there too."""
    from prossimo.people.tests.factories import PersonFactory

    org_a.runs_proximity_desk = True
    org_a.save(update_fields=["runs_proximity_desk"])
    Membership.objects.create(user=coordinator, organisation=org_a, role=Role.PROXIMITY_OPERATOR)
    loader = BulkLoader(tune=False)
    people = [loader.uuid(PersonFactory(municipality=lecco).pk) for _ in range(5)]
    return Cast(
        organisation=org_a.pk,
        user=coordinator.pk,
        colleagues=[volunteer.pk, operator.pk],
        people=people,
        municipalities=list(
            Municipality.objects.filter(province__abbreviation="LC").values_list("pk", flat=True)
        ),
    )


@pytest.fixture
def rows():
    categories = list(NeedCategory.objects.values_list("pk", flat=True))
    return ListeningRows(
        BulkLoader(tune=False), random.Random(7), now=timezone.now(), categories=categories
    )


def page_queries(client) -> tuple[list[str], dict[str, int]]:
    """The queries of one "Oggi" page, after a first one has loaded the content types."""
    client.get(reverse("listening:today"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("listening:today"))
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries], rows_shown(response.content)


def reads(queries: list[str]) -> list[str]:
    """The page's queries but the audit entries it writes (and their transactions), each as
    its statement and first table (parameters differ: ids, times)."""
    return [
        " ".join(q.split()[:1] + [w for w in q.split() if w.startswith('"')][:1])
        for q in queries
        if "auditlog_logentry" not in q and q.split()[0] not in {"BEGIN", "COMMIT", "SAVEPOINT"}
        and not q.startswith("RELEASE SAVEPOINT")
    ]  # fmt: skip


def test_the_generated_open_items_are_exactly_the_users_worklist(rows, cast, coordinator):
    counts = add_worklist(rows, cast, 1000)
    rows.flush()

    assert counts == split(1000)
    assert open_items(coordinator.username) == {
        "follow_ups": counts.follow_ups,
        "alerts": counts.alerts,
        "desk_needs": counts.desk_needs,
    }
    # History and colleagues' work exist beside them, outside the worklist.
    assert FollowUp.objects.exclude(status=FollowUp.Status.PLANNED).exists()
    assert FollowUp.objects.filter(due_on__gt=timezone.localdate()).exists()


def test_today_reads_the_same_queries_with_10_and_1000_open_items(client, rows, cast, coordinator):
    add_worklist(rows, cast, 10)
    rows.flush()
    client.force_login(coordinator)
    few, few_shown = page_queries(client)

    add_worklist(rows, cast, 990)
    rows.flush()
    many, many_shown = page_queries(client)

    assert few_shown == {"follow_ups": 4, "alerts": 2, "desk_needs": 4}
    assert many_shown == {"follow_ups": CAP, "alerts": CAP, "desk_needs": CAP}
    assert len(reads(few)) > 5
    assert reads(many) == reads(few)


def test_follow_ups_are_moved_to_the_day_the_benchmark_runs(rows, cast):
    built = timezone.localdate() - dt.timedelta(days=3)
    data._store_fingerprint("test", {"listening_today": built.isoformat()})
    add_worklist(rows, cast, 10)
    rows.flush()
    before = dict(FollowUp.objects.values_list("pk", "due_on"))
    ctx = SimpleNamespace(dataset={"listening_today": built.isoformat()})

    assert shift_to_today(ctx) == 3
    after = dict(FollowUp.objects.values_list("pk", "due_on"))
    assert all(after[pk] == due + dt.timedelta(days=3) for pk, due in before.items())
    assert ctx.dataset["listening_today"] == timezone.localdate().isoformat()
    assert data._stored_fingerprint()[1]["listening_today"] == timezone.localdate().isoformat()
    assert shift_to_today(ctx) == 0
