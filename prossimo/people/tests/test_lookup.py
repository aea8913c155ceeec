import pytest

from prossimo.core.permissions import roles_of
from prossimo.people.lookup import identify_caller
from prossimo.people.tests.factories import PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed",
    [
        "+393401234567",
        "3401234567",
        "340 123 4567",
        "+39 340-1234567",
        "0039 340 1234567",
        "(340) 123.45.67",
        "  +39 (340) 12 34 567 ",
    ],
)
def test_number_typed_in_any_format_identifies_the_caller(volunteer, person_a, typed):
    assert identify_caller(volunteer, typed) == [person_a]


def test_two_people_sharing_a_number_are_both_returned(volunteer, person_a, lecco):
    husband = PersonFactory(first_name="Mario", last_name="Rossi", municipality=lecco)
    PhoneFactory(person=husband, number="+393401234567")

    assert set(identify_caller(volunteer, "340 1234567")) == {person_a, husband}


def test_active_people_come_first(volunteer, person_a, lecco):
    former = PersonFactory(last_name="Airoldi", municipality=lecco, is_active=False)
    PhoneFactory(person=former, number="+393401234567")
    later = PersonFactory(last_name="Zappa", municipality=lecco)
    PhoneFactory(person=later, number="+393401234567")

    assert identify_caller(volunteer, "3401234567") == [person_a, later, former]


def test_people_the_user_may_not_see_are_not_returned(volunteer, outsider, person_a, monza):
    stranger = PersonFactory(municipality=monza)
    PhoneFactory(person=stranger, number="+393401234567")

    assert identify_caller(volunteer, "3401234567") == [person_a]
    assert identify_caller(outsider, "3401234567") == [stranger]


def test_monitoring_officer_identifies_nobody(monitoring, person_a):
    assert identify_caller(monitoring, "3401234567") == []


def test_merged_away_record_is_not_returned(volunteer, person_a, lecco):
    duplicate = PersonFactory(municipality=lecco, merged_into=person_a)
    PhoneFactory(person=duplicate, number="+393401234567")

    assert identify_caller(volunteer, "3401234567") == [person_a]


def test_person_shared_with_the_organisation_is_identified(outsider, person_a, org_b):
    from prossimo.people.models import PersonShare

    PersonShare.objects.create(person=person_a, organisation=org_b)

    assert identify_caller(outsider, "3401234567") == [person_a]


@pytest.mark.parametrize("typed", ["", "   ", "abc", "12", "+39 000", "340 123"])
def test_invalid_number_identifies_nobody_without_a_query(
    volunteer, person_a, django_assert_num_queries, typed
):
    roles_of(volunteer)
    with django_assert_num_queries(0):
        assert identify_caller(volunteer, typed) == []


def test_unknown_number_costs_one_query(volunteer, person_a, django_assert_num_queries):
    roles_of(volunteer)
    with django_assert_num_queries(1):
        assert identify_caller(volunteer, "347 765 4321") == []


@pytest.mark.parametrize("sharing", [1, 3])
def test_query_count_is_fixed_and_the_result_is_ready_to_show(
    volunteer, person_a, lecco, django_assert_num_queries, sharing
):
    for i in range(sharing - 1):
        relative = PersonFactory(municipality=lecco)
        PhoneFactory(person=relative, number="+393401234567")
        PhoneFactory(person=relative, number=f"+39347000000{i}")
    roles_of(volunteer)  # a request's permission check has loaded them already

    with django_assert_num_queries(2):
        found = identify_caller(volunteer, "340 123 4567")
        shown = [
            (p.full_name, p.municipality.label, [ph.number for ph in p.phones.all()]) for p in found
        ]

    assert len(shown) == sharing
    assert ("Maria Rossi", "Lecco (LC)", ["+393401234567"]) in shown


def test_roles_are_read_once_per_user_object(volunteer, person_a, django_assert_num_queries):
    with django_assert_num_queries(3):
        identify_caller(volunteer, "3401234567")
    with django_assert_num_queries(2):
        identify_caller(volunteer, "3401234567")


# --- the compiled fast path gives what the ORM's definition gives -------------------------

NUMBER = "+393401234567"


def orm_definition(user, number):
    """What `identify_caller` returns, said with the ORM (how it was written before)."""
    from django.db.models import Prefetch

    from prossimo.people.lookup import ORDER
    from prossimo.people.models import Person, Phone

    return list(
        Person.objects.visible_to(user)
        .filter(phones__number=number)
        .select_related("municipality__province")
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("pk")))
        .order_by(*ORDER)
    )


def shown(people):
    """Everything of the people, their municipality, province and phones, as values."""

    def values(obj):
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    return [
        (
            values(p),
            values(p.municipality),
            values(p.municipality.province),
            [values(ph) for ph in p.phones.all()],
        )
        for p in people
    ]


@pytest.fixture
def crowd(lecco, monza, org_a, org_b, person_a):
    """People holding NUMBER: a couple in Lecco (territory A) and a former resident, a merged
    duplicate, someone in Monza (territory B), someone in Monza shared with org_a; each with
    other numbers too."""
    from prossimo.people.models import PersonShare

    husband = PersonFactory(first_name="Mario", last_name="Rossi", municipality=lecco)
    former = PersonFactory(last_name="Airoldi", municipality=lecco, is_active=False)
    duplicate = PersonFactory(last_name="Rossi", municipality=lecco, merged_into=person_a)
    in_monza = PersonFactory(last_name="Brambilla", municipality=monza)
    shared = PersonFactory(last_name="Colombo", municipality=monza)
    PersonShare.objects.create(person=shared, organisation=org_a)
    PhoneFactory(person=person_a, number="+393479999999", kind="caregiver", note="figlia")
    for i, person in enumerate([husband, former, duplicate, in_monza, shared]):
        PhoneFactory(person=person, number=f"+39348000000{i}")
        PhoneFactory(person=person, number=NUMBER)
        PhoneFactory(person=person, number=f"+39349000000{i}")
    return {"husband": husband, "former": former, "duplicate": duplicate,
            "in_monza": in_monza, "shared": shared}  # fmt: skip


