"""Audit trail: who did what to which record, when and from where.

django-auditlog records creates, updates and deletes of registered models through signals and
reads of detail pages through its `accessed` signal. This module adds what it lacks:
- the acting user and address are taken when an entry is *saved* (so API calls authenticated by
  token inside the view, huey tasks and commands are attributed too), from the request being
  served or from an `acting_as(...)` block;
- `audit_event` for domain events (merge, deactivation) and `audit_access` for lists, searches,
  API reads and exports, which write one entry per record shown in one query.

Every entry about a person carries `additional_data["person"]`, so a person's trail is one query.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

_request: ContextVar[HttpRequest | None] = ContextVar("prossimo_audit_request", default=None)
_actor: ContextVar[Any] = ContextVar("prossimo_audit_actor", default=None)
_remote_addr: ContextVar[str | None] = ContextVar("prossimo_audit_addr", default=None)


def remote_addr_of(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Makes the current request known to the audit entries written while serving it."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            response: HttpResponse = self.get_response(request)
            return response
        finally:
            _request.reset(token)


@contextlib.contextmanager
def acting_as(actor: Any, remote_addr: str | None = None) -> Iterator[None]:
    """Attribute the audit entries written in this block to `actor` (commands, tasks, tests)."""
    t1 = _actor.set(actor)
    t2 = _remote_addr.set(remote_addr)
    try:
        yield
    finally:
        _actor.reset(t1)
        _remote_addr.reset(t2)


def current_actor() -> tuple[Any, str | None]:
    actor = _actor.get()
    if actor is not None:
        return actor, _remote_addr.get()
    request = _request.get()
    if request is None:
        return None, None
    user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return user, remote_addr_of(request)


@receiver(pre_save, sender=LogEntry)
def _attribute_entry(sender: type[LogEntry], instance: LogEntry, **kwargs: Any) -> None:
    if instance.actor_id is not None:
        return
    actor, addr = current_actor()
    if actor is not None:
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None) or None
    if instance.remote_addr is None and addr:
        instance.remote_addr = addr


def audit_event(
    actor: Any,
    code: str,
    *,
    obj: models.Model,
    person_id: Any = None,
    changes: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> LogEntry:
    """Record a domain event (`people.person.merged`, …) about `obj`."""
    data: dict[str, Any] = {"event": code}
    if person_id is not None:
        data["person"] = str(person_id)
    if extra:
        data.update(extra)
    with acting_as(actor, current_actor()[1]):
        entry: LogEntry = LogEntry.objects.log_create(
            obj,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes=changes or {},
            additional_data=data,
        )
    return entry


def audit_access(actor: Any, objects: Iterable[models.Model], *, via: str) -> int:
    """Record that `actor` was shown these records (a list, a search, an API read, an export).

    One INSERT whatever the number of records. Records must have `get_additional_data()`.
    """
    objs = list(objects)
    if not objs:
        return 0
    ct = ContentType.objects.get_for_model(objs[0])
    _, addr = current_actor()
    entries = []
    for obj in objs:
        data = dict(obj.get_additional_data()) if hasattr(obj, "get_additional_data") else {}
        data["via"] = via
        entries.append(
            LogEntry(
                content_type=ct,
                object_pk=str(obj.pk),
                object_repr=str(obj.pk),
                action=LogEntry.Action.ACCESS,
                changes={},
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                actor_email=getattr(actor, "email", None) or None,
                remote_addr=addr,
                additional_data=data,
            )
        )
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def audit_detail_access(actor: Any, obj: models.Model, *, via: str = "page") -> None:
    """Record one read of a record's detail (a page or an API read)."""
    audit_access(actor, [obj], via=via)
