"""Caller identification: who is calling, from the number the listening line's phone shows.

The phone rings all day, and the call screen must name the caller before the volunteer says
"pronto": `identify_caller` is on the hot path. Its rule is the ORM's —
`Person.objects.visible_to(user)` holding the number, with municipality, province and phones —
but building and compiling that queryset costs about a millisecond of Python, many times the
database's own work (a few tens of microseconds on SQLite). So the statements are compiled
once per *visibility scope* and kept in a small cache; a call only binds the number, runs the
two statements through Django's cursor (so they are logged and counted like any query) and
leaves the model instances as the ORM would: the people with their municipality and province
cached (select_related), their phones in the prefetch cache of `person.phones`
(prefetch_related), each phone knowing its person. How the instances are made is the ORM's
less its generic work (`_loaded`, `_prefetched`); the tests compare the results with the ORM's
field by field (`people/tests/test_lookup.py`), and the benchmark `caller_lookup_by_phone`
times the whole against the same two statements through the driver.

The scope is what `PersonQuerySet.visible_to` depends on: whether the user may see people at
all, whether they see every territory (`people.all_territories`), and otherwise the ids of
their organisations in a casework role. Users with the same scope get the same SQL (the
municipalities served and the people shared stay subqueries, read at every execution, so a
territory or a share changed meanwhile is seen at once). If `visible_to` ever depends on
something else, `scope_of` must follow: the tests compare both on every role.
"""

from __future__ import annotations

import re
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators
from django.db.models.signals import post_init, pre_init

from prossimo.core.permissions import Perm, permissions_of
from prossimo.core.phones import normalise_phone
from prossimo.people.models import CASEWORK_ROLES, Person, Phone
from prossimo.territory.selectors import organisation_ids_with_roles

#: Active people first, then by surname and name (`pk` makes the order total).
ORDER = ("-is_active", "last_name_search", "first_name_search", "pk")
#: Scopes kept per database connection: a few organisations' worth of users each.
CACHE_SIZE = 128

# Stand-in for the number while compiling: a CharField keeps it as it is, so the compiled
# parameters show where the number goes.
_NUMBER = "\x00prossimo:caller-number\x00"
# A `%s` placeholder, not an escaped `%%s` (the pattern Django's SQLite backend uses).
_PLACEHOLDER = re.compile(r"(?<!%)%s")
_PHONES_CACHE = Phone._meta.get_field("person").remote_field.cache_name
_PHONE_PERSON = Phone._meta.get_field("person")


def scope_of(user: Any) -> tuple[Any, ...] | None:
    """What `Person.objects.visible_to(user)` depends on; None when it is empty.

    ("all",) for those who see every territory, else ("organisations", ids...). No query once
    the user's roles are known in the request.
    """
    codes = permissions_of(user)
    if Perm.PEOPLE_VIEW not in codes:
        return None
    if Perm.PEOPLE_ALL_TERRITORIES in codes:
        return ("all",)
    org_ids = organisation_ids_with_roles(user, CASEWORK_ROLES)
    if not org_ids:
        return None
    return ("organisations", *org_ids)


