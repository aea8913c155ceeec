"""The questionnaire pages and the "Screenings" section of the person's page.

Pages are read in English (`preferred_language`), so assertions do not depend on the state of
the Italian catalogue; the questions themselves are in the language chosen for the screening.
"""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from prossimo.questionnaires import urls as questionnaire_urls
from prossimo.questionnaires.models import Response
from prossimo.questionnaires.services import record_response
from prossimo.questionnaires.tests.conftest import all_answers
from prossimo.questionnaires.views import person_screenings_section

pytestmark = pytest.mark.django_db


def administer_url(person, code="ucla-3"):
    return reverse("questionnaires:administer", args=[person.pk, code])


def html(response) -> str:
    return response.content.decode()


def posted(questionnaire, answers, **extra):
    data = {f"answers-{key}": value for key, value in answers.items()}
    data.setdefault("language", "it")
    data.setdefault("taken_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    data.update(extra)
    return data


def screen(user, person, questionnaire, value, *, days_ago=0):
    return record_response(
        user,
        person=person,
        questionnaire=questionnaire,
        answers=all_answers(questionnaire, value),
        taken_at=timezone.now() - dt.timedelta(days=days_ago),
    )


# --- administering ------------------------------------------------------------------------


def test_the_form_asks_each_question_as_a_group_of_radio_buttons(
    client_of, volunteer, person_a, ucla
):
    page = html(client_of(volunteer).get(administer_url(person_a)))
    assert page.count("<fieldset") == 3
    assert "<legend" in page
    assert "1. Quanto spesso sente la mancanza di compagnia?" in page
    assert page.count('type="radio" name="answers-left_out"') == 3
    assert 'id="id_answers-left_out_0"' in page and 'for="id_answers-left_out_0"' in page
    assert "Read to the person" in page
    assert "a translation by the project" in page


def test_the_questions_can_be_asked_in_english(client_of, volunteer, person_a, ucla):
    page = html(client_of(volunteer).get(administer_url(person_a) + "?language=en"))
    assert "1. How often do you feel that you lack companionship?" in page
    assert 'name="language" value="en"' in page


def test_the_questions_are_asked_in_the_persons_language_when_the_questionnaire_has_it(
    client_of, volunteer, person_a, ucla
):
    person_a.languages = ["fr", "en"]
    person_a.save(update_fields=["languages"])
    page = html(client_of(volunteer).get(administer_url(person_a)))
    assert "How often do you feel left out?" in page


def test_recording_the_form_saves_the_screening_and_shows_it(client_of, volunteer, person_a, ucla):
    client = client_of(volunteer)
    response = client.post(administer_url(person_a), posted(ucla, all_answers(ucla, "often")))
    saved = Response.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaires:response_detail", args=[saved.pk])
    assert (saved.score, saved.band, saved.recorded_by) == (9, "lonely", volunteer)
    page = html(client.get(response["Location"]))
    assert re.search(r"data-score>9<", page)
    assert "Lonely" in page
    assert "The screening is recorded: score 9, Lonely." in page
    assert "doi:10.1177/0164027504268574" in page


def test_a_missing_answer_keeps_everything_typed_and_lists_the_problem(
    client_of, volunteer, person_a, ucla
):
    answers = {"lack_companionship": "often", "isolated": "some_of_the_time"}
    taken = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_of(volunteer).post(
        administer_url(person_a), posted(ucla, answers, taken_at=taken)
    )
    page = html(response)
    assert response.status_code == 200
    assert not Response.objects.exists()
    assert "There is 1 problem to fix" in page
    assert 'href="#id_answers-left_out_0">Question 2: Answer this question.</a>' in page
    assert re.search(r'name="answers-lack_companionship" value="often"[^>]*checked', page)
    assert re.search(r'name="answers-isolated" value="some_of_the_time"[^>]*checked', page)
    assert f'value="{taken}"' in page


def test_a_date_in_the_future_is_shown_next_to_the_date(client_of, volunteer, person_a, ucla):
    future = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = html(
        client_of(volunteer).post(
            administer_url(person_a), posted(ucla, all_answers(ucla, "often"), taken_at=future)
        )
    )
    assert "The screening cannot be in the future." in page
    assert 'href="#id_taken_at"' in page


def test_a_screening_for_an_enrolment_keeps_its_context_and_returns_where_it_came_from(
    client_of, coordinator, person_a, prisma
):
    client = client_of(coordinator)
    back = reverse("people:detail", args=[person_a.pk])
    url = administer_url(person_a, "prisma-7")
    form = html(client.get(url, {"context": "programmes.enrolment:42", "next": back}))
    assert 'value="programmes.enrolment:42"' in form
    response = client.post(
        url,
        posted(prisma, all_answers(prisma, "no"), context="programmes.enrolment:42", next=back),
    )
    assert response["Location"] == back
    assert Response.objects.get().context == "programmes.enrolment:42"


def test_a_next_address_on_another_site_is_ignored(client_of, volunteer, person_a, ucla):
    response = client_of(volunteer).post(
        administer_url(person_a),
        posted(ucla, all_answers(ucla, "often"), next="https://example.org/"),
    )
    assert response["Location"].startswith("/questionari/risposte/")


def test_an_unknown_or_retired_instrument_is_404(client_of, volunteer, person_a, ucla):
    client = client_of(volunteer)
    assert client.get(administer_url(person_a, "gfi")).status_code == 404
    ucla.is_active = False
    ucla.save(update_fields=["is_active"])
    assert client.get(administer_url(person_a)).status_code == 404


def test_the_detail_page_records_who_read_it(client_of, volunteer, coordinator, person_a, ucla):
    saved = screen(volunteer, person_a, ucla, "often")
    client_of(coordinator).get(reverse("questionnaires:response_detail", args=[saved.pk]))
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__via="page")
    assert entry.actor == coordinator
    assert entry.object_pk == str(saved.pk)
    assert entry.additional_data["person"] == str(person_a.pk)


