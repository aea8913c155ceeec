"""Synthetic benchmark data: built fast with raw bulk inserts, with a fixed seed, and cached.

The data live in the bench database only (never the application's). Each *data part* (the
people registry here; later areas register theirs with `data_part`) fills its tables; the
database keeps a fingerprint of the scale, the seed and the parts' source code in the
`bench_fingerprint` table, and is rebuilt from scratch only when that fingerprint changes.
Migrations run on every start, so a new index is picked up without a rebuild.

Shape of the data (realistic, not real): Italian first names and surnames (Faker's it_IT lists,
drawn with a skew: many Rossi, few Abatantuono), well-formed codici fiscali (with omocodia
when two people collide), people spread over ISTAT's municipalities with heavy-tailed weights
(the province of Milan holds about 5% of them, as in reality), mostly elderly, 1–3 Italian
mobile numbers each, some shared by a couple living together. Organisations: an ATS per
region, a cooperative per province serving its ambiti, an association per ambito, with their
volunteers, operators and coordinators; a few people are shared across organisations.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import inspect
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection, models, transaction

from prossimo.core.maintenance import optimize_database
from prossimo.core.text import fold

# Bump to force a rebuild when the data's meaning changes but no part's source does.
GENERATOR_VERSION = 2
SEED = 20260517
FINGERPRINT_TABLE = "bench_fingerprint"

# The user whose calls the people benchmarks answer: a volunteer of the cooperative serving
# the province of Milan (through its ambiti) who is also an operator of an association
# serving an ambito of Monza e della Brianza (directly).
BENCH_VOLUNTEER = "bench.volontario"
BENCH_PROVINCE = "MI"
BENCH_PROVINCE_SHARE = 0.05
SECOND_PROVINCE = "MB"


@dataclass(frozen=True)
class Scale:
    name: str
    people: int
    phones: int
    # Open items in the bench organisation's "Oggi" worklist (follow-ups due, unresolved
    # alerts, needs at the desk); the issue names 10,000.
    worklist_items: int


SCALES = {
    "tiny": Scale("tiny", people=500, phones=1_000, worklist_items=300),
    "small": Scale("small", people=20_000, phones=40_000, worklist_items=2_000),
    "full": Scale("full", people=1_000_000, phones=2_000_000, worklist_items=10_000),
}


# --- data parts ----------------------------------------------------------------------------


@dataclass
class BuildContext:
    scale: Scale
    loader: BulkLoader
    log: Callable[[str], None]
    info: dict[str, Any] = field(default_factory=dict)

    def rng(self, part: str) -> random.Random:
        """A generator seeded for one part: adding a part never changes another's data."""
        return random.Random(f"{SEED}:{part}")


@dataclass(frozen=True)
class DataPart:
    name: str
    build: Callable[[BuildContext], dict[str, Any]]


_PARTS: dict[str, DataPart] = {}


def data_part(name: str) -> Callable[[Callable[[BuildContext], dict[str, Any]]], Any]:
    """Register a function filling some tables; parts build in registration order.

    The function's whole module is part of the fingerprint: editing it rebuilds the data.
    """

    def register(build: Callable[[BuildContext], dict[str, Any]]) -> Any:
        _PARTS[name] = DataPart(name, build)
        return build

    return register


