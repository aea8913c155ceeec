"""Writes of the resource directory: HSDS import and export, the needs a service meets and
the municipalities it serves, informal resources.

The page, the API and the `hsds` command call these functions; each checks who may act, runs
in one transaction and leaves one audit entry.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.core.audit import audit_event
from prossimo.core.permissions import Perm, user_can
from prossimo.core.phones import normalise_phone
from prossimo.directory import hsds
from prossimo.directory.indexing import refresh_services
from prossimo.directory.models import (
    HsdsImport,
    InformalResource,
    Service,
    ServiceMunicipality,
    ServiceNeed,
)
from prossimo.listening.models import NeedCategory
from prossimo.territory.models import Municipality


@dataclass
class ImportReport:
    """What an import found and did. With any problem, nothing was written."""

    source: str
    problems: list[hsds.Problem] = field(default_factory=list)
    warnings: list[hsds.Problem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    record: HsdsImport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ExportReport:
    directory: Path
    services: int
    organizations: int
    rows: dict[str, int]


def import_hsds(path: Path | str, *, actor: Any = None, kind: str | None = None) -> ImportReport:
    """Import HSDS 3.0 data: a JSON file (service_full-style records, a list or page of them,
    organizations, services at locations, locations, taxonomies, terms, or the tabular form as
    JSON) or a tabular data package (a directory of CSV files, its datapackage.json, one CSV).

    Rules: all or nothing — every problem is reported (file, row or JSON path, field) and with
    any problem nothing is written; otherwise every record is created or updated by its HSDS id
    in one transaction, so importing the same data again changes nothing. A record changes only
    in the fields the input gives; nothing is deleted. Only administrators
    (`territory.manage`) may import; `actor=None` is the command line.
    """
    if actor is not None and not user_can(actor, Perm.TERRITORY_MANAGE):
        raise PermissionDenied
    path = Path(path)
    batch = hsds.read(path, kind=kind)
    report = ImportReport(source=path.name or str(path))
    with transaction.atomic(durable=True):
        existing = batch.resolve()
        report.problems, report.warnings = batch.problems, batch.warnings
        if batch.problems:
            return report
        report.created, report.updated = hsds.write(batch, existing)
        report.record = HsdsImport.objects.create(
            source=report.source[:255],
            imported_by=actor,
            created=report.created,
            updated=report.updated,
            warnings=[str(w) for w in batch.warnings],
        )
        audit_event(
            actor,
            "directory.hsds.imported",
            obj=report.record,
            extra={
                "created": sum(report.created.values()),
                "updated": sum(report.updated.values()),
            },
        )
    return report


def export_hsds(directory: Path | str) -> ExportReport:
    """Write the directory as HSDS 3.0: `services.json` (every service, fully nested as the
    standard's service_full), `organizations.json` (organization_full, with their services)
    and the tabular package in `csv/`. Informal resources are never exported."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    snapshot = hsds.Snapshot()
    services = snapshot.top("service")
    organizations = snapshot.top("organization")
    _replace(directory / "services.json", services)
    _replace(directory / "organizations.json", organizations)
    rows = hsds.write_tabular(snapshot, directory / "csv")
    return ExportReport(directory, len(services), len(organizations), rows)


def _replace(path: Path, data: Any) -> None:
    """Write a file whole or not at all: a reader never sees half an export."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        hsds.write_json(Path(temporary), data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@transaction.atomic(durable=True)
def set_service_needs(actor: Any, *, service: Service, categories: Iterable[NeedCategory]) -> None:
    """Say which needs of the listening line's taxonomy a service meets (replacing the previous
    list). Rule: directory editors only (`territory.manage`); active categories only."""
    if not user_can(actor, Perm.TERRITORY_MANAGE):
        raise PermissionDenied
    wanted = {c.pk: c for c in categories}
    if any(not c.is_active for c in wanted.values()):
        raise ValidationError({"categories": [_("Choose a valid value.")]})
    current = set(service.needs_met.values_list("category_id", flat=True))
    service.needs_met.exclude(category_id__in=list(wanted)).delete()
    ServiceNeed.objects.bulk_create(
        [ServiceNeed(service=service, category=c) for pk, c in wanted.items() if pk not in current]
    )
    refresh_services([service.pk])
    audit_event(
        actor,
        "directory.service.needs_set",
        obj=service,
        extra={"needs": sorted(c.code for c in wanted.values())},
    )


@transaction.atomic(durable=True)
def set_service_municipalities(
    actor: Any, *, service: Service, municipalities: Iterable[Municipality]
) -> None:
    """Say by hand which municipalities a service serves, besides those its service areas and
    the addresses of its locations give (replacing the previous hand-set list). Rules:
    directory editors only (`territory.manage`); active municipalities only. A municipality
    set by hand stays when HSDS data are imported again; the others are recomputed."""
    if not user_can(actor, Perm.TERRITORY_MANAGE):
        raise PermissionDenied
    wanted = {mu.pk: mu for mu in municipalities}
    if any(not mu.is_active for mu in wanted.values()):
        raise ValidationError({"municipalities": [_("Choose a valid value.")]})
    manual = ServiceMunicipality.Source.MANUAL
    service.municipalities_served.filter(
        Q(source=manual) | Q(municipality_id__in=list(wanted))
    ).delete()
    ServiceMunicipality.objects.bulk_create(
        [
            ServiceMunicipality(service=service, municipality_id=pk, source=manual)
            for pk in sorted(wanted)
        ]
    )
    refresh_services([service.pk])
    audit_event(
        actor,
        "directory.service.municipalities_set",
        obj=service,
        extra={"municipalities": sorted(mu.istat_code for mu in wanted.values())},
    )


def _serves(actor: Any, municipality: Municipality) -> bool:
    if user_can(actor, Perm.PEOPLE_ALL_TERRITORIES):
        return True
    from prossimo.people.models import CASEWORK_ROLES
    from prossimo.territory.selectors import (
        municipalities_served_by,
        organisation_ids_with_roles,
    )

    served = municipalities_served_by(organisation_ids_with_roles(actor, CASEWORK_ROLES))
    return served.filter(pk=municipality.pk).exists()


@transaction.atomic(durable=True)
def record_informal_resource(
    actor: Any,
    *,
    kind: str,
    name: str,
    municipality: Municipality,
    consent_to_be_listed: dt.date,
    description: str = "",
    phone: str = "",
    needs: Iterable[NeedCategory] = (),
) -> InformalResource:
    """List a person or group who helps informally. Rules: staff who orient people
    (`listening.log`) in a municipality one of their organisations serves; the consent to be
    listed is recorded with its date (not in the future) and who recorded it; the phone number
    is stored in E.164."""
    if not user_can(actor, Perm.LISTENING_LOG) or not _serves(actor, municipality):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if kind not in InformalResource.Kind.values:
        errors["kind"] = [_("Choose a valid value.")]
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    if consent_to_be_listed > timezone.localdate():
        errors["consent_to_be_listed"] = [_("The consent cannot be given in the future.")]
    if phone.strip():
        try:
            phone = normalise_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    needs = list(needs)
    if any(not c.is_active for c in needs):
        errors["needs"] = [_("Choose a valid value.")]
    if errors:
        raise ValidationError(errors)
    resource = InformalResource.objects.create(
        kind=kind,
        name=name.strip(),
        description=description.strip(),
        phone=phone.strip(),
        municipality=municipality,
        consent_to_be_listed=consent_to_be_listed,
        recorded_by=actor,
    )
    resource.needs.set(needs)
    audit_event(actor, "directory.informal_resource.recorded", obj=resource)
    return resource


@transaction.atomic(durable=True)
def withdraw_informal_resource(actor: Any, *, resource: InformalResource) -> None:
    """Remove a person or group who withdrew their consent to be listed: their details are
    deleted (the audit trail keeps that it happened, not who they were). Rule: any staff member
    who sees the resource, so that a request is honoured at once."""
    if not InformalResource.objects.visible_to(actor).filter(pk=resource.pk).exists():
        raise PermissionDenied
    audit_event(actor, "directory.informal_resource.withdrawn", obj=resource)
    resource.delete()
