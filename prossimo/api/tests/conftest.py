"""Fixtures for the API tests: tokens for the cast, a client speaking JSON, a new person's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from prossimo.api.services import issue_token

ROLE_FIXTURES = {
    "volunteer": "volunteer",
    "proximity_operator": "operator",
    "social_worker": "social_worker",
    "coordinator": "coordinator",
    "monitoring_officer": "monitoring",
    "administrator": "administrator",
    "outsider": "outsider",
}


@pytest.fixture
def make_token() -> Callable[..., str]:
    """Issue a token for a user and return its secret."""

    def make(user: Any, **kwargs: Any) -> str:
        _token, secret = issue_token(None, user=user, name=kwargs.pop("name", "test"), **kwargs)
        return secret

    return make


class ApiClient:
    """The Django test client sending and reading JSON, with a bearer token if given."""

    def __init__(self, client: Client, secret: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def request(self, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        call = getattr(self.client, method.lower())
        if method.upper() in {"GET", "DELETE"}:
            return call(path, data, headers=headers, **kwargs)
        return call(path, data, content_type="application/json", headers=headers, **kwargs)

    def get(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("GET", path, data, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, data, **kwargs)


@pytest.fixture
def api_as(client: Client, make_token: Callable[..., str]) -> Callable[[Any], ApiClient]:
    """`api_as(user)`: a client authenticated with a new token of `user` (None: anonymous)."""

    def make(user: Any) -> ApiClient:
        return ApiClient(client, make_token(user) if user is not None else None)

    return make


@pytest.fixture
def new_person(lecco) -> dict[str, Any]:
    """A person to register in Lecco (territory A), unlike anyone in the fixtures."""
    return {
        "first_name": "Anna",
        "last_name": "Verdi",
        "municipality": lecco.istat_code,
        "sex": "F",
        "birth_date": "1941-05-03",
        "phones": [{"number": "347 765 4321", "kind": "mobile"}],
    }


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """Schemathesis calls the WSGI application directly, so Django's request signals close
    "old" connections — on PostgreSQL, the connection holding the test's transaction. Django's
    own test client disconnects that handler while it serves a request; do the same here."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
