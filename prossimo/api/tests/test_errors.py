"""Bad input gets a structured 4xx JSON answer, translated, never a 500."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db

PEOPLE = "/api/people"


def _post_raw(client, secret, body: bytes, path=PEOPLE):
    return client.generic(
        "POST", path, body, content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )  # fmt: skip


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[1, 2", b"nul"])
def test_malformed_json_is_400(client, volunteer, make_token, body):
    response = _post_raw(client, make_token(volunteer), body)
    assert response.status_code == 400
    assert response.json() == {"detail": response.json()["detail"], "errors": []}


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object_is_422(client, volunteer, make_token, body):
    response = _post_raw(client, make_token(volunteer), body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_missing_body_is_422(client, volunteer, make_token):
    response = _post_raw(client, make_token(volunteer), b"")
    assert response.status_code == 422


@pytest.mark.parametrize("text", ["Ros\x00si", "Ros\ud800si"])
def test_text_that_cannot_be_stored_is_422(client, volunteer, make_token, new_person, text):
    import json

    new_person["last_name"] = text
    body = json.dumps(new_person).encode()  # \u escapes: valid JSON, unstorable text
    response = _post_raw(client, make_token(volunteer), body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "last_name"
    assert response.json()["errors"][0]["code"] in {"text_invalid", "string_unicode"}


def test_too_long_values_are_422_not_database_errors(api_as, volunteer, new_person):
    new_person["postal_code"] = "123456"
    new_person["phones"] = [{"number": "3" * 31}]
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"postal_code", "phones.0.number"}


def test_huge_numbers_are_422(api_as, volunteer):
    response = api_as(volunteer).get(PEOPLE, {"offset": 10**30, "limit": "x"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"offset", "limit"}


def test_messages_follow_the_users_language(api_as, volunteer, new_person):
    """Italian by default; a user who chose English gets English (msgids are English)."""
    del new_person["last_name"]
    volunteer.preferred_language = "en"
    volunteer.save(update_fields=["preferred_language"])
    body = api_as(volunteer).post(PEOPLE, new_person).json()
    assert body["errors"][0]["message"] == "This field is required."
    with translation.override("en"):
        from django.utils.translation import gettext

        assert body["detail"] == gettext("The data sent are not valid: see the errors.")


def test_validation_error_messages_do_not_echo_the_values(api_as, volunteer, new_person):
    new_person["fiscal_code"] = "VRDNNA41E43E507Q"
    new_person["phones"] = [{"number": "Verdi-0000"}]
    content = api_as(volunteer).post(PEOPLE, new_person).content.decode()
    assert "VRDNNA41E43E507Q" not in content
