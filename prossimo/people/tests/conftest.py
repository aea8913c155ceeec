"""Helpers for the people pages' tests: logged-in clients and a registration form's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from prossimo.people.tests.factories import fiscal_code_for
from prossimo.territory.models import Municipality

GIUSEPPE_BIRTH_DATE = dt.date(1940, 5, 12)


def giuseppe_fiscal_code() -> str:
    lecco = Municipality.objects.get(name="Lecco")
    return fiscal_code_for("Giuseppe", "Verdi", "M", GIUSEPPE_BIRTH_DATE, lecco)


def formset_data(prefix: str, rows: list[dict[str, str]], *, initial: int = 0) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def registration_data(
    *,
    phones: list[dict[str, str]] | None = None,
    reference_persons: list[dict[str, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """What the registration form posts for Giuseppe Verdi, born and living in Lecco."""
    today = timezone.localdate().isoformat()
    data: dict[str, Any] = {
        "first_name": "Giuseppe",
        "last_name": "Verdi",
        "sex": "M",
        "birth_date": GIUSEPPE_BIRTH_DATE.isoformat(),
        "birth_municipality": "Lecco (LC)",
        "birth_country": "",
        "fiscal_code": "",
        "address": "Via Roma 1",
        "postal_code": "23900",
        "municipality": "Lecco",
        "lives_alone": "yes",
        "languages": ["it", "ro"],
        "gp_name": "Dott. Bianchi",
        "gp_phone": "0341 123456",
        "notes": "",
        "legal_basis": "consent",
        "consents-privacy_notice": "on",
        "consents-privacy_notice_on": today,
        "consents-calls_on": today,
        "consents-share_social_on": today,
    }
    data.update(
        formset_data(
            "phones",
            phones if phones is not None else [{"number": "", "kind": "mobile", "note": ""}],
        )
    )
    data.update(
        formset_data(
            "reference_persons",
            reference_persons
            if reference_persons is not None
            else [{"name": "", "relationship": "", "phone": "", "note": ""}],
        )
    )
    data.update(fields)
    return data


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login
