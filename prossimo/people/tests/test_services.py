import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from prossimo.core.audit import acting_as
from prossimo.people.models import Consent, Person
from prossimo.people.services import (
    ConsentInput,
    LikelyDuplicate,
    PersonInput,
    PhoneInput,
    ReferencePersonInput,
    deactivate_person,
    merge_people,
    record_consent,
    register_person,
    update_person,
    withdraw_consent,
)
from prossimo.people.tests.factories import (
    ConsentFactory,
    PersonFactory,
    PhoneFactory,
    ReferencePersonFactory,
    fiscal_code_for,
)

pytestmark = pytest.mark.django_db


def mario(lecco, **overrides):
    values = dict(
        first_name="Mario",
        last_name="Rossi",
        sex="M",
        birth_date=dt.date(1950, 4, 3),
        birth_municipality=lecco,
        municipality=lecco,
        fiscal_code="RSSMRA50D03E507P",
        phones=[PhoneInput("340 123 4567")],
    )
    values.update(overrides)
    return PersonInput(**values)


def test_registering_a_person_stores_normalised_phones_and_search_keys(volunteer, lecco):
    data = mario(lecco, last_name="  D'Àngelo ", fiscal_code=None)
    person = register_person(volunteer, data=data, confirm_not_duplicate=True)
    assert person.last_name == "D'Àngelo"
    assert person.last_name_search == "d'angelo"
    assert [p.number for p in person.phones.all()] == ["+393401234567"]
    assert person.created_by == volunteer


def test_registering_with_a_fiscal_code_that_contradicts_the_data_is_refused(volunteer, lecco):
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=mario(lecco, birth_date=dt.date(1951, 4, 3)))
    assert "fiscal_code" in exc.value.message_dict
    assert not Person.objects.exists()


def test_error_messages_are_in_italian_by_default(volunteer, lecco):
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=mario(lecco, fiscal_code="RSSMRA50D03E507X"))
    assert "codice fiscale" in exc.value.message_dict["fiscal_code"][0].lower()


def test_bad_phone_is_reported_on_its_row(volunteer, lecco):
    data = mario(lecco, phones=[PhoneInput("340 123 4567"), PhoneInput("12")])
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=data)
    assert list(exc.value.message_dict) == ["phones.1.number"]


def test_same_fiscal_code_is_a_likely_duplicate(volunteer, lecco):
    first = register_person(volunteer, data=mario(lecco, phones=[]))
    with pytest.raises(LikelyDuplicate) as exc:
        register_person(volunteer, data=mario(lecco, phones=[]))
    assert [m.person for m in exc.value.report.matches] == [first]


def test_confirmed_duplicate_with_same_fiscal_code_is_still_refused(volunteer, lecco):
    register_person(volunteer, data=mario(lecco, phones=[]))
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=mario(lecco, phones=[]), confirm_not_duplicate=True)
    assert "fiscal_code" in exc.value.message_dict
    assert Person.objects.count() == 1


def test_same_phone_is_a_likely_duplicate(volunteer, person_a, lecco):
    data = mario(lecco, fiscal_code=None, phones=[PhoneInput("+39 340-1234567")])
    with pytest.raises(LikelyDuplicate) as exc:
        register_person(volunteer, data=data)
    assert exc.value.report.matches[0].person == person_a


def test_similar_name_and_same_birth_date_is_a_likely_duplicate(volunteer, lecco):
    existing = PersonFactory(
        first_name="Mario", last_name="Rossi", birth_date=dt.date(1950, 4, 3), municipality=lecco
    )
    data = mario(lecco, last_name="Rosi", fiscal_code=None, phones=[])
    with pytest.raises(LikelyDuplicate) as exc:
        register_person(volunteer, data=data)
    assert exc.value.report.matches[0].person == existing