def fingerprint(scale: Scale) -> str:
    """What the cached data depend on: scale, seed, generator version and parts' code."""
    sources = {}
    for part in _PARTS.values():
        module = sys.modules[part.build.__module__]
        sources[part.name] = hashlib.sha256(inspect.getsource(module).encode()).hexdigest()
    blob = json.dumps(
        {
            "version": GENERATOR_VERSION,
            "seed": SEED,
            "scale": [scale.name, scale.people, scale.phones, scale.worklist_items],
            "parts": sources,
            "faker": package_version("Faker"),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


# --- the bench database --------------------------------------------------------------------


def ensure_dataset(scale: Scale, log: Callable[[str], None]) -> tuple[bool, dict[str, Any]]:
    """Make the bench database hold the data of `scale`: reuse it or rebuild it.

    Returns (rebuilt, info), `info` being what the parts reported (counts, timings).
    """
    wanted = fingerprint(scale)
    stored = _stored_fingerprint()
    if stored is not None and stored[0] == wanted:
        call_command("migrate", interactive=False, verbosity=0)
        return False, stored[1]
    log(f"building {scale.name} data ({scale.people:,} people, {scale.phones:,} phones)...")
    started = time.perf_counter()
    _reset_database()
    call_command("migrate", interactive=False, verbosity=0)
    from prossimo.territory.services import load_istat_municipalities

    load_istat_municipalities()
    ctx = BuildContext(scale=scale, loader=BulkLoader(), log=log)
    gc.disable()  # millions of short-lived tuples: collection would only slow the build
    try:
        for part in _PARTS.values():
            part_started = time.perf_counter()
            ctx.info.update(part.build(ctx))
            log(f"  {part.name}: {time.perf_counter() - part_started:.1f} s")
    finally:
        gc.enable()
        gc.collect()
    ctx.loader.finish()
    ctx.info["build_seconds"] = round(time.perf_counter() - started, 1)
    _store_fingerprint(wanted, ctx.info)
    log(f"built in {ctx.info['build_seconds']} s")
    return True, ctx.info


def _stored_fingerprint() -> tuple[str, dict[str, Any]] | None:
    if FINGERPRINT_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT fingerprint, info FROM {FINGERPRINT_TABLE}")
        row = cursor.fetchone()
    return (row[0], json.loads(row[1])) if row else None


def _store_fingerprint(value: str, info: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FINGERPRINT_TABLE}"
            " (fingerprint VARCHAR(64) NOT NULL, info TEXT NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {FINGERPRINT_TABLE} (fingerprint, info) VALUES (%s, %s)",
            [value, json.dumps(info)],
        )


def update_info(**values: Any) -> dict[str, Any]:
    """Merge `values` into the stored info of the cached data (a benchmark that moved dated
    rows to today records the new date); returns the whole info."""
    stored = _stored_fingerprint()
    if stored is None:
        raise RuntimeError("No bench data to update.")
    info = {**stored[1], **values}
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {FINGERPRINT_TABLE} SET info = %s", [json.dumps(info)])
    return info


def assert_bench_database() -> None:
    """Refuse to touch any database but a bench one: building starts by emptying it."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        path = Path(name)
        ok = path.name.startswith("bench") and path.suffix == ".sqlite3"
    else:
        ok = name.startswith("prossimo_bench")
    if not ok:
        raise RuntimeError(f"Not a bench database: {name!r}; refusing to build data in it.")


def _reset_database() -> None:
    assert_bench_database()
    if connection.vendor == "sqlite":
        connection.close()
        path = Path(connection.settings_dict["NAME"])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")


# --- bulk loading --------------------------------------------------------------------------


class BulkLoader:
    """Raw inserts through the driver: COPY on PostgreSQL, executemany on SQLite.

    Rows are tuples in the order of the attribute names given; columns the generator does
    not know (a field added later) get the field's default.
    """

    def __init__(self, *, tune: bool = True) -> None:
        """`tune=False` leaves the connection's settings alone (a test's database, inside its
        transaction)."""
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.raw = connection.connection
        self.tuned = tune
        if not tune:
            return
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                # A throw-away database: durability buys nothing while building it, and the
                # generator's keys are consistent by construction.
                connection.disable_constraint_checking()
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
                cursor.execute("PRAGMA temp_store=MEMORY")
            else:
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET maintenance_work_mem TO '1GB'")

    def uuid(self, value: uuid.UUID) -> str:
        return value.hex if self.vendor == "sqlite" else str(value)

    def datetime(self, value: dt.datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)

    def insert(
        self, model: type[models.Model], attnames: Sequence[str], rows: Iterable[tuple]
    ) -> int:
        table = model._meta.db_table
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [a for a in attnames if a not in by_attname]
        if unknown:
            raise ValueError(f"{table} has no column for {unknown}")
        extra = []
        for name, f in by_attname.items():
            if name in attnames or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            default = f.get_default()
            if default is None and not f.null:
                raise ValueError(f"The generator must fill {table}.{f.column} (no default).")
            extra.append((f.column, f.get_db_prep_save(default, connection)))
        columns = [str(by_attname[a].column) for a in attnames] + [str(c) for c, _ in extra]
        tail = tuple(v for _, v in extra)
        if tail:
            rows = (row + tail for row in rows)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        count = 0
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            rows = list(rows)
            self.raw.executemany(sql, rows)
            return len(rows)
        with self.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    @contextmanager
    def indexes_deferred(self, *tables: type[models.Model]) -> Iterator[None]:
        """Drop the tables' secondary indexes and constraints, load, then build them again.

        Building an index once over sorted data is several times faster than updating it
        row by row; foreign keys are checked once, at the end, on PostgreSQL.
        """
        names = [m._meta.db_table for m in tables]
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                    f" AND sql IS NOT NULL AND tbl_name IN ({', '.join('%s' for _ in names)})",
                    names,
                )
                indexes = cursor.fetchall()
                for name, _sql in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                constraints: list[tuple[str, str, str]] = []
            else:
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
                    " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])"
                    " AND contype IN ('f', 'u') ORDER BY contype",
                    [names],
                )
                constraints = [(t, n, d) for t, n, d, _ in cursor.fetchall()]
                for table, name, _definition in constraints:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s)"
                    " AND i.indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [names],
                )
                indexes = cursor.fetchall()
                for name, _sql in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
        yield
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
            # Unique constraints before the foreign keys that may rely on them.
            for table, name, definition in sorted(constraints, key=lambda c: "FOREIGN" in c[2]):
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def finish(self) -> None:
        """Statistics for the planner, as a live database has them: autovacuum's on
        PostgreSQL, Prossimo's nightly `optimize_database` on SQLite."""
        if not self.tuned:
            return
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                connection.enable_constraint_checking()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if self.vendor == "sqlite":
            # What `prossimo serve` at start and the worker every night do.
            optimize_database()
        with connection.cursor() as cursor:
            if self.vendor != "sqlite":
                cursor.execute("VACUUM ANALYZE")


