"""`prossimo demo`: synthetic, valid, idempotent demo data, and the programmes' history."""

from __future__ import annotations

import datetime as dt
import io

import phonenumbers
import pytest
import time_machine
from auditlog.models import LogEntry
from codicefiscale import codicefiscale
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from prossimo.core.models import User
from prossimo.core.permissions import Role, roles_of
from prossimo.core.text import fold
from prossimo.demo import history
from prossimo.demo import services as demo
from prossimo.directory.models import Schedule, Service, ServiceMunicipality, ServiceNeed
from prossimo.directory.search import ServiceQuery, search_services
from prossimo.listening.models import Alert
from prossimo.people.models import Consent, Person, Phone, ReferencePerson
from prossimo.programmes import monitoring
from prossimo.programmes.calls import CALLING_ROLES
from prossimo.programmes.models import (
    Absence,
    CallAttempt,
    CallPlan,
    Enrolment,
    EnrolmentTransition,
    PlannedCall,
    Programme,
)
from prossimo.programmes.worklist import calls_for_today
from prossimo.questionnaires.models import Response
from prossimo.referrals.models import Referral, ReferralTransition
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation

pytestmark = pytest.mark.django_db

USERNAMES = {
    "volontario": Role.VOLUNTEER,
    "volontario2": Role.VOLUNTEER,
    "operatore": Role.PROXIMITY_OPERATOR,
    "assistente": Role.SOCIAL_WORKER,
    "coordinatore": Role.COORDINATOR,
    "monitoraggio": Role.MONITORING_OFFICER,
    "amministratore": Role.ADMINISTRATOR,
}
MODELS = (
    Ambito,
    Organisation,
    User,
    Membership,
    Person,
    Phone,
    ReferencePerson,
    Consent,
    Enrolment,
    EnrolmentTransition,
    CallPlan,
    PlannedCall,
    CallAttempt,
    Absence,
    Response,
    Alert,
    Service,
    Schedule,
    Referral,
    ReferralTransition,
)


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def small_demo(territory):
    """The registry with a few people: enough for organisations, users and visibility."""
    return demo.build_demo(people=40, programmes=False)


