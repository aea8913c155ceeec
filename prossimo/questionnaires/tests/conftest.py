"""Fixtures of the questionnaires tests: the shipped instruments, answers, English pages."""

from __future__ import annotations

from typing import Any

import pytest

from prossimo.questionnaires.models import Questionnaire


@pytest.fixture
def shipped(db) -> dict[str, Questionnaire]:
    """The instruments shipped with Prossimo, by code (loaded by the data migration; loaded
    again here in case a transactional test emptied the table)."""
    from prossimo.questionnaires.loader import ensure_shipped_questionnaires

    ensure_shipped_questionnaires()
    return {q.code: q for q in Questionnaire.objects.filter(version=1)}


@pytest.fixture
def ucla(shipped) -> Questionnaire:
    return shipped["ucla-3"]


@pytest.fixture
def prisma(shipped) -> Questionnaire:
    return shipped["prisma-7"]


@pytest.fixture
def tfi(shipped) -> Questionnaire:
    return shipped["tfi"]


def all_answers(questionnaire: Questionnaire, value: str) -> dict[str, str]:
    """The same answer to every question."""
    return {item["id"]: value for item in questionnaire.definition["items"]}


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`, showing pages in English."""

    def login(user: Any):
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
        client.force_login(user)
        return client

    return login
