"""Lock order between merging two person records and working a planned call.

The rule (`people.services.lock_person`): a write about a person locks the person first, then
the call or enrolment it changes; `merge_people` locks both records, then moves their rows.
Checked on the queries each write sends, on the outcome of a merge and an attempt in either
order, and on PostgreSQL with the two really running at once on two connections.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from prossimo.core.testing import flush_keeps_reference_data
from prossimo.listening.models import Alert, Contact
from prossimo.listening.services import ContactInput
from prossimo.people.models import Person
from prossimo.people.services import merge_people
from prossimo.people.tests.factories import PersonFactory
from prossimo.programmes.calls import log_planned_call, record_attempt, set_call_plan
from prossimo.programmes.models import CallAttempt, Enrolment, PlannedCall, Programme
from prossimo.programmes.services import change_state

OUT = CallAttempt.Outcome


@pytest.fixture(scope="module", autouse=True)
def _keep_reference_data_on_flush() -> Iterator[None]:
    """The transactional test's flush keeps the territory and the need categories, as the
    browser tests' flush does (tests/browser/conftest.py): transactional tests run last, and
    those after this one expect them."""
    with flush_keeps_reference_data():
        yield


@pytest.fixture
def telefonia(org_a) -> Programme:
    """Telefonia Sociale run by org_a, one failed attempt enough for a "not reached" alert (the
    escalation locks the person inside the attempt's transaction). Made again if a
    transactional test emptied the seeded table."""
    programme, _created = Programme.objects.get_or_create(
        code="telefonia-sociale", defaults={"name": "Telefonia Sociale"}
    )
    programme.organisations.add(org_a)
    programme.escalate_failed_attempts = 1
    programme.escalate_failed_within_days = 0
    programme.save(update_fields=["escalate_failed_attempts", "escalate_failed_within_days"])
    return programme


@pytest.fixture
def twin(lecco) -> Person:
    """A second record of Maria Rossi, the one the merges keep."""
    return PersonFactory(first_name="Maria", last_name="Rossi", municipality=lecco)


def _lock_index(queries: list[dict[str, Any]], table: str) -> int:
    """Where the first query reading one row of `table` by its id is (a lock's shape)."""
    return next(
        i
        for i, q in enumerate(queries)
        if q["sql"].startswith("SELECT")
        and f'FROM "{table}"' in q["sql"]
        and f'WHERE "{table}"."id" = ' in q["sql"]
    )


def _assert_person_locked_first(queries: list[dict[str, Any]], table: str) -> None:
    person, row = _lock_index(queries, "people_person"), _lock_index(queries, table)
    assert person < row
    if connection.vendor == "postgresql":
        assert queries[person]["sql"].endswith("FOR NO KEY UPDATE")
        assert " FOR UPDATE" in queries[row]["sql"]
        # Never the programme's row: all attempts of a programme would queue behind it.
        assert '"programmes_programme"' not in queries[row]["sql"].rsplit("FOR UPDATE", 1)[1]


# --- (a) the order of the queries, on any database --------------------------------------


@pytest.mark.django_db
def test_an_attempt_locks_the_person_before_the_call(todays_call, volunteer):
    with CaptureQueriesContext(connection) as ctx:
        record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER)
    _assert_person_locked_first(ctx.captured_queries, "programmes_plannedcall")


@pytest.mark.django_db
def test_a_planned_call_logged_locks_the_person_before_the_call(todays_call, volunteer, person_a):
    with CaptureQueriesContext(connection) as ctx:
        log_planned_call(volunteer, call=todays_call, data=ContactInput(person=person_a))
    _assert_person_locked_first(ctx.captured_queries, "programmes_plannedcall")


@pytest.mark.django_db
def test_enrolment_writes_lock_the_person_before_the_enrolment(
    active_enrolment, coordinator, volunteer, operator
):
    with CaptureQueriesContext(connection) as ctx:
        set_call_plan(
            coordinator,
            enrolment=active_enrolment,
            rhythm="weekly",
            weekdays=[1],
            interval_days=None,
            starts_on=timezone.localdate(),
            window_start=dt.time(9),
            window_end=dt.time(10),
            volunteer=volunteer,
            backup=operator,
        )
    _assert_person_locked_first(ctx.captured_queries, "programmes_enrolment")
    with CaptureQueriesContext(connection) as ctx:
        change_state(
            coordinator,
            enrolment=active_enrolment,
            to_state=Enrolment.State.CLOSED,
            reason=Enrolment.CloseReason.values[0],
        )
    _assert_person_locked_first(ctx.captured_queries, "programmes_enrolment")


# --- a merge and the calls, one after the other ------------------------------------------


@pytest.mark.django_db
def test_a_merge_moves_the_planned_calls_with_the_enrolment(
    todays_call, administrator, person_a, twin
):
    merge_people(administrator, keep=twin, absorb=person_a)
    todays_call.refresh_from_db()
    assert todays_call.person_id == twin.pk
    assert todays_call.enrolment.person_id == twin.pk


@pytest.mark.django_db
def test_a_planned_call_logged_for_the_record_merged_away_gets_the_clear_message(
    todays_call, volunteer, administrator, person_a, twin
):
    merge_people(administrator, keep=twin, absorb=person_a)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        # The call form was opened before the merge: the call and the person are stale.
        log_planned_call(volunteer, call=todays_call, data=ContactInput(person=person_a))
    assert "This planned call is for" in exc.value.message_dict["person"][0]
    assert not Contact.objects.exists()


# --- (b) a merge and an attempt at the same time ------------------------------------------


def _wait_until_blocked(pid: int) -> None:
    """Return once the backend `pid` waits for a lock (PostgreSQL)."""
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [pid])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


