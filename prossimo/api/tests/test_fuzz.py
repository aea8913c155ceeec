"""Schemathesis fuzzes the people endpoints, authenticated with a token: never a 5xx.

The schema is loaded from the app itself (WSGI, no server); positive and negative cases,
derandomised so that a failure is reproducible, never flaky.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from prossimo.people.tests.factories import PhoneFactory
from prossimo.wsgi import application

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": 25,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
    }
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


@pytest.fixture
def target(volunteer, make_token, person_a, lecco):
    """A token, and a person in its territory for the fuzzer to read and change."""
    PhoneFactory(person__municipality=lecco)
    return {"token": make_token(volunteer), "person_id": str(person_a.pk), "istat": "097042"}


def aim_at_real_data(case, target) -> None:
    """Random ids and ISTAT codes name nobody and nothing: point about half of the cases at
    a real person and municipality, so that the fuzzing reaches the code behind the lookups.
    (Chosen from the case itself, so that a failing case replays the same.)"""
    params, body = case.path_parameters or {}, case.body
    coin = zlib.crc32(repr((params, body)).encode("utf-8", "surrogatepass")) % 2
    if "person_id" in params and coin:
        params["person_id"] = target["person_id"]
    if isinstance(body, dict) and isinstance(body.get("municipality"), str) and coin:
        body["municipality"] = target["istat"]


@schema.include(path_regex="^/api/people").parametrize()
# One token and one database transaction per operation, shared by its examples: intended.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_people_endpoints_never_answer_with_a_server_error(case, target):
    aim_at_real_data(case, target)
    response = case.call(headers={"Authorization": f"Bearer {target['token']}"})
    case.validate_response(response, checks=[not_a_server_error])
