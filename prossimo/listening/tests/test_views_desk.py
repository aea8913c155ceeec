"""The daily-work pages: "Oggi", the desk queue, needs, alerts and follow-ups.

Pages are read in English (`preferred_language`), so assertions do not depend on the state of
the Italian catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prossimo.core.models import User
from prossimo.core.permissions import Role
from prossimo.listening import urls_desk, views_desk
from prossimo.listening.models import Alert, FollowUp, Need, RedFlag
from prossimo.listening.selectors import TODAY_ROWS, overdue_alert_count
from prossimo.listening.services import (
    ContactInput,
    FollowUpInput,
    NeedInput,
    log_contact,
    plan_follow_up,
    resolve_alert,
    take_need,
)
from prossimo.territory.models import Membership
from prossimo.territory.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`, showing pages in English."""

    def login(user):
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
        client.force_login(user)
        return client

    return login


def call(user, person, category, *, hand=False, note="", red_flags=(), **data):
    """Log a contact with one need; returns the need."""
    contact = log_contact(
        user,
        data=ContactInput(person=person, red_flags=list(red_flags), **data),
        needs=[NeedInput(category, note=note, hand_over=hand)],
    )
    return contact.needs.get()


def raise_alert(user, person, category, flag=RedFlag.ALONE_AND_UNWELL):
    need = call(user, person, category, red_flags=[flag])
    return Alert.objects.get(contact=need.contact_id)


def html_of(response) -> str:
    return response.content.decode()


INLINE_TAG = re.compile(r"</?(?:a|span|strong|em|small|b|i)\b[^>]*>")


def text_of_html(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", INLINE_TAG.sub("", html))
    return " ".join(text.split())


def text_of(response) -> str:
    """The page's text as a screen reader reads it: inline tags dropped, the others as spaces,
    whitespace collapsed (so a button reads "Take: Shopping for Maria Rossi")."""
    return text_of_html(html_of(response))


@pytest.fixture
def desk_coordinator(desk, coordinator):
    """The coordinator of org_a, also coordinating the desk: sees alerts and desk needs."""
    Membership.objects.create(user=coordinator, organisation=desk, role=Role.COORDINATOR)
    coordinator._prossimo_roles = None
    return coordinator


# --- Oggi -------------------------------------------------------------------------------


def test_today_shows_plain_empty_states_and_no_alerts_or_desk_to_a_volunteer(client_of, volunteer):
    response = client_of(volunteer).get(reverse("listening:today"))
    text = text_of(response)
    assert response.status_code == 200
    assert "No call-backs to make today." in text
    assert "Alerts to act on" not in text
    assert "At the desk" not in text


def test_today_shows_empty_states_for_alerts_and_desk_to_a_coordinator(client_of, coordinator):
    text = text_of(client_of(coordinator).get(reverse("listening:today")))
    assert "No alerts to act on." in text
    assert "Nothing is waiting at the desk." in text


def test_a_call_back_appears_on_the_assignees_today_and_not_on_a_colleagues(
    client_of, volunteer, operator, person_a
):
    follow_up = plan_follow_up(
        volunteer,
        person=person_a,
        data=FollowUpInput(
            due_on=timezone.localdate(),
            window_start=dt.time(10),
            window_end=dt.time(11),
            assignee=operator,
            reason="Sentire come sta",
        ),
    )
    mine = text_of(client_of(operator).get(reverse("listening:today")))
    assert "Maria Rossi" in mine and "Sentire come sta" in mine and "10:00–11:00" in mine
    assert "Done: call-back to Maria Rossi" in mine
    theirs = html_of(client_of(volunteer).get(reverse("listening:today")))
    assert str(follow_up.pk) not in theirs


def test_a_call_back_for_whoever_is_on_duty_appears_on_everyones_today_in_the_organisation(
    client_of, volunteer, operator, outsider, person_a
):
    follow_up = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
    )
    assert str(follow_up.pk) in html_of(client_of(operator).get(reverse("listening:today")))
    assert str(follow_up.pk) not in html_of(client_of(outsider).get(reverse("listening:today")))


