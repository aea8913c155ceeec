"""The registration page: a person's data, phones, reference persons, consents, duplicates."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from prossimo.core.testing import italian
from prossimo.people.models import Consent, Person
from prossimo.people.tests.conftest import giuseppe_fiscal_code, registration_data
from prossimo.people.tests.factories import PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db

CREATE = "/persone/nuova/"


def test_the_registration_page_offers_the_consents_dated_today(client_of, volunteer):
    response = client_of(volunteer).get(reverse("people:create"))
    assert response.status_code == 200
    assert f'name="consents-calls_on" value="{timezone.localdate().isoformat()}"' in (
        response.content.decode()
    )


def test_registering_a_person_opens_their_new_record(client_of, volunteer):
    response = client_of(volunteer).post(CREATE, registration_data())
    person = Person.objects.get(last_name="Verdi")
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[person.pk])


def test_registering_a_person_saves_what_was_typed(client_of, volunteer, lecco):
    client_of(volunteer).post(CREATE, registration_data(fiscal_code=giuseppe_fiscal_code().lower()))
    person = Person.objects.get(last_name="Verdi")
    assert (person.municipality, person.birth_municipality) == (lecco, lecco)
    assert person.fiscal_code == giuseppe_fiscal_code()
    assert (person.lives_alone, person.languages) == (True, ["it", "ro"])
    assert (person.address, person.postal_code) == ("Via Roma 1", "23900")


def test_a_phone_typed_with_spaces_is_stored_in_international_format(client_of, volunteer):
    client_of(volunteer).post(
        CREATE,
        registration_data(phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}]),
    )
    person = Person.objects.get(last_name="Verdi")
    assert [p.number for p in person.phones.all()] == ["+393401234567"]


def test_reference_persons_typed_are_saved(client_of, volunteer):
    client_of(volunteer).post(
        CREATE,
        registration_data(
            reference_persons=[
                {
                    "name": "Anna Verdi",
                    "relationship": "figlia",
                    "phone": "347 765 4321",
                    "is_caregiver": "on",
                    "note": "",
                }
            ]
        ),
    )
    ref = Person.objects.get(last_name="Verdi").reference_persons.get()
    assert (ref.name, ref.phone, ref.is_caregiver) == ("Anna Verdi", "+393477654321", True)


def test_the_consents_ticked_are_recorded_with_their_dates(client_of, volunteer):
    client_of(volunteer).post(
        CREATE, registration_data(**{"consents-calls": "on", "consents-calls_on": "2026-01-05"})
    )
    consents = Consent.objects.filter(person__last_name="Verdi")
    assert sorted((c.kind, c.given_on.isoformat()) for c in consents) == [
        ("calls", "2026-01-05"),
        ("privacy_notice", timezone.localdate().isoformat()),
    ]


def test_a_consent_dated_in_the_future_is_refused_next_to_its_date(client_of, volunteer):
    future = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    response = client_of(volunteer).post(
        CREATE, registration_data(**{"consents-calls": "on", "consents-calls_on": future})
    )
    assert 'id="id_consents-calls_on_error"' in response.content.decode()
    assert not Person.objects.filter(last_name="Verdi").exists()


def test_a_wrong_fiscal_code_shows_the_italian_error_next_to_the_field(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE + "?lang=it", registration_data(fiscal_code="VRDGPP40E12E507X")
    )
    with translation.override("it"):
        expected = translation.gettext(
            "This codice fiscale is not valid: check for a mistyped character."
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "it"
    error_block = html[html.index('id="id_fiscal_code_error"') :]
    assert expected in error_block[: error_block.index("</div>")]


def test_a_form_with_an_error_keeps_what_was_typed(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(
            fiscal_code="VRDGPP40E12E507X",
            notes="Suona due volte",
            phones=[{"number": "340 555 1234", "kind": "landline", "note": "casa"}],
        ),
    )
    html = response.content.decode()
    for typed in (
        'value="Giuseppe"',
        'value="Verdi"',
        'value="VRDGPP40E12E507X"',
        'value="Lecco (LC)"',
        'value="340 555 1234"',
        '<option value="landline" selected>',
        "Suona due volte</textarea>",
        'value="ro" id="id_languages_6" checked',
    ):
        assert typed in html


def test_errors_are_listed_in_a_focusable_summary_linking_to_the_fields(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE, registration_data(first_name="", fiscal_code="VRDGPP40E12E507X")
    )
    html = response.content.decode()
    start = html.index("data-error-summary")
    summary = html[start : html.index("</ul>", start)]
    assert 'tabindex="-1"' in summary
    assert 'href="#id_first_name"' in summary
    assert 'href="#id_fiscal_code"' in summary


def test_a_wrong_phone_number_is_shown_next_to_its_row(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(
            phones=[
                {"number": "340 123 4567", "kind": "mobile", "note": ""},
                {"number": "12", "kind": "mobile", "note": ""},
            ]
        ),
    )
    html = response.content.decode()
    assert 'id="id_phones-1-number_error"' in html
    assert 'id="id_phones-0-number_error"' not in html


def test_a_wrong_reference_person_phone_is_shown_next_to_its_row(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(
            reference_persons=[{"name": "Anna", "relationship": "", "phone": "99", "note": ""}]
        ),
    )
    assert 'id="id_reference_persons-0-phone_error"' in response.content.decode()


def test_a_municipality_outside_the_users_territory_is_refused(client_of, volunteer):
    response = client_of(volunteer).post(CREATE, registration_data(municipality="Monza (MB)"))
    assert 'id="id_municipality_error"' in response.content.decode()
    assert not Person.objects.filter(last_name="Verdi").exists()


def test_adding_a_phone_row_without_javascript_keeps_the_data_and_saves_nothing(
    client_of, volunteer
):
    response = client_of(volunteer).post(CREATE, registration_data(first_name="", add_row="phones"))
    html = response.content.decode()
    assert 'name="phones-TOTAL_FORMS" value="2"' in html
    assert 'name="phones-1-number"' in html
    assert 'value="Verdi"' in html
    assert "data-error-summary" not in html
    assert not Person.objects.filter(last_name="Verdi").exists()


def test_an_htmx_submission_with_errors_gets_the_form_fragment_only(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE, registration_data(first_name=""), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="person-form-area">')
    assert "data-error-summary" in html


def test_an_htmx_submission_that_saves_redirects_the_browser(client_of, volunteer):
    response = client_of(volunteer).post(
        CREATE, registration_data(), headers={"HX-Request": "true"}
    )
    person = Person.objects.get(last_name="Verdi")
    assert response["HX-Redirect"] == reverse("people:detail", args=[person.pk])


# --- likely duplicates -------------------------------------------------------------------


def data_like(person, **fields):
    """Registration data describing `person` again, with `fields` changed."""
    values = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        **fields,
    }
    return registration_data(**values)


def test_the_same_fiscal_code_shows_the_likely_duplicate(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        CREATE, data_like(person_a, fiscal_code=person_a.fiscal_code)
    )
    html = response.content.decode()
    assert reverse("people:detail", args=[person_a.pk]) in html
    assert italian("same codice fiscale") in html


def test_the_same_phone_shows_the_likely_duplicate(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}]),
    )
    html = response.content.decode()
    assert reverse("people:detail", args=[person_a.pk]) in html
    assert italian("same phone number") in html


def test_a_similar_name_with_the_same_birth_date_shows_the_likely_duplicate(
    client_of, volunteer, person_a
):
    response = client_of(volunteer).post(
        CREATE,
        data_like(person_a, last_name="Rosi", birth_municipality="", birth_country="Romania"),
    )
    html = response.content.decode()
    assert reverse("people:detail", args=[person_a.pk]) in html
    assert italian("similar name and same date of birth") in html


def test_the_duplicates_panel_keeps_the_data_and_registers_nobody(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}]),
    )
    html = response.content.decode()
    assert 'value="Verdi"' in html
    assert 'name="confirm_not_duplicate" value="1"' in html
    assert not Person.objects.filter(last_name="Verdi").exists()


def test_confirming_a_different_person_registers_them(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        CREATE,
        registration_data(
            phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}],
            confirm_not_duplicate="1",
        ),
    )
    person = Person.objects.get(last_name="Verdi")
    assert response.status_code == 302
    assert person.phones.get().number == "+393401234567"


def test_a_fiscal_code_registered_in_another_territory_is_an_error_on_the_field(
    client_of, outsider, person_a
):
    response = client_of(outsider).post(
        CREATE, data_like(person_a, fiscal_code=person_a.fiscal_code, municipality="Monza")
    )
    html = response.content.decode()
    assert 'id="id_fiscal_code_error"' in html
    assert reverse("people:detail", args=[person_a.pk]) not in html
    assert Person.objects.count() == 1


def test_inactive_look_alikes_are_listed_too(client_of, volunteer, lecco):
    twin = PersonFactory(municipality=lecco, is_active=False)
    PhoneFactory(person=twin, number="+393409990000")
    response = client_of(volunteer).post(
        CREATE,
        registration_data(phones=[{"number": "3409990000", "kind": "mobile", "note": ""}]),
    )
    assert reverse("people:detail", args=[twin.pk]) in response.content.decode()
