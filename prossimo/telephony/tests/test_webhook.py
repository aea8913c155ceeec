"""The PBX's webhook: signed, fresh, never replayed; events move calls on, once each."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.utils import timezone

from prossimo.telephony.models import IncomingCall, SeenSignature
from prossimo.telephony.signing import sign
from prossimo.telephony.tests.conftest import EVENTS_URL

pytestmark = pytest.mark.django_db

RINGING = {"event": "ringing", "call_id": "1700000000.42", "caller": "340 123 4567"}


def _assert_error(response, status: int):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert isinstance(body["errors"], list)
    return body


def _call() -> IncomingCall:
    return IncomingCall.objects.get()


# --- authentication ---------------------------------------------------------------------


def test_a_correctly_signed_ringing_event_creates_a_ringing_call(pbx, line):
    response = pbx.post(RINGING)
    assert response.status_code == 200
    call = _call()
    assert response.json() == {"call": str(call.pk), "state": "ringing"}
    assert call.line == line
    assert call.call_id == "1700000000.42"
    assert call.caller_number == "+393401234567"
    assert call.state == IncomingCall.State.RINGING


def test_the_line_may_be_named_by_its_id_or_by_its_number_in_any_format(pbx, line):
    assert pbx.post(RINGING, headers={"X-Prossimo-Line": str(line.pk)}).status_code == 200
    other = {**RINGING, "call_id": "other"}
    assert pbx.post(other, headers={"X-Prossimo-Line": "+39 0341 000 111"}).status_code == 200
    assert IncomingCall.objects.count() == 2


def test_a_signature_made_with_another_secret_is_refused(pbx):
    body = _assert_error(pbx.post(RINGING, secret="tel_not-the-secret"), 401)
    assert body["errors"] == []
    assert not IncomingCall.objects.exists()


def test_a_signature_over_another_body_is_refused(pbx, line, client):
    stamp = str(int(timezone.now().timestamp()))
    signed_body = json.dumps(RINGING).encode()
    sent_body = json.dumps({**RINGING, "caller": "333 000 0000"}).encode()
    response = client.post(
        EVENTS_URL,
        sent_body,
        content_type="application/json",
        headers={
            "X-Prossimo-Line": line.number,
            "X-Prossimo-Timestamp": stamp,
            "X-Prossimo-Signature": sign(line.secret, stamp, signed_body),
        },
    )
    _assert_error(response, 401)
    assert not IncomingCall.objects.exists()


@pytest.mark.parametrize(
    "header", ["X-Prossimo-Line", "X-Prossimo-Timestamp", "X-Prossimo-Signature"]
)
def test_a_request_without_one_of_the_three_headers_is_refused(pbx, header):
    _assert_error(pbx.post(RINGING, headers={header: ""}), 401)
    assert not IncomingCall.objects.exists()


@pytest.mark.parametrize("signature", ["", "sha256=", "md5=abc", "sha256=zz", "é"])
def test_a_malformed_signature_header_is_refused(pbx, signature):
    _assert_error(pbx.post(RINGING, headers={"X-Prossimo-Signature": signature}), 401)


def test_the_signature_is_accepted_in_upper_case_hex(pbx, line, client):
    stamp = str(int(timezone.now().timestamp()))
    raw = json.dumps(RINGING).encode()
    signature = "sha256=" + sign(line.secret, stamp, raw).removeprefix("sha256=").upper()
    response = client.post(
        EVENTS_URL,
        raw,
        content_type="application/json",
        headers={
            "X-Prossimo-Line": line.number,
            "X-Prossimo-Timestamp": stamp,
            "X-Prossimo-Signature": signature,
        },
    )
    assert response.status_code == 200


def test_an_unknown_line_gets_the_same_answer_as_a_wrong_signature(pbx, line):
    unknown = pbx.post(RINGING, headers={"X-Prossimo-Line": "+39 02 1234 5678"})
    wrong = pbx.post(RINGING, secret="tel_wrong")
    assert _assert_error(unknown, 401) == _assert_error(wrong, 401)
    assert unknown["WWW-Authenticate"] == wrong["WWW-Authenticate"]


def test_an_inactive_line_is_refused(pbx, line):
    line.is_active = False
    line.save(update_fields=["is_active"])
    _assert_error(pbx.post(RINGING), 401)


def test_a_line_of_another_organisation_cannot_sign_for_this_one(pbx, line, line_b):
    response = pbx.post(RINGING, secret=line_b.secret, headers={"X-Prossimo-Line": line.number})
    _assert_error(response, 401)


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_a_timestamp_outside_the_allowed_skew_is_refused(pbx, offset):
    stamp = int(timezone.now().timestamp()) + offset
    body = _assert_error(pbx.post(RINGING, timestamp=stamp), 401)
    assert "NTP" in body["detail"]
    assert not IncomingCall.objects.exists()


@pytest.mark.parametrize("offset", [-299, 299])
def test_a_timestamp_within_the_allowed_skew_is_accepted(pbx, offset):
    stamp = int(timezone.now().timestamp()) + offset
    assert pbx.post(RINGING, timestamp=stamp).status_code == 200


def test_the_allowed_skew_comes_from_the_settings(pbx, settings):
    settings.PROSSIMO_TELEPHONY_MAX_SKEW_SECONDS = 30
    stamp = int(timezone.now().timestamp()) - 60
    _assert_error(pbx.post(RINGING, timestamp=stamp), 401)


@pytest.mark.parametrize("stamp", ["soon", "-5", "1.5", "99999999999999999999"])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(pbx, stamp):
    _assert_error(pbx.post(RINGING, timestamp=stamp), 401)


def test_a_replayed_request_is_refused_and_changes_nothing(pbx, line, client):
    stamp = str(int(timezone.now().timestamp()))
    raw = json.dumps({"event": "ringing", "call_id": "c1"}).encode()
    headers = {
        "X-Prossimo-Line": line.number,
        "X-Prossimo-Timestamp": stamp,
        "X-Prossimo-Signature": sign(line.secret, stamp, raw),
    }
    first = client.post(EVENTS_URL, raw, content_type="application/json", headers=headers)
    assert first.status_code == 200
    replay = client.post(EVENTS_URL, raw, content_type="application/json", headers=headers)
    _assert_error(replay, 409)
    assert IncomingCall.objects.count() == 1
    assert SeenSignature.objects.count() == 1


def test_signatures_older_than_the_skew_are_forgotten(pbx, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    pbx.event("ringing", "old")
    time_machine.shift(dt.timedelta(seconds=301))
    pbx.event("ringing", "new")
    assert SeenSignature.objects.count() == 1


def test_a_refused_request_is_not_remembered_as_seen(pbx):
    pbx.post({"event": "hold", "call_id": "c1"})
    assert not SeenSignature.objects.exists()


# --- the body ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"event": "ringing",}'])
def test_a_body_that_is_not_json_is_422(pbx, raw):
    body = _assert_error(pbx.post(raw), 422)
    assert body["errors"] == []


def test_a_body_that_is_not_a_json_object_is_422(pbx):
    _assert_error(pbx.post(b'["ringing"]'), 422)


def test_an_unknown_event_is_422_naming_the_field(pbx):
    body = _assert_error(pbx.post({"event": "hold", "call_id": "c1"}), 422)
    assert [e["field"] for e in body["errors"]] == ["event"]
    assert "ringing" in body["errors"][0]["message"]
    assert not IncomingCall.objects.exists()


def test_an_event_without_call_id_is_422(pbx):
    body = _assert_error(pbx.post({"event": "ringing"}), 422)
    assert [e["field"] for e in body["errors"]] == ["call_id"]


def test_a_time_that_is_not_iso_8601_is_422(pbx):
    body = _assert_error(pbx.event("ringing", at="yesterday evening"), 422)
    assert [e["field"] for e in body["errors"]] == ["at"]
    assert "ISO 8601" in body["errors"][0]["message"]


def test_fields_a_provider_adds_are_ignored(pbx):
    assert pbx.event("ringing", provider_extra={"queue": 3}).status_code == 200


@pytest.mark.parametrize("caller", ["", "anonymous", "12", "+39 000"])
def test_a_withheld_or_invalid_caller_number_is_kept_empty(pbx, caller):
    assert pbx.event("ringing", caller=caller).status_code == 200
    assert _call().caller_number == ""


def test_an_error_never_repeats_the_callers_number(pbx):
    response = pbx.post({"event": "hold", "call_id": "c1", "caller": "340 123 4567"})
    assert "340" not in response.content.decode()


def test_the_webhook_needs_no_csrf_token_and_ignores_a_session(pbx, volunteer):
    pbx.client.force_login(volunteer)
    pbx.client.handler.enforce_csrf_checks = True
    assert pbx.post(RINGING).status_code == 200


def test_the_webhook_is_not_in_the_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    assert not any("telephony" in path for path in schema["paths"])


# --- events and states ------------------------------------------------------------------


def test_ringing_answered_ended_gives_the_duration_from_answer_to_end(pbx):
    t0 = timezone.now().replace(microsecond=0)
    pbx.event("ringing", at=t0.isoformat(), caller="0341 123456")
    pbx.event("answered", at=(t0 + dt.timedelta(seconds=8)).isoformat())
    response = pbx.event("ended", at=(t0 + dt.timedelta(seconds=8 + 125)).isoformat())
    assert response.json()["state"] == "ended"
    call = _call()
    assert call.state == IncomingCall.State.ENDED
    assert call.ringing_at == t0
    assert call.answered_at == t0 + dt.timedelta(seconds=8)
    assert call.ended_at == t0 + dt.timedelta(seconds=133)
    assert call.duration_seconds == 125


def test_ended_without_answered_makes_the_call_missed(pbx):
    pbx.event("ringing")
    assert pbx.event("ended").json()["state"] == "missed"
    call = _call()
    assert call.state == IncomingCall.State.MISSED
    assert call.ended_at is not None
    assert call.answered_at is None
    assert call.duration_seconds is None


def test_the_same_event_sent_again_changes_nothing(pbx):
    t0 = timezone.now().replace(microsecond=0)
    pbx.event("ringing", at=t0.isoformat())
    pbx.event("answered", at=(t0 + dt.timedelta(seconds=5)).isoformat())
    pbx.event("ended", at=(t0 + dt.timedelta(seconds=65)).isoformat())
    before = IncomingCall.objects.values().get()
    for event, seconds in [("ringing", 1), ("answered", 30), ("ended", 90)]:
        response = pbx.event(event, at=(t0 + dt.timedelta(seconds=seconds)).isoformat())
        assert response.status_code == 200
    after = IncomingCall.objects.values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_events_of_different_calls_do_not_mix(pbx):
    pbx.event("ringing", "a")
    pbx.event("ringing", "b")
    pbx.event("answered", "a")
    states = dict(IncomingCall.objects.values_list("call_id", "state"))
    assert states == {"a": "answered", "b": "ringing"}


def test_the_same_call_id_on_two_lines_is_two_calls(pbx, line_b):
    pbx.event("ringing", "same")
    pbx.post({"event": "ringing", "call_id": "same"}, line=line_b)
    assert IncomingCall.objects.count() == 2


def test_an_answered_event_arriving_after_the_ended_one_still_gives_the_duration(pbx):
    t0 = timezone.now().replace(microsecond=0)
    pbx.event("ringing", at=t0.isoformat())
    pbx.event("ended", at=(t0 + dt.timedelta(seconds=70)).isoformat())
    pbx.event("answered", at=(t0 + dt.timedelta(seconds=10)).isoformat())
    call = _call()
    assert call.state == IncomingCall.State.ENDED
    assert call.duration_seconds == 60


def test_a_call_first_heard_of_when_answered_is_answered(pbx):
    assert pbx.event("answered", caller="340 123 4567").json()["state"] == "answered"
    assert _call().caller_number == "+393401234567"


def test_a_time_without_offset_is_read_in_prossimos_time_zone(pbx):
    pbx.event("ringing", at="2026-03-02T21:04:05")
    assert _call().ringing_at == dt.datetime(2026, 3, 2, 20, 4, 5, tzinfo=dt.UTC)


def test_a_call_without_time_rings_now(pbx, time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    pbx.event("ringing")
    assert _call().ringing_at == now


# --- privacy ----------------------------------------------------------------------------


def test_the_webhook_never_writes_the_callers_number_to_the_logs(pbx, caplog):
    caplog.set_level(logging.DEBUG)
    caller = "340 123 4567"
    pbx.event("ringing", caller=caller)
    pbx.event("ringing", caller=caller)  # repeated
    pbx.event("answered", caller=caller)
    pbx.event("ended", caller=caller)
    pbx.post({"event": "hold", "call_id": "c", "caller": caller})  # refused: 422
    pbx.post({"event": "ringing", "call_id": "c", "caller": caller}, secret="tel_x")  # 401
    assert caplog.records, "the webhook logs what it does"
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for shown in ["3401234567", "340 123 4567", "+393401234567"]:
        assert shown not in text
