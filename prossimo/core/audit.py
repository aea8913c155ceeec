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
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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


def audit_access(
    actor: Any,
    objects: Iterable[Any],
    *,
    via: str,
    model: type[models.Model] | None = None,
) -> int:
    """Record that `actor` was shown these records (a list, a search, an API read, an export).

    One entry per record, in the given order, all written by one INSERT whatever their number
    and kinds (a page showing needs, alerts and call-backs records them together). Records
    should have `get_additional_data()` (the person they are about). `model`: the records are
    rows of this model read as plain values (with its `pk` and `get_additional_data()`), not
    model objects.
    """
    objs = list(objects)
    if not objs:
        return 0
    _, addr = current_actor()
    shared = {
        "action": LogEntry.Action.ACCESS,
        "changes": {},
        "actor_id": actor.pk if getattr(actor, "is_authenticated", False) else None,
        "actor_email": getattr(actor, "email", None) or None,
        "remote_addr": addr,
        "timestamp": timezone.now(),
    }
    content_types: dict[type[models.Model], int] = {}
    rows = []
    for obj in objs:
        kind = model or type(obj)
        ct = content_types.get(kind)
        if ct is None:
            ct = content_types[kind] = ContentType.objects.get_for_model(kind).pk
        data = dict(obj.get_additional_data()) if hasattr(obj, "get_additional_data") else {}
        data["via"] = via
        pk = str(obj.pk)
        rows.append((ct, pk, pk, data))
    _insert(shared, ("content_type_id", "object_pk", "object_repr", "additional_data"), rows)
    return len(rows)


def _insert(shared: dict[str, Any], varying: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """INSERT audit entries — `shared` values the same in every entry, `varying` (attribute
    names) given by each row — in as few statements as the database allows: one for a page.

    `bulk_create` would split them into batches of 999 parameters on SQLite (66 entries),
    Django's conservative guess at SQLite's limit; the limit of the SQLite actually linked is
    read instead (250,000 with Debian's, 32,766 by default since 3.32). One statement, so no
    transaction is needed around it. As `bulk_create`: no signals, no ids read back; values go
    through their field's `get_db_prep_save`, and the fields not given take their default.
    No `LogEntry` objects and no generic insert compiler: for 200 entries of a page they cost
    more than the database's work.
    """
    db = router.db_for_write(LogEntry)
    connection = connections[db]
    fields = [f for f in LogEntry._meta.concrete_fields if not f.primary_key]
    per_statement = _max_params(connection) // len(fields)
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 — names from the model
        quote(LogEntry._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Each field: a prepared value common to all rows, or the position of its row value.
    position = {name: i for i, name in enumerate(varying)}
    by_field: list[tuple[Any, int | None, Any]] = []
    for f in fields:
        if f.attname in position:
            by_field.append((None, position[f.attname], f))
        else:
            value = shared[f.attname] if f.attname in shared else f.get_default()
            by_field.append((f.get_db_prep_save(value, connection), None, f))

    def write(batch: list[tuple[Any, ...]]) -> None:
        params = [
            common if at is None else f.get_db_prep_save(row[at], connection)
            for row in batch
            for common, at, f in by_field
        ]
        with connection.cursor() as cursor:
            cursor.execute(head + ", ".join([row_marks] * len(batch)), params)

    if connection.vendor == "postgresql":
        _insert_unnest(connection, by_field, fields, varying, rows)
        return
    if len(rows) <= per_statement:
        write(rows)
        return
    with transaction.atomic(using=db, savepoint=False):
        for start in range(0, len(rows), per_statement):
            write(rows[start : start + per_statement])


def _insert_unnest(
    connection: Any,
    by_field: list[tuple[Any, int | None, Any]],
    fields: list[Any],
    varying: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """PostgreSQL: the rows as one array per varying column, `INSERT … SELECT … FROM
    unnest(…)`: a few parameters whatever the number of rows, where a VALUES list of 200
    entries has 3,000 to bind and parse (7 ms against 13 for a page)."""
    quote = connection.ops.quote_name
    names = [f"v{i}" for i in range(len(varying))]
    arrays: list[str] = []
    columns: list[Any] = [[] for _ in varying]
    select: list[str] = []
    params: list[Any] = []
    for common, at, f in by_field:
        if at is None:
            select.append("%s")
            params.append(common)
            continue
        db_type = f.db_type(connection)
        if isinstance(f, models.JSONField):
            arrays.append("%s::text[]")
            select.append(f"{names[at]}::jsonb")
            columns[at] = [json.dumps(row[at], cls=f.encoder) for row in rows]
        else:
            arrays.append(f"%s::{db_type}[]")
            select.append(names[at])
            columns[at] = [f.get_db_prep_save(row[at], connection) for row in rows]
    # The arrays' placeholders come after the shared values' in the statement.
    order = sorted(range(len(varying)), key=lambda i: [at for _c, at, _f in by_field].index(i))
    sql = "INSERT INTO {} ({}) SELECT {} FROM unnest({}) AS t({})".format(  # noqa: S608
        quote(LogEntry._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(select),
        ", ".join(arrays),
        ", ".join(names[i] for i in order),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + [columns[i] for i in order])


def _max_params(connection: Any) -> int:
    """How many parameters one statement may carry on this connection."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit: int = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return limit
    if connection.vendor == "postgresql":
        return 65_535  # the protocol's limit (a 16-bit count)
    return int(connection.features.max_query_params or 999)


def audit_detail_access(actor: Any, obj: models.Model, *, via: str = "page") -> None:
    """Record one read of a record's detail (a page or an API read)."""
    audit_access(actor, [obj], via=via)
