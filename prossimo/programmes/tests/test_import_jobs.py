"""Confirmed referral imports written by the worker: `imports.start_import` / `run_import`,
the task, and the result page that follows the job."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from prossimo.programmes import imports
from prossimo.programmes.models import Enrolment, ImportJob
from prossimo.programmes.tests.test_imports import row

pytestmark = pytest.mark.django_db

State = ImportJob.State


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.PROSSIMO_IMPORT_DIR = tmp_path / "imports"
    return settings.PROSSIMO_IMPORT_DIR


def queued(user, programme, rows, choices=None) -> ImportJob:
    token, key = imports.store_pending(rows)
    job = imports.start_import(
        user, programme=programme, token=token, key=key, choices=choices or {}
    )
    assert job is not None
    return job


def test_starting_an_import_moves_the_rows_aside_once(social_worker, telefonia, import_dir):
    token, key = imports.store_pending([row(), row(nome="Anna")])
    job = imports.start_import(
        social_worker, programme=telefonia, token=token, key=key, choices={3: "skip"}
    )
    assert (job.state, job.total, job.done, job.choices) == (State.QUEUED, 2, 0, {"3": "skip"})
    assert job.key == key and job.created_by == social_worker
    # The preview's rows are gone: a second confirmation finds nothing.
    assert imports.load_pending(token, key) is None
    assert (
        imports.start_import(social_worker, programme=telefonia, token=token, key=key, choices={})
        is None
    )
    assert ImportJob.objects.count() == 1
    entry = LogEntry.objects.get(additional_data__event="programmes.import.confirmed")
    assert entry.actor == social_worker
    assert entry.additional_data["rows"] == 2
    # A wrong key (another session's) starts nothing either.
    token, _key = imports.store_pending([row()])
    assert (
        imports.start_import(social_worker, programme=telefonia, token=token, key=key, choices={})
        is None
    )


def test_the_worker_writes_the_rows_once_and_wipes_them(social_worker, telefonia, import_dir):
    job = queued(social_worker, telefonia, [row(), row(nome="Anna", data_nascita="ieri")])
    done = imports.run_import(job.pk)
    assert done is not None
    job.refresh_from_db()
    assert (job.state, job.done, job.error, job.key) == (State.DONE, 2, "", "")
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert [(r["number"], r["outcome"]) for r in job.results] == [
        (2, imports.Outcome.CREATED),
        (3, imports.Outcome.SKIPPED),
    ]
    enrolment = Enrolment.objects.get()
    assert job.results[0]["enrolment_id"] == str(enrolment.pk)
    assert enrolment.referred_by == social_worker
    # The writes are the confirming user's in the audit trail, not anonymous.
    assert LogEntry.objects.filter(
        actor=social_worker, object_pk=str(enrolment.pk), action=LogEntry.Action.CREATE
    ).exists()
    assert list(import_dir.iterdir()) == []
    # Run again (a task retried, delivered twice): nothing more.
    assert imports.run_import(job.pk) is None
    assert Enrolment.objects.count() == 1


def test_the_worker_tells_how_far_it_is(social_worker, telefonia, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    job = queued(social_worker, telefonia, [row(nome=n) for n in ("Anna", "Bruna", "Carla")])
    seen = []
    write = imports._write_row

    def watched(*args, **kwargs):
        current = ImportJob.objects.get(pk=job.pk)
        seen.append((current.state, current.done, len(current.results)))
        return write(*args, **kwargs)

    monkeypatch.setattr(imports, "_write_row", watched)
    imports.run_import(job.pk)
    assert seen == [(State.RUNNING, 0, 0), (State.RUNNING, 0, 0), (State.RUNNING, 2, 2)]
    job.refresh_from_db()
    assert (job.state, job.done, len(job.results)) == (State.DONE, 3, 3)


def test_rows_that_waited_too_long_fail_the_job_and_write_nothing(
    social_worker, telefonia, import_dir
):
    job = queued(social_worker, telefonia, [row()])
    for path in import_dir.iterdir():  # purged meanwhile (the worker was down for hours)
        path.unlink()
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error, job.key, job.results) == (
        State.FAILED,
        ImportJob.Error.ROWS_EXPIRED,
        "",
        [],
    )
    assert not Enrolment.objects.exists()


def test_an_error_stops_the_job_keeping_the_rows_written(
    social_worker, telefonia, import_dir, monkeypatch, caplog
):
    job = queued(social_worker, telefonia, [row(nome="Anna"), row(nome="Bruna"), row()])
    write = imports._write_row
    leak = "duplicate key (first_name)=(Bruna) quoted by the database"

    def failing(actor, programme, preview, choice):
        if preview.number == 3:
            raise DatabaseError(leak)
        return write(actor, programme, preview, choice)

    monkeypatch.setattr(imports, "_write_row", failing)
    with caplog.at_level(logging.ERROR, logger="prossimo.programmes.imports"):
        imports.run_import(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error, job.done, job.key) == (
        State.FAILED,
        ImportJob.Error.STOPPED,
        1,
        "",
    )
    assert [(r["number"], r["outcome"]) for r in job.results] == [(2, imports.Outcome.CREATED)]
    assert list(Enrolment.objects.values_list("person__first_name", flat=True)) == ["Anna"]
    assert list(import_dir.iterdir()) == []
    # The log says what and where, never the database's message with the row's values.
    assert "DatabaseError" in caplog.text and str(job.pk) in caplog.text
    assert "Bruna" not in caplog.text


def test_the_messages_are_in_the_language_of_who_confirmed(social_worker, telefonia):
    social_worker.preferred_language = "en"
    social_worker.save(update_fields=["preferred_language"])
    job = queued(social_worker, telefonia, [row(data_nascita="ieri")])
    imports.run_import(job.pk)
    job.refresh_from_db()
    english = job.results[0]["message"]
    social_worker.preferred_language = "it"
    social_worker.save(update_fields=["preferred_language"])
    job = queued(social_worker, telefonia, [row(data_nascita="ieri")])
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert english and job.results[0]["message"] and english != job.results[0]["message"]


def test_finished_imports_are_forgotten_after_a_while(social_worker, telefonia):
    old, recent, running = (queued(social_worker, telefonia, [row()]) for _ in range(3))
    ImportJob.objects.filter(pk=old.pk).update(
        state=State.DONE, finished_at=timezone.now() - imports.JOB_KEEP - dt.timedelta(hours=1)
    )
    ImportJob.objects.filter(pk=recent.pk).update(state=State.DONE, finished_at=timezone.now())
    assert imports.purge_old_jobs() == 1
    assert set(ImportJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}


def test_imports_the_worker_will_never_finish_are_closed(social_worker, telefonia, import_dir):
    now = timezone.now()
    silent, busy, old, fresh = (queued(social_worker, telefonia, [row()]) for _ in range(4))
    ImportJob.objects.filter(pk__in=[silent.pk, busy.pk]).update(state=State.RUNNING)
    ImportJob.objects.filter(pk=silent.pk).update(
        updated_at=now - imports.STALL_AFTER - dt.timedelta(minutes=1)
    )
    ImportJob.objects.filter(pk=busy.pk).update(updated_at=now - dt.timedelta(minutes=1))
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=now - imports.PENDING_MAX_AGE - dt.timedelta(minutes=1)
    )
    assert imports.fail_stalled_jobs(now) == 2
    states = dict(ImportJob.objects.values_list("pk", "state"))
    assert (states[silent.pk], states[busy.pk], states[old.pk], states[fresh.pk]) == (
        State.FAILED,
        State.RUNNING,
        State.FAILED,
        State.QUEUED,
    )
    errors = dict(ImportJob.objects.values_list("pk", "error"))
    assert errors[silent.pk] == ImportJob.Error.STOPPED
    assert errors[old.pk] == ImportJob.Error.ROWS_EXPIRED
    assert ImportJob.objects.get(pk=old.pk).key == ""
    # A worker that comes back later does not start a closed job.
    assert imports.run_import(old.pk) is None


def test_a_running_import_says_it_is_alive(social_worker, telefonia, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    job = queued(social_worker, telefonia, [row(), row(nome="Anna")])
    long_ago = timezone.now() - dt.timedelta(days=1)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
    seen = []
    write = imports._write_row

    def watched(*args, **kwargs):
        seen.append(ImportJob.objects.get(pk=job.pk).updated_at)
        return write(*args, **kwargs)

    monkeypatch.setattr(imports, "_write_row", watched)
    imports.run_import(job.pk)
    # Marked when it starts, and after each batch of rows: never taken for stalled.
    assert len(seen) == 2 and all(at > long_ago for at in seen) and seen[1] >= seen[0]


# --- the result page ------------------------------------------------------------------------


def result_url(job):
    return reverse("programmes:import_result", args=[job.token])


def test_the_page_follows_a_job_still_running(client, social_worker, telefonia):
    job = queued(social_worker, telefonia, [row(), row(nome="Anna")])
    ImportJob.objects.filter(pk=job.pk).update(state=State.RUNNING, done=1)
    client.force_login(social_worker)
    html = client.get(result_url(job)).content.decode()
    assert 'data-job-state="running"' in html
    assert f'hx-get="{result_url(job)}" hx-trigger="every 2s"' in html
    assert '<progress class="w-100" max="2" value="1"' in html
    assert 'role="status"><span id="import-job-announce"></span>' in html
    # HTMX asks for the block alone, until the job is done; then the live region is told.
    partial = client.get(
        result_url(job), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-job"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="import-job"')
    assert "<h1>" not in partial and "import-job-announce" not in partial
    imports.run_import(job.pk)  # state running: left alone
    ImportJob.objects.filter(pk=job.pk).update(state=State.QUEUED, done=0)
    imports.run_import(job.pk)
    partial = client.get(
        result_url(job), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-job"
    ).content.decode()
    assert 'data-job-state="done"' in partial and "hx-trigger" not in partial
    assert '<span id="import-job-announce" hx-swap-oob="innerHTML">' in partial
    assert 'data-row="2" data-outcome="created"' in partial


def test_polling_a_running_import_reads_and_records_no_rows(client, social_worker, telefonia):
    job = queued(social_worker, telefonia, [row(), row(nome="Anna")])
    imports.run_import(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=State.RUNNING)  # as if still going
    client.force_login(social_worker)
    seen = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__via="list")
    before = seen.count()
    html = client.get(
        result_url(job), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-job"
    ).content.decode()
    assert "data-row=" not in html and seen.count() == before
    ImportJob.objects.filter(pk=job.pk).update(state=State.DONE)
    html = client.get(result_url(job)).content.decode()
    shown = Enrolment.objects.count()
    assert 'data-row="2" data-outcome="created"' in html and shown >= 1
    assert seen.count() == before + shown


def test_a_failed_job_says_so_and_lists_what_was_written(client, social_worker, telefonia):
    job = queued(social_worker, telefonia, [row()])
    ImportJob.objects.filter(pk=job.pk).update(
        state=State.FAILED, error=ImportJob.Error.STOPPED, finished_at=timezone.now(), done=0
    )
    client.force_login(social_worker)
    html = client.get(result_url(job)).content.decode()
    assert 'role="alert" data-job-error="stopped"' in html
    assert "every 2s" not in html


def test_only_who_confirmed_sees_the_import(client, social_worker, coordinator, telefonia):
    job = queued(social_worker, telefonia, [row()])
    client.force_login(coordinator)
    assert client.get(result_url(job)).status_code == 404
    client.logout()
    assert client.get(result_url(job)).status_code in (302, 403)
