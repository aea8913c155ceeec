"""`prossimo demo`: synthetic, valid, idempotent demo data."""

from __future__ import annotations

import datetime as dt
import io

import phonenumbers
import pytest
from auditlog.models import LogEntry
from codicefiscale import codicefiscale
from django.core.management import CommandError, call_command
from django.test import override_settings

from prossimo.core.models import User
from prossimo.core.permissions import Role, roles_of
from prossimo.core.text import fold
from prossimo.demo import services as demo
from prossimo.people.models import Consent, Person, Phone, ReferencePerson
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation

pytestmark = pytest.mark.django_db

USERNAMES = {
    "volontario": Role.VOLUNTEER,
    "operatore": Role.PROXIMITY_OPERATOR,
    "assistente": Role.SOCIAL_WORKER,
    "coordinatore": Role.COORDINATOR,
    "monitoraggio": Role.MONITORING_OFFICER,
    "amministratore": Role.ADMINISTRATOR,
}
MODELS = (Ambito, Organisation, User, Membership, Person, Phone, ReferencePerson, Consent)


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def small_demo(territory):
    """The demo with a few people: enough for organisations, users and visibility."""
    return demo.build_demo(people=40)


@pytest.fixture
def full_demo(territory) -> str:
    return run_demo()


def test_demo_creates_six_organisations_of_every_kind(small_demo):
    kinds = sorted(Organisation.objects.values_list("kind", flat=True))

    assert kinds == sorted(Organisation.Kind.values)
    assert all(
        name.endswith("(demo)") for name in Organisation.objects.values_list("name", flat=True)
    )


def test_demo_creates_one_user_per_role_who_logs_in_with_the_demo_password(small_demo):
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

    assert len(Person.objects.visible_to(User.objects.get(username="volontario"))) == 40
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

    output = run_demo()

    assert counts() == before
    assert before["Organisation"] == 6
    assert before["Ambito"] == 3
    assert before["Person"] == 300
    assert "nothing to do" in output
    assert max(Person.objects.values_list("updated_at", flat=True)) == changed_before


def test_a_rerun_completes_missing_people_and_keeps_changes_made_since(small_demo):
    lecco_ambito = Ambito.objects.get(name="Ambito di Lecco")
    lecco_ambito.municipalities.remove(Municipality.objects.get(name="Merate"))
    Person.objects.filter(pk__in=Person.objects.values("pk")[:5]).delete()

    demo.build_demo(people=40)

    assert Person.objects.count() == 40
    assert not lecco_ambito.municipalities.filter(name="Merate").exists()


def test_demo_people_are_the_same_on_every_build(territory):
    demo.build_demo(people=10)
    first = sorted(Person.objects.values_list("pk", "fiscal_code", "address"))
    Person.objects.all().delete()

    demo.build_demo(people=10)

    assert sorted(Person.objects.values_list("pk", "fiscal_code", "address")) == first


def test_demo_writes_no_audit_entries(territory):
    before = LogEntry.objects.count()

    demo.build_demo(people=20)

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
