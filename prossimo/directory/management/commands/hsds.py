"""`prossimo hsds import PATH` / `prossimo hsds export DIR`: the directory as HSDS 3.0;
`prossimo hsds reindex`: rebuild what search reads, for every service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from prossimo.directory.hsds import KINDS
from prossimo.directory.indexing import refresh_services
from prossimo.directory.services import export_hsds, import_hsds


class Command(BaseCommand):
    help = (
        "HSDS 3.0 (Open Referral). `import PATH` reads a JSON file or a tabular data package "
        "(a directory of CSV files, or its datapackage.json) and writes all of it or, with any "
        "problem, nothing; `export DIR` writes DIR/services.json, DIR/organizations.json and "
        "the tabular package in DIR/csv/; `reindex` rebuilds the search data of every service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        reader = actions.add_parser("import", help="import HSDS 3.0 data")
        reader.add_argument("path", type=Path, help="a JSON file, a directory, a datapackage.json")
        reader.add_argument(
            "--kind",
            choices=KINDS,
            help="which records a JSON file holds (by default, from its name: services.json…)",
        )
        reader.add_argument("--as", dest="username", help="record the import as made by this user")
        writer = actions.add_parser("export", help="export the directory as HSDS 3.0")
        writer.add_argument("directory", type=Path, help="where to write (created if missing)")
        actions.add_parser(
            "reindex",
            help="rebuild the search data (municipalities served, search documents, opening "
            "hours) of every service",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["directory"])
        elif options["action"] == "reindex":
            with transaction.atomic():
                count = refresh_services(None)
            self.stdout.write(_("Search data rebuilt for %(count)s service(s).") % {"count": count})
        else:
            self._import(options["path"], options.get("kind"), options.get("username"))

    def _import(self, path: Path, kind: str | None, username: str | None) -> None:
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(name)s.") % {"name": username})
        try:
            report = import_hsds(path, actor=actor, kind=kind)
        except PermissionDenied:
            raise CommandError(
                _("%(name)s may not import into the directory.") % {"name": username}
            ) from None
        for warning in report.warnings:
            self.stderr.write(_("warning: %(warning)s") % {"warning": warning})
        if not report.ok:
            lines = [
                _("%(source)s: %(count)s problem(s), nothing imported:")
                % {"source": report.source, "count": len(report.problems)},
                *(str(problem) for problem in report.problems),
            ]
            raise CommandError("\n".join(lines))
        self.stdout.write(
            _("%(source)s imported: %(created)s record(s) created, %(updated)s updated.")
            % {
                "source": report.source,
                "created": sum(report.created.values()),
                "updated": sum(report.updated.values()),
            }
        )
        for table in report.created:
            self.stdout.write(
                _("  %(table)s: %(created)s created, %(updated)s updated")
                % {
                    "table": table,
                    "created": report.created[table],
                    "updated": report.updated[table],
                }
            )

    def _export(self, directory: Path) -> None:
        report = export_hsds(directory)
        self.stdout.write(
            _("%(services)s service(s) and %(organizations)s organization(s) written to %(dir)s.")
            % {
                "services": report.services,
                "organizations": report.organizations,
                "dir": report.directory,
            }
        )
