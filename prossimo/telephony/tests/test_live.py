"""The live region: who sees a call ringing, who is calling, and polls that cost little."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from prossimo.listening.models import Alert
from prossimo.telephony import services
from prossimo.telephony.models import IncomingCall
from prossimo.telephony.selectors import live_state

pytestmark = pytest.mark.django_db

LIVE = "/telefonia/in-arrivo/"
HTMX = {"HX-Request": "true"}


def _poll(client, user=None, **keys):
    """A poll of a page whose region polls every second (on duty), unless `mode` says."""
    if user is not None:
        client.force_login(user)
    return client.get(LIVE, {"mode": "duty", **keys}, headers=HTMX)


def _home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def _italian(msgid: str) -> str:
    with translation.override("it"):
        return gettext(msgid)


@pytest.fixture
def ringing(pbx, person_a) -> IncomingCall:
    """Maria Rossi (person_a, in Lecco) calls org_a's line."""
    pbx.event("ringing", "c1", caller="340 123 4567")
    return IncomingCall.objects.get(call_id="c1")


# --- the region on every page -----------------------------------------------------------


def test_the_pages_of_those_on_duty_load_the_live_region_and_poll_it_every_second(
    client, volunteer, on_duty
):
    html = _home(client, on_duty(volunteer))
    assert 'id="telephony-live"' in html
    assert 'role="region"' in html
    assert f'hx-get="{LIVE}"' in html
    assert 'hx-trigger="load, every 1s"' in html
    assert 'hx-include=".telephony-live-state"' in html


def test_the_pages_of_those_off_duty_show_the_duty_button_and_do_not_poll(client, volunteer):
    html = _home(client, volunteer)
    assert 'id="telephony-live"' in html
    assert 'name="action" value="start"' in html
    assert "hx-trigger" not in html.split('id="telephony-live"')[1].split(">")[0]
    assert f'hx-get="{LIVE}"' not in html


def test_off_duty_those_who_manage_alerts_see_them_and_poll_every_30_seconds(
    client, coordinator, org_a
):
    alert = Alert.objects.create(organisation=org_a, red_flag="violence")
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    html = _home(client, coordinator)
    assert 'hx-trigger="every 30s"' in html
    assert 'name="action" value="start"' in html
    assert reverse("listening:alerts") in html


