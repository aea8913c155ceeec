"""The OpenAPI components of a person's data: the same fields whether registered or referred."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PERSON_FIELDS = {
    "first_name", "last_name", "municipality", "sex", "birth_date", "birth_municipality",
    "birth_country", "fiscal_code", "address", "postal_code", "lives_alone", "languages",
    "gp_name", "gp_phone", "notes", "legal_basis", "phones", "reference_persons",
}  # fmt: skip
REQUIRED = ["first_name", "last_name", "municipality"]


@pytest.fixture
def components(client):
    return client.get("/api/openapi.json").json()["components"]["schemas"]


def test_registering_a_person_takes_their_data_consents_and_the_duplicate_confirmation(
    components,
):
    person = components["PersonCreate"]
    assert set(person["properties"]) == PERSON_FIELDS | {"consents", "confirm_not_duplicate"}
    assert person["required"] == REQUIRED
    assert person["additionalProperties"] is False
    assert "description" not in person


def test_a_referred_new_person_takes_the_same_data_without_consents(components):
    person = components["NewPersonIn"]
    assert set(person["properties"]) == PERSON_FIELDS
    assert person["required"] == REQUIRED
    assert person["additionalProperties"] is False
    assert person["description"].startswith("A person to register while referring them")


def test_the_shared_fields_are_described_alike_in_both(components):
    created, referred = components["PersonCreate"], components["NewPersonIn"]
    for name in PERSON_FIELDS:
        assert created["properties"][name] == referred["properties"][name], name
    assert "ISTAT" in referred["properties"]["municipality"]["description"]
