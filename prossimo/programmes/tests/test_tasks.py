"""The daily job: a periodic huey task run by `prossimo worker`, and `prossimo plan_calls`."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from prossimo.programmes import tasks
from prossimo.programmes.models import Enrolment, PlannedCall
from prossimo.programmes.services import change_state

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def huey_timestamp(local: dt.datetime) -> dt.datetime:
    """What huey's scheduler hands to a periodic task: naive UTC."""
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


def test_the_daily_job_is_a_periodic_task_of_the_worker():
    """What the consumer's scheduler enqueues at 04:30 in Rome (`Huey.read_periodic`)."""
    due = HUEY.read_periodic(huey_timestamp(rome(2026, 3, 10, 4, 30)))
    assert "programmes.plan_todays_calls" in {task.name for task in due}


@pytest.mark.parametrize(
    ("local", "runs"),
    [
        (rome(2026, 7, 14, 4, 30), True),  # summer: UTC+2
        (rome(2026, 1, 13, 4, 30), True),  # winter: UTC+1
        (rome(2026, 1, 13, 13, 30), True),  # the hourly catch-up
        (rome(2026, 1, 13, 4, 31), False),
        (rome(2026, 1, 13, 2, 30), False),  # the night is quiet
        (rome(2026, 1, 13, 23, 30), False),
    ],
)
def test_the_job_runs_at_half_past_in_local_time(local, runs):
    task = tasks.plan_todays_calls.s()
    assert task.validate_datetime(huey_timestamp(local)) is runs


def test_running_the_job_twice_creates_nothing_twice(call_plan):
    first = tasks.plan_todays_calls.call_local()
    second = tasks.plan_todays_calls.call_local()
    assert (first["created"], second["created"]) == (1, 0)
    assert PlannedCall.objects.filter(plan=call_plan).count() == 1


def test_the_job_resumes_suspended_enrolments_before_planning(call_plan, coordinator, time_machine):
    resume = timezone.localdate() + dt.timedelta(days=3)
    change_state(
        coordinator,
        enrolment=call_plan.enrolment,
        to_state=Enrolment.State.SUSPENDED,
        resume_on=resume,
    )
    time_machine.move_to(timezone.now() + dt.timedelta(days=3))
    assert tasks.plan_todays_calls.call_local() == {
        "day": resume.isoformat(),
        "resumed": 1,
        "created": 1,
    }


def test_the_worker_command_leaves_periodic_tasks_on(monkeypatch):
    from huey.consumer_options import ConsumerConfig

    from prossimo.core.management.commands import worker

    seen = {}
    monkeypatch.setattr(worker, "call_command", lambda name, **kw: seen.update(name=name, **kw))
    call_command("worker")
    assert seen["name"] == "run_huey"
    assert "periodic" not in seen and "no_periodic" not in seen
    assert ConsumerConfig().periodic is True


def test_plan_calls_command_plans_a_given_day_and_is_idempotent(call_plan):
    day = timezone.localdate() + dt.timedelta(days=2)
    out = io.StringIO()
    call_command("plan_calls", "--date", day.isoformat(), stdout=out)
    call_command("plan_calls", "--date", day.isoformat(), stdout=out)
    assert "1 planned calls created" in out.getvalue()
    assert "0 planned calls created" in out.getvalue()
    assert PlannedCall.objects.get(plan=call_plan).due_on == day


def test_plan_calls_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("plan_calls", "--date", "14/07/2026")


def test_stalled_imports_are_closed_every_quarter_of_an_hour(
    social_worker, telefonia, settings, tmp_path
):
    from prossimo.programmes import imports
    from prossimo.programmes.models import ImportJob
    from prossimo.programmes.tests.test_imports import row

    due = HUEY.read_periodic(huey_timestamp(rome(2026, 3, 10, 11, 15)))
    assert "programmes.fail_stalled_imports" in {task.name for task in due}
    settings.PROSSIMO_IMPORT_DIR = tmp_path
    token, key = imports.store_pending([row()])
    job = imports.start_import(social_worker, programme=telefonia, token=token, key=key, choices={})
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at - imports.PENDING_MAX_AGE - dt.timedelta(minutes=1)
    )
    assert tasks.fail_stalled_imports.call_local() == 1
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.FAILED


def test_a_confirmed_import_is_a_task_of_the_worker(social_worker, telefonia, settings, tmp_path):
    from prossimo.programmes import imports
    from prossimo.programmes.models import Enrolment, ImportJob
    from prossimo.programmes.tests.test_imports import row

    settings.PROSSIMO_IMPORT_DIR = tmp_path
    token, key = imports.store_pending([row()])
    job = imports.start_import(social_worker, programme=telefonia, token=token, key=key, choices={})
    tasks.run_referral_import.call_local(str(job.pk))
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE
    assert Enrolment.objects.count() == 1
