"""Logging in and out, passwords, closed sign-up, lockout after failures, two-factor pages."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from prossimo.core.models import User
from prossimo.territory.tests.factories import UserFactory

PASSWORD = "prossimo-test-pw"
NEW_PASSWORD = "Lecco-lago-2026!"
LOGIN_URL = reverse("account_login")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth keeps its rate limits in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mario(db) -> User:
    return UserFactory(username="mario", email="mario.rossi@example.org")


def _logged_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


def _log_in(client, login: str, password: str = PASSWORD):
    return client.post(LOGIN_URL, {"login": login, "password": password})


def _log_in_and_confirm_password(client, login: str) -> None:
    """Two-factor settings ask for the password again, even just after logging in."""
    _log_in(client, login)
    confirmed = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert confirmed.status_code == 302


def test_login_page_has_labelled_fields_in_the_site_layout(client, db):
    response = client.get(LOGIN_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "it-header-wrapper" in html  # our base.html, not allauth's bare layout
    assert '<label for="id_login"' in html
    assert '<label for="id_password"' in html
    assert 'class="btn btn-primary"' in html
    assert reverse("account_signup") not in html


def test_user_logs_in_with_username(client, mario):
    response = _log_in(client, "mario")

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert _logged_in_user_id(client) == str(mario.pk)


def test_user_logs_in_with_email_address(client, mario):
    response = _log_in(client, "Mario.Rossi@example.org")

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(mario.pk)


def test_wrong_password_shows_an_error_summary_and_does_not_log_in(client, mario):
    response = _log_in(client, "mario", "not-the-password")

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-error-summary" in html
    assert 'role="alert"' in html
    assert _logged_in_user_id(client) is None


def test_field_errors_are_linked_to_their_field(client, db):
    response = client.post(LOGIN_URL, {"login": "", "password": ""})

    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert re.search(r'id="id_login"[^>]*aria-describedby="[^"]*id_login_error', html) or re.search(
        r'aria-describedby="[^"]*id_login_error[^"]*"[^>]*id="id_login"', html
    )
    assert 'id="id_login_error"' in html
    assert 'href="#id_login"' in html  # the summary links to the field


def test_logout_asks_for_confirmation_and_logs_out_on_post(client, mario):
    client.force_login(mario)

    confirm = client.get(reverse("account_logout"))
    assert confirm.status_code == 200
    assert _logged_in_user_id(client) == str(mario.pk)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert _logged_in_user_id(client) is None
    assert client.get(reverse("home")).status_code == 302


def test_user_changes_password_and_stays_logged_in(client, mario):
    _log_in(client, "mario")

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    mario.refresh_from_db()
    assert mario.check_password(NEW_PASSWORD)
    assert _logged_in_user_id(client) == str(mario.pk)


def test_password_change_refuses_a_wrong_current_password(client, mario):
    _log_in(client, "mario")

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert 'id="id_oldpassword_error"' in response.content.decode()
    mario.refresh_from_db()
    assert mario.check_password(PASSWORD)


def test_password_reset_mails_a_link_that_sets_a_new_password(client, mario):
    response = client.post(reverse("account_reset_password"), {"email": mario.email})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [mario.email]
    assert message.subject.startswith("[Prossimo]")
    link = re.search(r"https?://testserver(/account/password/reset/key/\S+/)", message.body)
    assert link, message.body

    # allauth moves the key from the URL into the session before showing the form.
    form_url = client.get(link.group(1)).url
    form_page = client.get(form_url)
    assert form_page.status_code == 200
    assert '<label for="id_password1"' in form_page.content.decode()

    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    mario.refresh_from_db()
    assert mario.check_password(NEW_PASSWORD)
    assert _log_in(client, "mario", NEW_PASSWORD).status_code == 302


def test_password_reset_link_works_only_once(client, mario):
    client.post(reverse("account_reset_password"), {"email": mario.email})
    path = re.search(r"https?://testserver(/account/password/reset/key/\S+/)", mail.outbox[0].body)
    form_url = client.get(path.group(1)).url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(path.group(1), follow=True)

    assert again.context["token_fail"] is True


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, mario):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert mail.outbox == []


def test_signup_is_closed(client, db):
    page = client.get(reverse("account_signup"))
    client.post(
        reverse("account_signup"),
        {"username": "intruder", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert "account/signup_closed.html" in [t.name for t in page.templates]
    assert 'name="password1"' not in page.content.decode()
    assert not User.objects.filter(username="intruder").exists()


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, mario):
    answers = [_log_in(client, "mario", f"wrong-{n}").status_code for n in range(5)]

    response = _log_in(client, "mario")

    assert answers == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert "core/lockout.html" in [t.name for t in response.templates]
    assert _logged_in_user_id(client) is None


def test_failures_with_username_and_email_count_for_the_same_account(client, mario):
    for n in range(3):
        _log_in(client, "mario", f"wrong-{n}")
    for n in range(2):
        _log_in(client, "MARIO.ROSSI@example.org", f"wrong-e{n}")

    response = _log_in(client, "Mario")

    assert response.status_code == 429
    assert _logged_in_user_id(client) is None


def test_unlocking_the_account_lets_the_user_log_in_again(client, mario):
    for n in range(5):
        _log_in(client, "mario", f"wrong-{n}")
    assert _log_in(client, "mario").status_code == 429

    call_command("axes_reset_username", "mario")
    response = _log_in(client, "mario")

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(mario.pk)


def test_a_successful_login_forgets_earlier_failures(client, mario):
    for n in range(4):
        _log_in(client, "mario", f"wrong-{n}")
    assert _log_in(client, "mario").status_code == 302
    client.post(reverse("account_logout"))

    for n in range(4):
        assert _log_in(client, "mario", f"wrong-again-{n}").status_code == 200
    assert _log_in(client, "mario").status_code == 302


@pytest.mark.parametrize(
    "url_name",
    [
        "account_change_password",
        "account_email",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_generate_recovery_codes",
        "core:profile",
    ],
)
def test_account_pages_render_in_the_site_layout_without_inline_code(client, mario, url_name):
    _log_in_and_confirm_password(client, "mario")

    response = client.get(reverse(url_name))

    html = response.content.decode()
    assert response.status_code == 200
    assert "it-header-wrapper" in html
    assert html.count("<h1") == 1
    assert " style=" not in html
    assert "<style" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script or 'type="application/json"' in script, script


def test_totp_activation_and_login_with_a_recovery_code(client, mario):
    _log_in_and_confirm_password(client, "mario")
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))

    activated = client.post(reverse("mfa_activate_totp"), {"code": code})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=mario, type=Authenticator.Type.TOTP).exists()
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    client.post(reverse("account_logout"))

    stage = _log_in(client, "mario")
    assert stage.url == reverse("mfa_authenticate")
    challenge = client.get(stage.url)
    assert challenge.status_code == 200
    assert "it-header-wrapper" in challenge.content.decode()
    assert _logged_in_user_id(client) is None

    done = client.post(stage.url, {"code": codes[0]})

    assert done.status_code == 302
    assert _logged_in_user_id(client) == str(mario.pk)