# --- Italian-shaped values -----------------------------------------------------------------

MOBILE_PREFIXES = (
    "320", "324", "327", "328", "329", "330", "331", "333", "334", "335", "336", "337", "338",
    "339", "340", "342", "345", "346", "347", "348", "349", "351", "366", "368", "380", "388",
    "389", "391", "392", "393",
)  # fmt: skip
_NUMBER_SPACE = len(MOBILE_PREFIXES) * 10**7
# Coprime with the space (not divisible by 2, 3 or 5): k ↦ (k·A + C) mod space is a bijection,
# so consecutive k give distinct, scattered numbers without remembering the ones handed out.
_NUMBER_STEP = 2_654_435_761


def mobile_number(k: int) -> str:
    """The k-th synthetic Italian mobile number in E.164; distinct for distinct k."""
    index = (k * _NUMBER_STEP + SEED) % _NUMBER_SPACE
    prefix, subscriber = divmod(index, 10**7)
    return f"+39{MOBILE_PREFIXES[prefix]}{subscriber:07d}"


STREETS = (
    "Via Roma", "Via Giuseppe Garibaldi", "Via Giuseppe Mazzini", "Via Dante Alighieri",
    "Via Giuseppe Verdi", "Via Alessandro Manzoni", "Via Camillo Cavour", "Via Giacomo Matteotti",
    "Via Vittorio Emanuele II", "Via XX Settembre", "Via IV Novembre", "Via della Repubblica",
    "Via San Francesco", "Via Milano", "Via Torino", "Via Cesare Battisti", "Via Marconi",
    "Piazza della Chiesa", "Via dei Mille", "Via Nazario Sauro", "Via Kennedy", "Via Volta",
    "Via Don Minzoni", "Via Aldo Moro", "Via Trieste", "Via Trento", "Corso Italia",
)  # fmt: skip
BORN_ABROAD = (  # country, cadastral code for the codice fiscale, language
    ("Romania", "Z129", "ro"), ("Albania", "Z100", "sq"), ("Marocco", "Z330", "ar"),
    ("Ucraina", "Z138", "uk"), ("Perù", "Z611", "es"), ("Filippine", "Z216", "tl"),
    ("Senegal", "Z343", "wo"), ("Svizzera", "Z133", "de"), ("Argentina", "Z600", "es"),
)  # fmt: skip
CAREGIVER_NOTES = ("figlia", "figlio", "nipote", "vicina di casa", "badante", "nuora")