# --- compiled statements -------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """A compiled SELECT: the SQL as Django compiled it (`%s` placeholders), the same with
    named placeholders (`%(p0)s`…, what `identify_caller` sends), its parameters with the
    run-time values left out, where those go, and how its rows become model instances (as
    `django.db.models.query.ModelIterable` does).

    Named placeholders because Django's SQLite cursor turns positional ones into `?` with a
    regular expression over the whole statement at every execution (about 20 µs for the
    people's statement, as much as SQLite takes to run it); named ones cost a `%` format.
    """

    sql: str
    named_sql: str
    params: tuple[Any, ...]
    names: tuple[str, ...]  # of the parameters in `named_sql`
    slots: tuple[int, ...]  # positions of the run-time values in the parameters
    model: type[Model]
    init_list: tuple[str, ...]
    start: int
    end: int
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    populators: tuple[Any, ...]  # RelatedPopulator, for select_related
    pk_index: int  # the column holding the model's primary key, as the driver returns it
    plain: bool  # instances may be made without Model.__init__ (`_loaded`)

    def bind(self, values: Sequence[Any]) -> dict[str, Any]:
        """The parameters of `named_sql` with the run-time `values` in their slots."""
        params = dict(zip(self.names, self.params, strict=True))
        for slot, value in zip(self.slots, values, strict=True):
            params[self.names[slot]] = value
        return params

    def instances(
        self,
        rows: Sequence[Sequence[Any]],
        connection: BaseDatabaseWrapper,
        known: tuple[int, dict[Any, Any]] | None = None,
    ) -> list[Any]:
        """Model instances of `rows` (as the driver returned them), their select_related
        instances cached on them. `known`: (a column, its values already converted, by value
        as fetched) — the people's ids for their phones."""
        alias = connection.alias
        converters = self.converters
        if known is not None:
            converters = tuple(c for c in converters if c[0] != known[0])
        plain = self.plain and not (pre_init.receivers or post_init.receivers)
        objects = []
        for fetched in rows:
            row = list(fetched)
            if known is not None:
                row[known[0]] = known[1][row[known[0]]]
            for position, functions, expression in converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
            if plain:
                obj = _loaded(self.model, alias, self.init_list, row[self.start : self.end])
                _populate(self.populators, row, obj, alias)
            else:
                obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
                for populator in self.populators:
                    populator.populate(row, obj)
            objects.append(obj)
        return objects


def _loaded(model: type[Model], alias: str, attnames: Sequence[str], values: Sequence[Any]) -> Any:
    """What `model.from_db(alias, attnames, values)` returns when `attnames` are all the
    model's concrete fields in order and nobody listens to `pre_init`/`post_init`, without
    `Model.__init__`'s generic work: as unpickling does, the instance's `__dict__` is filled
    directly (for a new instance, `__init__`'s setattr per field amounts to the same)."""
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = alias
    obj.__dict__.update(zip(attnames, values, strict=True))
    obj._state = state
    return obj


def _populate(populators: Sequence[Any], row: Sequence[Any], parent: Any, alias: str) -> None:
    """`RelatedPopulator.populate` for each of `populators`, with `_loaded`."""
    for populator in populators:
        values = row[populator.cols_start : populator.cols_end]
        if values[populator.pk_idx] is None:
            obj = None
        else:
            obj = _loaded(populator.model_cls, alias, populator.init_list, values)
            _populate(populator.related_populators, row, obj, alias)
        populator.local_setter(parent, obj)
        if obj is not None:
            populator.remote_setter(obj, parent)


def _all_plain(model: type[Model], init_list: Sequence[str], populators: Sequence[Any]) -> bool:
    """Whether `_loaded` may stand for `from_db` for `model` and the select_related models:
    every concrete field selected, in order, and no column reordering."""
    if tuple(init_list) != tuple(f.attname for f in model._meta.concrete_fields):
        return False
    try:
        return all(
            populator.reorder_for_init is None
            and _all_plain(populator.model_cls, populator.init_list, populator.related_populators)
            for populator in populators
        )
    except AttributeError:  # a Django whose RelatedPopulator is not the one `_populate` knows
        return False


def compile_statement(
    queryset: QuerySet[Any], connection: BaseDatabaseWrapper, placeholders: Sequence[Any]
) -> Statement:
    """Compile `queryset` on `connection`; `placeholders` are the prepared values standing for
    the run-time ones (each must appear once among the parameters)."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    params = tuple(params)
    slots = []
    for placeholder in placeholders:
        positions = [i for i, value in enumerate(params) if value == placeholder]
        if len(positions) != 1:
            raise RuntimeError(f"Cannot find where the run-time value goes in: {sql}")
        slots.append(positions[0])
    select, klass_info = compiler.select, compiler.klass_info
    if klass_info is None or compiler.annotation_col_map:
        raise RuntimeError("Only plain model querysets are compiled here.")
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    converters = compiler.get_converters([column[0] for column in select])
    model = klass_info["model"]
    pk_index = next(
        i for i in range(start, end) if select[i][0].target.attname == model._meta.pk.attname
    )
    init_list = tuple(column[0].target.attname for column in select[start:end])
    populators = tuple(get_related_populators(klass_info, select, connection.alias))  # type: ignore[call-arg]
    numbers = iter(range(len(params)))
    named_sql = _PLACEHOLDER.sub(lambda _: f"%(p{next(numbers)})s", sql)
    if next(numbers, None) is not None:
        raise RuntimeError(f"Parameters and placeholders do not match in: {sql}")
    return Statement(
        sql=sql,
        named_sql=named_sql,
        params=params,
        names=tuple(f"p{i}" for i in range(len(params))),
        slots=tuple(slots),
        model=model,
        init_list=init_list,
        start=start,
        end=end,
        converters=tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in converters.items()
        ),
        populators=populators,
        pk_index=pk_index,
        plain=_all_plain(model, init_list, populators),
    )


class _Cache:
    """A small LRU of compiled statements for one database connection (one thread's)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Statement] = OrderedDict()

    def get(self, key: Any, build: Callable[[], Statement]) -> Statement:
        try:
            self.entries.move_to_end(key)
            return self.entries[key]
        except KeyError:
            statement = self.entries[key] = build()
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
            return statement


# Django's connection objects are per thread: a cache each, so that nothing compiled on one
# (converters are bound to its backend) serves another, and no lock is held while querying.
_caches: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(connection: BaseDatabaseWrapper) -> _Cache:
    if not isinstance(connection, BaseDatabaseWrapper):
        connection = connections[connection.alias]  # the thread's wrapper, not a proxy to it
    cache = _caches.get(connection)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(connection, _Cache(CACHE_SIZE))
    return cache


def people_statement(
    user: Any, scope: tuple[Any, ...], connection: BaseDatabaseWrapper
) -> Statement:
    """The people of `user`'s scope holding a number (the statement's only run-time value),
    with municipality and province, in the order shown."""

    def build() -> Statement:
        queryset = (
            Person.objects.using(connection.alias)
            .visible_to(user)
            # A join, not `pk__in=<subquery>`: without statistics SQLite would otherwise walk
            # every live person through the `merged_into` index instead of starting from the
            # number's index. A person holds a number once (unique_person_phone): no
            # duplicates to remove.
            .filter(phones__number=_NUMBER)
            .select_related("municipality__province")
            .order_by(*ORDER)
        )
        return compile_statement(queryset, connection, [_NUMBER])

    return _cache(connection).get(("people", scope), build)


def phones_statement(count: int, connection: BaseDatabaseWrapper) -> Statement:
    """The phones of `count` people (their ids the run-time values), by id."""

    def build() -> Statement:
        stand_ins = [uuid.UUID(int=i + 1) for i in range(count)]
        pk = Person._meta.get_field("id")
        prepared = [pk.get_db_prep_value(value, connection) for value in stand_ins]
        queryset = (
            Phone.objects.using(connection.alias).filter(person_id__in=stand_ins).order_by("pk")
        )
        return compile_statement(queryset, connection, prepared)

    return _cache(connection).get(("phones", count), build)


# --- the lookup ----------------------------------------------------------------------------


def identify_caller(user: Any, raw_number: str) -> list[Person]:
    """The people `user` may see who have the number `raw_number`, typed in any format.

    Rule: the number is normalised to E.164 (`prossimo.core.phones.normalise_phone`); an empty
    or invalid number identifies nobody. Among the people visible to the user
    (`Person.objects.visible_to`) every one holding that number is returned — a couple or a
    family may share one — active people first, then by surname and name. Each comes with
    their municipality and province and their phone numbers (`person.phones.all()`, by id),
    as the ORM's select_related and prefetch_related would leave them.

    Queries: one for the people and one for their phones (none for the phones when nobody is
    found), plus the user's roles once per user object (`permissions_of` caches them).
    """
    try:
        number = normalise_phone(raw_number)
    except ValidationError:
        return []
    scope = scope_of(user)
    if scope is None:
        return []
    connection = connections[router.db_for_read(Person)]
    people_sql = people_statement(user, scope, connection)
    with connection.cursor() as cursor:
        cursor.execute(people_sql.named_sql, people_sql.bind([number]))
        rows = list(cursor)
        if not rows:
            return []
        ids = [row[people_sql.pk_index] for row in rows]
        phones_sql = phones_statement(len(ids), connection)
        cursor.execute(phones_sql.named_sql, phones_sql.bind(ids))
        phone_rows = list(cursor)
    people = people_sql.instances(rows, connection)
    # The phones' person_id as the people's ids were fetched: converted once, with the people.
    by_id = {raw: person.pk for raw, person in zip(ids, people, strict=True)}
    column = phones_sql.init_list.index("person_id") + phones_sql.start
    _attach_phones(people, phones_sql.instances(phone_rows, connection, (column, by_id)))
    return people


def _attach_phones(people: list[Person], phones: list[Phone]) -> None:
    """Leave each person's phones where `prefetch_related("phones")` would: `person.phones.all()`
    answers from memory (by id, `Phone.Meta.ordering`), and each phone knows its person."""
    by_person: dict[Any, list[Phone]] = {}
    for phone in phones:
        by_person.setdefault(phone.person_id, []).append(phone)
    for person in people:
        found = by_person.get(person.pk, [])
        for phone in found:
            _PHONE_PERSON.set_cached_value(phone, person)
        person._prefetched_objects_cache = {_PHONES_CACHE: _prefetched(person, found)}  # type: ignore[attr-defined]


def _prefetched(person: Person, phones: list[Phone]) -> QuerySet[Phone]:
    """The queryset `prefetch_related("phones")` leaves in `person`'s prefetch cache, holding
    `phones`: `person.phones.get_queryset()` (the manager's queryset, narrowed to the person by
    a filter applied when first needed) with its result cache filled
    (`django.db.models.query.prefetch_one_level`).

    Built directly in that state when this Django's QuerySet has the attributes involved: the
    related manager's route costs as much as the rest of the lookup's Python together. The
    tests compare both (`test_the_prefetch_cache_holds_what_prefetch_related_leaves`)."""
    if not _DIRECT_PREFETCH:
        queryset = person.phones.get_queryset()
    else:
        queryset = QuerySet(model=Phone, hints={"instance": person})
        # RelatedManager._apply_rel_filters: filter(person=person), deferred; the person as the
        # phones' known related object.
        queryset._deferred_filter = (False, (), {_PHONE_PERSON.name: person})  # type: ignore[attr-defined]
        queryset._known_related_objects = {_PHONE_PERSON: {person.pk: person}}  # type: ignore[attr-defined]
    queryset._result_cache = phones
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def _direct_prefetch_possible() -> bool:
    """Whether QuerySet keeps the state `_prefetched` sets where it sets it (Django 5.2)."""
    probe: QuerySet[Phone] = QuerySet(model=Phone)
    return all(
        hasattr(probe, name)
        for name in (
            "_deferred_filter",
            "_known_related_objects",
            "_result_cache",
            "_prefetch_done",
        )
    ) and (Phone.objects.get_queryset().__class__ is QuerySet)


_DIRECT_PREFETCH = _direct_prefetch_possible()
