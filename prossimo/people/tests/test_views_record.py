"""The search page and the record page."""

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prossimo.people.tests.factories import PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db


def detail_url(person):
    return reverse("people:detail", args=[person.pk])


def test_the_record_shows_the_languages_in_words(client_of, volunteer, person_a):
    person_a.languages = ["ro", "uk"]
    person_a.save(update_fields=["languages"])
    response = client_of(volunteer).get(detail_url(person_a), {"lang": "en"})
    assert response.context["languages_display"] == "Romanian, Ukrainian"


def test_opening_a_record_leaves_an_access_entry(client_of, volunteer, person_a):
    client_of(volunteer).get(detail_url(person_a))
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.additional_data) == (
        volunteer,
        {"person": str(person_a.pk), "via": "page"},
    )


def test_the_record_links_the_access_history_for_coordinators(client_of, coordinator, person_a):
    html = client_of(coordinator).get(detail_url(person_a)).content.decode()
    assert reverse("people:audit", args=[person_a.pk]) in html


def test_the_record_hides_the_access_history_from_volunteers(client_of, volunteer, person_a):
    html = client_of(volunteer).get(detail_url(person_a)).content.decode()
    assert reverse("people:audit", args=[person_a.pk]) not in html


def test_searching_by_phone_finds_the_person(client_of, volunteer, person_a):
    response = client_of(volunteer).post(reverse("people:search"), {"q": "340 123 4567"})
    assert response.context["results"] == [person_a]


def test_searching_through_htmx_returns_only_the_results(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        reverse("people:search"), {"q": "rossi"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert detail_url(person_a) in html


def make_people(lecco, n, *, start=0):
    """`n` Brambillas in Lecco, with two phones each."""
    for i in range(start, start + n):
        person = PersonFactory(last_name=f"Brambilla{i:02d}", municipality=lecco)
        PhoneFactory(person=person)
        PhoneFactory(person=person)


def search_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("people:search"), {"q": "brambilla"})
    return len(ctx), len(response.context["results"])


def test_the_search_takes_as_many_queries_for_30_results_as_for_5(
    client_of, volunteer, lecco, django_assert_max_num_queries
):
    client = client_of(volunteer)
    client.post(reverse("people:search"), {"q": "nobody"})  # session and caches warm
    make_people(lecco, 5)
    few, found_few = search_queries(client)
    make_people(lecco, 25, start=5)
    with django_assert_max_num_queries(few):
        many, found_many = search_queries(client)
    assert (found_few, found_many) == (5, 30)
    assert many == few