def test_call_backs_are_ordered_by_time_window_and_overdue_ones_are_marked_in_words(
    client_of, volunteer, person_a
):
    today = timezone.localdate()
    for start, reason in [(dt.time(15), "pomeriggio"), (dt.time(9), "mattina")]:
        plan_follow_up(
            volunteer,
            person=person_a,
            data=FollowUpInput(due_on=today, window_start=start, reason=reason),
        )
    with time_machine.travel(timezone.now() - dt.timedelta(days=2)):
        plan_follow_up(
            volunteer,
            person=person_a,
            data=FollowUpInput(due_on=timezone.localdate(), reason="ieri"),
        )
    text = text_of(client_of(volunteer).get(reverse("listening:today")))
    assert text.index("ieri") < text.index("mattina") < text.index("pomeriggio")
    assert "overdue due on" in text


def test_a_call_back_is_marked_done_from_today(client_of, volunteer, person_a):
    follow_up = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
    )
    response = client_of(volunteer).post(
        reverse("listening:follow_up_done", args=[follow_up.pk]),
        {"action": "done", "next": reverse("listening:today")},
    )
    follow_up.refresh_from_db()
    assert response.url == reverse("listening:today")
    assert follow_up.status == FollowUp.Status.DONE


def test_a_call_back_is_cancelled_from_today_and_leaves_the_list(client_of, volunteer, person_a):
    follow_up = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
    )
    client = client_of(volunteer)
    client.post(reverse("listening:follow_up_done", args=[follow_up.pk]), {"action": "cancel"})
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED
    assert str(follow_up.pk) not in html_of(client.get(reverse("listening:today")))


def test_today_shows_a_coordinator_the_alerts_and_the_desks_needs_with_one_click_actions(
    client_of, desk_coordinator, volunteer, person_a, shopping, loneliness
):
    need = call(volunteer, person_a, shopping, hand=True, note="Latte e pane")
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(desk_coordinator).get(reverse("listening:today"))
    html, text = html_of(response), text_of(response)
    assert "Alone and unwell" in text and "Latte e pane" in text
    assert reverse("listening:alert_acknowledge", args=[alert.pk]) in html
    assert reverse("listening:need_take", args=[need.pk]) in html
    assert "Take: Shopping for Maria Rossi" in text


def test_today_shows_the_most_urgent_rows_of_each_section_and_says_how_many_there_are(
    client_of, desk_coordinator, volunteer, person_a, shopping, loneliness
):
    add_work(volunteer, person_a, shopping, loneliness, TODAY_ROWS + 2)
    response = client_of(desk_coordinator).get(reverse("listening:today"))
    html, text = html_of(response), text_of(response)

    assert html.count("data-follow-up=") == html.count("data-alert=") == TODAY_ROWS
    assert html.count("data-need=") == TODAY_ROWS
    total, desk_total = TODAY_ROWS + 2, 2 * (TODAY_ROWS + 2)  # two needs handed over a round
    assert f"The {TODAY_ROWS} most urgent of {total} are shown. See all {total}: Call-backs" in text
    assert f"See all {total}: Alerts to act on" in text
    assert f"The {TODAY_ROWS} most urgent of {desk_total} are shown." in text
    assert f'href="{reverse("listening:follow_ups")}"' in html
    assert f'href="{reverse("listening:desk")}?show=todo"' in html


def test_today_counts_every_overdue_alert_and_shows_them_first(
    client_of, coordinator, volunteer, person_a, loneliness
):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
        late = [raise_alert(volunteer, person_a, loneliness) for _ in range(TODAY_ROWS + 1)]
    recent = raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    html = html_of(client_of(coordinator).get(reverse("listening:today")))

    assert f"{TODAY_ROWS + 1} alerts not acknowledged in time" in text_of_html(html)
    assert len(re.findall(r'data-alert="[^"]+" data-overdue>', html)) == TODAY_ROWS
    assert str(recent.pk) not in html and str(late[0].pk) in html