def test_the_detail_page_shows_each_answer_and_the_subscales(client_of, volunteer, person_a, tfi):
    saved = screen(volunteer, person_a, tfi, "no")
    page = html(
        client_of(volunteer).get(reverse("questionnaires:response_detail", args=[saved.pk]))
    )
    assert "Si sente fisicamente in salute?" in page
    assert "Physical frailty" in page and "Social frailty" in page
    assert page.count("<tr>") == 16  # the header and 15 questions


def test_the_list_shows_each_instrument_with_its_sources(client_of, volunteer, shipped):
    page = html(client_of(volunteer).get(reverse("questionnaires:list")))
    for doi in (
        "10.1177/0164027504268574",
        "10.1016/j.archger.2007.06.004",
        "10.1016/j.jamda.2009.11.003",
    ):
        assert doi in page


# --- the person's page --------------------------------------------------------------------


@pytest.fixture
def only_our_section(monkeypatch):
    """The person's page with only this app's section: other apps' sections and buttons (and
    their queries) are theirs to test."""
    from prossimo.people import timeline

    monkeypatch.setattr(timeline, "_sections", {"screenings": timeline._sections["screenings"]})
    monkeypatch.setattr(timeline, "_actions", {})


def test_the_screenings_section_is_registered_on_the_persons_page():
    from prossimo.people import timeline

    section = timeline._sections["screenings"]
    assert section.template_name == "questionnaires/person_section.html"
    assert section.context_function is person_screenings_section


def chart_svgs(page: str) -> list[str]:
    return [
        base64.b64decode(data).decode("utf-8")
        for data in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_the_persons_page_shows_each_score_over_time_as_a_chart_and_a_table(
    only_our_section, client_of, volunteer, person_a, ucla, prisma
):
    screen(volunteer, person_a, ucla, "hardly_ever", days_ago=60)
    screen(volunteer, person_a, ucla, "often", days_ago=1)
    page = html(client_of(volunteer).get(reverse("people:detail", args=[person_a.pk])))
    assert 'id="h-screenings"' in page and "Screenings" in page
    svgs = chart_svgs(page)
    assert len(svgs) == 1
    assert svgs[0].startswith("<?xml") or svgs[0].startswith("<svg")
    assert "<svg" in svgs[0] and "<script" not in svgs[0]
    assert "Threshold of a positive screen" in svgs[0]
    assert 'alt="Chart of the UCLA 3-item Loneliness Scale scores over time.' in page
    table = re.search(r'data-instrument="ucla-3".*?<table.*?</table>', page, re.DOTALL).group(0)
    assert "UCLA 3-item Loneliness Scale: scores from 3 to 9, positive from 6" in table
    assert table.count("<tr>") == 3
    assert ">Not lonely<" in table and ">Lonely<" in table
    assert "Not administered yet." in page  # PRISMA-7 and TFI
    for code in ("ucla-3", "prisma-7", "tfi"):
        assert administer_url(person_a, code) in page


def test_the_section_records_which_screenings_were_shown(
    only_our_section, client_of, volunteer, coordinator, person_a, ucla
):
    saved = screen(volunteer, person_a, ucla, "often")
    client_of(coordinator).get(reverse("people:detail", args=[person_a.pk]))
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__via="person_page")
    assert (entry.actor, entry.object_pk) == (coordinator, str(saved.pk))


