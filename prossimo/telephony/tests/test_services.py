"""Lines, duty, taking a call, and the call's times flowing into its contact."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from prossimo.listening.models import Contact
from prossimo.listening.services import ContactInput, log_contact
from prossimo.telephony import services
from prossimo.telephony.models import IncomingCall, OnDuty
from prossimo.telephony.selectors import identify_callers, open_duties
from prossimo.telephony.signing import sign

pytestmark = pytest.mark.django_db


def _ringing(pbx, call_id="c1", caller="340 123 4567", **fields) -> IncomingCall:
    pbx.event("ringing", call_id, caller=caller, **fields)
    return IncomingCall.objects.get(call_id=call_id)


# --- lines ------------------------------------------------------------------------------


def test_a_new_line_has_its_number_in_e164_and_a_marked_secret(org_a):
    line, secret = services.create_line(
        None, name=" Ascolto ", number="0341 222333", organisation=org_a
    )
    assert line.number == "+390341222333"
    assert line.name == "Ascolto"
    assert secret.startswith("tel_") and len(secret) > 40
    assert line.secret == secret
    assert line.secret_hint == secret[:8] + "…"


def test_two_lines_cannot_have_the_same_number(line, org_b):
    with pytest.raises(ValidationError) as exc:
        services.create_line(None, name="Doppia", number="+390341000111", organisation=org_b)
    assert "number" in exc.value.message_dict


def test_a_rotated_secret_replaces_the_old_one_at_once(line, pbx):
    old = line.secret
    new = services.rotate_secret(None, line=line)
    assert new != old
    assert pbx.post({"event": "ringing", "call_id": "c"}, secret=old).status_code == 401
    line.refresh_from_db()
    assert pbx.post({"event": "ringing", "call_id": "c"}).status_code == 200


def test_creating_a_line_and_rotating_its_secret_are_audited_without_the_secret(line):
    services.rotate_secret(None, line=line)
    entries = LogEntry.objects.filter(object_pk=str(line.pk))
    events = sorted(e.additional_data["event"] for e in entries)
    assert events == ["telephony.line.created", "telephony.line.secret_rotated"]
    line.refresh_from_db()
    for entry in entries:
        assert line.secret not in str(entry.changes) + entry.object_repr


def test_sign_follows_the_worked_example_of_the_documentation():
    body = (
        b'{"event": "ringing", "call_id": "1700000000.42", "caller": "+393401234567", '
        b'"at": "2025-01-31T21:04:05+01:00"}'
    )
    assert sign("tel_example-secret-do-not-use", "1738353845", body) == (
        "sha256=f775597db061e8dab47bcb32f258b48f7dd5941f3f62adee72cc6eaac21189cb"
    )


# --- duty -------------------------------------------------------------------------------


def test_starting_duty_opens_one_duty_in_each_casework_organisation(volunteer, org_a, org_b):
    from prossimo.territory.tests.factories import MembershipFactory

    MembershipFactory(user=volunteer, organisation=org_b)
    duties = services.start_duty(volunteer)
    assert {d.organisation for d in duties} == {org_a, org_b}


def test_starting_duty_twice_keeps_one_open_duty(volunteer):
    services.start_duty(volunteer)
    services.start_duty(volunteer)
    assert OnDuty.objects.filter(user=volunteer, ended_at__isnull=True).count() == 1


def test_ending_duty_closes_it(volunteer):
    services.start_duty(volunteer)
    assert services.end_duty(volunteer) == 1
    assert not open_duties(volunteer).exists()


def test_a_monitoring_officer_cannot_go_on_duty(monitoring):
    with pytest.raises(PermissionDenied):
        services.start_duty(monitoring)


def test_a_duty_nobody_ended_stops_counting_after_twelve_hours(volunteer, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    services.start_duty(volunteer)
    time_machine.shift(dt.timedelta(hours=12, seconds=1))
    assert not open_duties(volunteer).exists()
    services.start_duty(volunteer)
    assert OnDuty.objects.filter(user=volunteer, ended_at__isnull=True).count() == 1


def test_a_duty_ends_where_the_membership_ended(volunteer):
    services.start_duty(volunteer)
    volunteer.memberships.update(is_active=False)
    volunteer._prossimo_roles = None  # roles and organisations are cached per request
    assert not open_duties(volunteer).exists()


# --- taking a call ----------------------------------------------------------------------


def test_taking_a_call_opens_a_draft_with_the_callers_number_linked_to_the_call(
    pbx, volunteer, org_a
):
    call = _ringing(pbx)
    contact = services.take_call(volunteer, call=call)
    assert contact.status == Contact.Status.DRAFT
    assert contact.operator == volunteer
    assert contact.organisation == org_a
    assert contact.caller_number == "+393401234567"
    assert contact.person is None
    call.refresh_from_db()
    assert call.contact == contact
    assert call.answered_by == volunteer


def test_taking_a_call_again_gives_the_same_draft(pbx, volunteer):
    call = _ringing(pbx)
    first = services.take_call(volunteer, call=call)
    assert services.take_call(volunteer, call=call) == first
    assert Contact.objects.count() == 1


def test_a_call_taken_by_a_colleague_is_refused(pbx, volunteer, operator):
    call = _ringing(pbx)
    services.take_call(volunteer, call=call)
    with pytest.raises(ValidationError):
        services.take_call(operator, call=call)


def test_a_call_of_another_organisations_line_cannot_be_taken(pbx, outsider):
    call = _ringing(pbx)
    with pytest.raises(PermissionDenied):
        services.take_call(outsider, call=call)


def test_a_monitoring_officer_cannot_take_a_call(pbx, monitoring):
    with pytest.raises(PermissionDenied):
        services.take_call(monitoring, call=_ringing(pbx))


def test_taking_a_call_is_audited_without_the_callers_number(pbx, volunteer):
    call = _ringing(pbx)
    services.take_call(volunteer, call=call)
    entry = LogEntry.objects.get(object_pk=str(call.pk))
    assert entry.additional_data["event"] == "telephony.call.taken"
    assert entry.actor == volunteer
    assert "340" not in entry.object_repr + str(entry.changes)


def test_the_ended_event_fills_the_draft_contacts_end_and_duration(pbx, volunteer):
    t0 = timezone.now().replace(microsecond=0)
    call = _ringing(pbx, at=t0.isoformat())
    pbx.event("answered", "c1", at=(t0 + dt.timedelta(seconds=4)).isoformat())
    contact = services.take_call(volunteer, call=call)
    assert contact.started_at == t0 + dt.timedelta(seconds=4)
    pbx.event("ended", "c1", at=(t0 + dt.timedelta(seconds=304)).isoformat())
    contact.refresh_from_db()
    assert contact.ended_at == t0 + dt.timedelta(seconds=304)
    assert contact.duration_seconds == 300
    assert contact.version == 1, "the volunteer's open form does not become stale"


def test_the_ended_event_fills_the_contact_even_after_the_volunteer_logged_it(pbx, volunteer):
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    call = _ringing(pbx, at=t0.isoformat())
    pbx.event("answered", "c1", at=(t0 + dt.timedelta(seconds=5)).isoformat())
    draft = services.take_call(volunteer, call=call)
    logged = log_contact(
        volunteer,
        data=ContactInput(caller_number="340 123 4567", notes="Chiede compagnia"),
        draft=draft,
        expected_version=draft.version,
    )
    assert logged.status == Contact.Status.LOGGED
    pbx.event("ended", "c1", at=(t0 + dt.timedelta(seconds=5 + 420)).isoformat())
    logged.refresh_from_db()
    assert logged.status == Contact.Status.LOGGED
    assert logged.ended_at == t0 + dt.timedelta(seconds=425)
    assert logged.duration_seconds == 420
    assert logged.notes == "Chiede compagnia"


def test_the_contacts_new_times_are_in_its_audit_trail(pbx, volunteer):
    call = _ringing(pbx)
    pbx.event("answered", "c1")
    contact = services.take_call(volunteer, call=call)
    pbx.event("ended", "c1")
    updates = LogEntry.objects.filter(object_pk=str(contact.pk), action=LogEntry.Action.UPDATE)
    assert any("duration_seconds" in entry.changes for entry in updates)


def test_a_call_taken_while_ringing_and_then_missed_gets_no_duration(pbx, volunteer):
    call = _ringing(pbx)
    contact = services.take_call(volunteer, call=call)
    pbx.event("ended", "c1")
    contact.refresh_from_db()
    call.refresh_from_db()
    assert call.state == IncomingCall.State.MISSED
    assert contact.ended_at == call.ended_at
    assert contact.duration_seconds == 0


def test_a_call_taken_after_it_ended_gets_its_times_at_once(pbx, volunteer):
    t0 = timezone.now().replace(microsecond=0)
    call = _ringing(pbx, at=t0.isoformat())
    pbx.event("answered", "c1", at=(t0 + dt.timedelta(seconds=2)).isoformat())
    pbx.event("ended", "c1", at=(t0 + dt.timedelta(seconds=62)).isoformat())
    contact = services.take_call(volunteer, call=call)
    assert contact.duration_seconds == 60


# --- who is calling ---------------------------------------------------------------------


def test_identify_callers_agrees_with_identify_caller(volunteer, outsider, person_a, person_b):
    from prossimo.people.lookup import identify_caller
    from prossimo.people.tests.factories import PersonFactory, PhoneFactory

    spouse = PersonFactory(
        first_name="Mario", last_name="Rossi", municipality=person_a.municipality
    )
    PhoneFactory(person=spouse, number="+393401234567")
    PhoneFactory(person=person_b, number="+393409999999")
    numbers = ["+393401234567", "+393409999999", "+393400000000"]
    for user in (volunteer, outsider):
        found = identify_callers(user, numbers)
        for number in numbers:
            assert found.get(number, []) == identify_caller(user, number)
