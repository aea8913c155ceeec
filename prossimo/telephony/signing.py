"""Signed PBX requests: HMAC-SHA256 of "<timestamp>.<raw body>" with the line's shared secret.

A request is authentic when its timestamp is within the allowed clock skew of Prossimo's clock
and its signature matches the secret of the line it names. Whether it was already received
(a replay) is the service's question: `services.receive_event` records every signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from prossimo.telephony.models import TelephonyLine
from prossimo.telephony.selectors import line_for_reference

SIGNATURE_PREFIX = "sha256="
_TIMESTAMP = re.compile(r"[0-9]{1,11}")
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


def max_skew() -> dt.timedelta:
    """How far a request's timestamp may be from Prossimo's clock, either way."""
    return dt.timedelta(seconds=getattr(settings, "PROSSIMO_TELEPHONY_MAX_SKEW_SECONDS", 300))


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The `X-Prossimo-Signature` header of a request: `sha256=<hex HMAC-SHA256>`."""
    message = f"{timestamp}.".encode() + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Unauthenticated(Exception):
    """The request is not an authentic one. `reason` is for logs and for choosing the message
    ("missing", "timestamp", "skew", "signature"): never the values received."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedRequest:
    line: TelephonyLine
    signature: str  # the hex digest, lower case
    signed_at: dt.datetime


def authenticate(
    *,
    line_reference: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: dt.datetime | None = None,
) -> SignedRequest:
    """Check a request's three headers against its body.

    The clock is checked before the line, so that an unknown line and a wrong signature get
    the same answer: nobody learns which lines exist. The signature is compared in constant
    time (`hmac.compare_digest`), also when the line is unknown.
    """
    if not line_reference or not timestamp or not signature:
        raise Unauthenticated("missing")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthenticated("timestamp")
    now = now or timezone.now()
    signed_at = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    if abs(now - signed_at) > max_skew():
        raise Unauthenticated("skew")
    line = line_for_reference(line_reference)
    given = signature.strip().lower()
    # An unknown line costs the same work as a known one.
    expected = sign(line.secret if line else "unknown-line", timestamp, body)
    matches = hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
    if line is None or not line.is_active or not matches or not _SIGNATURE.fullmatch(given):
        raise Unauthenticated("signature")
    return SignedRequest(line, given.removeprefix(SIGNATURE_PREFIX), signed_at)
