"""Recording and withdrawing consents from a person's record."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from prossimo.core.testing import italian
from prossimo.people.tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db


def add_url(person):
    return reverse("people:consent_add", args=[person.pk])


def withdraw_url(consent):
    return reverse("people:consent_withdraw", args=[consent.person_id, consent.pk])


def test_recording_a_consent_stores_it_with_who_recorded_it(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        add_url(person_a), {"kind": "calls", "given_on": "2026-02-01", "note": "al telefono"}
    )
    consent = person_a.consents.get()
    assert response.url == reverse("people:detail", args=[person_a.pk])
    assert (consent.kind, consent.given_on, consent.recorded_by) == (
        "calls",
        dt.date(2026, 2, 1),
        volunteer,
    )


def test_a_consent_dated_in_the_future_is_refused(client_of, volunteer, person_a):
    future = timezone.localdate() + dt.timedelta(days=1)
    response = client_of(volunteer).post(
        add_url(person_a), {"kind": "calls", "given_on": future.isoformat()}
    )
    assert 'id="id_given_on_error"' in response.content.decode()
    assert not person_a.consents.exists()


def test_recording_a_consent_through_htmx_returns_the_consents_section(
    client_of, volunteer, person_a
):
    response = client_of(volunteer).post(
        add_url(person_a),
        {"kind": "share_social", "given_on": "2026-02-01"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="consents"')
    assert italian("Consent to share with social services") in html


def test_the_record_page_offers_the_consent_form(client_of, volunteer, person_a):
    html = client_of(volunteer).get(reverse("people:detail", args=[person_a.pk])).content
    assert f'action="{add_url(person_a)}"'.encode() in html


def test_withdrawing_a_consent_records_the_date_and_who(client_of, volunteer, person_a):
    consent = ConsentFactory(person=person_a, given_on=dt.date(2026, 1, 10))
    client_of(volunteer).post(withdraw_url(consent), {"withdrawn_on": "2026-02-10"})
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawn_by) == (dt.date(2026, 2, 10), volunteer)


def test_a_withdrawal_before_the_consent_was_given_is_refused(client_of, volunteer, person_a):
    consent = ConsentFactory(person=person_a, given_on=dt.date(2026, 1, 10))
    response = client_of(volunteer).post(withdraw_url(consent), {"withdrawn_on": "2025-12-31"})
    consent.refresh_from_db()
    assert 'id="id_withdrawn_on_error"' in response.content.decode()
    assert consent.withdrawn_on is None


def test_a_consent_already_withdrawn_is_not_withdrawn_again(client_of, volunteer, person_a):
    consent = ConsentFactory(
        person=person_a, given_on=dt.date(2026, 1, 10), withdrawn_on=dt.date(2026, 1, 20)
    )
    client_of(volunteer).post(withdraw_url(consent), {"withdrawn_on": "2026-02-10"})
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date(2026, 1, 20)


def test_a_consent_of_another_person_is_not_found_under_this_persons_address(
    client_of, volunteer, person_a, lecco
):
    from prossimo.people.tests.factories import PersonFactory

    other = ConsentFactory(person=PersonFactory(municipality=lecco))
    url = reverse("people:consent_withdraw", args=[person_a.pk, other.pk])
    response = client_of(volunteer).post(url, {"withdrawn_on": "2026-02-10"})
    other.refresh_from_db()
    assert response.status_code == 404
    assert other.withdrawn_on is None