@pytest.mark.parametrize("who", ["monitoring", None])
def test_the_live_region_is_not_on_the_pages_of_others(client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert 'id="telephony-live"' not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("on_duty_now", [True, False])
def test_rendering_a_page_costs_no_query_for_the_live_region(
    client, volunteer, ringing, on_duty, on_duty_now
):
    if on_duty_now:
        on_duty(volunteer)
    client.force_login(volunteer)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "telephony" not in sql
    assert "listening_alert" not in sql


def test_rendering_a_page_costs_one_query_for_those_who_manage_alerts(client, coordinator):
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([q for q in sql if "listening_alert" in q]) == 1
    assert not [q for q in sql if "telephony" in q]


def test_a_login_remembers_whether_the_user_is_on_duty(client, volunteer, on_duty):
    assert 'hx-trigger="load, every 1s"' not in _home(client, volunteer)
    client.logout()
    assert 'hx-trigger="load, every 1s"' in _home(client, on_duty(volunteer))


# --- who sees a call --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "operator", "social_worker", "coordinator"])
def test_a_ringing_call_shows_to_those_on_duty_in_the_lines_organisation(
    client, request, ringing, on_duty, role
):
    user = on_duty(request.getfixturevalue(role))
    response = _poll(client, user)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert reverse("telephony:answer", args=[ringing.pk]) in html


def test_a_ringing_call_does_not_show_to_those_off_duty(client, volunteer, ringing):
    response = _poll(client, volunteer)
    html = response.content.decode()
    assert 'role="alert"' not in html
    assert str(ringing.pk) not in html
    assert 'name="action" value="start"' in html


def test_a_ringing_call_does_not_show_to_those_on_duty_in_another_organisation(
    client, outsider, ringing, on_duty
):
    html = _poll(client, on_duty(outsider)).content.decode()
    assert 'role="alert"' not in html
    assert str(ringing.pk) not in html
    assert "Rossi" not in html


def test_the_monitoring_officer_gets_no_live_region(client, monitoring, ringing):
    client.force_login(monitoring)
    assert client.get(LIVE).status_code == 403
    polled = _poll(client, monitoring)
    assert polled.status_code == 286, "a page left open stops polling"
    assert polled.content == b""


def test_a_call_leaves_the_banner_once_taken(client, volunteer, operator, ringing, on_duty):
    on_duty(operator)
    services.take_call(volunteer, call=ringing)
    assert str(ringing.pk) not in _poll(client, operator).content.decode()


def test_a_call_leaves_the_banner_when_it_ends(client, volunteer, pbx, ringing, on_duty):
    on_duty(volunteer)
    pbx.event("ended", "c1")
    assert str(ringing.pk) not in _poll(client, volunteer).content.decode()


def test_a_call_answered_on_the_phone_stays_until_someone_opens_its_form(
    client, volunteer, pbx, ringing, on_duty
):
    on_duty(volunteer)
    pbx.event("answered", "c1")
    html = _poll(client, volunteer).content.decode()
    assert reverse("telephony:answer", args=[ringing.pk]) in html
    assert _italian("answered, call form not opened yet") in html


def test_a_call_ringing_for_too_long_leaves_the_banner(
    client, volunteer, ringing, on_duty, time_machine
):
    on_duty(volunteer)
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=121))
    assert str(ringing.pk) not in _poll(client, volunteer).content.decode()


# --- who is calling ---------------------------------------------------------------------


def test_the_banner_names_the_known_caller_and_shows_the_number(
    client, volunteer, ringing, on_duty
):
    html = _poll(client, on_duty(volunteer)).content.decode()
    assert "Maria Rossi" in html
    assert "340 123 4567" in html


def test_the_banner_says_unknown_number_for_a_number_nobody_visible_has(
    client, volunteer, pbx, on_duty
):
    pbx.event("ringing", "c2", caller="347 000 1111")
    html = _poll(client, on_duty(volunteer)).content.decode()
    assert "347 000 1111" in html
    assert _italian("unknown number") in html


def test_the_banner_says_unknown_number_for_a_withheld_number(client, volunteer, pbx, on_duty):
    pbx.event("ringing", "c3", caller="anonymous")
    html = _poll(client, on_duty(volunteer)).content.decode()
    assert 'role="alert"' in html
    assert _italian("unknown number") in html


def test_the_banner_names_only_people_the_user_may_see(client, outsider, org_b, person_a, on_duty):
    from prossimo.telephony.tests.conftest import Pbx

    line_b, _secret = services.create_line(
        None, name="Monza", number="039 111222", organisation=org_b
    )
    Pbx(client.__class__(), line_b).event("ringing", "c1", caller="340 123 4567")
    html = _poll(client, on_duty(outsider)).content.decode()
    assert 'role="alert"' in html
    assert "Rossi" not in html
    assert _italian("unknown number") in html


def test_the_callers_number_never_appears_in_a_url_of_the_banner(
    client, volunteer, ringing, on_duty
):
    html = _poll(client, on_duty(volunteer)).content.decode()
    for attribute in ("href", "action", "hx-get", "hx-post"):
        for value in html.split(f'{attribute}="')[1:]:
            url = value.split('"', 1)[0]
            assert "3401234567" not in url.replace(" ", "").replace("+39", "")


# --- polling: sent again only when something changed -------------------------------------


def test_an_unchanged_region_is_not_sent_again(client, volunteer, ringing, on_duty):
    on_duty(volunteer)
    state = live_state(volunteer)
    response = _poll(client, volunteer, calls=state.calls_key, overdue=state.overdue_key)
    assert response.status_code == 204
    assert response.content == b""