def _run_at_once(
    works: dict[str, Callable[[], None]], barrier: threading.Barrier, pids: dict[str, int]
) -> None:
    """Run each work in its own thread, on its own connection, once every thread has put its
    backend's pid in `pids`; raise the first error a thread met."""
    errors: dict[str, BaseException] = {}

    def run(name: str, work: Callable[[], None]) -> None:
        try:
            with connection.cursor() as cursor:
                # A lock never granted fails the test instead of hanging it.
                cursor.execute("SET lock_timeout = '20s'")
                cursor.execute("SELECT pg_backend_pid()")
                pids[name] = cursor.fetchone()[0]
            barrier.wait()
            work()
        except BaseException as exc:
            errors[name] = exc
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item, name=item[0]) for item in works.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    for exc in errors.values():
        if not isinstance(exc, threading.BrokenBarrierError):
            raise exc
    assert not errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["attempt", "merge"])
def test_a_merge_and_an_attempt_on_the_persons_call_both_finish(
    first, todays_call, volunteer, administrator, person_a, twin
):
    """On PostgreSQL the attempt (which writes about the person after locking the call: the
    escalation rule) and the merge (which moves the call) run at once on two connections:
    whichever goes first holds the person, the other waits for it, neither is aborted as a
    deadlock. On SQLite, which runs one writer at a time, they run one after the other. Either
    way the attempt is recorded once and everything ends on the kept record."""
    call = PlannedCall.objects.get(pk=todays_call.pk)  # as the worklist read it, before the merge

    def attempt() -> None:
        record_attempt(volunteer, call=call, outcome=OUT.NO_ANSWER)

    def merge() -> None:
        merge_people(administrator, keep=twin, absorb=person_a)

    barrier = threading.Barrier(2, timeout=30)
    pids: dict[str, int] = {}
    if connection.vendor != "postgresql":
        for work in (attempt, merge) if first == "attempt" else (merge, attempt):
            work()
    elif first == "attempt":

        def hold_the_locks(sender: Any, **kwargs: Any) -> None:
            # The attempt holds its locks (the call's written): the merge starts now, and
            # the attempt goes on once the merge waits.
            if threading.current_thread().name == "attempt":
                barrier.wait()
                _wait_until_blocked(pids["merge"])

        def merge_when_told() -> None:
            barrier.wait()
            merge()

        post_save.connect(hold_the_locks, sender=CallAttempt, weak=False)
        try:
            _run_at_once({"attempt": attempt, "merge": merge_when_told}, barrier, pids)
        finally:
            post_save.disconnect(hold_the_locks, sender=CallAttempt)
    else:

        def merge_and_hold() -> None:
            with transaction.atomic():
                merge()
                barrier.wait()
                _wait_until_blocked(pids["attempt"])  # commit once the attempt waits

        def attempt_when_told() -> None:
            barrier.wait()
            attempt()

        _run_at_once({"attempt": attempt_when_told, "merge": merge_and_hold}, barrier, pids)

    recorded = CallAttempt.objects.select_related("call").get()
    assert (recorded.call_id, recorded.by, recorded.outcome) == (call.pk, volunteer, OUT.NO_ANSWER)
    assert recorded.call.attempts == 1
    assert recorded.call.person_id == twin.pk
    assert Enrolment.objects.get(pk=call.enrolment_id).person_id == twin.pk
    assert Person.objects.get(pk=person_a.pk).merged_into_id == twin.pk
    assert Alert.objects.get(kind=Alert.Kind.FAILED_ATTEMPTS).person_id == twin.pk
