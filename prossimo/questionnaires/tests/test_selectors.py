"""Reading screenings: who sees which, scores over time, first and latest, instruments in use."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.http import Http404
from django.utils import timezone

from prossimo.questionnaires import selectors
from prossimo.questionnaires.loader import DATA_DIR, load_definitions
from prossimo.questionnaires.models import Questionnaire, Response
from prossimo.questionnaires.services import record_response
from prossimo.questionnaires.tests.conftest import all_answers

pytestmark = pytest.mark.django_db


def screen(user, person, questionnaire, value, *, days_ago=0):
    return record_response(
        user,
        person=person,
        questionnaire=questionnaire,
        answers=all_answers(questionnaire, value),
        taken_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def screened(volunteer, outsider, person_a, person_b, ucla, prisma):
    """Person A screened three times with UCLA-3 and once with PRISMA-7; person B once."""
    return {
        "a_first": screen(volunteer, person_a, ucla, "hardly_ever", days_ago=90),
        "a_second": screen(volunteer, person_a, ucla, "some_of_the_time", days_ago=30),
        "a_latest": screen(volunteer, person_a, ucla, "often", days_ago=1),
        "a_prisma": screen(volunteer, person_a, prisma, "no", days_ago=5),
        "b": screen(outsider, person_b, ucla, "often", days_ago=2),
    }


def test_caseworkers_see_the_responses_of_the_people_of_their_territory(
    screened, volunteer, outsider, administrator
):
    mine = set(Response.objects.visible_to(volunteer))
    assert screened["b"] not in mine and screened["a_latest"] in mine
    assert set(Response.objects.visible_to(outsider)) == {screened["b"]}
    assert Response.objects.visible_to(administrator).count() == 5


def test_a_monitoring_officer_sees_no_response(screened, monitoring):
    assert not Response.objects.visible_to(monitoring).exists()


def test_access_response_is_404_outside_the_scope_and_for_nonsense(screened, outsider, volunteer):
    with pytest.raises(Http404):
        selectors.access_response(outsider, screened["a_first"].pk)
    with pytest.raises(Http404):
        selectors.access_response(volunteer, "not-a-uuid")
    assert selectors.access_response(volunteer, str(screened["a_first"].pk)) == screened["a_first"]


def test_scores_over_time_are_by_instrument_oldest_first(screened, volunteer, person_a):
    series = selectors.scores_over_time(volunteer, person_a)
    assert set(series) == {"ucla-3", "prisma-7"}
    assert [(p.score, p.band) for p in series["ucla-3"]] == [
        (3, "not_lonely"),
        (6, "lonely"),
        (9, "lonely"),
    ]
    assert series["ucla-3"][0].taken_at < series["ucla-3"][-1].taken_at


def test_scores_over_time_is_one_query(
    screened, volunteer, person_a, django_assert_max_num_queries
):
    Response.objects.visible_to(volunteer)  # the user's roles, once per request
    with django_assert_max_num_queries(1):
        series = selectors.scores_over_time(volunteer, person_a)
        _ = [p.response.questionnaire.code for points in series.values() for p in points]


def test_scores_over_time_is_empty_for_someone_outside_the_scope(screened, outsider, person_a):
    assert selectors.scores_over_time(outsider, person_a) == {}


def test_latest_response_is_the_latest_taken(screened, volunteer, person_a, person_b):
    assert selectors.latest_response(volunteer, person_a, "ucla-3") == screened["a_latest"]
    assert selectors.latest_response(volunteer, person_b, "ucla-3") is None


def test_first_and_latest_per_person_with_the_change(screened, administrator, person_a, person_b):
    changes = selectors.first_and_latest(Response.objects.visible_to(administrator), code="ucla-3")
    a = changes[person_a.pk]
    assert (a.first_score, a.latest_score, a.count, a.worsening) == (3, 9, 3, 6)
    assert changes[person_b.pk].count == 1
    assert selectors.summarise_changes(changes.values()) == {
        "improved": 0,
        "unchanged": 0,
        "worsened": 1,
        "screened_once": 1,
    }


def test_first_and_latest_is_one_query_whatever_the_number_of_people(
    screened, administrator, django_assert_max_num_queries
):
    Response.objects.visible_to(administrator)  # the user's roles, once per request
    with django_assert_max_num_queries(2):
        selectors.first_and_latest(Response.objects.visible_to(administrator), code="ucla-3")


def test_person_first_and_latest(screened, volunteer, person_a):
    change = selectors.person_first_and_latest(volunteer, person_a, "ucla-3")
    assert change is not None
    assert (change.first_taken_at, change.latest_taken_at) == (
        screened["a_first"].taken_at,
        screened["a_latest"].taken_at,
    )
    assert selectors.person_first_and_latest(volunteer, person_a, "tfi") is None


def test_the_version_in_use_is_the_highest_active_one(shipped, tmp_path):
    definition = json.loads((DATA_DIR / "ucla-3.json").read_text(encoding="utf-8"))
    definition["version"] = 2
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    load_definitions(Questionnaire, [path])
    assert selectors.questionnaire_in_use("ucla-3").version == 2
    Questionnaire.objects.filter(code="ucla-3", version=2).update(is_active=False)
    assert selectors.questionnaire_in_use("ucla-3").version == 1
    assert {q.code for q in selectors.active_questionnaires()} == {"ucla-3", "prisma-7", "tfi"}
    with pytest.raises(Http404):
        selectors.questionnaire_in_use("gfi")