def test_today_takes_the_same_queries_with_many_rows_in_each_section(
    client_of, desk_coordinator, volunteer, person_a, shopping, loneliness
):
    client = client_of(desk_coordinator)
    url = reverse("listening:today")
    client.get(url)  # session and caches warm
    add_work(volunteer, person_a, shopping, loneliness, 1)
    few = queries_of(client, url)
    add_work(volunteer, person_a, shopping, loneliness, 2 * TODAY_ROWS)

    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(many) == few
    assert html_of(response).count("<tr data-") == 3 * TODAY_ROWS
    writes = [q["sql"] for q in many.captured_queries if "auditlog_logentry" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("INSERT")  # one INSERT for every row shown


# --- the desk ---------------------------------------------------------------------------


def test_the_desk_queue_shows_each_need_with_its_context(
    client_of, desk_operator, volunteer, person_a, shopping
):
    volunteer.first_name, volunteer.last_name = "Anna", "Volontaria"
    volunteer.save(update_fields=["first_name", "last_name"])
    need = call(volunteer, person_a, shopping, hand=True, note="Latte e pane")
    response = client_of(desk_operator).get(reverse("listening:desk"))
    text = text_of(response)
    assert response.status_code == 200
    assert "Maria Rossi" in text and "Lecco (LC)" in text
    assert "Shopping" in text and "Latte e pane" in text
    assert "by Anna Volontaria" in text
    assert (
        need.handed_over_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y %H:%M")
        in text
    )
    assert "Handed over" in text
    assert "<caption>" in html_of(response) and 'scope="row"' in html_of(response)


def test_an_anonymous_callers_need_shows_the_first_name_they_gave(
    client_of, desk_operator, volunteer, lecco, shopping
):
    call(
        volunteer,
        None,
        shopping,
        hand=True,
        caller_first_name="Giovanni",
        caller_municipality=lecco,
    )
    text = text_of(client_of(desk_operator).get(reverse("listening:desk")))
    assert "anonymous caller Giovanni" in text
    assert "Take: Shopping for anonymous caller Giovanni" in text


def test_the_desk_queue_filters_waiting_needs_and_mine(
    client_of, desk_operator, volunteer, person_a, shopping, loneliness
):
    waiting = call(volunteer, person_a, shopping, hand=True)
    taken = take_need(desk_operator, need=call(volunteer, person_a, loneliness, hand=True))
    client = client_of(desk_operator)
    everything = html_of(client.get(reverse("listening:desk")))
    only_waiting = html_of(client.get(reverse("listening:desk"), {"show": "waiting"}))
    only_mine = html_of(client.get(reverse("listening:desk"), {"show": "mine"}))
    assert str(waiting.pk) in everything and str(taken.pk) in everything
    assert str(waiting.pk) in only_waiting and str(taken.pk) not in only_waiting
    assert str(taken.pk) in only_mine and str(waiting.pk) not in only_mine


def test_the_desk_queue_shows_what_today_lists_waiting_needs_and_mine(
    client_of, desk_operator, volunteer, person_a, shopping, loneliness, desk
):
    waiting = call(volunteer, person_a, shopping, hand=True)
    mine = take_need(desk_operator, need=call(volunteer, person_a, loneliness, hand=True))
    colleague = UserFactory(username="collega")
    MembershipFactory(user=colleague, organisation=desk, role=Role.PROXIMITY_OPERATOR)
    theirs = take_need(colleague, need=call(volunteer, person_a, shopping, hand=True))
    html = html_of(client_of(desk_operator).get(reverse("listening:desk"), {"show": "todo"}))
    assert str(waiting.pk) in html and str(mine.pk) in html
    assert str(theirs.pk) not in html


def test_the_desk_queue_says_plainly_when_it_is_empty(client_of, desk_operator):
    text = text_of(client_of(desk_operator).get(reverse("listening:desk")))
    assert "The desk queue is empty: nothing has been handed over." in text


def test_the_desk_takes_closes_and_the_volunteer_who_handed_over_sees_the_outcome(
    client_of, client, desk_operator, volunteer, person_a, shopping
):
    desk_operator.first_name, desk_operator.last_name = "Dario", "Sportello"
    desk_operator.save(update_fields=["first_name", "last_name"])
    need = call(volunteer, person_a, shopping, hand=True)
    desk = client_of(desk_operator)
    taken = desk.post(reverse("listening:need_take", args=[need.pk]), {"expected_version": 1})
    assert taken.url == reverse("listening:need_detail", args=[need.pk])
    closed = desk.post(
        reverse("listening:need_close", args=[need.pk]),
        {"result": "met", "outcome": "Spesa consegnata martedì", "expected_version": 2},
    )
    need.refresh_from_db()
    assert closed.status_code == 302
    assert (need.status, need.owner) == (Need.Status.MET, desk_operator)

    text = text_of(client_of(volunteer).get(reverse("listening:handed_over")))
    assert "Spesa consegnata martedì" in text
    assert "Dario Sportello" in text and "Met" in text


def test_closing_after_a_colleague_changed_the_need_keeps_the_typed_outcome_and_says_why(
    client_of, desk_operator, volunteer, person_a, shopping, desk
):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organisation=desk, role=Role.PROXIMITY_OPERATOR)
    need = call(volunteer, person_a, shopping, hand=True)
    take_need(colleague, need=need, expected_version=1)
    response = client_of(desk_operator).post(
        reverse("listening:need_close", args=[need.pk]),
        {"result": "met", "outcome": "Chiamata la figlia", "expected_version": 1},
    )
    need.refresh_from_db()
    assert response.status_code == 200
    assert "Someone else changed this record after you opened it" in text_of(response)
    assert "Chiamata la figlia</textarea>" in html_of(response)
    assert 'name="expected_version" value="2"' in html_of(response)
    assert need.status == Need.Status.IN_PROGRESS