_MONTHS = "ABCDEHLMPRST"
_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
         11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
        strict=True,
    )
)  # fmt: skip
_EVEN = {c: (int(c) if c.isdigit() else ord(c) - 65) for c in _ODD}
_OMOCODE = "LMNPQRSTUV"
_OMOCODE_POSITIONS = (14, 13, 12, 10, 9, 7, 6)


def _letters(text: str) -> str:
    return "".join(c for c in fold(text).upper() if "A" <= c <= "Z")


def surname_code(surname: str) -> str:
    letters = _letters(surname)
    consonants = [c for c in letters if c not in "AEIOU"]
    vowels = [c for c in letters if c in "AEIOU"]
    return "".join([*consonants, *vowels, "X", "X", "X"][:3])


def name_code(name: str) -> str:
    letters = _letters(name)
    consonants = [c for c in letters if c not in "AEIOU"]
    if len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    vowels = [c for c in letters if c in "AEIOU"]
    return "".join([*consonants, *vowels, "X", "X", "X"][:3])


def check_character(first15: str) -> str:
    total = sum((_ODD if i % 2 == 0 else _EVEN)[c] for i, c in enumerate(first15))
    return chr(65 + total % 26)


def fiscal_code(
    surname_part: str, name_part: str, sex: str, birth: dt.date, place: str, omocodia: int = 0
) -> str:
    """A codice fiscale from precomputed name codes; `omocodia` > 0 for colliding people."""
    day = birth.day + (40 if sex == "F" else 0)
    body = (
        f"{surname_part}{name_part}{birth.year % 100:02d}{_MONTHS[birth.month - 1]}{day:02d}{place}"
    )
    if omocodia:
        chars = list(body)
        for position in _OMOCODE_POSITIONS[:omocodia]:
            chars[position] = _OMOCODE[int(chars[position])]
        body = "".join(chars)
    return body + check_character(body)


def _skewed(rng: random.Random, values: Sequence[str], exponent: float) -> tuple[list, list]:
    """The values in a seeded order with Zipf-like cumulative weights (rank^-exponent)."""
    ordered = list(values)
    rng.shuffle(ordered)
    cumulative, total = [], 0.0
    for rank in range(len(ordered)):
        total += 1 / (rank + 5) ** exponent
        cumulative.append(total)
    return ordered, cumulative


# --- the people registry -------------------------------------------------------------------

CHUNK = 50_000
# Phones per person: most have 1–3; exact totals are reached by adjusting a few people.
PHONE_COUNTS = (1, 2, 3, 4, 5)
PHONE_WEIGHTS = (35, 37, 22, 5, 1)
COUPLE_SHARE = 0.06  # people who start a couple sharing their first number with the next


