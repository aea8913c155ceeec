"""Signals of the programmes app, for rules that react to calls (escalation)."""

from django.dispatch import Signal

# Sent inside the transaction that records a call attempt (`prossimo.programmes.calls`), with
# `attempt` (a saved CallAttempt) and `actor`. Receivers write in the same transaction.
call_attempt_recorded = Signal()
