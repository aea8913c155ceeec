"""`prossimo telephony_line create|list|rotate`: the lines whose PBX reports calls, and their
secrets (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from prossimo.telephony import services
from prossimo.telephony.models import TelephonyLine
from prossimo.telephony.selectors import line_for_reference
from prossimo.territory.models import Organisation


def _organisation(key: str) -> Organisation:
    found = (
        Organisation.objects.filter(pk=int(key))
        if key.isdigit() and len(key) <= 18
        else Organisation.objects.filter(name=key)
    )
    organisation = found.first()
    if organisation is None:
        raise CommandError(_("No organisation is called “%s”.") % key)
    return organisation


class Command(BaseCommand):
    help = "Create telephone lines, list them, rotate their secrets (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a line; print its secret once.")
        create.add_argument("--name", required=True, help="What the line is, e.g. its service.")
        create.add_argument("--number", required=True, help="The number called, any format.")
        create.add_argument("--organisation", required=True, help="Its name or id.")
        sub.add_parser("list", help="List lines (never their secrets).")
        rotate = sub.add_parser("rotate", help="Give a line a new secret; print it once.")
        rotate.add_argument("line", help="The line's number or id.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        organisation = _organisation(options["organisation"].strip())
        try:
            line, secret = services.create_line(
                None, name=options["name"], number=options["number"], organisation=organisation
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self._print_secret(line, secret)

    def _list(self, options: dict[str, Any]) -> None:
        for line in TelephonyLine.objects.select_related("organisation").order_by("name"):
            self.stdout.write(
                "\t".join(
                    [
                        str(line.pk),
                        line.number,
                        line.name,
                        line.organisation.name,
                        _("active") if line.is_active else _("inactive"),
                        line.secret_hint,
                    ]
                )
            )

    def _rotate(self, options: dict[str, Any]) -> None:
        line = line_for_reference(options["line"])
        if line is None:
            raise CommandError(_("No line matches “%s”.") % options["line"])
        self._print_secret(line, services.rotate_secret(None, line=line))

    def _print_secret(self, line: TelephonyLine, secret: str) -> None:
        # The secret alone on stdout, so that scripts can capture it; the advice on stderr.
        self.stdout.write(secret)
        self.stderr.write(
            _(
                "Line %(id)s “%(name)s” (%(number)s). Configure the telephone system with this "
                "secret now: it cannot be shown again."
            )
            % {"id": line.pk, "name": line.name, "number": line.number}
        )
