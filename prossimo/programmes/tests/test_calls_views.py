"""The call pages through the test client: access, rendering, round trips, the call form.

Pages are read in English (`preferred_language`), so assertions do not depend on the state of
the Italian catalogue.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prossimo.listening.models import Contact
from prossimo.listening.tests.test_views_calls import call_data
from prossimo.programmes.models import Absence, CallAttempt, CallPlan, PlannedCall, Rhythm

pytestmark = pytest.mark.django_db

OUT = CallAttempt.Outcome
TODAY_URL = "/programmi/chiamate/"


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`, showing pages in English."""

    def login(user):
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
        client.force_login(user)
        return client

    return login


def outcome_url(call):
    return reverse("programmes:call_outcome", args=[call.pk])


def plan_url(enrolment):
    return reverse("programmes:call_plan", args=[enrolment.pk])


def html(response) -> str:
    return response.content.decode()


# --- "Chiamate di oggi" ---------------------------------------------------------------------


def test_the_worklist_lives_at_programmi_chiamate():
    assert reverse("programmes:calls_today") == TODAY_URL


def test_the_volunteer_sees_todays_calls_with_their_context(client_of, todays_call, volunteer):
    response = client_of(volunteer).get(TODAY_URL)
    page = html(response)
    assert response.status_code == 200
    assert "Maria Rossi" in page
    assert "Vive sola, poche visite" in page
    assert "+39 340 123 4567" in page or "340" in page
    assert f'href="/ascolto/chiamata/nuova/?chiamata={todays_call.pk}"' in page
    assert reverse("people:detail", args=[todays_call.person_id]) in page
    for outcome in (OUT.NO_ANSWER, OUT.BUSY, OUT.WRONG_NUMBER, OUT.REFUSED):
        assert f'value="{outcome}"' in page
    assert f'value="{OUT.ANSWERED}"' not in page


def test_a_rows_open_needs_and_programme_are_named_in_the_pages_language(
    client_of, todays_call, volunteer
):
    from prossimo.listening.models import NeedCategory
    from prossimo.listening.services import ContactInput, NeedInput, log_contact

    category = NeedCategory.objects.get(code="loneliness")
    assert category.name_en and category.name_en != category.name
    log_contact(
        volunteer,
        data=ContactInput(person=todays_call.person),
        needs=[NeedInput(category, note="sola la sera")],
    )
    programme = todays_call.enrolment.programme
    programme.name_en = "Social telephone service (EN)"
    programme.save(update_fields=["name_en"])
    page = html(client_of(volunteer).get(TODAY_URL))
    assert f"<td>{category.name_en} (sola la sera)</td>" in page
    assert "Social telephone service (EN)" in page
    volunteer.preferred_language = "it"
    volunteer.save(update_fields=["preferred_language"])
    italian = Client()
    italian.force_login(volunteer)
    page = html(italian.get(TODAY_URL))
    assert f"<td>{category.name} (sola la sera)</td>" in page
    assert programme.name in page and "(EN)" not in page


def test_showing_the_worklist_is_recorded_in_the_audit_trail(client_of, todays_call, volunteer):
    client_of(volunteer).get(TODAY_URL)
    entry = LogEntry.objects.get(object_pk=str(todays_call.pk), action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.additional_data["via"]) == (volunteer, "worklist")
    assert entry.additional_data["person"] == str(todays_call.person_id)
    assert entry.content_type.model_class() is PlannedCall


