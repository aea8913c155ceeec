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
