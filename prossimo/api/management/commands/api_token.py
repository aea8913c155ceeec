"""`prossimo api_token create|list|revoke`: issue, list and revoke API tokens for integrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from prossimo.api import selectors, services
from prossimo.api.models import ApiToken


def _expiry(value: str) -> dt.datetime:
    """A date (the token works until the end of that day, local time) or a number of days."""
    try:
        if value.isdigit():
            return timezone.now() + dt.timedelta(days=int(value))
        day = dt.date.fromisoformat(value)
    except (ValueError, OverflowError):
        raise CommandError(_("Give the expiry as YYYY-MM-DD or as a number of days.")) from None
    end_of_day = dt.datetime.combine(day, dt.time.max)
    return timezone.make_aware(end_of_day)


def _status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return _("revoked")
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return _("expired")
    if not token.user.is_active:
        return _("user inactive")
    return _("active")


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens (`Authorization: Bearer <token>`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token acting as a user; print it once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--expires", help="Expiry: a date (YYYY-MM-DD) or a number of days from now."
        )
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", help="Only this user's tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token, by id or prefix.")
        revoke.add_argument("token", help="The token's id or the prefix shown by `list`.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(username=options["username"])
        except user_model.DoesNotExist:
            raise CommandError(_("No user is called “%s”.") % options["username"]) from None
        expires_at = _expiry(options["expires"]) if options["expires"] else None
        try:
            token, secret = services.issue_token(
                None, user=user, name=options["name"], expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        # The secret alone on stdout, so that scripts can capture it; the advice on stderr.
        self.stdout.write(secret)
        self.stderr.write(
            _(
                "Token %(id)s “%(name)s” for %(user)s. Copy it now: it is not stored and "
                "cannot be shown again."
            )
            % {"id": token.pk, "name": token.name, "user": user.get_username()}
        )

    def _list(self, options: dict[str, Any]) -> None:
        tokens = selectors.tokens_for_listing()
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        for token in tokens:
            self.stdout.write(
                "\t".join(
                    [
                        str(token.pk),
                        token.prefix,
                        token.user.get_username(),
                        token.name,
                        _status(token),
                        _("created %s") % timezone.localdate(token.created_at).isoformat(),
                        _("last used %s") % timezone.localdate(token.last_used_at).isoformat()
                        if token.last_used_at
                        else _("never used"),
                        _("expires %s") % timezone.localdate(token.expires_at).isoformat()
                        if token.expires_at
                        else _("no expiry"),
                    ]
                )
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        key = options["token"].strip()
        found = list(
            selectors.tokens_for_listing().filter(pk=int(key))
            if key.isdigit() and len(key) <= 18
            else selectors.tokens_for_listing().filter(prefix__startswith=key)[:2]
        )
        if not found:
            raise CommandError(_("No token matches “%s”.") % key)
        if len(found) > 1:
            raise CommandError(_("More than one token matches “%s”: use the id.") % key)
        try:
            token = services.revoke_token(None, token=found[0])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            _("Token %(id)s “%(name)s” revoked.") % {"id": token.pk, "name": token.name}
        )
