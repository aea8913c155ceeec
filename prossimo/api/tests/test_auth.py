"""Who may call the API: tokens (valid, wrong, revoked, expired), the session with CSRF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from prossimo.api import services
from prossimo.api.models import ApiToken, hash_token
from prossimo.api.tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

PEOPLE = "/api/people"


def _assert_401(response):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["detail"]
    assert body["errors"] == []


def test_valid_token_authenticates_as_its_user(client, volunteer, person_a, make_token):
    response = ApiClient(client, make_token(volunteer)).get(PEOPLE)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [str(person_a.pk)]


def test_answers_to_a_token_are_not_cached(client, volunteer, person_a, make_token):
    response = ApiClient(client, make_token(volunteer)).get(f"{PEOPLE}/{person_a.pk}")
    assert "no-store" in response["Cache-Control"]


def test_token_scheme_is_case_insensitive(client, volunteer, make_token):
    secret = make_token(volunteer)
    response = client.get(PEOPLE, headers={"Authorization": f"bearer {secret}"})
    assert response.status_code == 200


def test_wrong_token_is_401(client, volunteer, make_token):
    make_token(volunteer)
    _assert_401(ApiClient(client, "prs_not-a-token-of-ours").get(PEOPLE))


def test_token_with_a_changed_character_is_401(client, volunteer, make_token):
    secret = make_token(volunteer)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    _assert_401(ApiClient(client, tampered).get(PEOPLE))


def test_revoked_token_is_401(client, volunteer, make_token):
    secret = make_token(volunteer)
    services.revoke_token(None, token=ApiToken.objects.get())
    _assert_401(ApiClient(client, secret).get(PEOPLE))


def test_expired_token_is_401(client, volunteer, make_token, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    secret = make_token(volunteer, expires_at=timezone.now() + dt.timedelta(days=1))
    assert ApiClient(client, secret).get(PEOPLE).status_code == 200
    time_machine.shift(dt.timedelta(days=1, seconds=1))
    _assert_401(ApiClient(client, secret).get(PEOPLE))


def test_token_of_an_inactive_user_is_401(client, volunteer, make_token):
    secret = make_token(volunteer)
    volunteer.is_active = False
    volunteer.save(update_fields=["is_active"])
    _assert_401(ApiClient(client, secret).get(PEOPLE))


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic dm9sdW50ZWVyOnB3", "Token abc", "prs_abc"]
)
def test_missing_or_malformed_authorization_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    _assert_401(client.get(PEOPLE, headers=headers))


def test_a_bad_token_is_refused_even_with_a_valid_session(client, volunteer):
    client.force_login(volunteer)
    _assert_401(ApiClient(client, "prs_wrong").get(PEOPLE))


def test_only_the_hash_and_a_prefix_of_the_token_are_stored(volunteer, make_token):
    secret = make_token(volunteer)
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(secret) != secret
    assert secret.startswith(token.prefix)
    assert len(token.prefix) == 12
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert secret not in stored


def test_use_of_a_token_is_noted_at_most_once_a_minute(client, volunteer, make_token):
    secret = make_token(volunteer)
    api = ApiClient(client, secret)
    api.get(PEOPLE)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get(PEOPLE)
    assert ApiToken.objects.get().last_used_at == first


def test_issuing_a_token_needs_the_api_tokens_permission(volunteer, administrator):
    with pytest.raises(services.PermissionDenied):
        services.issue_token(volunteer, user=volunteer, name="mine")
    token, _secret = services.issue_token(administrator, user=volunteer, name="CRM")
    assert token.user == volunteer


def test_issuing_and_revoking_are_audited(administrator, volunteer):
    from auditlog.models import LogEntry

    token, _secret = services.issue_token(administrator, user=volunteer, name="CRM")
    services.revoke_token(administrator, token=token)
    events = [
        (e.additional_data["event"], e.actor)
        for e in LogEntry.objects.filter(object_pk=str(token.pk)).order_by("pk")
    ]
    assert events == [("api.token.created", administrator), ("api.token.revoked", administrator)]


def test_a_token_cannot_expire_in_the_past(volunteer):
    with pytest.raises(services.ValidationError):
        services.issue_token(
            None, user=volunteer, name="x", expires_at=timezone.now() - dt.timedelta(days=1)
        )


# --- the browser's session ---------------------------------------------------------------


def test_session_authenticates_reads(client, volunteer, person_a):
    client.force_login(volunteer)
    assert client.get(PEOPLE).status_code == 200


def test_session_write_without_csrf_token_is_403(volunteer, new_person):
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    response = client.post(PEOPLE, new_person, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_write_with_csrf_token_is_accepted(volunteer, new_person):
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    client.get("/api/docs")  # any page sets the CSRF cookie; the docs page does
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        PEOPLE, new_person, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.json()


def test_token_write_needs_no_csrf_token(volunteer, new_person, make_token):
    client = Client(enforce_csrf_checks=True)
    response = ApiClient(client, make_token(volunteer)).post(PEOPLE, new_person)
    assert response.status_code == 201


def test_anonymous_write_is_401_not_a_csrf_failure(new_person):
    client = Client(enforce_csrf_checks=True)
    _assert_401(client.post(PEOPLE, new_person, content_type="application/json"))
