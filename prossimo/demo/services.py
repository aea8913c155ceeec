"""Synthetic demo data: a territory, six fictional organisations, a user per role, 300 people,
and weeks of the programmes' work with them.

Everything is invented: organisations' names end in “(demo)”, people come from Faker (it_IT)
with a fixed seed, so every run builds the same data. Building is idempotent: what exists
already (recognised by name, username or a fixed UUID) is left as it is, so `prossimo demo`
can run at every start and never doubles anything, nor undoes what a user changed.

On top of the registry, `history` replays the programmes through their real services:
referrals to Telefonia Sociale and Servizi di Prossimità, taking in charge, call plans, the
calls of the last weeks and of today, screenings and the alerts they raise (see its
docstring). Its dates are relative to the day of the first build.

Nothing here is a real person's data; the codici fiscali and phone numbers are computed to be
well-formed, and may by chance match real ones: never dial or send to the demo numbers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers
from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from codicefiscale import codicefiscale
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from faker import Faker

from prossimo.core.models import User
from prossimo.core.permissions import Role
from prossimo.core.text import fold
from prossimo.demo import history, screenings
from prossimo.demo.directory import build_demo_directory, build_demo_service_referrals
from prossimo.directory.models import Service
from prossimo.listening.models import Alert, Contact, Need
from prossimo.people.models import Consent, Person, Phone, ReferencePerson
from prossimo.programmes.models import (
    Absence,
    CallAttempt,
    CallPlan,
    Enrolment,
    EnrolmentTransition,
    PlannedCall,
    Programme,
)
from prossimo.questionnaires.models import Response
from prossimo.referrals.models import Referral, ReferralDestination, ReferralTransition
from prossimo.territory.models import Ambito, Membership, Municipality, Organisation
from prossimo.territory.services import ensure_territory_loaded

DEMO_PASSWORD = "prossimo-demo"  # noqa: S105 - printed on purpose: demo accounts only
PEOPLE = 300
SEED = 2026
# Fixed namespace: person n always gets the same UUID, which is how a rerun recognises it.
_NAMESPACE = uuid.UUID("5f7c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f")

AMBITO_LECCO = "Ambito di Lecco"
AMBITO_MONZA = "Ambito di Monza"
AMBITO_VIMERCATE = "Ambito di Vimercate"

# Vimercate and its neighbours (east Brianza); the rest of the province goes to Monza.
# A plausible split for the demo, not the official map of the ambiti.
VIMERCATE_AREA = (
    "Agrate Brianza", "Aicurzio", "Arcore", "Bellusco", "Bernareggio", "Burago di Molgora",
    "Busnago", "Camparada", "Caponago", "Carnate", "Cavenago di Brianza", "Concorezzo",
    "Cornate d'Adda", "Correzzana", "Lesmo", "Mezzago", "Ornago", "Roncello",
    "Ronco Briantino", "Sulbiate", "Usmate Velate", "Vimercate",
)  # fmt: skip

ORG_ATS = "ATS Lario e Brianza (demo)"
ORG_MUNICIPALITY = "Comune di Lecco – Servizi sociali (demo)"
ORG_COOPERATIVE = "Cooperativa sociale Ponte Vicino – Sportello di Prossimità (demo)"
ORG_ASSOCIATION = "Associazione Ascolto in Rete ODV (demo)"
ORG_HEALTH = "Casa di Comunità Lario Est (demo)"
ORG_OTHER = "Emporio solidale Pane Comune (demo)"

# The health service's catchment: Lecco and the towns around it, served directly.
LARIO_EST = ("Lecco", "Malgrate", "Valmadrera", "Civate", "Pescate", "Galbiate", "Ballabio")

# (username, role, organisation, first name, last name). The second volunteer is the first
# one's backup in Telefonia Sociale (and the other way round).
USERS = (
    ("volontario", Role.VOLUNTEER, ORG_ASSOCIATION, "Lucia", "Bonfanti"),
    ("volontario2", Role.VOLUNTEER, ORG_ASSOCIATION, "Giorgio", "Panzeri"),
    ("operatore", Role.PROXIMITY_OPERATOR, ORG_COOPERATIVE, "Marco", "Rigamonti"),
    ("assistente", Role.SOCIAL_WORKER, ORG_MUNICIPALITY, "Elena", "Brambilla"),
    ("coordinatore", Role.COORDINATOR, ORG_ASSOCIATION, "Paolo", "Colnaghi"),
    ("monitoraggio", Role.MONITORING_OFFICER, ORG_ATS, "Chiara", "Sala"),
    ("amministratore", Role.ADMINISTRATOR, ORG_ATS, "Davide", "Mauri"),
)

MOBILE_PREFIXES = (
    "320", "324", "327", "328", "329", "330", "331", "333", "334", "335", "336", "337", "338",
    "339", "340", "342", "345", "346", "347", "348", "349", "351", "366", "368", "380", "388",
    "389", "391", "392", "393",
)  # fmt: skip
# Landline area codes: Lecco's district and Monza-Brianza's.
AREA_CODES = {"LC": ("0341", 6), "MB": ("039", 7)}

BORN_ABROAD = ("Romania", "Albania", "Marocco", "Svizzera", "Argentina", "Ucraina", "Perù")
LANGUAGE_OF_COUNTRY = {"Romania": "ro", "Albania": "sq", "Marocco": "ar", "Ucraina": "uk"}
STREET_KINDS = ("Via", "Via", "Via", "Via", "Viale", "Piazza", "Vicolo", "Corso")
RELATIONSHIPS = (
    "figlia", "figlio", "figlia", "nipote", "nuora", "fratello", "sorella", "vicina di casa",
    "amica",
)  # fmt: skip
FEMALE_RELATIONSHIPS = {"figlia", "nuora", "sorella", "vicina di casa", "amica"}
NOTES = (
    "Preferisce essere chiamata al mattino.",
    "Sente poco: parlare lentamente e ripetere.",
    "Ha un cane: suonare e aspettare prima di entrare.",
    "La figlia vive all'estero e chiama la domenica.",
    "Va al mercato il giovedì mattina.",
    "Usa il deambulatore; ascensore guasto da settimane.",
)


# The basis on which each kind of registering organisation processes the person's data.
LEGAL_BASIS_OF_REGISTRAR: dict[str, str] = {
    Organisation.Kind.MUNICIPALITY: Person.LegalBasis.PUBLIC_TASK,
    Organisation.Kind.COOPERATIVE: Person.LegalBasis.AGREEMENT,
}


# Who runs the programmes seeded by the migrations (by code).
PROGRAMME_ORGANISATIONS = {
    history.TELEFONIA: ORG_ASSOCIATION,
    history.PROSSIMITA: ORG_COOPERATIVE,
}
# Where each demo user starts: printed beside the logins.
START_PAGES = {
    "volontario": "/programmi/chiamate/ (Chiamate di oggi)",
    "volontario2": "/programmi/chiamate/",
    "operatore": "/ascolto/oggi/, /risorse/, /invii/inviati/",
    "assistente": "/programmi/segnalazioni/, /ascolto/allerte/",
    "coordinatore": "/programmi/prese-in-carico/, /invii/ricevuti/",
    "monitoraggio": "/programmi/monitoraggio/",
    "amministratore": "/gestione/",
}


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str
    organisation: str
    start: str = ""


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def anything_created(self) -> bool:
        return any(self.created.values())


class DemoError(RuntimeError):
    """The database cannot hold the demo (e.g. the territory lacks Lecco or Monza-Brianza)."""


def person_ids(count: int = PEOPLE) -> list[uuid.UUID]:
    """The ids of the demo people, in the order of the seeded sequence."""
    return [uuid.uuid5(_NAMESPACE, f"person-{n}") for n in range(count)]


def build_demo(*, people: int = PEOPLE, programmes: bool = True) -> DemoReport:
    """Create whatever part of the demo data is missing; return what was created and the logins.

    Rule: idempotent. Ambiti, organisations and users are found by name; people by a UUID
    derived from their position in the seeded sequence; the programmes' history is replayed
    once (`history`), and a later run only plans the day's calls. No audit entries are
    written. `programmes=False` builds the registry alone.
    """
    ensure_territory_loaded()
    report = DemoReport()
    high_water = _audit_high_water()
    alerts_before = set(Alert.objects.values_list("pk", flat=True))
    users: dict[str, User] = {}
    try:
        with disable_auditlog():
            with transaction.atomic():
                ambiti = _ambiti(report)
                organisations = _organisations(report, ambiti)
                users = _users(report, organisations)
                _people(report, users, organisations, count=people)
                if programmes:
                    history.ensure_programmes_run(organisations, PROGRAMME_ORGANISATIONS)
                    replayed = history.replay_history(users, person_ids(people))
            if programmes:
                # Screenings commit one by one (their escalation rules run after commit).
                screened = screenings.record_screenings(users, organisations[ORG_ASSOCIATION])
                with transaction.atomic():
                    screenings.settle_alerts(
                        users,
                        Alert.objects.exclude(pk__in=alerts_before),
                        today=timezone.localdate(),
                    )
                with transaction.atomic():
                    found = build_demo_directory(_municipalities("LC", "MB"))
                    report.created["directory services"] = int(found.get("services", 0))
                    report.created["referrals to services"] = build_demo_service_referrals(
                        sender=users["operatore"],
                        receiver=users["coordinatore"],
                        receiving_organisation=organisations[ORG_ASSOCIATION],
                    )
                report.created["enrolments"] = replayed.enrolments
                report.created["planned calls"] = replayed.calls
                report.created["call attempts"] = replayed.attempts
                report.created["screenings"] = screened.screenings
                report.created["alerts"] = replayed.alerts + screened.alerts
    finally:
        with transaction.atomic():
            _forget_audit(high_water, users)
    report.logins = [
        DemoLogin(
            str(Role(role).label), username, DEMO_PASSWORD, org, START_PAGES.get(username, "")
        )
        for username, role, org, _first, _last in USERS
    ]
    return report


def _municipalities(*abbreviations: str) -> list[Municipality]:
    found = list(
        Municipality.objects.filter(province__abbreviation__in=abbreviations, is_active=True)
        .select_related("province")
        .order_by("istat_code")
    )
    for abbreviation in abbreviations:
        if not any(m.province.abbreviation == abbreviation for m in found):
            raise DemoError(
                f"No municipality of the province {abbreviation} is loaded: "
                "run `prossimo load_territory` with ISTAT's current list."
            )
    return found


def _ambiti(report: DemoReport) -> dict[str, Ambito]:
    lc = _municipalities("LC")
    mb = _municipalities("MB")
    wanted = {
        AMBITO_LECCO: ("DEMO-LC", lc),
        AMBITO_MONZA: ("DEMO-MZ", [m for m in mb if m.name not in VIMERCATE_AREA]),
        AMBITO_VIMERCATE: ("DEMO-VM", [m for m in mb if m.name in VIMERCATE_AREA]),
    }
    ambiti = {}
    created = 0
    for name, (code, members) in wanted.items():
        ambito, is_new = Ambito.objects.get_or_create(name=name, defaults={"code": code})
        if is_new:
            ambito.municipalities.set(members)
            created += 1
        ambiti[name] = ambito
    report.created["ambiti"] = created
    return ambiti


def _organisations(report: DemoReport, ambiti: dict[str, Ambito]) -> dict[str, Organisation]:
    lc_mb = _municipalities("LC", "MB")
    by_name = {m.name: m for m in lc_mb}
    spec: list[tuple[str, str, dict[str, Any], list[Municipality], list[Ambito]]] = [
        (
            ORG_ATS,
            Organisation.Kind.ATS,
            {"email": "pipss@ats-demo.example.org", "phone": "+390341000100"},
            lc_mb,
            [],
        ),
        (
            ORG_MUNICIPALITY,
            Organisation.Kind.MUNICIPALITY,
            {"email": "servizi.sociali@comune-demo.example.org", "phone": "+390341000200"},
            [by_name["Lecco"]],
            [],
        ),
        (
            ORG_COOPERATIVE,
            Organisation.Kind.COOPERATIVE,
            {
                "email": "sportello@pontevicino.example.org",
                "phone": "+390341000300",
                "runs_proximity_desk": True,
            },
            [],
            [ambiti[AMBITO_LECCO]],
        ),
        (
            ORG_ASSOCIATION,
            Organisation.Kind.ASSOCIATION,
            {"email": "ascolto@ascoltoinrete.example.org", "phone": "+39039000400"},
            [],
            list(ambiti.values()),
        ),
        (
            ORG_HEALTH,
            Organisation.Kind.HEALTH_SERVICE,
            {"email": "pua@cdc-larioest.example.org", "phone": "+390341000500"},
            [by_name[n] for n in LARIO_EST if n in by_name],
            [],
        ),
        (
            ORG_OTHER,
            Organisation.Kind.OTHER,
            {"email": "emporio@panecomune.example.org", "phone": "+39039000600"},
            [],
            [ambiti[AMBITO_MONZA]],
        ),
    ]
    organisations = {}
    created = 0
    for name, kind, contacts, municipalities, served_ambiti in spec:
        org, is_new = Organisation.objects.get_or_create(
            name=name, defaults={"kind": kind, **contacts}
        )
        if is_new:
            org.municipalities.set(municipalities)
            org.ambiti.set(served_ambiti)
            created += 1
        organisations[name] = org
    report.created["organisations"] = created
    return organisations


def _users(report: DemoReport, organisations: dict[str, Organisation]) -> dict[str, User]:
    users = {}
    created = memberships = 0
    # One hash for every demo account (they share a published password): hashing costs ~0.4 s.
    password_hash = ""
    for username, role, org_name, first_name, last_name in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.org",
                preferred_language="it",
            )
            if role == Role.ADMINISTRATOR:
                # The demo administrator also reaches Django's admin (/gestione/).
                user.is_staff = user.is_superuser = True
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save()
            created += 1
        _membership, is_new = Membership.objects.get_or_create(
            user=user, organisation=organisations[org_name], role=role
        )
        memberships += is_new
        users[username] = user
    report.created["users"] = created
    report.created["memberships"] = memberships
    return users


@dataclass
class _Draft:
    """One synthetic person and the rows that belong to them, before saving."""

    person: Person
    phones: list[Phone]
    references: list[ReferencePerson]
    consents: list[Consent]


def _people(
    report: DemoReport,
    users: dict[str, User],
    organisations: dict[str, Organisation],
    *,
    count: int,
) -> None:
    ids = person_ids(count)
    existing = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if len(existing) == count:
        report.created["people"] = 0
        return
    drafts = _PeopleGenerator(users, organisations).drafts(ids)
    taken = set(
        Person.objects.filter(fiscal_code__in=[d.person.fiscal_code for d in drafts]).values_list(
            "fiscal_code", flat=True
        )
    )
    new = [d for d in drafts if d.person.pk not in existing and d.person.fiscal_code not in taken]
    Person.objects.bulk_create([d.person for d in new], batch_size=500)
    Phone.objects.bulk_create([p for d in new for p in d.phones], batch_size=500)
    ReferencePerson.objects.bulk_create([r for d in new for r in d.references], batch_size=500)
    Consent.objects.bulk_create([c for d in new for c in d.consents], batch_size=500)
    report.created["people"] = len(new)


class _PeopleGenerator:
    """Seeded: the same territory and users give the same people on every run."""

    def __init__(self, users: dict[str, User], organisations: dict[str, Organisation]) -> None:
        self.fake = Faker("it_IT")
        self.fake.seed_instance(SEED)
        self.rng = self.fake.random
        self.users = users
        self.organisations = organisations
        self.residences = _municipalities("LC", "MB")
        self.by_name = {m.name: m for m in self.residences}
        # Born where the municipality existed then: newer codes (mergers since 2014) excluded.
        self.birthplaces_local = [m for m in self.residences if m.cadastral_code < "M290"]
        self.birthplaces_italy = list(
            Municipality.objects.filter(is_active=True, cadastral_code__lt="M290")
            .exclude(province__abbreviation__in=["LC", "MB"])
            .order_by("istat_code")
        )
        self.used_phones: set[str] = set()
        self.used_codes: set[str] = set()

    def drafts(self, ids: list[uuid.UUID]) -> list[_Draft]:
        return [self._draft(pk) for pk in ids]

    # --- one person ------------------------------------------------------------------------

    def _draft(self, pk: uuid.UUID) -> _Draft:
        rng, fake = self.rng, self.fake
        sex: Literal["F", "M"] = "F" if rng.random() < 0.6 else "M"
        while True:
            first_name = fake.first_name_female() if sex == "F" else fake.first_name_male()
            last_name = fake.last_name()
            if rng.random() < 0.92:
                birth_date = fake.date_between(dt.date(1931, 1, 1), dt.date(1960, 12, 31))
            else:
                birth_date = fake.date_between(dt.date(1961, 1, 1), dt.date(1985, 12, 31))
            birth_municipality, birth_country = self._birthplace()
            fiscal_code = codicefiscale.encode(
                lastname=last_name,
                firstname=first_name,
                gender=sex,
                birthdate=birth_date.strftime("%d/%m/%Y"),
                birthplace=birth_municipality.cadastral_code
                if birth_municipality
                else birth_country,
            )
            if fiscal_code not in self.used_codes:  # omocodia: draw another person
                self.used_codes.add(fiscal_code)
                break
        residence = self._residence()
        registrar, org = self._registrar(residence)
        lives_alone = rng.choices([True, False, None], weights=[40, 45, 15])[0]
        languages = ["it"]
        if birth_country in LANGUAGE_OF_COUNTRY:
            languages.append(LANGUAGE_OF_COUNTRY[birth_country])
        person = Person(
            id=pk,
            first_name=first_name,
            last_name=last_name,
            first_name_search=fold(first_name),
            last_name_search=fold(last_name),
            sex=sex,
            birth_date=birth_date,
            birth_municipality=birth_municipality,
            birth_country=birth_country,
            fiscal_code=fiscal_code,
            address=f"{rng.choice(STREET_KINDS)} {fake.last_name()}, {rng.randint(1, 120)}",
            postal_code={"Lecco": "23900", "Monza": "20900"}.get(residence.name, ""),
            municipality=residence,
            lives_alone=lives_alone,
            languages=languages,
            gp_name=(f"Dott. {fake.first_name()} {fake.last_name()}" if rng.random() < 0.6 else ""),
            gp_phone="",
            notes=rng.choice(NOTES) if rng.random() < 0.2 else "",
            legal_basis=LEGAL_BASIS_OF_REGISTRAR.get(org.kind, Person.LegalBasis.CONSENT),
            registered_by_organisation=org,
            created_by=registrar,
        )
        if person.gp_name:
            person.gp_phone = self._landline(residence)
        return _Draft(
            person=person,
            phones=self._phones(person, residence),
            references=self._references(person, lives_alone),
            consents=self._consents(person, registrar),
        )

    def _birthplace(self) -> tuple[Municipality | None, str]:
        roll = self.rng.random()
        if roll < 0.04:
            return None, self.rng.choice(BORN_ABROAD)
        if roll < 0.25:
            return self.rng.choice(self.birthplaces_italy), ""
        return self.rng.choice(self.birthplaces_local), ""

    def _residence(self) -> Municipality:
        roll = self.rng.random()
        if roll < 0.18:
            return self.by_name["Lecco"]
        if roll < 0.33:
            return self.by_name["Monza"]
        if roll < 0.38:
            return self.by_name["Vimercate"]
        return self.rng.choice(self.residences)

    def _registrar(self, residence: Municipality) -> tuple[User, Organisation]:
        """Who registered the person: the service of their town that would meet them first."""
        if residence.province.abbreviation == "LC":
            if residence.name == "Lecco" and self.rng.random() < 0.5:
                return self.users["assistente"], self.organisations[ORG_MUNICIPALITY]
            if self.rng.random() < 0.5:
                return self.users["operatore"], self.organisations[ORG_COOPERATIVE]
        return self.users["volontario"], self.organisations[ORG_ASSOCIATION]

    # --- phone numbers ---------------------------------------------------------------------

    def _unique_valid(self, make: Any) -> str:
        while True:
            parsed = phonenumbers.parse(make(), "IT")
            if not phonenumbers.is_valid_number(parsed):
                continue
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def _mobile(self) -> str:
        rng = self.rng
        return self._unique_valid(
            lambda: f"+39{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        )

    def _landline(self, residence: Municipality) -> str:
        rng = self.rng
        area, digits = AREA_CODES[residence.province.abbreviation]
        low = 2 * 10 ** (digits - 1)
        return self._unique_valid(lambda: f"+39{area}{rng.randint(low, 10**digits - 1)}")

    def _phones(self, person: Person, residence: Municipality) -> list[Phone]:
        rng = self.rng
        has_landline = rng.random() < 0.7
        has_mobile = not has_landline or rng.random() < 0.5
        phones = []
        if has_landline:
            phones.append(
                Phone(person=person, number=self._landline(residence), kind=Phone.Kind.LANDLINE)
            )
        if has_mobile:
            phones.append(Phone(person=person, number=self._mobile(), kind=Phone.Kind.MOBILE))
        return phones

    # --- reference persons and consents ----------------------------------------------------

    def _references(self, person: Person, lives_alone: bool | None) -> list[ReferencePerson]:
        rng, fake = self.rng, self.fake
        refs = []
        if lives_alone is False and rng.random() < 0.4:
            spouse = "marito" if person.sex == "F" else "moglie"
            name = fake.first_name_male() if person.sex == "F" else fake.first_name_female()
            refs.append(
                ReferencePerson(
                    person=person,
                    name=f"{name} {person.last_name}",
                    relationship=spouse,
                    phone=self._mobile(),
                    is_caregiver=True,
                )
            )
        if rng.random() < 0.5:
            relationship = rng.choice(RELATIONSHIPS)
            same_surname = relationship in {"figlio", "fratello"} or rng.random() < 0.3
            if relationship in FEMALE_RELATIONSHIPS:
                name = fake.first_name_female()
            elif relationship in {"figlio", "fratello"}:
                name = fake.first_name_male()
            else:
                name = fake.first_name()
            refs.append(
                ReferencePerson(
                    person=person,
                    name=f"{name} {person.last_name if same_surname else fake.last_name()}",
                    relationship=relationship,
                    phone=self._mobile(),
                    is_caregiver=relationship != "vicina di casa" and rng.random() < 0.5,
                    note="Chiamare dopo le 18." if rng.random() < 0.2 else "",
                )
            )
        return refs

    def _consents(self, person: Person, registrar: User) -> list[Consent]:
        fake, rng = self.fake, self.rng
        given_on = fake.date_between(dt.date(2024, 2, 1), dt.date(2025, 6, 30))
        consents = [
            Consent(
                person=person,
                kind=Consent.Kind.PRIVACY_NOTICE,
                given_on=given_on,
                recorded_by=registrar,
            )
        ]
        if rng.random() < 0.85:
            calls = Consent(
                person=person, kind=Consent.Kind.CALLS, given_on=given_on, recorded_by=registrar
            )
            if rng.random() < 0.04:
                calls.withdrawn_on = given_on + dt.timedelta(days=rng.randint(30, 180))
                calls.withdrawn_by = registrar
                calls.note = "Ha chiesto di non ricevere più telefonate."
            consents.append(calls)
        if rng.random() < 0.4:
            consents.append(
                Consent(
                    person=person,
                    kind=Consent.Kind.SHARE_SOCIAL,
                    given_on=given_on,
                    recorded_by=registrar,
                )
            )
        return consents


def _forget_audit(high_water: int, users: dict[str, User]) -> int:
    """Delete the audit entries the services wrote while the demo replayed its history (the
    demo writes none, as for the people it creates): those written since `high_water`, about
    the programmes', screenings', calls' and referrals' rows, by a demo user or the system."""
    content_types = ContentType.objects.get_for_models(
        Programme,
        Enrolment,
        EnrolmentTransition,
        CallPlan,
        Absence,
        PlannedCall,
        CallAttempt,
        Alert,
        Response,
        Person,
        Contact,
        Need,
        Service,
        Referral,
        ReferralDestination,
        ReferralTransition,
    ).values()
    deleted, _by_model = (
        LogEntry.objects.filter(pk__gt=high_water, content_type__in=list(content_types))
        .filter(Q(actor__in=list(users.values())) | Q(actor__isnull=True))
        .delete()
    )
    return deleted


def _audit_high_water() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
