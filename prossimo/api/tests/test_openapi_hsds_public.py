"""The OpenAPI schema tells the truth about the HSDS API: open to anyone while it is public."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

TOKEN_OR_SESSION = [{"TokenAuth": []}, {"SessionAuth": []}]


def operations(schema: dict[str, Any], *, hsds: bool) -> list[dict[str, Any]]:
    return [
        operation
        for path, item in schema["paths"].items()
        if path.startswith("/api/hsds") == hsds
        for operation in item.values()
    ]


def test_public_hsds_operations_declare_no_security(client, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = True

    schema = client.get("/api/openapi.json").json()

    assert operations(schema, hsds=True)
    for operation in operations(schema, hsds=True):
        assert "security" not in operation, operation["operationId"]
    assert "security" not in schema


def test_closed_hsds_operations_need_a_token_or_a_session(client, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = False

    schema = client.get("/api/openapi.json").json()

    assert operations(schema, hsds=True)
    for operation in operations(schema, hsds=True):
        assert operation["security"] == TOKEN_OR_SESSION, operation["operationId"]


def test_a_public_hsds_api_leaves_the_other_operations_protected(client, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = True

    schema = client.get("/api/openapi.json").json()

    for operation in operations(schema, hsds=False):
        assert operation["security"] == TOKEN_OR_SESSION, operation["operationId"]
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}


def test_the_schema_follows_the_setting_from_one_request_to_the_next(client, settings):
    settings.PROSSIMO_HSDS_API_PUBLIC = True
    first = client.get("/api/openapi.json").json()
    settings.PROSSIMO_HSDS_API_PUBLIC = False
    second = client.get("/api/openapi.json").json()

    assert "security" not in first["paths"]["/api/hsds/services"]["get"]
    assert second["paths"]["/api/hsds/services"]["get"]["security"] == TOKEN_OR_SESSION