def test_the_section_costs_the_same_queries_however_many_screenings(
    volunteer, person_a, ucla, prisma, tfi, django_assert_max_num_queries
):
    screen(volunteer, person_a, ucla, "often")
    person_screenings_section(volunteer, person_a)  # the user's roles and content types, once
    with django_assert_max_num_queries(3) as few:
        person_screenings_section(volunteer, person_a)
    for days in range(1, 6):
        screen(volunteer, person_a, ucla, "some_of_the_time", days_ago=days)
        screen(volunteer, person_a, prisma, "yes", days_ago=days)
        screen(volunteer, person_a, tfi, "no", days_ago=days)
    with django_assert_max_num_queries(len(few.captured_queries)):
        section = person_screenings_section(volunteer, person_a)
    assert sum(len(i["rows"]) for i in section["instruments"]) == 16


def test_the_persons_page_stays_within_its_query_budget(
    only_our_section, client_of, volunteer, person_a, ucla, prisma, django_assert_max_num_queries
):
    for days in range(10):
        screen(volunteer, person_a, ucla, "often", days_ago=days)
        screen(volunteer, person_a, prisma, "no", days_ago=days)
    client = client_of(volunteer)
    url = reverse("people:detail", args=[person_a.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


def test_the_section_is_not_shown_to_a_monitoring_officer(monitoring, person_a, shipped):
    assert person_screenings_section(monitoring, person_a) is None


# --- who may open what --------------------------------------------------------------------

ROLES = [
    "anonymous",
    "volunteer",
    "proximity_operator",
    "social_worker",
    "coordinator",
    "monitoring_officer",
    "administrator",
    "outsider",
]
SEES = {"administrator": {"a", "b"}, "outsider": {"b"}, "monitoring_officer": set()}
PAGES = ["list", "administer", "response_detail"]


def expected(role: str, page: str, target: str) -> str | int:
    if role == "anonymous":
        return "login"
    if role == "monitoring_officer":
        return 403
    if page != "list" and target not in SEES.get(role, {"a"}):
        return 404
    return 200


@pytest.fixture
def world(cast, person_a, person_b, shipped, volunteer, outsider):
    ucla = shipped["ucla-3"]
    return {
        "users": cast,
        "a": (person_a, screen(volunteer, person_a, ucla, "often")),
        "b": (person_b, screen(outsider, person_b, ucla, "often")),
    }


@pytest.mark.parametrize("target", ["a", "b"])
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_from_each_page(client, world, role, page, target):
    if role != "anonymous":
        client.force_login(world["users"][role])
    person, saved = world[target]
    url = {
        "list": reverse("questionnaires:list"),
        "administer": administer_url(person),
        "response_detail": reverse("questionnaires:response_detail", args=[saved.pk]),
    }[page]
    response = client.get(url)
    want = expected(role, page, target)
    if want == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == want
    if want != 200:
        assert person.last_name not in html(response)


@pytest.mark.parametrize("role", ["monitoring_officer", "outsider"])
def test_a_denied_post_records_nothing(client, world, role):
    client.force_login(world["users"][role])
    person, _ = world["a"]
    before = Response.objects.count()
    response = client.post(administer_url(person), {"answers-left_out": "often"})
    assert response.status_code in (403, 404)
    assert Response.objects.count() == before


def test_the_matrix_covers_every_questionnaires_url():
    assert {p.name for p in questionnaire_urls.urlpatterns} == set(PAGES)


def test_the_admin_shows_definitions_read_only(admin_client, shipped):
    changelist = admin_client.get(reverse("admin:questionnaires_questionnaire_changelist"))
    assert changelist.status_code == 200
    assert "ucla-3" in html(changelist)
    change = admin_client.get(
        reverse("admin:questionnaires_questionnaire_change", args=[shipped["tfi"].pk])
    )
    assert "Gobbens RJJ" in html(change)
    assert 'name="definition"' not in html(change)
    assert admin_client.get(reverse("admin:questionnaires_questionnaire_add")).status_code == 403