def test_a_new_call_is_sent_and_announced_at_the_next_poll(client, volunteer, pbx, on_duty):
    on_duty(volunteer)
    state = live_state(volunteer)
    assert (
        _poll(client, volunteer, calls=state.calls_key, overdue=state.overdue_key).status_code
        == 204
    )
    pbx.event("ringing", "c9", caller="340 123 4567")
    response = _poll(client, volunteer, calls=state.calls_key, overdue=state.overdue_key)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_fragment_carries_the_keys_the_page_sends_back(client, volunteer, ringing, on_duty):
    on_duty(volunteer)
    html = _poll(client, volunteer).content.decode()
    state = live_state(volunteer)
    assert f'name="calls" value="{state.calls_key}"' in html
    assert f'name="overdue" value="{state.overdue_key}"' in html
    assert 'name="mode" value="duty"' in html
    assert html.count('class="telephony-live-state"') == 3


def test_a_change_of_overdue_alerts_alone_does_not_announce_the_calls_again(
    client, coordinator, ringing, on_duty, org_a
):
    on_duty(coordinator)
    state = live_state(coordinator)
    alert = Alert.objects.create(organisation=org_a, red_flag="violence")
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    response = _poll(client, coordinator, calls=state.calls_key, overdue=state.overdue_key)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    html = response.content.decode()
    assert 'id="telephony-overdue" hx-swap-oob="true"' in html
    assert 'role="alert"' not in html
    assert reverse("listening:alerts") in html


def test_a_poll_after_the_duty_ended_elsewhere_replaces_the_region_with_one_that_does_not_poll(
    client, volunteer, on_duty
):
    on_duty(volunteer)
    client.force_login(volunteer)
    services.end_duty(volunteer)  # on another device, or expired
    response = _poll(client)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="telephony-live"')
    assert "hx-trigger" not in html.split(">")[0]
    assert 'name="action" value="start"' in html
    assert 'hx-trigger="load' not in _home(client, volunteer)


def test_a_poll_of_those_who_manage_alerts_finding_a_duty_started_elsewhere_polls_every_second(
    client, coordinator
):
    client.force_login(coordinator)
    services.start_duty(coordinator)  # on another device
    response = _poll(client, mode="alerts")
    assert response["HX-Reswap"] == "outerHTML"
    assert 'hx-trigger="every 1s"' in response.content.decode()


def test_a_poll_after_the_session_ended_empties_the_region_and_stops(client):
    response = _poll(client)
    assert response.status_code == 286
    assert response.content == b""


def test_the_live_view_without_htmx_asks_to_log_in(client):
    response = client.get(LIVE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


queries_log: list[list[str]] = []


def _queries(client, user, **keys) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = _poll(client, None, **keys)
    assert response.status_code in (200, 204)
    queries_log.append([q["sql"][:200] for q in queries.captured_queries])
    return len(queries)


def test_the_live_view_makes_a_fixed_small_number_of_queries(
    client, coordinator, pbx, person_a, on_duty
):
    on_duty(coordinator)
    client.force_login(coordinator)
    _poll(client)  # the first request of a session stores its language: not a poll's cost
    pbx.event("ringing", "c1", caller="340 123 4567")
    one_call = _queries(client, coordinator)
    for n, caller in enumerate(["347 000 1111", "anonymous", "340 123 4567", "02 1234 5678"]):
        pbx.event("ringing", f"more-{n}", caller=caller)
    five_calls = _queries(client, coordinator)
    state = live_state(coordinator)
    unchanged = _queries(client, coordinator, calls=state.calls_key, overdue=state.overdue_key)
    # Session, user, roles, duty, calls, overdue alerts; then people and phones when the
    # region changed.
    assert unchanged == 6, queries_log[-1]
    assert one_call == five_calls == 8, queries_log[:2]
