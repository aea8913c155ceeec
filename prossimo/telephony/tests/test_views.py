"""Taking a call from the banner, and the duty page and button."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from prossimo.listening.models import Contact
from prossimo.telephony import services
from prossimo.telephony.models import IncomingCall, OnDuty

pytestmark = pytest.mark.django_db

DUTY = "/telefonia/turno/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def ringing(pbx, person_a) -> IncomingCall:
    pbx.event("ringing", "c1", caller="340 123 4567")
    return IncomingCall.objects.get(call_id="c1")


def _answer_url(call: IncomingCall) -> str:
    return reverse("telephony:answer", args=[call.pk])


# --- answering --------------------------------------------------------------------------


def test_answering_opens_a_draft_call_form_without_the_number_in_the_url(
    client, volunteer, ringing, on_duty
):
    client.force_login(on_duty(volunteer))
    response = client.post(_answer_url(ringing))
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("listening:call_draft", args=[contact.pk])
    assert "3401234567" not in response.url
    assert contact.status == Contact.Status.DRAFT
    assert contact.caller_number == "+393401234567"
    ringing.refresh_from_db()
    assert ringing.contact == contact
    assert ringing.answered_by == volunteer


def test_answering_twice_opens_the_same_draft(client, volunteer, ringing):
    client.force_login(volunteer)
    first = client.post(_answer_url(ringing))
    second = client.post(_answer_url(ringing))
    assert first.url == second.url
    assert Contact.objects.count() == 1


def test_a_call_a_colleague_took_sends_back_to_the_duty_page_saying_so(
    client, volunteer, operator, ringing
):
    services.take_call(operator, call=ringing)
    client.force_login(volunteer)
    response = client.post(_answer_url(ringing))
    assert response.status_code == 302
    assert response.url == DUTY
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert Contact.objects.count() == 1


def test_a_call_of_another_organisation_does_not_exist_for_the_user(client, outsider, ringing):
    client.force_login(outsider)
    assert client.post(_answer_url(ringing)).status_code == 404
    assert not Contact.objects.exists()


def test_the_monitoring_officer_cannot_answer(client, monitoring, ringing):
    client.force_login(monitoring)
    assert client.post(_answer_url(ringing)).status_code == 403


def test_answering_takes_a_post(client, volunteer, ringing):
    client.force_login(volunteer)
    assert client.get(_answer_url(ringing)).status_code == 405
    assert not Contact.objects.exists()


def test_answering_needs_a_login(client, ringing):
    response = client.post(_answer_url(ringing))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_answering_needs_the_csrf_token(volunteer, ringing):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    assert client.post(_answer_url(ringing)).status_code == 403


# --- duty -------------------------------------------------------------------------------


def test_the_duty_page_shows_the_start_button_and_works_without_javascript(client, volunteer):
    client.force_login(volunteer)
    html = client.get(DUTY).content.decode()
    assert html.count('id="telephony-live"') == 1
    assert 'name="action" value="start"' in html
    response = client.post(DUTY, {"action": "start"})
    assert response.status_code == 302
    assert response.url == DUTY
    assert OnDuty.objects.filter(user=volunteer, ended_at__isnull=True).exists()
    assert 'name="action" value="end"' in client.get(DUTY).content.decode()


def test_the_duty_page_lists_the_calls_ringing_for_those_on_duty(
    client, volunteer, ringing, on_duty
):
    client.force_login(on_duty(volunteer))
    html = client.get(DUTY).content.decode()
    assert _answer_url(ringing) in html
    assert "Maria Rossi" in html
    # A call ringing now is not the "incoming call" channel of a logged contact (Italian:
    # "in arrivo", not "in entrata").
    assert "Telefonata in arrivo" in html
    assert str(Contact.Channel.INBOUND_CALL.label) == "Telefonata in entrata"


def test_the_duty_button_swaps_in_a_polling_region(client, volunteer):
    client.force_login(volunteer)
    response = client.post(DUTY, {"action": "start"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="telephony-live"')
    assert response["HX-Reswap"] == "outerHTML"
    assert 'hx-trigger="every 1s"' in html
    assert 'name="action" value="end"' in html


def test_ending_duty_from_the_banner_swaps_in_a_region_that_does_not_poll(
    client, volunteer, on_duty
):
    client.force_login(on_duty(volunteer))
    response = client.post(DUTY, {"action": "end"}, headers=HTMX)
    html = response.content.decode()
    assert 'name="action" value="start"' in html
    assert "hx-trigger" not in html
    assert not OnDuty.objects.filter(user=volunteer, ended_at__isnull=True).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_monitoring_officer_has_no_duty(client, monitoring, method):
    client.force_login(monitoring)
    assert getattr(client, method)(DUTY).status_code == 403