@data_part("people")
def build_people(ctx: BuildContext) -> dict[str, Any]:
    from faker.providers.person.it_IT import Provider as ItalianNames

    from prossimo.people.models import Person, PersonShare, Phone
    from prossimo.territory.models import Municipality

    rng = ctx.rng("people")
    organisations = _build_organisations(ctx)
    ctx.log(f"  organisations: {organisations['organisations']}, users: {organisations['users']}")

    munis = list(
        Municipality.objects.filter(is_active=True)
        .order_by("istat_code")
        .values_list("pk", "cadastral_code", "province__abbreviation")
    )
    weights = [min(rng.paretovariate(1.2), 500.0) for _ in munis]
    in_bench = [m[2] == BENCH_PROVINCE for m in munis]
    bench_weight = sum(w for w, b in zip(weights, in_bench, strict=True) if b)
    boost = (
        BENCH_PROVINCE_SHARE
        * (sum(weights) - bench_weight)
        / ((1 - BENCH_PROVINCE_SHARE) * bench_weight)
    )
    weights = [w * boost if b else w for w, b in zip(weights, in_bench, strict=True)]
    muni_cum = []
    total = 0.0
    for w in weights:
        total += w
        muni_cum.append(total)

    surnames, surname_cum = _skewed(rng, ItalianNames.last_names, 0.9)
    female, female_cum = _skewed(rng, ItalianNames.first_names_female, 1.0)
    male, male_cum = _skewed(rng, ItalianNames.first_names_male, 1.0)
    name_info = {n: (fold(n), name_code(n)) for n in (*female, *male)}
    surname_info = {n: (fold(n), surname_code(n)) for n in surnames}

    # Mostly elderly (the people called and visited), some younger adults.
    today = dt.date(2026, 5, 17)
    stamps = [
        ctx.loader.datetime(
            dt.datetime(2023, 1, 1, 8, tzinfo=dt.UTC)
            + dt.timedelta(minutes=rng.randrange(1_700_000))
        )
        for _ in range(4096)
    ]
    issued: set[str] = set()
    loader = ctx.loader
    person_columns = [
        "id", "created_at", "updated_at", "first_name", "last_name", "first_name_search",
        "last_name_search", "sex", "birth_date", "birth_municipality_id", "birth_country",
        "fiscal_code", "address", "postal_code", "municipality_id", "lives_alone", "languages",
        "gp_name", "gp_phone", "notes", "legal_basis", "is_active", "deactivated_at",
        "deactivation_reason", "created_by_id", "merged_into_id", "registered_by_organisation_id",
    ]  # fmt: skip
    phone_columns = ["created_at", "updated_at", "number", "kind", "note", "person_id"]
    next_number = 0
    shared_numbers = 0
    omocodes = 0
    phones_done = 0
    share_candidates: list[tuple[str, str]] = []  # (person id, province)
    with transaction.atomic(), loader.indexes_deferred(Person, Phone, PersonShare):
        for start in range(0, ctx.scale.people, CHUNK):
            size = min(CHUNK, ctx.scale.people - start)
            phones_target = round(ctx.scale.phones * (start + size) / ctx.scale.people)
            counts = _phone_counts(rng, size, phones_target - phones_done)
            phones_done = phones_target
            homes = rng.choices(range(len(munis)), cum_weights=muni_cum, k=size)
            people_rows = []
            phone_rows = []
            couple_home: tuple[int, str, str] | None = None  # municipality, address, number
            for i in range(size):
                pid = uuid.UUID(int=rng.getrandbits(128), version=4)
                pk = loader.uuid(pid)
                stamp = stamps[rng.randrange(4096)]
                if couple_home is not None:
                    home, address, shared = couple_home
                    couple_home = None
                else:
                    home, shared = homes[i], None
                    address = f"{STREETS[rng.randrange(len(STREETS))]} {rng.randrange(1, 120)}"
                muni_pk, muni_code, province = munis[home]
                sex = "F" if rng.random() < 0.58 else "M"
                if sex == "F":
                    first = rng.choices(female, cum_weights=female_cum)[0]
                else:
                    first = rng.choices(male, cum_weights=male_cum)[0]
                last = rng.choices(surnames, cum_weights=surname_cum)[0]
                first_search, first_code = name_info[first]
                last_search, last_code = surname_info[last]
                age = rng.randint(62, 101) if rng.random() < 0.85 else rng.randint(25, 61)
                birth = today - dt.timedelta(days=age * 365 + rng.randrange(365))
                languages = '["it"]'
                country = ""
                born_in: int | None = muni_pk
                place = muni_code
                roll = rng.random()
                if roll < 0.06:
                    country, place, language = BORN_ABROAD[rng.randrange(len(BORN_ABROAD))]
                    born_in = None
                    languages = f'["it", "{language}"]'
                elif roll < 0.3:
                    elsewhere = rng.choices(munis, cum_weights=muni_cum)[0]
                    born_in, place = elsewhere[0], elsewhere[1]
                code, level = _unique_fiscal_code(issued, last_code, first_code, sex, birth, place)
                omocodes += level > 0
                active = rng.random() < 0.96
                people_rows.append(
                    (
                        pk, stamp, stamp, first, last, first_search, last_search, sex,
                        birth.isoformat(), born_in, country, code, address, "", muni_pk,
                        rng.choice((True, False, None)), languages,
                        "" if rng.random() < 0.5 else f"Dott. {rng.choice(surnames)}", "", "",
                        "consent" if rng.random() < 0.8 else "public_task", active,
                        None if active else stamp, "" if active else "trasferita",
                        None, None, None,
                    )
                )  # fmt: skip
                for n in range(counts[i]):
                    if n == 0 and shared is not None:
                        number, kind, note = shared, "mobile", "numero di casa"
                    else:
                        number = mobile_number(next_number)
                        next_number += 1
                        kind, note = "mobile", ""
                        if n > 0 and rng.random() < 0.3:
                            kind, note = "caregiver", rng.choice(CAREGIVER_NOTES)
                    phone_rows.append((stamp, stamp, number, kind, note, pk))
                    if n == 0 and shared is None and i + 1 < size and rng.random() < COUPLE_SHARE:
                        couple_home = (home, address, number)
                        shared_numbers += 1
                if rng.random() < 0.004:
                    share_candidates.append((pk, province))
            loader.insert(Person, person_columns, people_rows)
            loader.insert(Phone, phone_columns, phone_rows)
            ctx.log(f"  people {start + size:,}/{ctx.scale.people:,}")
        shares = _share_people(ctx, rng, share_candidates, organisations["ids"], stamps[0])
        loader.insert(
            PersonShare,
            ["created_at", "updated_at", "person_id", "organisation_id", "shared_by_id", "reason"],
            shares,
        )
    return {
        "people": ctx.scale.people,
        "phones": ctx.scale.phones,
        "distinct_numbers": next_number,
        "shared_numbers": shared_numbers,
        "omocodes": omocodes,
        "shares": len(shares),
        "organisations": organisations["organisations"],
        "users": organisations["users"],
    }


