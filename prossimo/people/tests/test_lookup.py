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
