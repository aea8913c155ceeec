"""Production settings refuse unsafe values and pass the deployment checks; security headers."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from prossimo.territory.tests.factories import UserFactory

# Variables settings.py reads, which the developer's own shell must not leak into these runs.
_SETTINGS_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CACHE_URL",
    "EMAIL_URL",
}


def _run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python <args>` in the project with a clean Prossimo environment plus `env`."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PROSSIMO_", "DJANGO_")) and key not in _SETTINGS_VARIABLES
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "prossimo.settings",
            "PROSSIMO_ENV_FILE": str(tmp_path / "no.env"),
            "PROSSIMO_VAR_DIR": str(tmp_path / "var"),
        }
    )
    base.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "PROSSIMO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "prossimo.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _check_deploy(tmp_path, **overrides: str) -> subprocess.CompletedProcess[str]:
    return _run(
        tmp_path,
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **_production(tmp_path, **overrides),
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    done = _check_deploy(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    done = _check_deploy(tmp_path, SECRET_KEY=None)

    assert done.returncode != 0
    assert "Production needs SECRET_KEY" in done.stderr


@pytest.mark.parametrize(
    "weak_key",
    ["too-short", "a" * 60, "django-insecure-" + "x1y2z3" * 10],
    ids=["short", "repetitive", "django-insecure"],
)
def test_production_refuses_a_weak_secret_key(tmp_path, weak_key):
    done = _check_deploy(tmp_path, SECRET_KEY=weak_key)

    assert done.returncode != 0
    assert "Production needs SECRET_KEY" in done.stderr


def test_production_refuses_debug(tmp_path):
    done = _check_deploy(tmp_path, DEBUG="true")

    assert done.returncode != 0
    assert "DEBUG must be off in production" in done.stderr


def test_production_needs_allowed_hosts(tmp_path):
    done = _check_deploy(tmp_path, ALLOWED_HOSTS=None)

    assert done.returncode != 0
    assert "Production needs ALLOWED_HOSTS" in done.stderr


def test_an_unknown_environment_name_is_refused(tmp_path):
    done = _check_deploy(tmp_path, PROSSIMO_ENV="staging")

    assert done.returncode != 0
    assert "PROSSIMO_ENV must be" in done.stderr


def test_postgresql_queue_connects_like_the_database(tmp_path):
    """huey's PostgresStorage gets psycopg connection keywords taken from DATABASE_URL."""
    script = (
        "import json, django; django.setup()\n"
        "from huey.contrib.djhuey import HUEY\n"
        "print(json.dumps({'storage': type(HUEY.storage).__name__,"
        " 'params': HUEY.storage.connection_params}))\n"
    )
    done = _run(
        tmp_path,
        "-c",
        script,
        PROSSIMO_ENV="development",
        DATABASE_URL="postgres://prossimo:s3cret@db.example.org:5433/prossimo?sslmode=require",
        HUEY_IMMEDIATE="false",
        HUEY_CREATE_TABLES="false",  # no server here: build the queue without connecting
    )

    assert done.returncode == 0, done.stderr
    queue = json.loads(done.stdout.strip().splitlines()[-1])
    assert queue["storage"] == "PostgresStorage"
    assert queue["params"] == {
        "dbname": "prossimo",
        "user": "prossimo",
        "password": "s3cret",
        "host": "db.example.org",
        "port": 5433,
        "sslmode": "require",
    }


def test_queue_is_configured_explicitly_for_the_database_in_use():
    """Without HUEY, djhuey would silently fall back to a Redis server."""
    expected = {"sqlite": "huey.SqliteHuey", "postgresql": "huey.PostgresHuey"}

    assert settings.HUEY["huey_class"] == expected[settings.DATABASE_VENDOR]


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_pages_carry_a_strict_content_security_policy(client, db, logged_in):
    if logged_in:
        client.force_login(UserFactory(username="csp"))

    response = client.get(reverse("home") if logged_in else reverse("account_login"))

    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    assert response.status_code == 200
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_logged_in_pages_are_not_stored_by_the_browser(client, db):
    client.force_login(UserFactory(username="nostore"))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_security_headers_are_set(client, db):
    response = client.get(reverse("account_login"))

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_development_mails_go_to_the_console(tmp_path):
    script = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    done = _run(tmp_path, "-c", script, PROSSIMO_ENV="development")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
