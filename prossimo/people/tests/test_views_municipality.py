"""Municipalities typed as text in the person form, and the suggestions offered as one types."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from prossimo.people.forms import resolve_municipality
from prossimo.people.models import Person
from prossimo.people.tests.conftest import registration_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["Lecco", "lecco", "  LECCO ", "Lecco (LC)", "lecco(lc)"])
def test_a_municipality_is_found_by_name_with_or_without_province(territory, typed):
    assert resolve_municipality(typed).label == "Lecco (LC)"


def test_a_municipality_is_found_without_its_accents(territory):
    assert resolve_municipality("cantu").label == "Cantù (CO)"


def test_a_name_shared_by_two_municipalities_asks_for_the_province(territory):
    with pytest.raises(ValidationError) as exc:
        resolve_municipality("Castro")
    assert "“Castro (BG)”" in exc.value.messages[0]
    assert "“Castro (LE)”" in exc.value.messages[0]


def test_the_province_picks_one_of_two_municipalities_with_the_same_name(territory):
    assert resolve_municipality("Castro (LE)").province.abbreviation == "LE"


def test_an_unknown_name_suggests_what_to_type(territory):
    with pytest.raises(ValidationError) as exc:
        resolve_municipality("Lecc")
    assert "“Lecco (LC)”" in exc.value.messages[0]


def test_a_wrong_province_is_not_accepted(territory):
    with pytest.raises(ValidationError):
        resolve_municipality("Lecco (MI)")


def test_the_registration_form_stores_the_municipality_typed_in_lower_case(
    client_of, volunteer, lecco
):
    client_of(volunteer).post(
        reverse("people:create"), registration_data(municipality="lecco (lc)")
    )
    assert Person.objects.get(last_name="Verdi").municipality == lecco


def test_an_ambiguous_municipality_is_an_error_next_to_the_field(client_of, volunteer):
    response = client_of(volunteer).post(
        reverse("people:create"), registration_data(birth_municipality="Samone")
    )
    html = response.content.decode()
    error = html[html.index('id="id_birth_municipality_error"') :]
    assert "“Samone (TO)”" in error[: error.index("</div>")]


def test_suggestions_come_as_options_for_the_field_being_typed(client_of, volunteer):
    response = client_of(volunteer).get(
        reverse("territory:municipality_autocomplete"), {"birth_municipality": "lecc"}
    )
    assert '<option value="Lecco (LC)"' in response.content.decode()


def test_the_municipality_input_asks_for_suggestions_into_its_datalist(client_of, volunteer):
    html = client_of(volunteer).get(reverse("people:create")).content.decode()
    assert 'list="id_municipality_options"' in html
    assert 'hx-target="#id_municipality_options"' in html
    assert '<datalist id="id_municipality_options"></datalist>' in html