@pytest.mark.parametrize("role", ["social_worker", "monitoring_officer"])
def test_who_makes_no_calls_gets_403(client_of, cast, role):
    assert client_of(cast[role]).get(TODAY_URL).status_code == 403


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get(TODAY_URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_outsider_sees_an_empty_worklist_and_cannot_reach_the_call(
    client_of, todays_call, outsider
):
    client = client_of(outsider)
    assert "Maria Rossi" not in html(client.get(TODAY_URL))
    response = client.post(outcome_url(todays_call), {"outcome": OUT.BUSY, "version": 1})
    assert response.status_code == 404


def test_the_worklist_page_makes_a_fixed_number_of_queries(
    client_of, add_calls, volunteer, django_assert_max_num_queries
):
    client = client_of(volunteer)
    add_calls(5)
    with django_assert_max_num_queries(14) as few:
        assert client.get(TODAY_URL).status_code == 200
    add_calls(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(TODAY_URL)
    assert response.context["count"] == 50
    assert response.content.count(b'<tr id="call-') == 50
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 55


# --- quick outcomes -------------------------------------------------------------------------


def test_a_quick_outcome_without_javascript_records_and_returns_to_the_list(
    client_of, todays_call, volunteer
):
    client = client_of(volunteer)
    response = client.post(
        outcome_url(todays_call),
        {"outcome": OUT.NO_ANSWER, "notes": "squilla a vuoto", "version": todays_call.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == TODAY_URL
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.notes, attempt.by) == (
        OUT.NO_ANSWER,
        "squilla a vuoto",
        volunteer,
    )
    assert "try Maria Rossi again from" in html(response)
    assert "1 / 3" in html(response)


def test_a_quick_outcome_through_htmx_answers_with_the_row_and_the_message(
    client_of, todays_call, volunteer
):
    response = client_of(volunteer).post(
        outcome_url(todays_call),
        {"outcome": OUT.BUSY, "version": todays_call.version},
        HTTP_HX_REQUEST="true",
    )
    page = html(response)
    assert response.status_code == 200
    assert page.count(f'id="call-{todays_call.pk}"') == 1
    assert 'hx-swap-oob="innerHTML"' in page
    assert "<html" not in page
    assert 'name="version" value="2"' in page
    assert "autofocus" in page


def test_a_refusal_closes_the_row(client_of, todays_call, volunteer):
    response = client_of(volunteer).post(
        outcome_url(todays_call),
        {"outcome": OUT.REFUSED, "version": todays_call.version},
        HTTP_HX_REQUEST="true",
    )
    assert "data-closed" in html(response)
    assert "the call to Maria Rossi is closed" in html(response)
    todays_call.refresh_from_db()
    assert todays_call.status == PlannedCall.Status.DONE


def test_an_outcome_from_a_stale_page_is_refused(client_of, todays_call, volunteer):
    client = client_of(volunteer)
    client.post(outcome_url(todays_call), {"outcome": OUT.BUSY, "version": 1})
    response = client.post(
        outcome_url(todays_call), {"outcome": OUT.BUSY, "version": 1}, follow=True
    )
    assert "changed meanwhile" in html(response)
    assert CallAttempt.objects.count() == 1


def test_another_volunteer_of_the_organisation_cannot_record_on_the_call(
    client_of, todays_call, operator
):
    response = client_of(operator).post(
        outcome_url(todays_call), {"outcome": OUT.BUSY, "version": 1}
    )
    assert response.status_code == 403


# --- the call form, started from the worklist -------------------------------------------------


def test_start_call_opens_a_draft_with_the_person_and_the_programme_context(
    client_of, todays_call, volunteer
):
    client = client_of(volunteer)
    response = client.get(reverse("listening:call_new"), {"chiamata": str(todays_call.pk)})
    draft = Contact.objects.get(status=Contact.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == reverse("listening:call_draft", args=[draft.pk])
    assert (draft.person, draft.caller_number) == (todays_call.person, "+393401234567")
    page = html(client.get(response["Location"]))
    assert "data-programme-context" in page
    assert "Vive sola, poche visite" in page
    assert f'name="chiamata" value="{todays_call.pk}"' in page
    assert re.search(rf'value="{todays_call.person_id}" checked', page)
    assert 'value="outbound_call" selected' in page
    # Starting again reopens the same draft.
    again = client.get(reverse("listening:call_new"), {"chiamata": str(todays_call.pk)})
    assert again["Location"] == response["Location"]
    assert Contact.objects.count() == 1


def test_logging_the_call_records_an_answered_attempt_linked_to_the_contact(
    client_of, todays_call, volunteer
):
    client = client_of(volunteer)
    location = client.get(reverse("listening:call_new"), {"chiamata": str(todays_call.pk)})[
        "Location"
    ]
    draft = Contact.objects.get()
    response = client.post(
        location,
        call_data(
            draft=str(draft.pk),
            version=str(draft.version),
            who=str(todays_call.person_id),
            channel="outbound_call",
            notes="Sta bene, ha visto la figlia",
            chiamata=str(todays_call.pk),
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == TODAY_URL
    contact = Contact.objects.get()
    assert (contact.status, contact.person_id) == (Contact.Status.LOGGED, todays_call.person_id)
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.contact, attempt.call) == (OUT.ANSWERED, contact, todays_call)
    todays_call.refresh_from_db()
    assert todays_call.status == PlannedCall.Status.DONE
    # The worklist no longer lists it.
    assert "Maria Rossi" not in html(client.get(TODAY_URL))


def test_the_call_form_refuses_a_planned_call_logged_for_someone_else(
    client_of, todays_call, volunteer
):
    client = client_of(volunteer)
    location = client.get(reverse("listening:call_new"), {"chiamata": str(todays_call.pk)})[
        "Location"
    ]
    draft = Contact.objects.get()
    response = client.post(
        location,
        call_data(draft=str(draft.pk), version=str(draft.version), chiamata=str(todays_call.pk)),
    )
    assert response.status_code == 200
    assert "This planned call is for Maria Rossi" in html(response)
    assert not CallAttempt.objects.exists()


def test_the_outsider_cannot_start_the_call(client_of, todays_call, outsider, operator):
    url = reverse("listening:call_new")
    assert client_of(outsider).get(url, {"chiamata": str(todays_call.pk)}).status_code == 404
    assert client_of(operator).get(url, {"chiamata": str(todays_call.pk)}).status_code == 403
    assert not Contact.objects.exists()


def test_the_call_form_panel_is_recorded_in_the_audit_trail(client_of, todays_call, volunteer):
    client = client_of(volunteer)
    client.get(reverse("listening:call_new"), {"chiamata": str(todays_call.pk)}, follow=True)
    assert LogEntry.objects.filter(
        object_pk=str(todays_call.pk), additional_data__via="call_form"
    ).exists()


# --- the call plan page -----------------------------------------------------------------------


def plan_post(volunteer, backup=None, **changes):
    data = {
        "rhythm": Rhythm.WEEKLY,
        "weekdays": ["2", "5"],
        "interval_days": "",
        "starts_on": timezone.localdate().isoformat(),
        "window_start": "09:30",
        "window_end": "11:00",
        "volunteer": str(volunteer.pk),
        "backup": str(backup.pk) if backup else "",
        "priority": "2",
        "version": "0",
    }
    data.update(changes)
    return data


def test_the_coordinator_sets_a_plan_from_the_page(
    client_of, active_enrolment, coordinator, volunteer, operator, social_worker
):
    client = client_of(coordinator)
    page = html(client.get(plan_url(active_enrolment)))
    assert f'<option value="{volunteer.pk}"' in page
    assert f'<option value="{social_worker.pk}"' not in page
    response = client.post(plan_url(active_enrolment), plan_post(volunteer, operator))
    assert response.status_code == 302
    plan = CallPlan.objects.get()
    assert (plan.weekdays, plan.window_start, plan.backup) == (
        (1 << 1) | (1 << 4),
        dt.time(9, 30),
        operator,
    )
    # The form shows the plan; changing it needs its version.
    page = html(client.get(plan_url(active_enrolment)))
    assert 'name="version" value="1"' in page
    stale = client.post(plan_url(active_enrolment), plan_post(volunteer, window_end="12:00"))
    assert stale.context["form"].non_field_errors().as_data()[0].code == "stale"
    assert 'name="version" value="1"' in html(stale)


def test_plan_errors_are_summarised_and_shown_on_their_fields(
    client_of, active_enrolment, coordinator, volunteer
):
    response = client_of(coordinator).post(
        plan_url(active_enrolment),
        plan_post(volunteer, backup=volunteer, weekdays=[], window_end="08:00"),
    )
    page = html(response)
    assert response.status_code == 200
    assert "data-error-summary" in page
    for anchor in ("#id_weekdays_0", "#id_window_end", "#id_backup"):
        assert f'href="{anchor}"' in page
    assert not CallPlan.objects.exists()


@pytest.mark.parametrize("role", ["volunteer", "social_worker", "monitoring_officer"])
def test_only_coordinators_open_the_plan_page(client_of, cast, active_enrolment, role):
    assert client_of(cast[role]).get(plan_url(active_enrolment)).status_code == 403


def test_the_plan_page_of_an_enrolment_out_of_scope_is_not_found(
    client_of, active_enrolment, org_b
):
    from prossimo.core.permissions import Role
    from prossimo.territory.tests.factories import MembershipFactory, UserFactory

    other = UserFactory(username="coord_b")
    MembershipFactory(user=other, organisation=org_b, role=Role.COORDINATOR)
    assert client_of(other).get(plan_url(active_enrolment)).status_code == 404


def test_the_plan_page_shows_the_call_history(client_of, todays_call, coordinator, volunteer):
    from prossimo.programmes.calls import record_attempt

    record_attempt(volunteer, call=todays_call, outcome=OUT.NO_ANSWER, notes="segreteria")
    page = html(client_of(coordinator).get(plan_url(todays_call.enrolment)))
    assert "segreteria" in page and "No answer" in page


# --- absences ---------------------------------------------------------------------------------


def test_the_coordinator_records_and_cancels_an_absence(
    client_of, todays_call, coordinator, volunteer, operator
):
    client = client_of(coordinator)
    url = reverse("programmes:call_absences")
    today = timezone.localdate().isoformat()
    response = client.post(
        url, {"user": str(volunteer.pk), "starts_on": today, "ends_on": today, "note": "malattia"}
    )
    assert response.status_code == 302
    todays_call.refresh_from_db()
    assert todays_call.assignee == operator
    page = html(client.get(url))
    assert "malattia" in page
    absence = Absence.objects.get()
    response = client.post(reverse("programmes:call_absence_cancel"), {"absence": absence.pk})
    assert response.status_code == 302
    assert not Absence.objects.exists()
    todays_call.refresh_from_db()
    assert todays_call.assignee == volunteer


def test_an_absence_with_errors_is_shown_again(client_of, coordinator, volunteer):
    response = client_of(coordinator).post(
        reverse("programmes:call_absences"),
        {"user": str(volunteer.pk), "starts_on": "2026-01-10", "ends_on": "2026-01-01"},
    )
    assert response.status_code == 200
    assert 'href="#id_ends_on"' in html(response)


def test_the_absences_page_lists_the_calls_nobody_can_make(
    client_of, active_enrolment, coordinator, volunteer
):
    from prossimo.programmes.calls import generate_due_calls, record_absence, set_call_plan

    set_call_plan(
        coordinator,
        enrolment=active_enrolment,
        rhythm=Rhythm.WEEKLY,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        interval_days=None,
        starts_on=timezone.localdate(),
        window_start=dt.time(9),
        window_end=dt.time(10),
        volunteer=volunteer,
    )
    record_absence(
        coordinator, user=volunteer, starts_on=timezone.localdate(), ends_on=timezone.localdate()
    )
    generate_due_calls(timezone.localdate())
    page = html(client_of(coordinator).get(reverse("programmes:call_absences")))
    assert "Maria Rossi" in page
    assert plan_url(active_enrolment) in page


@pytest.mark.parametrize("role", ["volunteer", "social_worker", "monitoring_officer"])
def test_only_coordinators_manage_absences(client_of, cast, role):
    client = client_of(cast[role])
    assert client.get(reverse("programmes:call_absences")).status_code == 403
    assert client.post(reverse("programmes:call_absence_cancel"), {"absence": 1}).status_code == 403


def test_an_absence_of_another_organisation_cannot_be_cancelled(client_of, coordinator, outsider):
    absence = Absence.objects.create(
        user=outsider, starts_on=timezone.localdate(), ends_on=timezone.localdate()
    )
    response = client_of(coordinator).post(
        reverse("programmes:call_absence_cancel"), {"absence": absence.pk}
    )
    assert response.status_code == 404
    assert Absence.objects.exists()
