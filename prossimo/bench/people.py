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


def _raw_floor(ctx: BenchContext) -> Any:
    """The same lookup without Django: one SELECT phone → person through the driver."""
    from django.db import connection

    from prossimo.people.models import Person, Phone

    connection.ensure_connection()
    cursor = connection.connection.cursor()
    mark = "?" if ctx.backend == "sqlite" else "%s"
    sql = (
        f"SELECT p.* FROM {Phone._meta.db_table} ph "
        f"JOIN {Person._meta.db_table} p ON p.id = ph.person_id WHERE ph.number = {mark}"
    )

    def lookup(number: str) -> list[tuple]:
        cursor.execute(sql, (number,))
        return cursor.fetchall()

    return lookup


@benchmark(
    "caller_lookup_by_phone",
    goal="p99 < 2000 us and ratio <= 3",
    goal_met=lambda r: r["p99"] < 2000 and r["ratio"] is not None and r["ratio"] <= 3,
)
def caller_lookup_by_phone(ctx: BenchContext) -> Measurement:
    """`identify_caller` for a volunteer, numbers typed in varied formats; floor: raw SQL."""
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

    measured, floors = timed_pairs(
        lambda typed: identify_caller(user, typed), _raw_floor(ctx), inputs, warmup=ctx.warmup
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
