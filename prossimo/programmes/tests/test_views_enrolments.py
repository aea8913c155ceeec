"""Pages of referrals and taking in charge: refer, follow, the queue, an enrolment's page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from prossimo.core.models import User
from prossimo.core.permissions import Role
from prossimo.core.testing import italian
from prossimo.listening.services import ConcurrentEdit
from prossimo.people.models import Person
from prossimo.people.tests.conftest import registration_data
from prossimo.people.tests.factories import PersonFactory
from prossimo.programmes import urls_enrolments
from prossimo.programmes.models import Enrolment, EnrolmentTransition
from prossimo.programmes.services import ReferralInput, change_state, refer_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login


S = Enrolment.State


def referral_data(**fields):
    data = {
        "programme": "telefonia-sociale",
        "reason": "Vive sola dopo la morte del marito",
        "fragility_notes": "Cammina con il deambulatore",
        "preferred_contact_times": "mattina",
        "consent": "given",
    }
    data.update(fields)
    return data


def text_of(response) -> str:
    """The page's text without tags, spaces collapsed (to read messages as a person would)."""
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def accesses(user, via=None):
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=user)
    return entries.filter(additional_data__via=via) if via else entries


@pytest.fixture
def coordinator_b(org_b):
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="coordinator_b", first_name="Utente", last_name="Coordinator_B")
    MembershipFactory(user=user, organisation=org_b, role=Role.COORDINATOR)
    return user


def refer_many(social_worker, programme, n, *, lecco):
    for i in range(n):
        person = PersonFactory(
            first_name="Anna", last_name=f"Verdi{i}", municipality=lecco, fiscal_code=None
        )
        refer_person(
            social_worker,
            programme=programme,
            person=person,
            referral=ReferralInput(reason=f"motivo {i}"),
        )


# --- referring ---------------------------------------------------------------------------


def test_search_by_post_finds_the_person_to_refer_and_records_who_saw_them(
    client_of, social_worker, person_a, telefonia
):
    response = client_of(social_worker).post(reverse("programmes:refer"), {"q": "Rossi"})
    assert response.status_code == 200
    assert reverse("programmes:refer_person", args=[person_a.pk]) in response.content.decode()
    entry = accesses(social_worker, "search").get()
    assert entry.additional_data["person"] == str(person_a.pk)