def test_closing_without_saying_what_was_done_shows_the_error(
    client_of, desk_operator, volunteer, person_a, shopping
):
    need = call(volunteer, person_a, shopping, hand=True)
    response = client_of(desk_operator).post(
        reverse("listening:need_close", args=[need.pk]),
        {"result": "unmet", "outcome": "  ", "expected_version": 1},
    )
    need.refresh_from_db()
    assert 'id="id_outcome_error"' in html_of(response)
    assert need.status == Need.Status.HANDED_OVER


def test_taking_a_need_a_colleague_just_took_says_so_and_changes_nothing(
    client_of, desk_operator, volunteer, person_a, shopping, desk
):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organisation=desk, role=Role.PROXIMITY_OPERATOR)
    need = call(volunteer, person_a, shopping, hand=True)
    take_need(colleague, need=need, expected_version=1)
    client = client_of(desk_operator)
    response = client.post(
        reverse("listening:need_take", args=[need.pk]), {"expected_version": 1}, follow=True
    )
    need.refresh_from_db()
    assert "Someone else changed this record" in text_of(response)
    assert need.owner == colleague


def test_a_volunteer_hands_an_open_need_over_from_its_page(
    client_of, volunteer, person_a, shopping, desk
):
    need = call(volunteer, person_a, shopping)
    client = client_of(volunteer)
    page = html_of(client.get(reverse("listening:need_detail", args=[need.pk])))
    assert reverse("listening:need_hand_over", args=[need.pk]) in page
    client.post(reverse("listening:need_hand_over", args=[need.pk]), {"expected_version": 1})
    need.refresh_from_db()
    assert (need.status, need.owner_organisation, need.handed_over_by) == (
        Need.Status.HANDED_OVER,
        desk,
        volunteer,
    )


def test_the_need_page_shows_the_context_and_offers_the_desk_its_actions(
    client_of, desk_operator, volunteer, person_a, shopping
):
    need = call(volunteer, person_a, shopping, hand=True, note="Latte e pane")
    response = client_of(desk_operator).get(reverse("listening:need_detail", args=[need.pk]))
    html, text = html_of(response), text_of(response)
    assert "Shopping for Maria Rossi" in text and "Latte e pane" in text
    assert reverse("listening:need_take", args=[need.pk]) in html
    assert reverse("listening:need_close", args=[need.pk]) in html
    assert reverse("listening:need_hand_over", args=[need.pk]) not in html
    assert reverse("people:detail", args=[person_a.pk]) in html


