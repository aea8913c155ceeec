import pytest

from prossimo.people.models import Person

pytestmark = pytest.mark.django_db


def test_volunteer_sees_people_of_the_territory_their_organisation_serves(volunteer, person_a):
    assert list(Person.objects.visible_to(volunteer)) == [person_a]


def test_volunteer_does_not_see_people_of_another_territory(volunteer, person_a, person_b):
    assert person_b not in Person.objects.visible_to(volunteer)


def test_outsider_sees_only_their_own_territory(outsider, person_a, person_b):
    assert list(Person.objects.visible_to(outsider)) == [person_b]


def test_monitoring_officer_sees_nobody(monitoring, person_a, person_b):
    assert not Person.objects.visible_to(monitoring).exists()


def test_administrator_sees_every_territory(administrator, person_a, person_b):
    assert set(Person.objects.visible_to(administrator)) == {person_a, person_b}


def test_sharing_a_person_opens_them_to_the_other_organisation(
    coordinator, outsider, person_a, org_b
):
    from prossimo.people.services import share_person

    assert person_a not in Person.objects.visible_to(outsider)
    share_person(coordinator, person=person_a, organisation=org_b)
    assert person_a in Person.objects.visible_to(outsider)


def test_anonymous_user_sees_nobody(person_a):
    from django.contrib.auth.models import AnonymousUser

    assert not Person.objects.visible_to(AnonymousUser()).exists()


def test_the_territory_rule_on_some_ids_is_visible_to_restricted_to_them_for_every_role(
    volunteer, social_worker, coordinator, monitoring, administrator, outsider, person_a, person_b
):
    from django.contrib.auth.models import AnonymousUser

    from prossimo.people.models import territory_rule
    from prossimo.people.services import share_person
    from prossimo.people.tests.factories import PersonFactory

    def among(user, ids):
        rule = territory_rule(user)
        if rule is None:
            return Person.objects.none()
        return Person.objects.filter(rule, merged_into__isnull=True, pk__in=ids)

    merged = PersonFactory(municipality=person_a.municipality, merged_into=person_a)
    shared = PersonFactory(municipality=person_b.municipality)
    own = volunteer.memberships.get().organisation
    share_person(administrator, person=shared, organisation=own)
    elsewhere = PersonFactory(municipality=person_b.municipality)
    asked = [person_a.pk, person_b.pk, merged.pk, shared.pk, elsewhere.pk]
    users = (volunteer, social_worker, coordinator, monitoring, administrator, outsider)
    for user in (*users, AnonymousUser()):
        for ids in (asked, asked[:1], []):
            expected = set(Person.objects.visible_to(user).filter(pk__in=ids))
            assert set(among(user, ids)) == expected, (user, ids)
    assert set(among(volunteer, asked)) == {person_a, shared}
