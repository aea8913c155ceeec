"""Deactivating and reactivating a record."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_deactivating_with_a_reason_marks_the_record_inactive(client_of, social_worker, person_a):
    response = client_of(social_worker).post(
        reverse("people:deactivate", args=[person_a.pk]), {"reason": "Trasferita a Milano"}
    )
    person_a.refresh_from_db()
    assert response.url == reverse("people:detail", args=[person_a.pk])
    assert (person_a.is_active, person_a.deactivation_reason) == (False, "Trasferita a Milano")


def test_deactivating_without_a_reason_shows_the_error_and_changes_nothing(
    client_of, social_worker, person_a
):
    response = client_of(social_worker).post(
        reverse("people:deactivate", args=[person_a.pk]), {"reason": "  "}
    )
    person_a.refresh_from_db()
    assert 'id="id_reason_error"' in response.content.decode()
    assert person_a.is_active


def test_reactivating_makes_the_record_active_again(client_of, coordinator, person_a):
    person_a.is_active = False
    person_a.deactivation_reason = "Trasferita"
    person_a.save(update_fields=["is_active", "deactivation_reason"])
    client_of(coordinator).post(reverse("people:reactivate", args=[person_a.pk]))
    person_a.refresh_from_db()
    assert (person_a.is_active, person_a.deactivation_reason) == (True, "")


def test_the_record_offers_deactivation_to_those_allowed(client_of, social_worker, person_a):
    html = client_of(social_worker).get(reverse("people:detail", args=[person_a.pk])).content
    assert reverse("people:deactivate", args=[person_a.pk]).encode() in html


def test_the_record_offers_no_deactivation_to_volunteers(client_of, volunteer, person_a):
    html = client_of(volunteer).get(reverse("people:detail", args=[person_a.pk])).content
    assert reverse("people:deactivate", args=[person_a.pk]).encode() not in html


def test_an_inactive_record_offers_reactivation(client_of, social_worker, person_a):
    person_a.is_active = False
    person_a.save(update_fields=["is_active"])
    html = client_of(social_worker).get(reverse("people:detail", args=[person_a.pk])).content
    assert f'action="{reverse("people:reactivate", args=[person_a.pk])}"'.encode() in html
