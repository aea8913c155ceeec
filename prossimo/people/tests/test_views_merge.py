"""Merging two records of the same person: find, compare, confirm; nothing is lost."""

import datetime as dt

import pytest
from django.urls import reverse

from prossimo.core.testing import italian
from prossimo.people.models import Person, PersonShare
from prossimo.people.tests.factories import (
    ConsentFactory,
    PersonFactory,
    PhoneFactory,
    ReferencePersonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(lecco):
    """A second record of Maria Rossi (person_a), registered without codice fiscale."""
    person = PersonFactory(
        first_name="Maria", last_name="Rossi", municipality=lecco, fiscal_code=None
    )
    PhoneFactory(person=person, number="+393331112222")
    PhoneFactory(person=person, number="+393401234567")
    ReferencePersonFactory(person=person, name="Luca Rossi")
    ConsentFactory(person=person, kind="calls", given_on=dt.date(2026, 1, 5))
    return person


def merge_url(person):
    return reverse("people:merge", args=[person.pk])


def confirm(client, page_of, other, *, keep="this"):
    """Confirm the merge from `page_of`'s merge page, keeping "this" record or the "other"."""
    return client.post(
        merge_url(page_of), {"step": "confirm", "other": str(other.pk), "keep": keep}
    )


def test_the_merge_page_asks_for_the_other_record(client_of, administrator, person_a):
    html = client_of(administrator).get(merge_url(person_a)).content.decode()
    assert 'name="step" value="search"' in html


def test_searching_lists_the_other_records_but_not_this_one(
    client_of, administrator, person_a, twin
):
    html = (
        client_of(administrator)
        .post(merge_url(person_a), {"step": "search", "q": "Rossi Maria"})
        .content.decode()
    )
    assert f'name="other" value="{twin.pk}"' in html
    assert f'name="other" value="{person_a.pk}"' not in html


def test_comparing_shows_both_records_side_by_side(client_of, administrator, person_a, twin):
    html = (
        client_of(administrator)
        .post(merge_url(person_a), {"step": "compare", "other": str(twin.pk), "keep": "this"})
        .content.decode()
    )
    assert person_a.fiscal_code in html
    assert "333 111 2222" in html
    assert 'name="step" value="confirm"' in html


def test_merging_redirects_to_the_kept_record_with_a_message(
    client_of, administrator, person_a, twin
):
    client = client_of(administrator)
    response = confirm(client, person_a, twin)
    assert response.url == reverse("people:detail", args=[person_a.pk])
    html = client.get(response.url).content.decode()
    assert italian("The two records are merged into this one.") in html


def test_merging_moves_the_phones_without_doubling_them(client_of, administrator, person_a, twin):
    confirm(client_of(administrator), person_a, twin)
    assert sorted(p.number for p in person_a.phones.all()) == ["+393331112222", "+393401234567"]


def test_merging_moves_the_consents(client_of, administrator, person_a, twin):
    ConsentFactory(person=person_a, kind="privacy_notice")
    confirm(client_of(administrator), person_a, twin)
    assert sorted(c.kind for c in person_a.consents.all()) == ["calls", "privacy_notice"]


def test_merging_moves_the_reference_persons(client_of, administrator, person_a, twin):
    confirm(client_of(administrator), person_a, twin)
    assert [r.name for r in person_a.reference_persons.all()] == ["Luca Rossi"]


def test_merging_moves_the_sharings(client_of, administrator, person_a, twin, org_b):
    PersonShare.objects.create(person=twin, organisation=org_b, reason="sportello")
    confirm(client_of(administrator), person_a, twin)
    assert [s.organisation for s in person_a.shares.all()] == [org_b]


def test_the_absorbed_record_stays_inactive_and_points_to_the_kept_one(
    client_of, administrator, person_a, twin
):
    confirm(client_of(administrator), person_a, twin)
    twin.refresh_from_db()
    assert (twin.is_active, twin.merged_into) == (False, person_a)


def test_the_other_record_can_be_the_one_kept(client_of, administrator, person_a, twin):
    fiscal_code = person_a.fiscal_code
    response = confirm(client_of(administrator), person_a, twin, keep="other")
    twin.refresh_from_db()
    assert response.url == reverse("people:detail", args=[twin.pk])
    assert (twin.fiscal_code, twin.merged_into) == (fiscal_code, None)
    assert Person.objects.get(pk=person_a.pk).merged_into == twin


def test_a_record_cannot_be_merged_with_itself(client_of, administrator, person_a):
    response = client_of(administrator).post(
        merge_url(person_a), {"step": "confirm", "other": str(person_a.pk), "keep": "this"}
    )
    person_a.refresh_from_db()
    assert response.status_code == 200
    assert person_a.merged_into is None


def test_the_record_offers_merging_to_administrators_only(
    client_of, administrator, coordinator, person_a
):
    url = merge_url(person_a).encode()
    detail = reverse("people:detail", args=[person_a.pk])
    assert url in client_of(administrator).get(detail).content
    assert url not in client_of(coordinator).get(detail).content