@pytest.fixture
def full_demo(territory, monkeypatch) -> str:
    """`prossimo demo` as `make run` runs it. There each screening commits and its escalation
    rules run right after; the test's transaction never commits, so on-commit callbacks run
    at once instead."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    return run_demo()


def user(username: str) -> User:
    return User.objects.get(username=username)


def telefonia() -> Programme:
    return Programme.objects.get(code=history.TELEFONIA)


def test_demo_creates_six_organisations_of_every_kind(small_demo):
    kinds = sorted(Organisation.objects.values_list("kind", flat=True))

    assert kinds == sorted(Organisation.Kind.values)
    assert all(
        name.endswith("(demo)") for name in Organisation.objects.values_list("name", flat=True)
    )


def test_demo_creates_a_user_per_role_who_logs_in_with_the_demo_password(small_demo):
    for username, role in USERNAMES.items():
        user = User.objects.get(username=username)
        assert roles_of(user) == {role}
        assert user.check_password(demo.DEMO_PASSWORD)
        assert user.first_name and user.last_name
    monitoring = Membership.objects.get(user__username="monitoraggio")
    assert monitoring.organisation.kind == Organisation.Kind.ATS


def test_demo_splits_lecco_and_monza_brianza_into_three_ambiti(small_demo):
    lc = set(Municipality.objects.filter(province__abbreviation="LC").values_list("pk", flat=True))
    mb = set(Municipality.objects.filter(province__abbreviation="MB").values_list("pk", flat=True))

    def members(name: str) -> set[int]:
        return set(Ambito.objects.get(name=name).municipalities.values_list("pk", flat=True))

    monza, vimercate = members("Ambito di Monza"), members("Ambito di Vimercate")
    assert members("Ambito di Lecco") == lc
    assert monza | vimercate == mb
    assert not monza & vimercate
    assert Municipality.objects.get(name="Vimercate").pk in vimercate
    assert Municipality.objects.get(name="Monza").pk in monza


def test_demo_organisations_serve_the_territory_they_are_meant_to(small_demo):
    from prossimo.territory.selectors import municipalities_served_by

    def served(name: str) -> set[str]:
        org = Organisation.objects.get(name=name)
        return set(municipalities_served_by([org.pk]).values_list("province__abbreviation", "name"))

    assert served(demo.ORG_MUNICIPALITY) == {("LC", "Lecco")}
    assert {p for p, _ in served(demo.ORG_COOPERATIVE)} == {"LC"}
    assert {p for p, _ in served(demo.ORG_ASSOCIATION)} == {"LC", "MB"}
    assert served(demo.ORG_ATS) == served(demo.ORG_ASSOCIATION)
    assert Organisation.objects.get(name=demo.ORG_ASSOCIATION).ambiti.count() == 3


def test_each_demo_user_sees_the_people_of_their_territory(small_demo):
    def visible(username: str) -> set[str]:
        user = User.objects.get(username=username)
        return set(Person.objects.visible_to(user).values_list("municipality__name", flat=True))

    assert len(Person.objects.visible_to(user("volontario"))) == 40
    assert visible("assistente") == {"Lecco"}
    assert "Monza" not in visible("operatore")
    assert visible("monitoraggio") == set()


def test_demo_command_creates_300_people_with_valid_codici_fiscali(full_demo):
    people = list(Person.objects.select_related("municipality__province"))

    assert len(people) == 300
    assert all(codicefiscale.is_valid(p.fiscal_code) for p in people)
    assert len({p.fiscal_code for p in people}) == 300
    for p in people:
        decoded = codicefiscale.decode(p.fiscal_code)
        assert decoded["gender"] == p.sex
        assert decoded["birthdate"].date() == p.birth_date
        assert p.first_name_search == fold(p.first_name)
        assert p.last_name_search == fold(p.last_name)
        assert p.municipality.province.abbreviation in {"LC", "MB"}
        assert p.address


def test_demo_people_are_mostly_aged_65_to_95_and_some_live_alone(full_demo):
    today = dt.date(2026, 1, 1)
    ages = [(today - b).days // 365 for b in Person.objects.values_list("birth_date", flat=True)]

    assert sum(65 <= age <= 95 for age in ages) >= 0.85 * len(ages)
    assert Person.objects.filter(lives_alone=True).count() >= 50
    assert Person.objects.exclude(reference_persons=None).count() >= 50
    assert ReferencePerson.objects.filter(is_caregiver=True).exists()
    assert Consent.objects.filter(kind=Consent.Kind.PRIVACY_NOTICE).count() == 300


def test_demo_phone_numbers_are_valid_italian_numbers_in_e164(full_demo):
    numbers = [
        *Phone.objects.values_list("number", flat=True),
        *ReferencePerson.objects.values_list("phone", flat=True),
        *Person.objects.exclude(gp_phone="").values_list("gp_phone", flat=True),
    ]
    kinds = set(Phone.objects.values_list("kind", flat=True))

    assert len(numbers) > 300
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert parsed.country_code == 39
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    assert kinds == {Phone.Kind.MOBILE, Phone.Kind.LANDLINE}
    assert not Person.objects.filter(phones=None).exists()


def test_demo_command_prints_the_logins(full_demo):
    for username in USERNAMES:
        assert username in full_demo
    assert demo.DEMO_PASSWORD in full_demo
    assert demo.ORG_MUNICIPALITY in full_demo


def test_running_the_demo_twice_creates_nothing_twice(full_demo):
    before = counts()
    changed_before = max(Person.objects.values_list("updated_at", flat=True))
    enrolments_before = sorted(Enrolment.objects.values_list("pk", "state", "version"))

    output = run_demo()

    assert counts() == before
    assert before["Organisation"] == 6
    assert before["Ambito"] == 3
    assert before["Person"] == 300
    assert before["Enrolment"] == 62
    assert before["Response"] > 100
    assert "nothing to do" in output
    assert max(Person.objects.values_list("updated_at", flat=True)) == changed_before
    assert sorted(Enrolment.objects.values_list("pk", "state", "version")) == enrolments_before


def test_on_a_later_day_the_demo_only_plans_that_days_calls(full_demo):
    before = counts()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        output = run_demo()

    after = counts()
    assert after.pop("PlannedCall") > before.pop("PlannedCall")
    assert after == before
    assert PlannedCall.objects.filter(due_on=tomorrow).exists()
    assert "planned calls" in output


def test_a_rerun_completes_missing_people_and_keeps_changes_made_since(small_demo):
    lecco_ambito = Ambito.objects.get(name="Ambito di Lecco")
    lecco_ambito.municipalities.remove(Municipality.objects.get(name="Merate"))
    Person.objects.filter(pk__in=Person.objects.values("pk")[:5]).delete()

    demo.build_demo(people=40, programmes=False)

    assert Person.objects.count() == 40
    assert not lecco_ambito.municipalities.filter(name="Merate").exists()


def test_demo_people_are_the_same_on_every_build(territory):
    demo.build_demo(people=10, programmes=False)
    first = sorted(Person.objects.values_list("pk", "fiscal_code", "address"))
    Person.objects.all().delete()

    demo.build_demo(people=10, programmes=False)

    assert sorted(Person.objects.values_list("pk", "fiscal_code", "address")) == first


def test_demo_writes_no_audit_entries(territory):
    before = LogEntry.objects.count()

    demo.build_demo(people=80)

    assert Enrolment.objects.exists() and CallAttempt.objects.exists()
    assert LogEntry.objects.count() == before


def test_demo_refuses_to_run_in_production(territory):
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="production"):
        call_command("demo", stdout=io.StringIO())

    assert not Organisation.objects.exists()


def test_demo_runs_in_production_when_forced(territory, monkeypatch):
    monkeypatch.setattr(
        "prossimo.demo.management.commands.demo.build_demo",
        lambda: demo.build_demo(people=3),
    )

    with override_settings(PRODUCTION=True):
        call_command("demo", "--force", stdout=io.StringIO())

    assert Organisation.objects.count() == 6


# --- the programmes' history ----------------------------------------------------------------


def test_the_social_worker_referred_about_sixty_people_now_in_every_state(full_demo):
    association = Organisation.objects.get(name=demo.ORG_ASSOCIATION)
    cooperative = Organisation.objects.get(name=demo.ORG_COOPERATIVE)
    prossimita = Programme.objects.get(code=history.PROSSIMITA)
    enrolments = Enrolment.objects.filter(programme=telefonia())
    today = timezone.localdate()

    # Who runs what, and the memberships the services asked for.
    assert set(telefonia().organisations.all()) == {association}
    assert set(prossimita.organisations.all()) == {cooperative}
    for username in ("volontario", "volontario2"):
        assert Membership.objects.filter(
            user__username=username, organisation=association, role__in=CALLING_ROLES
        ).exists()
    assert Membership.objects.filter(
        user__username="coordinatore", organisation=association, role=Role.COORDINATOR
    ).exists()
    # The referrals, and where they are now.
    assert {s: enrolments.filter(state=s).count() for s in Enrolment.State.values} == {
        "referred": 4,
        "contact_attempted": 4,
        "active": 41,
        "suspended": 3,
        "closed": 4,
    }
    assert set(enrolments.values_list("organisation", flat=True)) == {association.pk}
    assert Enrolment.objects.filter(programme=prossimita, organisation=cooperative).count() == 6
    assert set(Enrolment.objects.values_list("referred_by__username", flat=True)) == {"assistente"}
    assert not Enrolment.objects.filter(reason="").exists()
    assert Enrolment.objects.exclude(fragility_notes="").count() > 30
    assert not Enrolment.objects.filter(preferred_contact_times="").exists()
    resume = enrolments.filter(state="suspended").values_list("suspended_until", flat=True)
    assert all(day > today for day in resume)
    reasons = set(enrolments.filter(state="closed").values_list("closed_reason", flat=True))
    assert len(reasons) == 4 and "" not in reasons
    # In the past, each move made by the coordinator, every person in charge with consent.
    assert enrolments.earliest("referred_at").referred_at.date() < today - dt.timedelta(days=45)
    assert not EnrolmentTransition.objects.filter(at__gt=timezone.now()).exists()
    moves = EnrolmentTransition.objects.exclude(from_state="")
    assert set(moves.values_list("by__username", flat=True)) == {"coordinatore"}
    assert not enrolments.filter(state="active").exclude(consent="given").exists()


def test_the_volunteers_have_plans_calls_today_and_weeks_of_calls_behind(full_demo):
    volunteer, today, now = user("volontario"), timezone.localdate(), timezone.now()
    plans = CallPlan.objects.filter(enrolment__state__in=["active", "suspended"])
    past = PlannedCall.objects.filter(due_on__lt=today)

    # Plans: mostly the first volunteer, always a backup, varied rhythms and windows.
    assert plans.count() == 44
    assert plans.filter(volunteer=volunteer).count() > plans.count() / 2
    assert not plans.filter(backup=None).exists()
    assert set(plans.values_list("rhythm", flat=True)) == {"weekly", "every_n_days"}
    assert plans.filter(window_start__lt=dt.time(12)).exists()
    assert plans.filter(window_start__gte=dt.time(13)).exists()
    # "Chiamate di oggi".
    assert 10 <= len(calls_for_today(volunteer)) <= 25
    assert calls_for_today(user("volontario2"))
    # The past weeks: calls done, a few not reached, covered by the backup during an absence.
    assert past.filter(status="done").count() > 150
    assert past.filter(status="not_reached").exists()
    assert past.filter(by_backup=True).exists()
    assert {"answered", "no_answer", "busy"} <= set(
        CallAttempt.objects.values_list("outcome", flat=True)
    )
    assert CallAttempt.objects.filter(outcome="answered").exclude(notes="").count() > 100
    assert not CallAttempt.objects.filter(at__gt=now).exists()
    assert Absence.objects.filter(user=volunteer, starts_on__gt=today).exists()
    # One person stopped answering: the social worker who referred them is alerted.
    social_worker = user("assistente")
    alert = Alert.objects.visible_to(social_worker).get(kind=Alert.Kind.FAILED_ATTEMPTS)
    enrolment = Enrolment.objects.get(person=alert.person, programme=telefonia())
    assert alert.status == Alert.Status.ACKNOWLEDGED  # in hand, not resolved yet
    assert alert.social_worker == social_worker
    assert all(a.outcome in CallAttempt.FAILED for a in enrolment.attempts.order_by("-at")[:3])


def test_people_in_charge_were_screened_twice_and_the_ats_sees_the_changes(full_demo):
    today = timezone.localdate()
    people = {
        code: Response.objects.filter(questionnaire__code=code).values("person").distinct()
        for code in ("ucla-3", "prisma-7", "tfi")
    }

    assert Response.objects.values("person").distinct().count() == 30
    assert Response.objects.filter(questionnaire__code="ucla-3").count() == 60
    assert people["ucla-3"].count() == people["prisma-7"].count() == 30
    assert people["tfi"].count() >= 5
    assert Response.objects.earliest("taken_at").taken_at.date() < today - dt.timedelta(days=28)
    assert not Response.objects.filter(taken_at__gt=timezone.now()).exists()
    # A recent screening crossed the threshold: its alert is in hand; the older ones were
    # resolved; none waits to be acknowledged (no "overdue" banner when the demo starts).
    social_worker = user("assistente")
    in_hand = Alert.objects.visible_to(social_worker).unresolved()
    assert in_hand.filter(kind=Alert.Kind.SCREENING_THRESHOLD).exists()
    assert Alert.objects.filter(status=Alert.Status.RESOLVED).exclude(resolution="").count() > 10
    assert not Alert.objects.filter(status=Alert.Status.OPEN).exists()
    assert not Alert.objects.filter(acknowledged_at__gt=timezone.now()).exists()
    # The ATS's monitoring officer: aggregates over the whole programme.
    report = monitoring.programme_report(
        user("monitoraggio"),
        telefonia(),
        period_start=today - dt.timedelta(days=29),
        period_end=today,
        today=today,
    )
    ucla = next(row for row in report.screenings if row.code == "ucla-3")
    assert report.in_charge == 44
    assert report.by_municipality
    assert report.calls.planned > 200 and report.calls.done > 150
    assert report.alerts.raised > 0
    assert ucla.people == 30 and ucla.improved and ucla.worsened


def test_the_demo_is_about_synthetic_people_only_and_leaves_the_clock_real(full_demo):
    """Only the seeded generator's people (their fixed ids), demo organisations and accounts:
    no real person's data reaches the demo. The replay's clock is put back."""
    synthetic = set(demo.person_ids(demo.PEOPLE))

    assert set(Person.objects.values_list("pk", flat=True)) == synthetic
    for model in (Enrolment, PlannedCall, Response, Alert):
        assert set(model.objects.values_list("person_id", flat=True)) <= synthetic
    involved = Organisation.objects.filter(enrolments__isnull=False).distinct()
    assert all(name.endswith("(demo)") for name in involved.values_list("name", flat=True))
    assert all(e.endswith("@example.org") for e in User.objects.values_list("email", flat=True))
    real_now = dt.datetime.now(tz=dt.UTC)
    assert abs(timezone.now() - real_now) < dt.timedelta(minutes=1)


def test_the_demo_directory_serves_the_territory_and_some_needs_went_to_its_services(
    full_demo,
):
    assert Service.objects.count() == 240
    assert Schedule.objects.count() > 240
    lecco = Municipality.objects.get(name="Lecco")
    assert ServiceMunicipality.objects.filter(municipality=lecco).exists()
    assert ServiceNeed.objects.exists()
    # The volunteer's question: services of a need that serve Lecco, found by search.
    need_id = ServiceNeed.objects.values_list("category_id", flat=True).first()
    found = search_services(ServiceQuery(need=need_id))
    assert found.hits
    # The desk's operator sent needs to services of the association, which worked them.
    referrals = list(Referral.objects.select_related("need", "service"))
    assert len(referrals) == 5
    assert {r.state for r in referrals} == {
        "requested",
        "received",
        "in-progress",
        "completed",
        "rejected",
    }
    for referral in referrals:
        assert referral.sender == user("operatore")
        assert referral.service.needs_met.filter(category=referral.need.category_id).exists()
    assert ReferralTransition.objects.filter(by=user("coordinatore")).exists()
