"""Bench data of the resource directory: the synthetic directory (`directory.synthetic`) over
the municipalities of the provinces of Lecco and Monza e della Brianza.

The generator and the search data live in `prossimo/directory/` (the demo uses them too), which
the data's fingerprint does not read: `DIGEST_MODULES` are hashed into the info when the data
are built, and the benchmark rebuilds the directory part alone when they changed since
(`ensure_directory`)."""

from __future__ import annotations

import hashlib
import inspect
import time
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from prossimo.bench.data import BuildContext, data_part

PROVINCES = ("LC", "MB")
SEED = 20260611
DIGEST_MODULES = (
    "prossimo.directory.synthetic",
    "prossimo.directory.indexing",
    "prossimo.directory.opening",
)


@dataclass(frozen=True)
class DirectoryScale:
    services: int
    schedules_per_service: float


DIRECTORY_SCALES = {
    "tiny": DirectoryScale(services=300, schedules_per_service=5),
    "small": DirectoryScale(services=2_000, schedules_per_service=5),
    "full": DirectoryScale(services=20_000, schedules_per_service=5),
}


def digest() -> str:
    """What the directory data depend on beyond this module: the generator and the search
    data's code."""
    blob = "".join(inspect.getsource(import_module(name)) for name in DIGEST_MODULES)
    return hashlib.sha256(blob.encode()).hexdigest()


def build_directory(scale_name: str) -> dict[str, Any]:
    from prossimo.directory.synthetic import build_synthetic_directory
    from prossimo.listening.models import NeedCategory
    from prossimo.territory.models import Municipality

    config = DIRECTORY_SCALES[scale_name]
    started = time.perf_counter()
    places = list(
        Municipality.objects.filter(province__abbreviation__in=PROVINCES, is_active=True).order_by(
            "istat_code"
        )
    )
    counts = build_synthetic_directory(
        services=config.services,
        schedules_per_service=config.schedules_per_service,
        municipalities=places,
        categories=list(NeedCategory.objects.filter(is_active=True).order_by("code")),
        seed=SEED,
    )
    return {
        "directory_rows": counts,
        "directory_digest": digest(),
        "directory_build_seconds": round(time.perf_counter() - started, 1),
    }


def clear_directory() -> None:
    """Delete the directory's rows (children first), to build it again."""
    from django.db import connection

    from prossimo.directory import models as m

    with connection.cursor() as cursor:
        for model in (
            m.ServiceOpening, m.ServiceSearch, m.ServiceMunicipality, m.ServiceNeed, m.Language,
            m.Phone, m.Schedule, m.ServiceArea, m.Address, m.ServiceAtLocation, m.Location,
            m.Service, m.Organization,
        ):  # fmt: skip
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def ensure_directory(scale_name: str, info: dict[str, Any]) -> dict[str, Any]:
    """The directory data of the cached dataset, rebuilt alone when its code changed."""
    from django.db import connection, transaction

    from prossimo.bench.data import update_info

    if info.get("directory_digest") == digest():
        return info
    with transaction.atomic():
        clear_directory()
        built = build_directory(scale_name)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return update_info(**built)


@data_part("directory")
def build(ctx: BuildContext) -> dict[str, Any]:
    from django.db import transaction

    with transaction.atomic():
        return build_directory(ctx.scale.name)
