"""Signals of the questionnaires app, for the apps built on it (escalation rules, monitoring).

`response_recorded` is sent after the transaction that recorded a response commits, with
`response` (the new `Response`) and `previous` (the latest earlier response of the same
person to the same instrument code, any version, or None). Receivers run outside the
recording transaction: a failing receiver cannot undo the screening.
"""

from __future__ import annotations

from django.dispatch import Signal

response_recorded = Signal()
