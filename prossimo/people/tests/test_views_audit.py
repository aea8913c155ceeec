"""A person's access history: who opened or changed the record, when, from where, how."""

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prossimo.core.audit import audit_access
from prossimo.core.permissions import Role
from prossimo.core.testing import italian
from prossimo.people.tests.factories import PersonFactory
from prossimo.territory.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def audit_url(person):
    return reverse("people:audit", args=[person.pk])


def rows_of(response):
    return response.context["rows"]


def test_a_view_of_the_record_shows_who_from_which_organisation_and_address(
    client_of, volunteer, coordinator, person_a
):
    client_of(volunteer).get(reverse("people:detail", args=[person_a.pk]))
    row = rows_of(client_of(coordinator).get(audit_url(person_a)))[0]
    assert (row["who"], row["organisations"]) == (str(volunteer), ["Cooperativa A"])
    assert (str(row["action"]), str(row["via"]), row["address"]) == (
        italian("viewed"),
        italian("record page"),
        "127.0.0.1",
    )


def test_being_found_by_a_search_is_shown_as_a_view_via_search(
    client_of, volunteer, coordinator, person_a
):
    client_of(volunteer).post(reverse("people:search"), {"q": "Rossi"})
    row = rows_of(client_of(coordinator).get(audit_url(person_a)))[0]
    assert (str(row["action"]), str(row["via"])) == (italian("viewed"), italian("search"))


def test_a_change_shows_the_fields_with_old_and_new_values(client_of, coordinator, person_a):
    from prossimo.people.tests.test_views_edit import edit_data

    old_address = person_a.address
    client = client_of(coordinator)
    client.post(
        reverse("people:edit", args=[person_a.pk]),
        edit_data(person_a, address="Via Nuova 3", municipality="Valmadrera"),
    )
    rows = [r for r in rows_of(client.get(audit_url(person_a))) if r["record"] == italian("person")]
    changes = {c["field"]: (c["old"], c["new"]) for c in rows[0]["changes"]}
    assert str(rows[0]["action"]) == italian("changed")
    assert changes[italian("address")] == (old_address, "Via Nuova 3")
    assert changes[italian("municipality of residence")] == ("Lecco (LC)", "Valmadrera (LC)")


def test_a_phone_added_is_shown_with_its_number(client_of, coordinator, person_a):
    from prossimo.people.tests.test_views_edit import edit_data

    client = client_of(coordinator)
    client.post(
        reverse("people:edit", args=[person_a.pk]),
        edit_data(
            person_a,
            phones=[
                {"number": "+393401234567", "kind": "mobile", "note": ""},
                {"number": "0341 555666", "kind": "landline", "note": ""},
            ],
        ),
    )
    html = client.get(audit_url(person_a)).content.decode()
    assert italian("phone number") in html
    assert "+390341555666" in html


def test_a_merge_is_shown_in_words(client_of, administrator, person_a, lecco):
    twin = PersonFactory(municipality=lecco, fiscal_code=None)
    client = client_of(administrator)
    client.post(
        reverse("people:merge", args=[person_a.pk]),
        {"step": "confirm", "other": str(twin.pk), "keep": "this"},
    )
    events = [str(r["event"]) for r in rows_of(client.get(audit_url(person_a)))]
    assert italian("another record was merged into this one") in events


def test_the_history_of_a_merged_record_joins_the_kept_one(
    client_of, volunteer, administrator, person_a, lecco
):
    twin = PersonFactory(municipality=lecco, fiscal_code=None)
    client_of(volunteer).get(reverse("people:detail", args=[twin.pk]))
    client = client_of(administrator)
    client.post(
        reverse("people:merge", args=[person_a.pk]),
        {"step": "confirm", "other": str(twin.pk), "keep": "this"},
    )
    whos = [r["who"] for r in rows_of(client.get(audit_url(person_a)))]
    assert str(volunteer) in whos


def test_the_history_shows_fifty_entries_a_page(client_of, coordinator, volunteer, person_a):
    for _ in range(55):
        audit_access(volunteer, [person_a], via="page")
    total = LogEntry.objects.filter(additional_data__person=str(person_a.pk)).count()
    client = client_of(coordinator)
    assert len(rows_of(client.get(audit_url(person_a)))) == 50
    assert len(rows_of(client.get(audit_url(person_a), {"page": 2}))) == total - 50


def make_trail(person, org, n):
    """`n` views of the record, each by a different user of `org`."""
    for i in range(n):
        user = UserFactory(username=f"reader{i}-of-{person.pk}")
        MembershipFactory(user=user, organisation=org, role=Role.VOLUNTEER)
        audit_access(user, [person], via="page")


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_the_history_page_takes_as_many_queries_for_30_entries_as_for_5(
    client_of, coordinator, org_a, person_a, lecco, django_assert_max_num_queries
):
    from prossimo.people.tests.test_views_edit import edit_data

    other = PersonFactory(municipality=lecco)
    client = client_of(coordinator)
    for person in (person_a, other):
        client.post(
            reverse("people:edit", args=[person.pk]),
            edit_data(person, address="Via Nuova 3", municipality="Valmadrera"),
        )
    make_trail(person_a, org_a, 5)
    make_trail(other, org_a, 30)
    queries_for(client, audit_url(person_a))  # session and caches warm
    few = queries_for(client, audit_url(person_a))
    with django_assert_max_num_queries(few):
        many = queries_for(client, audit_url(other))
    assert many == few
