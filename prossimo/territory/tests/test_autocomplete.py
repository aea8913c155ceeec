"""The municipality autocomplete: <option>s for a <datalist>, used by other apps' forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prossimo.territory.tests.factories import municipality

pytestmark = pytest.mark.django_db

URL = reverse("territory:municipality_autocomplete")


def test_autocomplete_answers_logged_in_users_with_options(client, volunteer):
    client.force_login(volunteer)
    lecco = municipality("Lecco")

    response = client.get(URL, {"q": "lecco"})

    assert response.status_code == 200
    assert f'<option value="Lecco (LC)" data-id="{lecco.pk}">Lecco (LC)</option>' in (
        response.content.decode()
    )


def test_autocomplete_ignores_accents_and_case(client, volunteer):
    client.force_login(volunteer)

    html = client.get(URL, {"q": "FORLI"}).content.decode()

    assert 'value="Forlì (FC)"' in html


def test_autocomplete_of_nothing_is_empty(client, volunteer):
    client.force_login(volunteer)

    assert "<option" not in client.get(URL, {"q": ""}).content.decode()
    assert "<option" not in client.get(URL).content.decode()


def test_autocomplete_escapes_what_it_shows(client, volunteer):
    client.force_login(volunteer)

    html = client.get(URL, {"q": "<script>"}).content.decode()

    assert "<script>" not in html


def test_autocomplete_asks_anonymous_users_to_log_in(client, territory):
    response = client.get(URL, {"q": "lecco"})

    assert response.status_code == 302


def test_autocomplete_runs_a_fixed_number_of_queries(
    client, volunteer, django_assert_max_num_queries
):
    client.force_login(volunteer)

    with django_assert_max_num_queries(8):
        client.get(URL, {"q": "san"})
