"""Interface language: Italian first, `?lang=` for a session, the profile's choice at login."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test.signals import setting_changed
from django.urls import reverse

from prossimo.core.models import User
from prossimo.territory.tests.factories import UserFactory

PASSWORD = "prossimo-test-pw"
LOGIN_URL = reverse("account_login")


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogues():
    """The .mo files are build output (`make messages`): compile them, then reload catalogues."""
    call_command("compilemessages_prossimo", verbosity=0)
    setting_changed.send(
        sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def anna(db) -> User:
    return UserFactory(username="anna", email="anna@example.org")


def _language_of(response) -> str:
    return response.headers["Content-Language"]


def _log_in(client, username: str):
    return client.post(LOGIN_URL, {"login": username, "password": PASSWORD}, follow=True)


def test_interface_is_italian_by_default(client, db):
    response = client.get(LOGIN_URL)

    assert _language_of(response) == "it"
    assert '<html lang="it">' in response.content.decode()
    assert "Accedi a Prossimo" in response.content.decode()


def test_browser_language_is_not_used(client, db):
    response = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert _language_of(response) == "it"


def test_lang_parameter_switches_the_language_for_the_session(client, db):
    switched = client.get(LOGIN_URL, {"lang": "en"})
    later = client.get(LOGIN_URL)
    back = client.get(LOGIN_URL, {"lang": "it"})

    assert _language_of(switched) == "en"
    assert '<html lang="en">' in switched.content.decode()
    assert "Log in to Prossimo" in switched.content.decode()
    assert _language_of(later) == "en"
    assert _language_of(back) == "it"


def test_an_unknown_language_is_ignored(client, db):
    response = client.get(LOGIN_URL, {"lang": "fr"})

    assert _language_of(response) == "it"


def test_user_sets_preferred_language_on_the_profile_page(client, anna):
    client.force_login(anna)

    response = client.post(reverse("core:profile"), {"preferred_language": "en"}, follow=True)

    anna.refresh_from_db()
    assert anna.preferred_language == "en"
    assert _language_of(response) == "en"
    assert "Your preferences have been saved." in response.content.decode()


def test_profile_page_refuses_an_unknown_language(client, anna):
    client.force_login(anna)

    response = client.post(reverse("core:profile"), {"preferred_language": "fr"})

    assert response.status_code == 200
    assert 'id="id_preferred_language_error"' in response.content.decode()
    anna.refresh_from_db()
    assert anna.preferred_language == ""


def test_profile_page_needs_a_login(client, db):
    response = client.get(reverse("core:profile"))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_preferred_language_applies_at_the_next_login(client, anna):
    client.force_login(anna)
    client.post(reverse("core:profile"), {"preferred_language": "en"})
    client.post(reverse("account_logout"))
    assert _language_of(client.get(LOGIN_URL)) == "it"

    home = _log_in(client, "anna")

    assert _language_of(home) == "en"
    assert _language_of(client.get(reverse("home"))) == "en"


def test_preferred_language_replaces_the_choice_made_before_logging_in(client, anna):
    anna.preferred_language = "it"
    anna.save(update_fields=["preferred_language"])
    client.get(LOGIN_URL, {"lang": "en"})

    home = _log_in(client, "anna")

    assert _language_of(home) == "it"


def test_without_a_preference_the_session_choice_survives_login(client, anna):
    client.get(LOGIN_URL, {"lang": "en"})

    home = _log_in(client, "anna")

    assert _language_of(home) == "en"


def test_lang_parameter_after_login_lasts_for_the_session_only(client, anna):
    anna.preferred_language = "en"
    anna.save(update_fields=["preferred_language"])
    _log_in(client, "anna")

    switched = client.get(reverse("home"), {"lang": "it"})
    later = client.get(reverse("home"))
    client.post(reverse("account_logout"))
    next_login = _log_in(client, "anna")

    assert _language_of(switched) == "it"
    assert _language_of(later) == "it"
    anna.refresh_from_db()
    assert anna.preferred_language == "en"
    assert _language_of(next_login) == "en"
