"""`prossimo telephony_line`: the secret is printed once, then only its first characters."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from prossimo.telephony.models import TelephonyLine

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("telephony_line", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_secret_once_and_the_list_shows_only_its_start(org_a):
    out, err = run(
        "create", "--name", "Ascolto", "--number", "0341 222333", "--organisation", org_a.name
    )
    secret = out.strip()
    line = TelephonyLine.objects.get()
    assert secret == line.secret
    assert secret not in err
    assert line.number == "+390341222333"
    assert line.organisation == org_a
    listing, _err = run("list")
    assert secret not in listing
    assert secret[:8] in listing
    assert "+390341222333" in listing


def test_create_finds_the_organisation_by_id(org_a):
    run("create", "--name", "A", "--number", "0341 222333", "--organisation", str(org_a.pk))
    assert TelephonyLine.objects.get().organisation == org_a


def test_create_refuses_an_unknown_organisation_or_an_invalid_number(org_a):
    with pytest.raises(CommandError):
        run("create", "--name", "A", "--number", "0341 222333", "--organisation", "Nessuna")
    with pytest.raises(CommandError):
        run("create", "--name", "A", "--number", "12", "--organisation", org_a.name)
    assert not TelephonyLine.objects.exists()


def test_rotate_prints_a_new_secret(line):
    old = line.secret
    out, _err = run("rotate", line.number)
    line.refresh_from_db()
    assert out.strip() == line.secret != old


def test_rotate_refuses_an_unknown_line(line):
    with pytest.raises(CommandError):
        run("rotate", "+39 02 9999 9999")