def test_the_volunteer_sees_a_handed_over_need_without_the_desks_actions(
    client_of, volunteer, person_a, shopping, desk
):
    need = call(volunteer, person_a, shopping, hand=True)
    html = html_of(client_of(volunteer).get(reverse("listening:need_detail", args=[need.pk])))
    assert reverse("listening:need_take", args=[need.pk]) not in html
    assert reverse("listening:need_close", args=[need.pk]) not in html


def test_needs_i_handed_over_says_plainly_when_there_are_none(client_of, volunteer):
    text = text_of(client_of(volunteer).get(reverse("listening:handed_over")))
    assert "You have not handed over any need yet." in text


# --- call-backs -------------------------------------------------------------------------


def test_the_call_backs_page_lists_every_call_back_due_a_page_at_a_time(
    client_of, volunteer, operator, person_a, monkeypatch
):
    monkeypatch.setattr(views_desk, "PAGE_SIZE", 3)
    today = timezone.localdate()
    due = [
        plan_follow_up(
            volunteer,
            person=person_a,
            data=FollowUpInput(due_on=today, window_start=dt.time(9 + i), reason=f"motivo {i}"),
        )
        for i in range(4)
    ]
    colleagues = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=today, assignee=operator)
    )
    later = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=today + dt.timedelta(days=1))
    )
    client = client_of(volunteer)
    first = client.get(reverse("listening:follow_ups"))
    second = client.get(reverse("listening:follow_ups"), {"page": 2})
    html = html_of(first) + html_of(second)

    assert [str(f.pk) in html_of(first) for f in due] == [True, True, True, False]
    assert str(due[3].pk) in html_of(second)
    assert str(colleagues.pk) not in html and str(later.pk) not in html
    assert "Page 1 of 2" in text_of(first)
    assert f'name="next" value="{reverse("listening:follow_ups")}?page=2"' in html_of(second)


def test_the_call_backs_page_records_which_persons_call_backs_were_shown(
    client_of, volunteer, person_a
):
    from auditlog.models import LogEntry

    follow_up = plan_follow_up(
        volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
    )
    client_of(volunteer).get(reverse("listening:follow_ups"))
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_pk=str(follow_up.pk))
    assert entry.actor == volunteer
    assert entry.additional_data == {"person": str(person_a.pk), "via": "list"}


def test_the_call_backs_page_says_plainly_when_there_are_none(client_of, volunteer):
    text = text_of(client_of(volunteer).get(reverse("listening:follow_ups")))
    assert "No call-backs to make today." in text


# --- alerts -----------------------------------------------------------------------------


def test_the_alerts_page_lists_unresolved_and_recently_resolved_alerts(
    client_of, coordinator, volunteer, person_a, loneliness
):
    open_alert = raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    done = raise_alert(volunteer, person_a, loneliness, RedFlag.NO_FOOD_OR_MEDICINES)
    resolve_alert(coordinator, alert=done, resolution="Portata la spesa")
    response = client_of(coordinator).get(reverse("listening:alerts"))
    html, text = html_of(response), text_of(response)
    to_act, resolved = html.split('id="h-resolved"')
    assert str(open_alert.pk) in to_act and str(done.pk) not in to_act
    assert str(done.pk) in resolved and "Portata la spesa" in text
    assert "Acknowledge: Violence or abuse, Maria Rossi" in text


def test_the_alerts_page_shows_alerts_sent_to_the_social_worker_of_another_organisation(
    client_of, volunteer, person_a, loneliness, org_b
):
    social_worker_b = UserFactory(username="sw_b")
    MembershipFactory(user=social_worker_b, organisation=org_b, role=Role.SOCIAL_WORKER)
    person_a.social_worker = social_worker_b
    person_a.save(update_fields=["social_worker"])
    alert = raise_alert(volunteer, person_a, loneliness)
    html = html_of(client_of(social_worker_b).get(reverse("listening:alerts")))
    assert str(alert.pk) in html


