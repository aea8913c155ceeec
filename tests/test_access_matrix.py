"""Who may open which people page: every role, every URL, GET and POST, both territories.

Outside a user's territory a person does not exist for them (404); in the territory without
the permission the answer is 403; anonymous users go to the login page. A denied answer never
shows the person's surname or codice fiscale.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from prossimo.core.models import User
from prossimo.people import urls as people_urls
from prossimo.people.tests.conftest import registration_data
from prossimo.people.tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db

CASEWORK = frozenset(
    {"volunteer", "proximity_operator", "social_worker", "coordinator", "administrator", "outsider"}
)
DEACTIVATORS = frozenset({"social_worker", "coordinator", "administrator"})
AUDITORS = frozenset({"coordinator", "administrator"})
MERGERS = frozenset({"administrator"})
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
# Which of the two people each role's territory holds (person_a: Lecco, person_b: Monza).
SEES = {"administrator": {"a", "b"}, "outsider": {"b"}, "monitoring_officer": set()}


@dataclass(frozen=True)
class Page:
    name: str
    allowed: frozenset[str]
    methods: frozenset[str] = frozenset({"GET", "POST"})
    about_a_person: bool = True


PAGES = [
    Page("search", CASEWORK, about_a_person=False),
    Page("create", CASEWORK, about_a_person=False),
    Page("detail", CASEWORK, frozenset({"GET"})),
    Page("edit", CASEWORK),
    Page("deactivate", DEACTIVATORS),
    Page("reactivate", DEACTIVATORS),
    Page("consent_add", CASEWORK),
    Page("consent_withdraw", CASEWORK),
    Page("merge", MERGERS),
    Page("audit", AUDITORS, frozenset({"GET"})),
]


def expected(role: str, page: Page, method: str, target: str | None) -> str | int:
    if role == "anonymous":
        return "login"
    if role not in page.allowed:
        return 403
    if method not in page.methods:
        return 405
    if target is not None and target not in SEES.get(role, {"a"}):
        return 404
    return "ok"


def cases(*, denied_only: bool = False) -> list:
    return [
        pytest.param(role, page, method, target, id=f"{page.name}-{method}-{target}-{role}")
        for page in PAGES
        for method in ("GET", "POST")
        for target in (("a", "b") if page.about_a_person else (None,))
        for role in ROLES
        if not (denied_only and expected(role, page, method, target) == "ok")
    ]


def post_data(page: Page) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "search": {"q": "Bianchi"},
        "create": registration_data(),
        "edit": registration_data(),
        "deactivate": {"reason": "trasferita"},
        "consent_add": {"kind": "calls", "given_on": today},
        "consent_withdraw": {"withdrawn_on": today},
        "merge": {"step": "search", "q": "Rossi"},
    }.get(page.name, {})


@pytest.fixture
def world(cast, person_a, person_b):
    """The cast, with plain names that cannot be mistaken for the people's surnames."""
    User.objects.filter(pk__in=[u.pk for u in cast.values()]).update(
        first_name="Utente", last_name=F("username")
    )
    return {
        "users": cast,
        "a": (person_a, ConsentFactory(person=person_a)),
        "b": (person_b, ConsentFactory(person=person_b)),
    }


def request(client, world, role, page, method, target):
    if role != "anonymous":
        client.force_login(world["users"][role])
    if target is None:
        url = reverse(f"people:{page.name}")
    else:
        person, consent = world[target]
        args = [person.pk, consent.pk] if page.name == "consent_withdraw" else [person.pk]
        url = reverse(f"people:{page.name}", args=args)
    if method == "GET":
        return client.get(url)
    return client.post(url, post_data(page))


@pytest.mark.parametrize(("role", "page", "method", "target"), cases())
def test_each_role_gets_the_expected_answer_from_each_people_page(
    client, world, role, page, method, target
):
    response = request(client, world, role, page, method, target)
    want = expected(role, page, method, target)
    if want == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif want == "ok":
        assert response.status_code in (200, 302)
        assert not response.get("Location", "").startswith(reverse("account_login"))
    else:
        assert response.status_code == want


@pytest.mark.parametrize(("role", "page", "method", "target"), cases(denied_only=True))
def test_a_denied_answer_never_shows_the_persons_surname_or_fiscal_code(
    client, world, role, page, method, target
):
    response = request(client, world, role, page, method, target)
    content = response.content.decode()
    people = [world[target][0]] if target else [world["a"][0], world["b"][0]]
    for person in people:
        assert person.last_name not in content
        assert person.fiscal_code not in content


@pytest.mark.parametrize("role", sorted(CASEWORK))
def test_a_search_finds_only_the_people_of_the_users_territory(client, world, role):
    client.force_login(world["users"][role])
    response = client.post(reverse("people:search"), {"q": "Bianchi"})
    person_b = world["b"][0]
    found = reverse("people:detail", args=[person_b.pk]) in response.content.decode()
    assert found == ("b" in SEES.get(role, {"a"}))


def test_the_matrix_covers_every_people_url():
    assert {p.name for p in people_urls.urlpatterns} == {page.name for page in PAGES}
