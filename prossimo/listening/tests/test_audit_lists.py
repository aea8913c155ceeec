"""Lists of the listening line show people's needs and alerts: each showing is audited."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from prossimo.listening.models import RedFlag
from prossimo.listening.services import ContactInput, NeedInput, log_contact

pytestmark = pytest.mark.django_db


def test_the_worklist_records_which_persons_alerts_the_coordinator_was_shown(
    client, coordinator, volunteer, person_a, loneliness
):
    log_contact(
        volunteer,
        data=ContactInput(person=person_a, red_flags=[RedFlag.ALONE_AND_UNWELL]),
        needs=[NeedInput(loneliness)],
    )
    client.force_login(coordinator)
    assert client.get(reverse("listening:today")).status_code == 200
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__via="worklist")
    assert entry.actor == coordinator
    assert entry.additional_data["person"] == str(person_a.pk)


def test_the_desk_queue_records_what_the_desk_was_shown(
    client, desk_operator, volunteer, person_a, shopping, desk
):
    log_contact(
        volunteer, data=ContactInput(person=person_a), needs=[NeedInput(shopping, hand_over=True)]
    )
    client.force_login(desk_operator)
    assert client.get(reverse("listening:desk")).status_code == 200
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__via="desk", actor=desk_operator
    ).exists()