def test_acknowledging_an_alert_records_who_and_when(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(coordinator).post(reverse("listening:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert response.url == reverse("listening:alerts")
    assert (alert.status, alert.acknowledged_by) == (Alert.Status.ACKNOWLEDGED, coordinator)


def test_acknowledging_from_today_goes_back_to_today(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(coordinator).post(
        reverse("listening:alert_acknowledge", args=[alert.pk]),
        {"next": reverse("listening:today")},
    )
    assert response.url == reverse("listening:today")


def test_acknowledging_never_sends_the_user_to_another_site(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(coordinator).post(
        reverse("listening:alert_acknowledge", args=[alert.pk]),
        {"next": "https://example.com/"},
    )
    assert response.url == reverse("listening:alerts")


def test_acknowledging_through_htmx_returns_the_updated_list_and_announces_it(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(coordinator).post(
        reverse("listening:alert_acknowledge", args=[alert.pk]), headers={"HX-Request": "true"}
    )
    html = html_of(response)
    assert html.lstrip().startswith('<div id="alert-board"')
    assert 'hx-swap-oob="innerHTML"' in html and "Alert acknowledged" in html
    assert "Acknowledged by" in html


def test_resolving_an_alert_requires_saying_what_was_done(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(coordinator).post(
        reverse("listening:alert_resolve", args=[alert.pk]), {"resolution": " "}
    )
    alert.refresh_from_db()
    assert 'id="id_resolution_error"' in html_of(response)
    assert alert.status == Alert.Status.OPEN


def test_resolving_an_alert_with_what_was_done_closes_it(
    client_of, social_worker, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    response = client_of(social_worker).post(
        reverse("listening:alert_resolve", args=[alert.pk]),
        {"resolution": "Chiamato il medico di base"},
    )
    alert.refresh_from_db()
    assert response.url == reverse("listening:alerts")
    assert (alert.status, alert.resolution, alert.resolved_by) == (
        Alert.Status.RESOLVED,
        "Chiamato il medico di base",
        social_worker,
    )


def test_the_alert_page_shows_its_context_and_the_resolve_form(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    response = client_of(coordinator).get(reverse("listening:alert_detail", args=[alert.pk]))
    text = text_of(response)
    assert "Violence or abuse: Maria Rossi" in text
    assert reverse("listening:alert_resolve", args=[alert.pk]) in html_of(response)


def test_the_refreshing_list_is_only_the_fragment_and_nothing_when_unchanged(
    client_of, coordinator, volunteer, person_a, loneliness
):
    raise_alert(volunteer, person_a, loneliness)
    client = client_of(coordinator)
    page = html_of(client.get(reverse("listening:alerts")))
    refresh_url = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', page)[1]
    unchanged = client.get(refresh_url.replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert unchanged.status_code == 204
    raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    changed = client.get(refresh_url.replace("&amp;", "&"), headers={"HX-Request": "true"})
    html = html_of(changed)
    assert changed.status_code == 200
    assert html.lstrip().startswith('<div id="alert-board"') and "Violence or abuse" in html
    assert 'id="alert-board-status" hx-swap-oob="innerHTML"' in html
    assert "2 alerts to act on" in text_of(changed)


# --- overdue alerts ---------------------------------------------------------------------


def test_an_alert_not_acknowledged_in_time_is_flagged_in_words_on_the_alerts_page_and_today(
    client_of, coordinator, volunteer, person_a, loneliness
):
    alert = raise_alert(volunteer, person_a, loneliness)
    client = client_of(coordinator)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        assert "data-overdue" not in html_of(client.get(reverse("listening:alerts")))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        pages = {name: client.get(reverse(f"listening:{name}")) for name in ("alerts", "today")}
    for response in pages.values():
        row = re.search(rf'<tr[^>]*data-alert="{alert.pk}"[^>]*>', html_of(response))[0]
        assert "data-overdue" in row
        assert "overdue not acknowledged within 15 minutes" in text_of(response)
    assert "1 alert to act on, 1 overdue." in text_of(pages["alerts"])
    assert "1 alert not acknowledged in time" in text_of(pages["today"])


def test_overdue_alerts_come_first_on_the_alerts_page(
    client_of, coordinator, volunteer, person_a, loneliness
):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=30)):
        late = raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    acknowledged = raise_alert(volunteer, person_a, loneliness, RedFlag.SUICIDAL_THOUGHTS)
    Alert.objects.filter(pk=acknowledged.pk).update(
        status=Alert.Status.ACKNOWLEDGED,
        acknowledged_by=coordinator,
        acknowledged_at=timezone.now(),
        created_at=F("created_at") - dt.timedelta(hours=1),
    )
    html = html_of(client_of(coordinator).get(reverse("listening:alerts")))
    assert html.index(f'data-alert="{late.pk}"') < html.index(f'data-alert="{acknowledged.pk}"')


def test_the_alerts_page_shows_a_page_of_alerts_and_counts_them_all(
    client_of, coordinator, volunteer, person_a, loneliness, monkeypatch
):
    monkeypatch.setattr(views_desk, "PAGE_SIZE", 2)
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1)):
        late = [raise_alert(volunteer, person_a, loneliness) for _ in range(3)]
    recent = raise_alert(volunteer, person_a, loneliness, RedFlag.VIOLENCE)
    client = client_of(coordinator)
    first = client.get(reverse("listening:alerts"))
    second = client.get(reverse("listening:alerts"), {"page": 2})

    assert [str(a.pk) in html_of(first) for a in [*late, recent]] == [True, True, False, False]
    assert str(late[2].pk) in html_of(second) and str(recent.pk) in html_of(second)
    for response in (first, second):
        assert "4 alerts to act on, 3 overdue." in text_of(response)
    refresh_url = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', html_of(second))[1]
    assert refresh_url.startswith(f"{reverse('listening:alerts')}?page=2&amp;seen=")
    assert 'name="page" value="2"' in html_of(second)  # acknowledging keeps the page


def test_the_overdue_notice_counts_overdue_alerts_and_links_the_alerts_page(
    client_of, coordinator, volunteer, person_a, loneliness
):
    raise_alert(volunteer, person_a, loneliness)
    client = client_of(coordinator)
    assert html_of(client.get(reverse("listening:overdue_notice"))).strip() == ""
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert overdue_alert_count(coordinator) == 1
        html = html_of(client.get(reverse("listening:overdue_notice")))
    assert f'href="{reverse("listening:alerts")}"' in html
    assert "1 alert not acknowledged in time" in html


def test_a_volunteer_has_no_overdue_alerts_to_count(volunteer, person_a, loneliness):
    raise_alert(volunteer, person_a, loneliness)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert overdue_alert_count(volunteer) == 0


# --- a fixed number of queries ----------------------------------------------------------


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def add_work(volunteer, person, shopping, loneliness, n):
    for _ in range(n):
        call(volunteer, person, shopping, hand=True)
        raise_alert(volunteer, person, loneliness)
        plan_follow_up(volunteer, person=person, data=FollowUpInput(due_on=timezone.localdate()))
        call(volunteer, None, shopping, hand=True, caller_first_name="Giovanni")


@pytest.mark.parametrize("name", ["today", "follow_ups", "desk", "alerts", "handed_over"])
def test_a_list_page_takes_as_many_queries_for_20_items_as_for_2(
    client_of,
    desk_coordinator,
    volunteer,
    person_a,
    shopping,
    loneliness,
    name,
    django_assert_max_num_queries,
):
    user = volunteer if name == "handed_over" else desk_coordinator
    client = client_of(user)
    url = reverse(f"listening:{name}")
    client.get(url)  # session and caches warm
    add_work(volunteer, person_a, shopping, loneliness, 2)
    few = queries_of(client, url)
    add_work(volunteer, person_a, shopping, loneliness, 18)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert html_of(response).count("<tr data-") >= (3 * TODAY_ROWS if name == "today" else 20)


# --- who may open what ------------------------------------------------------------------

LOG = frozenset(
    {
        "volunteer",
        "proximity_operator",
        "social_worker",
        "coordinator",
        "administrator",
        "outsider",
        "outsider_coordinator",
    }
)
DESK = frozenset({"proximity_operator", "coordinator", "administrator", "outsider_coordinator"})
ALERTS = frozenset({"social_worker", "coordinator", "administrator", "outsider_coordinator"})
ROLES = ["anonymous", *sorted(LOG), "monitoring_officer"]
# Territory B's users: the objects (all of territory A) do not exist for them.
OUTSIDERS = frozenset({"outsider", "outsider_coordinator"})


@dataclass(frozen=True)
class Page:
    name: str
    allowed: frozenset[str]
    method: str
    target: str | None = None  # "need", "alert", "follow_up"
    data: tuple = ()


PAGES = [
    Page("today", LOG, "GET"),
    Page("follow_ups", LOG, "GET"),
    Page("desk", DESK, "GET"),
    Page("handed_over", LOG, "GET"),
    Page("need_detail", LOG, "GET", "need"),
    Page("need_take", DESK, "POST", "need", (("expected_version", "1"),)),
    Page(
        "need_close",
        LOG,
        "POST",
        "need",
        (("result", "met"), ("outcome", "Fatto"), ("expected_version", "1")),
    ),
    Page("need_hand_over", LOG, "POST", "need", (("expected_version", "1"),)),
    Page("alerts", ALERTS, "GET"),
    Page("overdue_notice", ALERTS, "GET"),
    Page("alert_detail", ALERTS, "GET", "alert"),
    Page("alert_acknowledge", ALERTS, "POST", "alert"),
    Page("alert_resolve", ALERTS, "POST", "alert", (("resolution", "Fatto"),)),
    Page("follow_up_done", LOG, "POST", "follow_up", (("action", "done"),)),
]


def expected(role: str, page: Page, method: str) -> str | int:
    if role == "anonymous":
        return "login"
    if role not in page.allowed:
        return 403
    if method != page.method:
        return 405
    if page.target is not None and role in OUTSIDERS:
        return 404
    return "ok"


@pytest.fixture
def world(cast, org_b, person_a, loneliness):
    coordinator_b = UserFactory(username="outsider_coordinator")
    MembershipFactory(user=coordinator_b, organisation=org_b, role=Role.COORDINATOR)
    users = {**cast, "outsider_coordinator": coordinator_b}
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
        first_name="Utente", last_name=F("username")
    )
    volunteer = cast["volunteer"]
    need = call(volunteer, person_a, loneliness, red_flags=[RedFlag.VIOLENCE])
    return {
        "users": users,
        "need": need,
        "alert": Alert.objects.get(contact=need.contact_id),
        "follow_up": plan_follow_up(
            volunteer, person=person_a, data=FollowUpInput(due_on=timezone.localdate())
        ),
    }


@pytest.mark.parametrize(
    ("role", "page", "method"),
    [
        pytest.param(role, page, method, id=f"{page.name}-{method}-{role}")
        for page in PAGES
        for method in ("GET", "POST")
        for role in ROLES
    ],
)
def test_each_role_gets_the_expected_answer_from_each_daily_work_page(
    client, world, role, page, method
):
    if role != "anonymous":
        client.force_login(world["users"][role])
    args = [world[page.target].pk] if page.target else []
    url = reverse(f"listening:{page.name}", args=args)
    response = client.get(url) if method == "GET" else client.post(url, dict(page.data))
    want = expected(role, page, method)
    if want == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    elif want == "ok":
        assert response.status_code in (200, 302)
        assert not response.get("Location", "").startswith(reverse("account_login"))
    else:
        assert response.status_code == want
        assert "Rossi" not in html_of(response)


def test_the_matrix_covers_every_daily_work_url():
    assert {p.name for p in urls_desk.urlpatterns} == {page.name for page in PAGES}


@pytest.mark.parametrize("name", ["today", "follow_ups", "desk", "alerts", "handed_over"])
def test_every_table_has_a_caption_and_scoped_headers(
    client_of, desk_coordinator, volunteer, person_a, shopping, loneliness, name
):
    add_work(volunteer, person_a, shopping, loneliness, 1)
    resolve_alert(desk_coordinator, alert=Alert.objects.first(), resolution="Fatto")
    user = volunteer if name == "handed_over" else desk_coordinator
    html = html_of(client_of(user).get(reverse(f"listening:{name}")))
    tables = html.count("<table")
    assert tables >= 1
    assert html.count("<caption>") == tables
    assert re.findall(r"<th\b(?![^>]*\bscope=)[^>]*>", html) == []
