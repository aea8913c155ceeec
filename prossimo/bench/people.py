"""Benchmarks of the people registry: identifying a caller from the number on the display."""

from __future__ import annotations

from typing import Any

from prossimo.bench.data import BENCH_VOLUNTEER
from prossimo.bench.runner import BenchContext, Measurement, benchmark, timed_pairs

# Share of lookups for numbers of people living where the user's organisations work; the
# rest are numbers drawn from everyone, mostly people the user may not see (they call too).
IN_TERRITORY = 0.9


def typed_forms(e164: str) -> list[str]:
    """Ways a volunteer types (or a switchboard shows) an Italian mobile number."""
    national = e164.removeprefix("+39")
    a, b, c = national[:3], national[3:6], national[6:]
    return [
        e164,
        national,
        f"{a} {b} {c}",
        f"+39 {a} {national[3:]}",
        f"0039 {a} {national[3:]}",
        f"{a}-{b}-{c}",
        f"+39 ({a}) {national[3:]}",
        f" {a}.{b}.{c[:2]}.{c[2:]} ",
    ]


def _numbers(ctx: BenchContext, user: Any, count: int) -> tuple[list[str], int]:
    """`count` existing numbers (E.164), most of people the user may see; and how many may."""
    from prossimo.people.models import Person, Phone

    rng = ctx.rng("caller_lookup_by_phone")
    visible = Person.objects.visible_to(user)
    inside = list(
        Phone.objects.filter(person__in=visible).order_by("pk").values_list("number", flat=True)
    )
    last_id = Phone.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    n_outside = count - round(count * IN_TERRITORY)
    ids = rng.sample(range(1, last_id + 1), min(last_id, n_outside * 2))
    outside = list(Phone.objects.filter(pk__in=ids).values_list("number", flat=True))
    outside.sort()
    chosen = [rng.choice(inside) for _ in range(count - n_outside)]
    chosen += [rng.choice(outside) for _ in range(n_outside)]
    rng.shuffle(chosen)
    return chosen, visible.count()


def _raw_floor(ctx: BenchContext, user: Any) -> Any:
    """The same lookup through the driver: the floor of `identify_caller`.

    The same statements `identify_caller` sends for this user, taken from `people.lookup`
    (compiled once, here, before timing): the people of the user's visibility scope holding
    the number, with their municipality and province (visibility filter included: merged
    records left out, the municipalities served and the people shared read by subqueries),
    active first then by name; then, when someone holds it, the phones of those people by id.
    The visibility parameters (the user's organisations) are bound in advance, the SQL is in
    the driver's placeholder style; each call executes the two statements on a raw DB-API
    cursor (`connection.connection.cursor()`, the driver's cursor class Django configured)
    and fetches every row. It gets the number already in E.164, checks no permission, builds
    no model instance: what it leaves out is what `identify_caller` costs in Python.
    """
    from django.db import connection

    from prossimo.people import lookup

    scope = lookup.scope_of(user)
    if scope is None:
        raise RuntimeError("The bench user may see nobody: the floor would time nothing.")
    people = lookup.people_statement(user, scope, connection)
    phones_sql: dict[int, str] = {}

    def phones_for(count: int) -> str:
        """The phones statement for `count` people (compiled before timing for up to 8)."""
        if count not in phones_sql:
            phones = lookup.phones_statement(count, connection)
            if phones.slots != tuple(range(len(phones.params))):
                raise RuntimeError("The phones statement has parameters besides the ids.")
            phones_sql[count] = driver_sql(phones.sql)
        return phones_sql[count]

    def driver_sql(sql: str) -> str:
        if ctx.backend != "sqlite":
            return sql  # psycopg takes Django's %s placeholders
        from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

        return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")

    # Django's statements, positional placeholders, in the driver's style, params as a tuple.
    (slot,) = people.slots
    before, after = people.params[:slot], people.params[slot + 1 :]
    people_sql = driver_sql(people.sql)
    for count in range(1, 9):
        phones_for(count)
    pk = people.pk_index
    connection.ensure_connection()
    cursor = connection.connection.cursor()

    def lookup_number(number: str) -> tuple[list[Any], list[Any]]:
        cursor.execute(people_sql, (*before, number, *after))
        rows = cursor.fetchall()
        if not rows:
            return rows, []
        cursor.execute(phones_for(len(rows)), [row[pk] for row in rows])
        return rows, cursor.fetchall()

    return lookup_number


@benchmark(
    "caller_lookup_by_phone",
    goal="p99 < 2000 us and ratio <= 3",
    goal_met=lambda r: r["p99"] < 2000 and r["ratio"] is not None and r["ratio"] <= 3,
)
def caller_lookup_by_phone(ctx: BenchContext) -> Measurement:
    """`identify_caller` for a volunteer, numbers typed in varied formats (normalised by the
    phonenumbers library, as users type them); floor: the same two statements through the
    driver, the number given in E.164 (`_raw_floor` says exactly what it does)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from prossimo.core.models import User
    from prossimo.people.lookup import identify_caller

    user = User.objects.get(username=BENCH_VOLUNTEER)
    numbers, visible_people = _numbers(ctx, user, ctx.warmup + ctx.n)
    forms = [typed_forms(number) for number in numbers]
    rng = ctx.rng("caller_lookup_by_phone:forms")
    inputs = [(rng.choice(f), number) for f, number in zip(forms, numbers, strict=True)]

    # The user's roles are read once per request by the permission check; load them here.
    identify_caller(user, inputs[0][0])
    if not any(identify_caller(user, typed) for typed, _ in inputs[:50]):
        raise RuntimeError("identify_caller found nobody: the benchmark would time nothing.")
    known = next(typed for typed, _ in inputs if identify_caller(user, typed))
    with CaptureQueriesContext(connection) as captured:
        for person in identify_caller(user, known):
            list(person.phones.all())
            str(person.municipality.label)
    queries = len(captured.captured_queries)

    floor = _raw_floor(ctx, user)
    for typed, number in inputs[:200]:  # the floor does the same work: same people and phones
        people, phones = floor(number)
        found = identify_caller(user, typed)
        if len(people) != len(found) or len(phones) != sum(len(p.phones.all()) for p in found):
            raise RuntimeError(f"The floor and identify_caller disagree on {number}.")
    measured, floors = timed_pairs(
        lambda typed: identify_caller(user, typed), floor, inputs, warmup=ctx.warmup
    )
    return Measurement(
        params={
            "people": ctx.dataset.get("people"),
            "phones": ctx.dataset.get("phones"),
            "visible_people": visible_people,
            "in_territory": IN_TERRITORY,
        },
        samples=measured,
        floor="raw SQL through the driver",
        floor_samples=floors,
        queries=queries,
    )