def _unique_fiscal_code(
    issued: set[str], surname_part: str, name_part: str, sex: str, birth: dt.date, place: str
) -> tuple[str | None, int]:
    """A codice fiscale not yet `issued` and its omocodia level (None if none is left)."""
    for level in range(len(_OMOCODE_POSITIONS) + 1):
        code = fiscal_code(surname_part, name_part, sex, birth, place, level)
        if code not in issued:
            issued.add(code)
            return code, level
    return None, len(_OMOCODE_POSITIONS) + 1


def _phone_counts(rng: random.Random, size: int, total: int) -> list[int]:
    """Phones of `size` people, skewed as PHONE_WEIGHTS, summing to exactly `total`."""
    if not size <= total <= size * PHONE_COUNTS[-1]:
        raise ValueError(f"{size} people cannot hold {total} phones.")
    counts = rng.choices(PHONE_COUNTS, weights=PHONE_WEIGHTS, k=size)
    diff = total - sum(counts)
    top = PHONE_COUNTS[-1]
    while diff:
        i = rng.randrange(size)
        if diff > 0 and counts[i] < top:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > 1:
            counts[i] -= 1
            diff += 1
    return counts


def _share_people(
    ctx: BuildContext,
    rng: random.Random,
    candidates: list[tuple[str, str]],
    org_ids: dict[str, Any],
    stamp: Any,
) -> list[tuple]:
    """Some people shared with another organisation; the bench cooperative gets its part."""
    organisations = org_ids["all"]
    bench_org = org_ids["bench_cooperative"]
    rows: dict[tuple[str, int], tuple] = {}
    for pk, province in candidates:
        org = bench_org if province != BENCH_PROVINCE and rng.random() < 0.25 else None
        org = org or rng.choice(organisations)
        rows[(pk, org)] = (stamp, stamp, pk, org, None, "presa in carico condivisa")
    return list(rows.values())


