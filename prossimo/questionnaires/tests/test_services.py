"""Recording a screening: who may, what is checked, what is kept, audited and announced."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from prossimo.questionnaires.models import Response
from prossimo.questionnaires.services import record_response
from prossimo.questionnaires.signals import response_recorded
from prossimo.questionnaires.tests.conftest import all_answers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Services speak the active language; these tests read their messages in English (the
    Italian catalogue is checked whole by core/tests/test_i18n.py)."""
    with translation.override("en"):
        yield


def test_a_volunteer_records_a_screening_with_its_score_and_band(volunteer, person_a, ucla, org_a):
    response = record_response(
        volunteer, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
    )
    response.refresh_from_db()
    assert (response.score, response.band, response.positive) == (9, "lonely", True)
    assert response.answers == all_answers(ucla, "often")
    assert response.recorded_by == volunteer
    assert response.organisation == org_a
    assert response.language == "it"
    assert response.band_label("en") == "Lonely"


def test_subscale_scores_are_kept(operator, person_a, tfi):
    response = record_response(
        operator, person=person_a, questionnaire=tfi, answers=all_answers(tfi, "no")
    )
    assert response.subscores == {"physical": 1, "psychological": 1, "social": 1}
    assert (response.score, response.band, response.positive) == (3, "not_frail", False)


def test_an_outsider_gets_404_for_a_person_outside_their_territory(outsider, person_a, ucla):
    with pytest.raises(Http404):
        record_response(
            outsider, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
        )
    assert not Response.objects.exists()


def test_a_monitoring_officer_is_refused(monitoring, person_a, ucla):
    with pytest.raises(PermissionDenied):
        record_response(
            monitoring, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
        )


def test_an_outsider_may_screen_the_people_of_their_own_territory(outsider, person_b, prisma):
    response = record_response(
        outsider, person=person_b, questionnaire=prisma, answers=all_answers(prisma, "no")
    )
    assert response.organisation.name == "Associazione B"


def test_the_organisation_must_be_one_of_the_actors(volunteer, person_a, ucla, org_b):
    with pytest.raises(PermissionDenied):
        record_response(
            volunteer,
            person=person_a,
            questionnaire=ucla,
            answers=all_answers(ucla, "often"),
            organisation=org_b,
        )


def test_missing_answers_are_refused_under_their_question(volunteer, person_a, ucla):
    with pytest.raises(ValidationError) as caught:
        record_response(
            volunteer, person=person_a, questionnaire=ucla, answers={"left_out": "often"}
        )
    assert set(caught.value.message_dict) == {"lack_companionship", "isolated"}
    assert not Response.objects.exists()


def test_a_screening_in_the_future_is_refused(volunteer, person_a, ucla):
    with pytest.raises(ValidationError) as caught:
        record_response(
            volunteer,
            person=person_a,
            questionnaire=ucla,
            answers=all_answers(ucla, "often"),
            taken_at=timezone.now() + dt.timedelta(days=1),
        )
    assert caught.value.message_dict == {"taken_at": ["The screening cannot be in the future."]}


def test_a_naive_time_is_refused(volunteer, person_a, ucla):
    with pytest.raises(ValidationError) as caught:
        record_response(
            volunteer,
            person=person_a,
            questionnaire=ucla,
            answers=all_answers(ucla, "often"),
            taken_at=dt.datetime(2026, 1, 5, 10, 0),  # noqa: DTZ001 - the point of the test
        )
    assert list(caught.value.message_dict) == ["taken_at"]


def test_an_inactive_questionnaire_version_cannot_be_administered(volunteer, person_a, ucla):
    ucla.is_active = False
    ucla.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="no longer in use"):
        record_response(
            volunteer, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
        )


def test_an_inactive_person_cannot_be_screened(volunteer, person_a, ucla):
    person_a.is_active = False
    person_a.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="record is inactive"):
        record_response(
            volunteer, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
        )


def test_a_language_the_questionnaire_lacks_is_refused(volunteer, person_a, ucla):
    with pytest.raises(ValidationError) as caught:
        record_response(
            volunteer,
            person=person_a,
            questionnaire=ucla,
            answers=all_answers(ucla, "often"),
            language="fr",
        )
    assert list(caught.value.message_dict) == ["language"]


def test_the_screening_is_audited_in_the_persons_trail(volunteer, person_a, prisma):
    response = record_response(
        volunteer,
        person=person_a,
        questionnaire=prisma,
        answers=all_answers(prisma, "yes"),
        context="programmes.enrolment:1234",
    )
    entry = LogEntry.objects.get(additional_data__event="questionnaires.response.recorded")
    assert entry.actor == volunteer
    assert entry.object_pk == str(response.pk)
    assert entry.additional_data == {
        "event": "questionnaires.response.recorded",
        "person": str(person_a.pk),
        "questionnaire": "prisma-7",
        "version": 1,
        "score": 6,
        "band": "frailty_risk",
        "context": "programmes.enrolment:1234",
    }


def test_the_signal_carries_the_response_and_the_previous_one_after_commit(
    volunteer, person_a, ucla, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, response, previous, **kwargs):
        received.append((response, previous))

    response_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = record_response(
                volunteer,
                person=person_a,
                questionnaire=ucla,
                answers=all_answers(ucla, "hardly_ever"),
                taken_at=timezone.now() - dt.timedelta(days=30),
            )
        with django_capture_on_commit_callbacks(execute=False) as pending:
            second = record_response(
                volunteer, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
            )
        assert len(received) == 1  # nothing is sent before the commit
        for callback in pending:
            callback()
    finally:
        response_recorded.disconnect(receiver)
    assert received == [(first, None), (second, first)]
    assert second.worsening_since(first) == 6
    assert second.crossed_threshold_since(first)


def test_the_previous_response_is_the_latest_taken_before_whatever_the_order_of_recording(
    volunteer, person_a, ucla, django_capture_on_commit_callbacks
):
    now = timezone.now()
    received = []

    def receiver(sender, response, previous, **kwargs):
        received.append(previous)

    response_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            latest = record_response(
                volunteer, person=person_a, questionnaire=ucla, answers=all_answers(ucla, "often")
            )
            record_response(
                volunteer,
                person=person_a,
                questionnaire=ucla,
                answers=all_answers(ucla, "some_of_the_time"),
                taken_at=now - dt.timedelta(days=60),
            )
    finally:
        response_recorded.disconnect(receiver)
    assert received == [None, None]
    assert latest.worsening_since(None) is None
