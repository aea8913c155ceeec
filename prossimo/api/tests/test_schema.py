"""The OpenAPI schema and the docs page: served locally, listing the people operations."""

from __future__ import annotations

import re
import typing

import pytest

from prossimo.api import people
from prossimo.people.models import LANGUAGE_CHOICES, Consent, Person, Phone

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_people_operations(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"} and path.startswith("/api/people")
    }
    assert operations == {
        ("get", "/api/people"),
        ("post", "/api/people"),
        ("post", "/api/people/search"),
        ("get", "/api/people/{person_id}"),
        ("patch", "/api/people/{person_id}"),
    }
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_every_operation_requires_authentication_while_the_hsds_api_is_closed(client, settings):
    # While it is public the HSDS operations list no security: test_openapi_hsds_public.py.
    settings.PROSSIMO_HSDS_API_PUBLIC = False
    schema = client.get("/api/openapi.json").json()
    for item in schema["paths"].values():
        for operation in item.values():
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]


def test_query_string_search_points_to_the_post_search(client):
    schema = client.get("/api/openapi.json").json()
    assert "POST /api/people/search" in schema["paths"]["/api/people"]["get"]["description"]


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "cdn" not in html.lower()
    # Swagger UI's validator badge would fetch from validator.swagger.io.
    assert '"validatorUrl": null' in html


def test_docs_assets_are_served(client):
    for asset in ["ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"]:
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset


def test_private_docs_need_a_login_or_a_token(client, settings, volunteer, make_token):
    settings.PROSSIMO_API_PUBLIC_DOCS = False
    response = client.get("/api/openapi.json")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert client.get("/api/docs").status_code == 302
    secret = make_token(volunteer)
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/openapi.json", headers=auth).status_code == 200
    assert (
        client.get("/api/openapi.json", headers={"Authorization": "Bearer prs_x"}).status_code
        == 401
    )
    client.force_login(volunteer)
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize(
    ("literal", "choices"),
    [
        (people.Sex, ["", *Person.Sex.values]),
        (people.LegalBasis, Person.LegalBasis.values),
        (people.PhoneKind, Phone.Kind.values),
        (people.ConsentKind, Consent.Kind.values),
        (people.LanguageCode, [code for code, _label in LANGUAGE_CHOICES]),
    ],
)
def test_schema_choices_follow_the_models(literal, choices):
    assert sorted(typing.get_args(literal)) == sorted(choices)
