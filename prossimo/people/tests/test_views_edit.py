"""The edit page: the same form, prefilled; changes are saved and audited."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from prossimo.people.models import Person
from prossimo.people.tests.conftest import formset_data
from prossimo.people.tests.factories import ReferencePersonFactory

pytestmark = pytest.mark.django_db


def edit_data(person, *, phones=None, reference_persons=None, initial_refs=0, **fields):
    """What the edit form posts for `person` unchanged (one phone row, +393401234567)."""
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "birth_municipality": person.birth_municipality.label,
        "birth_country": "",
        "fiscal_code": person.fiscal_code,
        "address": person.address,
        "postal_code": "23900",
        "municipality": person.municipality.label,
        "lives_alone": "unknown",
        "gp_name": "",
        "gp_phone": "",
        "notes": "",
        "legal_basis": "consent",
    }
    data.update(
        formset_data(
            "phones",
            phones
            if phones is not None
            else [
                {"number": "+39 340 123 4567", "kind": "mobile", "note": ""},
                {"number": "", "kind": "mobile", "note": ""},
            ],
            initial=1,
        )
    )
    data.update(
        formset_data(
            "reference_persons",
            reference_persons
            if reference_persons is not None
            else [{"name": "", "relationship": "", "phone": "", "note": ""}],
            initial=initial_refs,
        )
    )
    data.update(fields)
    return data


def edit_url(person):
    return reverse("people:edit", args=[person.pk])


def test_the_edit_form_is_prefilled_with_the_record(client_of, volunteer, person_a):
    html = client_of(volunteer).get(edit_url(person_a)).content.decode()
    assert 'value="Rossi"' in html
    assert 'name="municipality" value="Lecco (LC)"' in html
    assert 'name="phones-0-number" value="340 123 4567"' in html
    assert 'name="phones-INITIAL_FORMS" value="1"' in html


def test_saving_the_edit_form_stores_the_changes(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        edit_url(person_a), edit_data(person_a, address="Via Nuova 3", lives_alone="no")
    )
    person_a.refresh_from_db()
    assert response.status_code == 302
    assert (person_a.address, person_a.lives_alone) == ("Via Nuova 3", False)


def test_saving_the_edit_form_leaves_an_audit_entry_with_the_changed_fields(
    client_of, volunteer, person_a
):
    client_of(volunteer).post(edit_url(person_a), edit_data(person_a, address="Via Nuova 3"))
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person),
        object_pk=str(person_a.pk),
        action=LogEntry.Action.UPDATE,
    ).latest("timestamp")
    assert entry.actor == volunteer
    assert entry.changes["address"][1] == "Via Nuova 3"
    assert "first_name" not in entry.changes


def test_phones_left_as_they_were_are_kept(client_of, volunteer, person_a):
    client_of(volunteer).post(edit_url(person_a), edit_data(person_a, notes="ok"))
    assert [p.number for p in person_a.phones.all()] == ["+393401234567"]


def test_a_phone_ticked_for_deletion_is_removed(client_of, volunteer, person_a):
    client_of(volunteer).post(
        edit_url(person_a),
        edit_data(
            person_a,
            phones=[
                {"number": "+393401234567", "kind": "mobile", "note": "", "DELETE": "on"},
                {"number": "0341 555666", "kind": "landline", "note": ""},
            ],
        ),
    )
    assert [p.number for p in person_a.phones.all()] == ["+390341555666"]


def test_a_reference_person_can_be_added(client_of, volunteer, person_a):
    client_of(volunteer).post(
        edit_url(person_a),
        edit_data(
            person_a,
            reference_persons=[
                {"name": "Luca Rossi", "relationship": "figlio", "phone": "", "note": ""}
            ],
        ),
    )
    assert [r.name for r in person_a.reference_persons.all()] == ["Luca Rossi"]


def test_a_reference_person_changed_keeps_its_row(client_of, volunteer, person_a):
    ref = ReferencePersonFactory(person=person_a, name="Luca Rossi")
    client_of(volunteer).post(
        edit_url(person_a),
        edit_data(
            person_a,
            reference_persons=[
                {"name": "Luca Rossi", "relationship": "nipote", "phone": "", "note": ""}
            ],
            initial_refs=1,
        ),
    )
    ref.refresh_from_db()
    assert ref.relationship == "nipote"


def test_an_error_on_the_edit_form_keeps_what_was_typed(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        edit_url(person_a), edit_data(person_a, address="Via Nuova 3", birth_date="1890-13-45")
    )
    html = response.content.decode()
    assert 'value="Via Nuova 3"' in html
    assert 'id="id_birth_date_error"' in html
    person_a.refresh_from_db()
    assert person_a.address != "Via Nuova 3"


def test_a_fiscal_code_that_no_longer_matches_the_name_is_refused(client_of, volunteer, person_a):
    response = client_of(volunteer).post(edit_url(person_a), edit_data(person_a, last_name="Verdi"))
    assert 'id="id_fiscal_code_error"' in response.content.decode()