def test_confirmed_new_person_is_registered_despite_a_similar_one(volunteer, lecco):
    PersonFactory(
        first_name="Mario", last_name="Rossi", birth_date=dt.date(1950, 4, 3), municipality=lecco
    )
    data = mario(lecco, last_name="Rosi", fiscal_code=None, phones=[])
    register_person(volunteer, data=data, confirm_not_duplicate=True)
    assert Person.objects.count() == 2


def test_fiscal_code_registered_elsewhere_is_refused_without_revealing_the_person(
    volunteer, monza, lecco
):
    PersonFactory(
        first_name="Mario",
        last_name="Rossi",
        sex="M",
        birth_date=dt.date(1950, 4, 3),
        birth_municipality=lecco,
        municipality=monza,
    )
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=mario(lecco, phones=[]))
    message = exc.value.message_dict["fiscal_code"][0]
    assert "Monza" not in message and "Rossi" not in message


def test_person_outside_the_users_territory_cannot_be_registered(volunteer, monza, lecco):
    with pytest.raises(ValidationError) as exc:
        register_person(volunteer, data=mario(lecco, municipality=monza, phones=[]))
    assert "municipality" in exc.value.message_dict
    assert not Person.objects.exists()


def test_monitoring_officer_cannot_register_people(monitoring, lecco):
    with pytest.raises(PermissionDenied):
        register_person(monitoring, data=mario(lecco))


def test_registration_with_consents_and_reference_persons(volunteer, lecco):
    data = mario(
        lecco,
        reference_persons=[ReferencePersonInput("Anna Rossi", "figlia", "347 765 4321", True)],
    )
    person = register_person(
        volunteer,
        data=data,
        consents=[ConsentInput(Consent.Kind.PRIVACY_NOTICE, dt.date(2026, 11, 1))],
    )
    ref = person.reference_persons.get()
    assert ref.phone == "+393477654321" and ref.is_caregiver
    consent = person.consents.get()
    assert consent.recorded_by == volunteer


def test_a_failed_update_changes_nothing(volunteer, person_a, lecco):
    data = mario(lecco, fiscal_code=None, phones=[PhoneInput("12")])
    with pytest.raises(ValidationError):
        update_person(volunteer, person=person_a, data=data)
    person_a.refresh_from_db()
    assert person_a.first_name == "Maria"
    assert [p.number for p in person_a.phones.all()] == ["+393401234567"]


def test_update_replaces_phones_and_is_audited_with_changed_fields(volunteer, person_a, lecco):
    data = mario(
        lecco,
        first_name="Marianna",
        last_name="Rossi",
        sex="F",
        fiscal_code=None,
        birth_date=person_a.birth_date,
        phones=[PhoneInput("0341 123456", kind="landline")],
    )
    with acting_as(volunteer, "10.1.2.3"):
        update_person(volunteer, person=person_a, data=data)
    person_a.refresh_from_db()
    assert person_a.first_name == "Marianna"
    assert [p.number for p in person_a.phones.all()] == ["+390341123456"]
    entry = LogEntry.objects.filter(
        object_pk=str(person_a.pk), action=LogEntry.Action.UPDATE
    ).latest("timestamp")
    assert "first_name" in entry.changes
    assert entry.actor == volunteer
    assert entry.remote_addr == "10.1.2.3"
    phone_entries = LogEntry.objects.filter(
        additional_data__person=str(person_a.pk), content_type__model="phone"
    )
    assert {e.action for e in phone_entries} >= {LogEntry.Action.CREATE, LogEntry.Action.DELETE}


def test_volunteer_cannot_deactivate_but_social_worker_can(volunteer, social_worker, person_a):
    with pytest.raises(PermissionDenied):
        deactivate_person(volunteer, person=person_a, reason="trasferita")
    deactivate_person(social_worker, person=person_a, reason="trasferita")
    person_a.refresh_from_db()
    assert not person_a.is_active and person_a.deactivation_reason == "trasferita"


def test_deactivation_needs_a_reason(social_worker, person_a):
    with pytest.raises(ValidationError):
        deactivate_person(social_worker, person=person_a, reason="  ")