def _build_organisations(ctx: BuildContext) -> dict[str, Any]:
    """Ambiti, organisations, users and memberships, through the ORM (a few thousand rows)."""
    from prossimo.core.models import User
    from prossimo.core.permissions import Role
    from prossimo.territory.models import (
        Ambito,
        Membership,
        Municipality,
        Organisation,
        Province,
        Region,
    )

    by_province: dict[int, list[int]] = {}
    by_region: dict[int, list[int]] = {}
    for pk, province_id, region_id in Municipality.objects.order_by("istat_code").values_list(
        "pk", "province_id", "province__region_id"
    ):
        by_province.setdefault(province_id, []).append(pk)
        by_region.setdefault(region_id, []).append(pk)
    provinces = {p.pk: p for p in Province.objects.all()}
    ambiti: list[tuple[Ambito, int, list[int]]] = []
    for province_id, munis in by_province.items():
        province = provinces[province_id]
        for k, start in enumerate(range(0, len(munis), 30), start=1):
            ambito = Ambito(
                name=f"Ambito {province.name} {k} (bench)", code=f"{province.abbreviation}{k}"
            )
            ambiti.append((ambito, province_id, munis[start : start + 30]))
    Ambito.objects.bulk_create([a for a, _, _ in ambiti])
    Ambito.municipalities.through.objects.bulk_create(
        Ambito.municipalities.through(ambito_id=a.pk, municipality_id=m)
        for a, _, munis in ambiti
        for m in munis
    )

    ats = {
        r.pk: Organisation(name=f"ATS {r.name} (bench)", kind=Organisation.Kind.ATS)
        for r in Region.objects.all()
    }
    coops = {
        p.pk: Organisation(
            name=f"Cooperativa sociale {p.name} (bench)", kind=Organisation.Kind.COOPERATIVE
        )
        for p in provinces.values()
    }
    associations = [
        Organisation(name=f"Associazione ascolto {a.name}", kind=Organisation.Kind.ASSOCIATION)
        for a, _, _ in ambiti
    ]
    Organisation.objects.bulk_create([*ats.values(), *coops.values(), *associations])
    Organisation.municipalities.through.objects.bulk_create(
        [
            *(
                Organisation.municipalities.through(organisation_id=ats[r].pk, municipality_id=m)
                for r, munis in by_region.items()
                for m in munis
            ),
            *(
                Organisation.municipalities.through(organisation_id=org.pk, municipality_id=m)
                for org, (_, _, munis) in zip(associations, ambiti, strict=True)
                for m in munis
            ),
        ]
    )
    Organisation.ambiti.through.objects.bulk_create(
        Organisation.ambiti.through(organisation_id=coops[province_id].pk, ambito_id=a.pk)
        for a, province_id, _ in ambiti
    )

    staff: list[tuple[str, Organisation, str]] = []
    for org in coops.values():
        n = org.pk
        staff += [(f"vol{n}.{i}", org, Role.VOLUNTEER) for i in range(3)]
        staff += [(f"op{n}", org, Role.PROXIMITY_OPERATOR), (f"coord{n}", org, Role.COORDINATOR)]
    for org in associations:
        staff += [(f"vol{org.pk}.{i}", org, Role.VOLUNTEER) for i in range(2)]
    for org in ats.values():
        staff.append((f"mon{org.pk}", org, Role.MONITORING_OFFICER))
    staff.append(("bench.admin", next(iter(ats.values())), Role.ADMINISTRATOR))
    bench_province = next(p for p in provinces.values() if p.abbreviation == BENCH_PROVINCE)
    second = next(p for p in provinces.values() if p.abbreviation == SECOND_PROVINCE)
    second_association = next(
        org for org, (_, pid, _) in zip(associations, ambiti, strict=True) if pid == second.pk
    )
    staff += [
        (BENCH_VOLUNTEER, coops[bench_province.pk], Role.VOLUNTEER),
        (BENCH_VOLUNTEER, second_association, Role.PROXIMITY_OPERATOR),
    ]
    users = {name: User(username=name, password="!bench") for name, _, _ in staff}  # noqa: S106
    User.objects.bulk_create(users.values())
    Membership.objects.bulk_create(
        Membership(user=users[name], organisation=org, role=role) for name, org, role in staff
    )
    return {
        "organisations": len(ats) + len(coops) + len(associations),
        "users": len(users),
        "ids": {
            "all": sorted(o.pk for o in (*ats.values(), *coops.values(), *associations)),
            "bench_cooperative": coops[bench_province.pk].pk,
        },
    }
