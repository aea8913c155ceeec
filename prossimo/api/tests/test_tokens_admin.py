"""Issuing, listing and revoking tokens: the management command and the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from prossimo.api.models import ApiToken
from prossimo.api.selectors import token_for_secret
from prossimo.core.testing import italian
from prossimo.territory.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_token_once_and_stores_only_its_hash(volunteer):
    out, err = run("create", "volunteer", "--name", "CRM comunale")
    secret = out.strip()
    assert secret.startswith("prs_")
    assert (
        italian(
            "Token %(id)s “%(name)s” for %(user)s. Copy it now: it is not stored and "
            "cannot be shown again.",
            id=token_for_secret(secret).pk,
            name="CRM comunale",
            user="volunteer",
        )
        in err
    )
    token = token_for_secret(secret)
    assert token is not None
    assert (token.user, token.name) == (volunteer, "CRM comunale")
    listed, _err = run("list")
    assert secret not in listed
    assert token.prefix in listed
    assert "CRM comunale" in listed


def test_create_with_an_expiry(volunteer):
    run("create", "volunteer", "--name", "trial", "--expires", "30")
    token = ApiToken.objects.get()
    assert (token.expires_at - timezone.now()).days in {29, 30}
    run("create", "volunteer", "--name", "trial 2", "--expires", "2999-12-31")
    assert timezone.localdate(ApiToken.objects.get(name="trial 2").expires_at).year == 2999


@pytest.mark.parametrize(
    "args",
    [
        ("create", "nobody", "--name", "x"),
        ("create", "volunteer", "--name", "   "),
        ("create", "volunteer", "--name", "x", "--expires", "yesterday"),
        ("create", "volunteer", "--name", "x", "--expires", "2000-01-01"),
        ("revoke", "999"),
        ("revoke", "prs_nothing"),
    ],
)
def test_command_errors_are_explained(volunteer, args):
    with pytest.raises(CommandError):
        run(*args)


def test_revoke_by_prefix_or_id(volunteer):
    first, _err = run("create", "volunteer", "--name", "one")
    second, _err = run("create", "volunteer", "--name", "two")
    run("revoke", first.strip()[:12])
    assert token_for_secret(first.strip()) is None
    assert token_for_secret(second.strip()) is not None
    run("revoke", str(ApiToken.objects.get(name="two").pk))
    assert token_for_secret(second.strip()) is None
    listed, _err = run("list", "--user", "volunteer")
    assert listed.count(italian("revoked")) == 2
    with pytest.raises(CommandError):
        run("revoke", str(ApiToken.objects.get(name="two").pk))


def test_cli_entry_point_runs_the_command(volunteer, capsys):
    from prossimo.cli import main

    main(["prossimo", "api_token", "create", "volunteer", "--name", "cli"])
    assert capsys.readouterr().out.strip().startswith("prs_")


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_lists_tokens_without_their_hash(admin_client, volunteer, make_token):
    secret = make_token(volunteer, name="CRM")
    token = ApiToken.objects.get()
    listing = admin_client.get("/gestione/api/apitoken/").content.decode()
    page = admin_client.get(f"/gestione/api/apitoken/{token.pk}/change/").content.decode()
    for html in (listing, page):
        assert "CRM" in html
        assert token.prefix in html
        assert token.token_hash not in html
        assert secret not in html
    assert admin_client.get("/gestione/api/apitoken/add/").status_code == 403


def test_admin_action_revokes(admin_client, volunteer, make_token):
    secret = make_token(volunteer)
    token = ApiToken.objects.get()
    response = admin_client.post(
        "/gestione/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert token_for_secret(secret) is None
