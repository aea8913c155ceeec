"""Fixtures for telephony: a line for each organisation, a PBX that signs its events, duty."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from prossimo.telephony import services
from prossimo.telephony.models import TelephonyLine
from prossimo.telephony.signing import sign

EVENTS_URL = "/api/telephony/events"


@pytest.fixture
def line(org_a) -> TelephonyLine:
    """The listening line of org_a (Lecco)."""
    line, _secret = services.create_line(
        None, name="Ascolto Lecco", number="0341 000111", organisation=org_a
    )
    return line


@pytest.fixture
def line_b(org_b) -> TelephonyLine:
    line, _secret = services.create_line(
        None, name="Ascolto Monza", number="039 000222", organisation=org_b
    )
    return line


class Pbx:
    """A telephone system posting signed events to Prossimo, as docs/telephony.md says."""

    def __init__(self, client: Client, line: TelephonyLine) -> None:
        self.client = client
        self.line = line
        self._last_timestamp = 0

    def timestamp(self) -> int:
        # A new timestamp for every request, as a PBX signing at each send has.
        now = int(timezone.now().timestamp())
        self._last_timestamp = max(now, self._last_timestamp + 1)
        return self._last_timestamp

    def post(
        self,
        body: dict[str, Any] | bytes,
        *,
        line: TelephonyLine | None = None,
        timestamp: int | str | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        line = line or self.line
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = str(self.timestamp() if timestamp is None else timestamp)
        signed = {
            "X-Prossimo-Line": line.number,
            "X-Prossimo-Timestamp": stamp,
            "X-Prossimo-Signature": sign(secret or line.secret, stamp, raw),
        }
        return self.client.post(
            EVENTS_URL, raw, content_type="application/json", headers={**signed, **(headers or {})}
        )

    def event(self, event: str, call_id: str = "call-1", **fields: Any) -> Any:
        return self.post({"event": event, "call_id": call_id, **fields})


@pytest.fixture
def pbx(line) -> Pbx:
    # A client of its own: the PBX has no session.
    return Pbx(Client(), line)


@pytest.fixture
def on_duty() -> Callable[[Any], Any]:
    """`on_duty(user)`: put the user on duty in every organisation where they do casework."""

    def start(user: Any) -> Any:
        services.start_duty(user)
        return user

    return start