def test_consent_withdrawal_keeps_the_consent_in_history(volunteer, person_a):
    consent = record_consent(
        volunteer, person=person_a, kind=Consent.Kind.CALLS, given_on=dt.date(2026, 1, 5)
    )
    withdraw_consent(volunteer, consent=consent, withdrawn_on=dt.date(2026, 2, 1))
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date(2026, 2, 1) and consent.withdrawn_by == volunteer
    assert not consent.is_in_force
    with pytest.raises(ValidationError):
        withdraw_consent(volunteer, consent=consent, withdrawn_on=dt.date(2026, 2, 2))


def test_withdrawal_before_the_consent_is_refused(volunteer, person_a):
    consent = record_consent(
        volunteer, person=person_a, kind=Consent.Kind.CALLS, given_on=dt.date(2026, 1, 5)
    )
    with pytest.raises(ValidationError):
        withdraw_consent(volunteer, consent=consent, withdrawn_on=dt.date(2025, 12, 31))


def test_merge_moves_everything_linked_and_keeps_the_absorbed_record(administrator, lecco, org_b):
    keep = PersonFactory(
        first_name="Maria", last_name="Rossi", municipality=lecco, gp_name="", fiscal_code=None
    )
    absorb = PersonFactory(
        first_name="Maria",
        last_name="Rossi",
        municipality=lecco,
        gp_name="Dott. Verdi",
        birth_date=keep.birth_date,
    )
    cf = absorb.fiscal_code
    PhoneFactory(person=keep, number="+393401111111")
    PhoneFactory(person=absorb, number="+393401111111")
    PhoneFactory(person=absorb, number="+393402222222")
    ReferencePersonFactory(person=absorb)
    ConsentFactory(person=absorb)
    from prossimo.people.services import share_person

    share_person(administrator, person=absorb, organisation=org_b)

    merge_people(administrator, keep=keep, absorb=absorb)

    keep.refresh_from_db()
    absorb.refresh_from_db()
    assert sorted(keep.phones.values_list("number", flat=True)) == [
        "+393401111111",
        "+393402222222",
    ]
    assert keep.reference_persons.count() == 1
    assert keep.consents.count() == 1
    assert keep.shares.get().organisation == org_b
    assert keep.gp_name == "Dott. Verdi"
    assert keep.fiscal_code == cf
    assert absorb.merged_into == keep and not absorb.is_active
    assert absorb not in Person.objects.visible_to(administrator)
    assert LogEntry.objects.filter(additional_data__event="people.person.merged").exists()


def test_only_administrators_merge(coordinator, person_a, lecco):
    other = PersonFactory(municipality=lecco)
    with pytest.raises(PermissionDenied):
        merge_people(coordinator, keep=person_a, absorb=other)


def test_a_record_cannot_be_merged_into_itself(administrator, person_a):
    with pytest.raises(ValidationError):
        merge_people(administrator, keep=person_a, absorb=person_a)


def test_fiscal_code_factory_matches_the_validator(lecco):
    cf = fiscal_code_for("Anna", "Verdi", "F", dt.date(1940, 12, 31), lecco)
    from prossimo.people.validation import fiscal_code_mismatches

    assert (
        fiscal_code_mismatches(
            cf,
            first_name="Anna",
            last_name="Verdi",
            sex="F",
            birth_date=dt.date(1940, 12, 31),
            birthplace_code="E507",
        )
        == []
    )


def test_moving_a_person_outside_the_users_territory_is_refused(volunteer, person_a, monza):
    data = PersonInput(
        first_name="Maria",
        last_name="Rossi",
        municipality=monza,
        sex="F",
        birth_date=person_a.birth_date,
    )
    with pytest.raises(ValidationError) as exc:
        update_person(volunteer, person=person_a, data=data)
    assert "municipality" in exc.value.message_dict
    person_a.refresh_from_db()
    assert person_a.municipality.name == "Lecco"
