"""Referrals not received in time raise one alert to the sending organisation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from prossimo.listening.models import Alert
from prossimo.referrals.models import Referral
from prossimo.referrals.services import alert_unreceived, change_referral_state, send_referral
from prossimo.referrals.tasks import alert_unreceived_referrals
from prossimo.referrals.tests.conftest import PHONE

pytestmark = pytest.mark.django_db

SENT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(sender, need, service):
    with time_machine.travel(SENT, tick=False):
        return send_referral(
            sender, need=need, service=service, consent_to_share=False, contact_phone=PHONE
        )


def test_a_referral_not_received_in_time_alerts_the_sending_organisation_once(
    sent, settings, org_a
):
    settings.PROSSIMO_REFERRAL_RECEIPT_HOURS = 48
    assert alert_unreceived(now=SENT + dt.timedelta(hours=47, minutes=59)) == 0
    assert alert_unreceived(now=SENT + dt.timedelta(hours=48)) == 1
    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.REFERRAL_NOT_RECEIVED
    assert alert.organisation == org_a and alert.person == sent.person
    assert "Compagnia al telefono" in alert.detail and "48" in alert.detail
    sent.refresh_from_db()
    assert sent.receipt_alert == alert
    assert alert_unreceived(now=SENT + dt.timedelta(hours=72)) == 0
    assert Alert.objects.count() == 1


def test_the_delay_is_a_setting(sent, settings):
    settings.PROSSIMO_REFERRAL_RECEIPT_HOURS = 2
    assert alert_unreceived(now=SENT + dt.timedelta(hours=3)) == 1


def test_a_received_referral_raises_no_alert(sent, receiver):
    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        change_referral_state(receiver, referral=sent, to_state=Referral.State.RECEIVED)
    assert alert_unreceived(now=SENT + dt.timedelta(days=5)) == 0
    assert not Alert.objects.exists()


def test_the_periodic_task_runs_the_check(sent):
    with time_machine.travel(SENT + dt.timedelta(days=3), tick=False):
        assert timezone.now() > SENT
        assert alert_unreceived_referrals.call_local() == {"raised": 1}