def test_a_registered_person_is_referred_from_their_page(
    client_of, social_worker, person_a, telefonia, org_a
):
    client = client_of(social_worker)
    url = reverse("programmes:refer_person", args=[person_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Maria Rossi" in text_of(page)
    assert accesses(social_worker, "page").filter(object_pk=str(person_a.pk)).exists()
    response = client.post(url, referral_data())
    enrolment = Enrolment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("programmes:enrolment_detail", args=[enrolment.pk])
    assert (enrolment.person, enrolment.referred_by, enrolment.organisation) == (
        person_a,
        social_worker,
        org_a,
    )
    assert enrolment.preferred_contact_times == "mattina"
    assert enrolment.consent == Enrolment.Consent.GIVEN


def test_the_programme_named_in_the_address_is_preselected(
    client_of, social_worker, person_a, telefonia
):
    url = reverse("programmes:refer_person", args=[person_a.pk]) + "?programma=telefonia-sociale"
    html = client_of(social_worker).get(url).content.decode()
    assert re.search(r'<option value="telefonia-sociale"[^>]*selected', html)


def test_a_referral_with_errors_keeps_what_was_typed(client_of, social_worker, person_a, telefonia):
    response = client_of(social_worker).post(
        reverse("programmes:refer_person", args=[person_a.pk]),
        referral_data(reason="", fragility_notes="Sorda da un orecchio"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-error-summary" in html
    assert 'href="#id_reason"' in html
    assert "Sorda da un orecchio" in html
    assert not Enrolment.objects.exists()


def test_referring_a_person_already_in_the_programme_says_so(
    client_of, social_worker, person_a, referral
):
    response = client_of(social_worker).post(
        reverse("programmes:refer_person", args=[person_a.pk]), referral_data()
    )
    assert response.status_code == 200
    assert italian("This person is already referred to or in charge of this programme.") in text_of(
        response
    )
    assert Enrolment.objects.count() == 1


def test_a_new_person_is_registered_and_referred_in_one_go(client_of, social_worker, telefonia):
    data = {**registration_data(), **referral_data()}
    response = client_of(social_worker).post(reverse("programmes:refer_new"), data)
    assert response.status_code == 302
    enrolment = Enrolment.objects.select_related("person").get()
    assert enrolment.person.last_name == "Verdi"
    assert enrolment.reason == "Vive sola dopo la morte del marito"


def test_a_new_person_with_errors_keeps_everything_typed_with_a_summary(
    client_of, social_worker, telefonia
):
    data = {
        **registration_data(last_name="", gp_name="Dott. Neri"),
        **referral_data(reason="", preferred_contact_times="dopo le 15"),
    }
    response = client_of(social_worker).post(reverse("programmes:refer_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_reason"' in html
    assert 'href="#id_last_name"' in html
    for typed in ("Giuseppe", "Dott. Neri", "dopo le 15", "Cammina con il deambulatore"):
        assert typed in html
    assert not Person.objects.filter(first_name="Giuseppe").exists()


def test_adding_a_phone_row_without_javascript_keeps_the_referral_typed(
    client_of, social_worker, telefonia
):
    data = {**registration_data(), **referral_data(reason=""), "add_row": "phones"}
    response = client_of(social_worker).post(reverse("programmes:refer_new"), data)
    html = response.content.decode()
    assert 'name="phones-1-number"' in html
    assert "Cammina con il deambulatore" in html
    assert "data-error-summary" not in html


def test_a_likely_duplicate_is_shown_and_the_registered_person_can_be_referred_instead(
    client_of, social_worker, person_a, telefonia
):
    client = client_of(social_worker)
    data = {
        **registration_data(
            phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}],
        ),
        **referral_data(),
    }
    response = client.post(reverse("programmes:refer_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-duplicates" in html
    assert f'name="use_person" value="{person_a.pk}"' in html
    assert accesses(social_worker, "search").filter(object_pk=str(person_a.pk)).exists()
    assert not Enrolment.objects.exists()

    response = client.post(reverse("programmes:refer_new"), {**data, "use_person": person_a.pk})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get()
    assert enrolment.person == person_a
    assert not Person.objects.filter(last_name="Verdi").exists()


def test_it_is_a_different_person_registers_and_refers_anyway(
    client_of, social_worker, person_a, telefonia
):
    data = {
        **registration_data(phones=[{"number": "340 123 4567", "kind": "mobile", "note": ""}]),
        **referral_data(),
        "confirm_not_duplicate": "1",
    }
    response = client_of(social_worker).post(reverse("programmes:refer_new"), data)
    assert response.status_code == 302
    assert Enrolment.objects.get().person.last_name == "Verdi"


def test_a_new_person_where_no_organisation_runs_the_programme_is_not_registered(
    client_of, social_worker, telefonia
):
    from prossimo.programmes.models import Programme

    Programme.objects.filter(code="servizi-prossimita").update(is_active=True)
    data = {**registration_data(), **referral_data(programme="servizi-prossimita")}
    response = client_of(social_worker).post(reverse("programmes:refer_new"), data)
    assert response.status_code == 200
    assert italian(
        "No organisation of this programme serves %(municipality)s.", municipality="Lecco"
    ) in text_of(response)
    assert not Person.objects.filter(last_name="Verdi").exists()


# --- the person's page ---------------------------------------------------------------------


def test_the_persons_page_lists_their_enrolments_and_offers_to_refer_them(
    client_of, social_worker, person_a, referral
):
    html = client_of(social_worker).get(reverse("people:detail", args=[person_a.pk]))
    html = html.content.decode()
    assert reverse("programmes:enrolment_detail", args=[referral.pk]) in html
    assert reverse("programmes:refer_person", args=[person_a.pk]) in html


def test_a_volunteer_sees_the_enrolments_but_is_not_offered_to_refer(
    client_of, volunteer, person_a, referral
):
    html = client_of(volunteer).get(reverse("people:detail", args=[person_a.pk]))
    html = html.content.decode()
    assert reverse("programmes:enrolment_detail", args=[referral.pk]) in html
    assert reverse("programmes:refer_person", args=[person_a.pk]) not in html


# --- my referrals and the coordinator's queue --------------------------------------------


def test_my_referrals_show_the_state_and_who_is_in_charge(
    client_of, social_worker, referral, coordinator
):
    change_state(coordinator, enrolment=referral, to_state=S.CONTACT_ATTEMPTED)
    response = client_of(social_worker).get(reverse("programmes:my_referrals"))
    text = text_of(response)
    assert "Rossi Maria" in text
    assert italian("Contact attempted") in text
    assert "Cooperativa A" in text
    entry = accesses(social_worker, "list").get()
    assert entry.object_pk == str(referral.pk)
    assert entry.additional_data["person"] == str(referral.person_id)


def test_my_referrals_list_only_the_users_own(
    client_of, social_worker, coordinator, referral, person_b
):
    response = client_of(coordinator).get(reverse("programmes:my_referrals"))
    assert "Rossi" not in text_of(response)


def queries_of(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("name", ["my_referrals", "queue"])
def test_a_list_takes_as_many_queries_for_30_rows_as_for_5(
    client_of, social_worker, coordinator, telefonia, lecco, name, django_assert_max_num_queries
):
    client = client_of(social_worker if name == "my_referrals" else coordinator)
    url = reverse(f"programmes:{name}")
    client.get(url)
    refer_many(social_worker, telefonia, 5, lecco=lecco)
    few = queries_of(client, url)
    refer_many(social_worker, telefonia, 25, lecco=lecco)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.content.decode().count("<tr data-enrolment") == 25  # one page


def test_the_queue_counts_each_state_and_shows_one_at_a_time(
    client_of, coordinator, social_worker, telefonia, lecco
):
    refer_many(social_worker, telefonia, 3, lecco=lecco)
    first = Enrolment.objects.order_by("referred_at").first()
    change_state(coordinator, enrolment=first, to_state=S.CONTACT_ATTEMPTED)
    client = client_of(coordinator)
    html = client.get(reverse("programmes:queue")).content.decode()
    assert re.search(r'data-count="referred">2<', html)
    assert re.search(r'data-count="contact_attempted">1<', html)
    assert html.count("<tr data-enrolment") == 2
    html = client.get(reverse("programmes:queue") + "?stato=contact_attempted").content.decode()
    assert html.count("<tr data-enrolment") == 1
    assert f'data-enrolment="{first.pk}"' in html
    # An unknown state falls back to the referred ones.
    assert client.get(reverse("programmes:queue") + "?stato=nonsense").status_code == 200


def test_the_queue_shows_only_the_organisations_the_coordinator_manages(
    client_of, coordinator_b, referral
):
    html = client_of(coordinator_b).get(reverse("programmes:queue")).content.decode()
    assert "<tr data-enrolment" not in html
    assert "Rossi" not in html


# --- an enrolment's page -----------------------------------------------------------------


def detail_url(enrolment) -> str:
    return reverse("programmes:enrolment_detail", args=[enrolment.pk])


def state_url(enrolment) -> str:
    return reverse("programmes:enrolment_state", args=[enrolment.pk])


def move(client, enrolment, to_state, version=None, **fields):
    data = {
        "to_state": to_state,
        f"{to_state}-expected_version": version or enrolment.version,
    }
    data.update({f"{to_state}-{k}": v for k, v in fields.items()})
    return client.post(state_url(enrolment), data)


def test_the_referring_social_worker_follows_the_enrolment_read_only(
    client_of, social_worker, referral
):
    response = client_of(social_worker).get(detail_url(referral))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="referred"' in html
    assert "Vive sola, poche visite" in html
    assert state_url(referral) not in html
    assert accesses(social_worker, "page").filter(object_pk=str(referral.pk)).exists()


def test_the_coordinator_takes_the_person_in_charge_step_by_step(client_of, coordinator, referral):
    client = client_of(coordinator)
    html = client.get(detail_url(referral)).content.decode()
    assert 'id="state-contact_attempted"' in html
    assert 'id="state-suspended"' not in html  # not a move from "referred"
    response = move(client, referral, S.CONTACT_ATTEMPTED, note="Nessuna risposta al fisso")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == S.CONTACT_ATTEMPTED
    response = move(client, referral, S.ACTIVE)
    referral.refresh_from_db()
    assert referral.state == S.ACTIVE
    html = client.get(detail_url(referral)).content.decode()
    assert html.count("data-transition") == 3
    assert "Nessuna risposta al fisso" in html
    assert "Utente Coordinator" in html


def test_becoming_active_waits_for_the_consent(client_of, coordinator, referral):
    from prossimo.programmes.services import record_consent

    record_consent(coordinator, enrolment=referral, consent=Enrolment.Consent.TO_ASK)
    referral.refresh_from_db()
    client = client_of(coordinator)
    html = client.get(detail_url(referral)).content.decode()
    assert italian("Record the person's consent before taking them in charge.") in unescape(html)
    response = client.post(
        reverse("programmes:enrolment_consent", args=[referral.pk]),
        {"consent-consent": "given", "consent-expected_version": referral.version},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.consent == Enrolment.Consent.GIVEN
    assert move(client, referral, S.ACTIVE).status_code == 302


def test_suspending_needs_a_resume_date_and_keeps_the_note(
    client_of, coordinator, active_enrolment
):
    response = move(
        client_of(coordinator), active_enrolment, S.SUSPENDED, note="Ricoverata al Manzoni"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_suspended-resume_on"' in html
    assert "Ricoverata al Manzoni" in html
    active_enrolment.refresh_from_db()
    assert active_enrolment.state == S.ACTIVE


def test_suspending_with_a_resume_date(client_of, coordinator, active_enrolment):
    resume = timezone.localdate() + dt.timedelta(days=14)
    response = move(
        client_of(coordinator),
        active_enrolment,
        S.SUSPENDED,
        resume_on=resume.isoformat(),
        note="Vacanza dalla figlia",
    )
    assert response.status_code == 302
    active_enrolment.refresh_from_db()
    assert (active_enrolment.state, active_enrolment.suspended_until) == (S.SUSPENDED, resume)
    last = EnrolmentTransition.objects.filter(enrolment=active_enrolment).last()
    assert (last.note, last.resume_on) == ("Vacanza dalla figlia", resume)


def test_a_resume_date_in_the_past_is_refused_by_the_rule(client_of, coordinator, active_enrolment):
    response = move(
        client_of(coordinator),
        active_enrolment,
        S.SUSPENDED,
        resume_on=timezone.localdate().isoformat(),
    )
    assert response.status_code == 200
    assert italian("The resume date must be after today.") in text_of(response)


def test_closing_needs_a_reason(client_of, coordinator, active_enrolment):
    client = client_of(coordinator)
    response = move(client, active_enrolment, S.CLOSED, note="Trasferita a Milano")
    assert response.status_code == 200
    assert 'href="#id_closed-reason"' in response.content.decode()
    response = move(client, active_enrolment, S.CLOSED, reason="moved", note="Trasferita")
    assert response.status_code == 302
    active_enrolment.refresh_from_db()
    assert (active_enrolment.state, active_enrolment.closed_reason) == (S.CLOSED, "moved")


def test_a_move_the_state_machine_does_not_allow_is_refused_with_a_clear_message(
    client_of, coordinator, referral
):
    resume = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = move(client_of(coordinator), referral, S.SUSPENDED, resume_on=resume)
    assert response.status_code == 200
    assert italian(
        "An enrolment in state “%(from)s” cannot move to “%(to)s”.",
        **{"from": italian("Referred"), "to": italian("Suspended")},
    ) in text_of(response)
    referral.refresh_from_db()
    assert referral.state == S.REFERRED


def test_a_change_from_a_stale_page_says_someone_else_changed_it_and_keeps_the_note(
    client_of, coordinator, active_enrolment
):
    stale = active_enrolment.version
    change_state(
        coordinator,
        enrolment=active_enrolment,
        to_state=S.SUSPENDED,
        resume_on=timezone.localdate() + dt.timedelta(days=5),
    )
    response = move(
        client_of(coordinator),
        active_enrolment,
        S.CLOSED,
        version=stale,
        reason="refused",
        note="Non vuole più le telefonate",
    )
    assert response.status_code == 200
    text = text_of(response)
    with translation.override("it"):
        assert ConcurrentEdit().messages[0] in text
    assert "Non vuole più le telefonate" in text
    active_enrolment.refresh_from_db()
    assert active_enrolment.state == S.SUSPENDED
    # The form now carries the latest version: sending it again works.
    html = response.content.decode()
    assert f'name="closed-expected_version" value="{active_enrolment.version}"' in html


def test_a_stale_move_that_is_no_longer_possible_shows_what_was_typed(
    client_of, coordinator, referral
):
    stale = referral.version
    change_state(
        coordinator, enrolment=referral, to_state=S.CLOSED, reason=Enrolment.CloseReason.REFUSED
    )
    response = move(client_of(coordinator), referral, S.ACTIVE, version=stale, note="Ha accettato")
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-typed-note" in html
    assert "Ha accettato" in html


def test_the_call_plan_and_screening_links(client_of, coordinator, active_enrolment, person_a):
    html = client_of(coordinator).get(detail_url(active_enrolment)).content.decode()
    assert reverse("programmes:call_plan", args=[active_enrolment.pk]) in html
    assert reverse("people:detail", args=[person_a.pk]) + "#screenings" in html


def test_a_coordinator_of_another_organisation_cannot_act(
    client_of, coordinator_b, referral, person_a
):
    from prossimo.people.models import PersonShare

    # Even when the person is shared with their organisation, they are not in charge.
    PersonShare.objects.create(
        person=person_a, organisation=coordinator_b.memberships.get().organisation
    )
    client = client_of(coordinator_b)
    html = client.get(detail_url(referral)).content.decode()
    assert state_url(referral) not in html
    assert move(client, referral, S.CONTACT_ATTEMPTED).status_code == 403


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        ("social_worker", 200, 403),
        ("volunteer", 200, 403),
        ("monitoring", 403, 403),
        ("outsider", 404, 403),
        ("coordinator_b", 404, 404),
    ],
)
def test_who_may_open_and_change_an_enrolment(client_of, referral, role, get, post, request):
    user = request.getfixturevalue(role)
    client = client_of(user)
    response = client.get(detail_url(referral))
    assert response.status_code == get
    assert move(client, referral, S.CONTACT_ATTEMPTED).status_code == post
    if get != 200:
        assert "Rossi" not in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == S.REFERRED


# --- programmes ------------------------------------------------------------------------


def test_the_programme_pages_show_the_configuration_and_aggregates(
    client_of, coordinator, active_enrolment
):
    client = client_of(coordinator)
    html = client.get(reverse("programmes:programme_list")).content.decode()
    assert "Telefonia Sociale" in html
    assert "Servizi di Prossimità" in html
    page = client.get(reverse("programmes:programme_detail", args=["telefonia-sociale"]))
    text = text_of(page)
    assert "Cooperativa A" in text
    assert "1500" in text
    assert f"{italian('Tuesday')}, {italian('Friday')}" in text
    assert "prisma-7" in text
    assert "Rossi" not in text
    missing = client.get(reverse("programmes:programme_detail", args=["nessuno"]))
    assert missing.status_code == 404


# --- who may open which page ---------------------------------------------------------------

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
REFERRERS = frozenset({"social_worker", "coordinator", "administrator"})
MANAGERS = frozenset({"coordinator", "administrator"})
READERS = frozenset(
    {"volunteer", "proximity_operator", "social_worker", "coordinator", "administrator", "outsider"}
)
# Enrolment pages: the enrolment of person_a (territory A) does not exist for the outsider.
SEES_A = READERS - {"outsider"}


@dataclass(frozen=True)
class Page:
    name: str
    allowed: frozenset[str]
    methods: frozenset[str] = frozenset({"GET", "POST"})
    target: str | None = None  # "person", "enrolment", "programme", "token", "fmt"


PAGES = [
    Page("programme_list", REFERRERS, frozenset({"GET"})),
    Page("programme_detail", REFERRERS, frozenset({"GET"}), target="programme"),
    Page("refer", REFERRERS),
    Page("refer_new", REFERRERS),
    Page("refer_person", REFERRERS, target="person"),
    Page("my_referrals", REFERRERS, frozenset({"GET"})),
    Page("queue", MANAGERS, frozenset({"GET"})),
    Page("enrolment_detail", READERS, frozenset({"GET"}), target="enrolment"),
    Page("enrolment_state", MANAGERS, frozenset({"POST"}), target="enrolment"),
    Page("enrolment_consent", MANAGERS, frozenset({"POST"}), target="enrolment"),
    Page("import_upload", REFERRERS),
    Page("import_template", REFERRERS, frozenset({"GET"}), target="fmt"),
    Page("import_preview", REFERRERS, frozenset({"GET"}), target="token"),
    Page("import_confirm", REFERRERS, frozenset({"POST"}), target="token"),
    Page("import_cancel", REFERRERS, frozenset({"POST"}), target="token"),
    Page("import_result", REFERRERS, frozenset({"GET"}), target="token"),
]


def expected(role: str, page: Page, method: str) -> str | int:
    if role == "anonymous":
        return "login"
    if role not in page.allowed:
        return 403
    if method not in page.methods:
        return 405
    if page.target == "enrolment" and role not in SEES_A:
        return 404
    if page.target == "token" and method == "GET" and page.name == "import_result":
        return 404  # no such import in this user's session
    return "ok"


@pytest.fixture
def world(cast, person_a, referral):
    User.objects.filter(pk__in=[u.pk for u in cast.values()]).update(
        first_name="Utente", last_name=F("username")
    )
    return {"users": cast, "person": person_a, "enrolment": referral}


def url_of(page: Page, world) -> str:
    args = {
        None: [],
        "person": [world["person"].pk],
        "enrolment": [world["enrolment"].pk],
        "programme": ["telefonia-sociale"],
        "token": ["x" * 32],
        "fmt": ["csv"],
    }[page.target]
    return reverse(f"programmes:{page.name}", args=args)


@pytest.mark.parametrize(
    ("role", "page", "method"),
    [
        pytest.param(role, page, method, id=f"{page.name}-{method}-{role}")
        for page in PAGES
        for method in ("GET", "POST")
        for role in ROLES
    ],
)
def test_each_role_gets_the_expected_answer_from_each_programmes_page(
    client, world, role, page, method
):
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = url_of(page, world)
    response = client.get(url) if method == "GET" else client.post(url, {})
    want = expected(role, page, method)
    if want == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif want == "ok":
        assert response.status_code in (200, 302)
        assert not response.get("Location", "").startswith(reverse("account_login"))
    else:
        assert response.status_code == want
        assert "Rossi" not in response.content.decode()


def test_the_matrix_covers_every_enrolment_url():
    assert {p.name for p in urls_enrolments.urlpatterns} == {page.name for page in PAGES}


def test_through_htmx_errors_come_back_as_the_form_and_success_as_a_client_redirect(
    client_of, social_worker, telefonia
):
    client = client_of(social_worker)
    url = reverse("programmes:refer_new")
    data = {**registration_data(), **referral_data(reason="")}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="referral-form-area">')
    assert "data-error-summary" in html
    response = client.post(url, {**data, "reason": "Vive solo"}, HTTP_HX_REQUEST="true")
    enrolment = Enrolment.objects.get()
    assert response["HX-Redirect"] == detail_url(enrolment)


def test_the_htmx_search_answers_with_the_results_alone(client_of, social_worker, person_a):
    response = client_of(social_worker).post(
        reverse("programmes:refer"), {"q": "Rossi"}, HTTP_HX_REQUEST="true"
    )
    assert response.content.decode().lstrip().startswith('<section id="results"')


# --- the admin --------------------------------------------------------------------------


def test_a_programme_is_configured_in_the_admin_with_days_as_tick_boxes(admin_client, org_a):
    from prossimo.programmes.models import Programme, weekdays_of

    programme = Programme.objects.get(code="telefonia-sociale")
    url = reverse("admin:programmes_programme_change", args=[programme.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="default_days" value="2" ' in html and "checked" in html
    data = {
        "name": "Telefonia Sociale",
        "name_en": "Social telephone service",
        "code": "telefonia-sociale",
        "description": programme.description,
        "is_active": "on",
        "organisations": [org_a.pk],
        "target_people": "1200",
        "default_rhythm": "weekly",
        "default_days": ["1", "3"],
        "default_interval_days": "7",
        "attempts_per_call": "3",
        "retry_after_minutes": "120",
        "escalate_failed_attempts": "3",
        "escalate_failed_within_days": "7",
        "escalate_red_flags": "on",
        "screening_rules-TOTAL_FORMS": "0",
        "screening_rules-INITIAL_FORMS": "0",
        "screening_rules-MIN_NUM_FORMS": "0",
        "screening_rules-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    programme.refresh_from_db()
    assert weekdays_of(programme.default_weekdays) == [1, 3]
    assert programme.target_people == 1200
    assert list(programme.organisations.all()) == [org_a]
    data["default_days"] = []
    assert admin_client.post(url, data).status_code == 200  # weekly needs a day


def test_enrolments_are_only_looked_at_in_the_admin_without_the_persons_data(
    admin_client, referral
):
    changelist = admin_client.get(reverse("admin:programmes_enrolment_changelist"))
    assert changelist.status_code == 200
    assert "Rossi" not in changelist.content.decode()
    page = admin_client.get(reverse("admin:programmes_enrolment_change", args=[referral.pk]))
    html = page.content.decode()
    assert "Rossi" not in html
    assert "Vive sola" not in html
    assert detail_url(referral) in html
    assert admin_client.get(reverse("admin:programmes_enrolment_add")).status_code == 403
