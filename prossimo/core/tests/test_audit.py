import logging

import pytest
from auditlog.models import LogEntry

from prossimo.core.audit import acting_as, audit_access, audit_event
from prossimo.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_audit_access_writes_one_entry_per_record_in_one_query(
    volunteer, lecco, django_assert_num_queries
):
    people = PersonFactory.create_batch(5, municipality=lecco)
    with django_assert_num_queries(1):
        audit_access(volunteer, people, via="search")
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert entries.count() == 5
    assert {e.additional_data["person"] for e in entries} == {str(p.pk) for p in people}
    assert all(e.actor == volunteer and e.additional_data["via"] == "search" for e in entries)


def test_records_of_several_kinds_are_recorded_by_one_insert_whatever_their_number(
    volunteer, lecco, django_assert_num_queries
):
    """Over 66 rows: `bulk_create` would need several statements on SQLite (999 parameters)."""
    from prossimo.people.models import Phone
    from prossimo.people.tests.factories import PhoneFactory

    people = PersonFactory.create_batch(40, municipality=lecco)
    phones = [PhoneFactory(person=p, number=f"+39347000{i:04d}") for i, p in enumerate(people)]
    shown = [row for pair in zip(people, phones, strict=True) for row in pair]

    with acting_as(volunteer, "192.0.2.9"), django_assert_num_queries(1):
        assert audit_access(volunteer, shown, via="list") == 80

    entries = list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk"))
    assert [(e.content_type.model_class(), e.object_pk) for e in entries] == [
        (type(row), str(row.pk)) for row in shown
    ]
    for entry, row in zip(entries, shown, strict=True):
        person = row.person_id if isinstance(row, Phone) else row.pk
        assert entry.additional_data == {"person": str(person), "via": "list"}
        assert (entry.actor, entry.actor_email, entry.remote_addr) == (
            volunteer,
            volunteer.email or None,
            "192.0.2.9",
        )
        assert (entry.object_repr, entry.changes, entry.changes_text) == (str(row.pk), {}, "")
        assert (entry.object_id, entry.serialized_data, entry.cid) == (None, None, None)
        assert entry.timestamp is not None


def test_access_entries_name_no_one_in_their_description(volunteer, lecco):
    person = PersonFactory(last_name="Quaglia", municipality=lecco)
    audit_access(volunteer, [person], via="export")
    assert "Quaglia" not in LogEntry.objects.get(action=LogEntry.Action.ACCESS).object_repr


def test_writes_inside_acting_as_are_attributed_to_the_actor(volunteer, lecco):
    with acting_as(volunteer, "192.0.2.7"):
        person = PersonFactory(municipality=lecco)
    entry = LogEntry.objects.get(object_pk=str(person.pk), action=LogEntry.Action.CREATE)
    assert entry.actor == volunteer
    assert entry.remote_addr == "192.0.2.7"
    assert entry.additional_data == {"person": str(person.pk)}


def test_domain_events_carry_their_code(administrator, lecco):
    person = PersonFactory(municipality=lecco)
    audit_event(administrator, "people.person.merged", obj=person, person_id=person.pk)
    entry = LogEntry.objects.get(additional_data__event="people.person.merged")
    assert entry.actor == administrator
    assert entry.additional_data["person"] == str(person.pk)


def test_registering_and_viewing_a_person_writes_no_personal_data_to_the_logs(
    client, volunteer, lecco, caplog
):
    caplog.set_level(logging.DEBUG)
    client.force_login(volunteer)
    from prossimo.people.services import PersonInput, PhoneInput, register_person

    with acting_as(volunteer):
        person = register_person(
            volunteer,
            data=PersonInput(
                first_name="Ermenegilda",
                last_name="Zanfrognini",
                municipality=lecco,
                phones=[PhoneInput("340 987 6543")],
            ),
        )
    client.get(f"/persone/{person.pk}/")
    client.post("/persone/", {"q": "Zanfrognini"})
    client.post("/persone/", {"q": "340 987 6543"})
    text = caplog.text
    for secret in ("Ermenegilda", "Zanfrognini", "9876543"):
        assert secret not in text