@pytest.mark.parametrize(
    "role",
    ["volunteer", "proximity_operator", "social_worker", "coordinator", "monitoring_officer",
     "administrator", "outsider"],
)  # fmt: skip
def test_identify_caller_gives_what_the_orm_definition_gives(cast, crowd, role):
    user = cast[role]
    expected = orm_definition(user, NUMBER)

    found = identify_caller(user, "340 123 4567")

    assert shown(found) == shown(expected)
    assert found == expected  # same people, same order


def test_the_volunteer_finds_the_couple_the_shared_person_then_the_former_resident(
    volunteer, crowd, person_a
):
    found = identify_caller(volunteer, "340 123 4567")

    assert found == [crowd["shared"], person_a, crowd["husband"], crowd["former"]]
    assert crowd["duplicate"] not in found and crowd["in_monza"] not in found


def test_the_administrator_sees_every_territory_but_no_merged_record(administrator, crowd):
    found = identify_caller(administrator, NUMBER)

    assert crowd["in_monza"] in found and crowd["shared"] in found
    assert crowd["duplicate"] not in found
    assert [p.is_active for p in found] == sorted((p.is_active for p in found), reverse=True)


def test_a_user_of_two_organisations_sees_both_territories(volunteer, org_b, crowd):
    from prossimo.core.permissions import Role
    from prossimo.territory.models import Membership

    Membership.objects.create(user=volunteer, organisation=org_b, role=Role.VOLUNTEER)
    volunteer._prossimo_roles = None

    found = identify_caller(volunteer, NUMBER)

    assert crowd["in_monza"] in found
    assert shown(found) == shown(orm_definition(volunteer, NUMBER))


def test_a_share_or_territory_changed_meanwhile_is_seen_at_once(outsider, person_a, org_b, lecco):
    from prossimo.people.models import PersonShare

    assert identify_caller(outsider, NUMBER) == []
    PersonShare.objects.create(person=person_a, organisation=org_b)
    assert identify_caller(outsider, NUMBER) == [person_a]
    PersonShare.objects.all().delete()
    org_b.municipalities.add(lecco)
    assert identify_caller(outsider, NUMBER) == [person_a]


def test_the_phones_behave_as_prefetched(volunteer, crowd, person_a, django_assert_num_queries):
    roles_of(volunteer)
    found = identify_caller(volunteer, NUMBER)
    maria = found[found.index(person_a)]

    with django_assert_num_queries(0):
        phones = list(maria.phones.all())
        assert [ph.number for ph in phones] == [NUMBER, "+393479999999"]
        assert all(ph.person is maria for ph in phones)
        assert maria.phones.count() == 2
        assert maria.municipality.province.abbreviation == "LC"
    # Narrowing the prefetched list asks the database, for this person's phones only.
    assert [ph.number for ph in maria.phones.filter(kind="caregiver")] == ["+393479999999"]


def test_users_of_the_same_organisations_share_the_compiled_statement(
    volunteer, operator, coordinator, outsider
):
    from django.db import connection

    from prossimo.people.lookup import people_statement, scope_of

    assert scope_of(volunteer) == scope_of(operator) == scope_of(coordinator)
    assert scope_of(outsider) != scope_of(volunteer)
    statement = people_statement(volunteer, scope_of(volunteer), connection)
    assert people_statement(operator, scope_of(operator), connection) is statement


def test_the_statement_cache_keeps_the_most_recently_used():
    from prossimo.people.lookup import _Cache

    cache = _Cache(2)
    built = []

    def build(key):
        return lambda: built.append(key) or key

    for key in ["a", "b", "a", "c", "a", "b"]:
        cache.get(key, build(key))

    assert built == ["a", "b", "c", "b"]  # "b" was dropped when "c" came, "a" never was
    assert list(cache.entries) == ["a", "b"]


@pytest.mark.parametrize("direct", [True, False])
def test_the_prefetch_cache_holds_what_prefetch_related_leaves(
    volunteer, crowd, person_a, monkeypatch, django_assert_num_queries, direct
):
    from django.db.models import Prefetch

    from prossimo.people import lookup
    from prossimo.people.models import Person, Phone

    monkeypatch.setattr(lookup, "_DIRECT_PREFETCH", direct)
    (ours,) = [p for p in identify_caller(volunteer, NUMBER) if p == person_a]
    theirs = Person.objects.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("pk"))
    ).get(pk=person_a.pk)
    mine, reference = ours.phones.all(), theirs.phones.all()

    with django_assert_num_queries(0):
        assert list(mine) == list(reference)
        assert (mine.count(), mine.exists(), mine.first()) == (
            reference.count(),
            reference.exists(),
            reference.first(),
        )
        assert mine.ordered and mine.model is Phone
        assert mine._known_related_objects == reference._known_related_objects
    narrowed = str(mine.filter(kind="caregiver").query)
    assert narrowed == str(theirs.phones.filter(kind="caregiver").query)
    assert str(person_a.pk.hex) in narrowed or str(person_a.pk) in narrowed


def test_with_init_signals_listened_to_instances_are_made_by_from_db(volunteer, crowd):
    from django.db.models.signals import post_init

    from prossimo.people.models import Person

    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=Person)
    try:
        found = identify_caller(volunteer, NUMBER)
    finally:
        post_init.disconnect(listener, sender=Person)

    assert seen == found
    assert shown(found) == shown(orm_definition(volunteer, NUMBER))
