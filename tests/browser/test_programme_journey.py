"""Issue 4, point 9: the social telephone service end to end, in real browsers.

A social worker refers Maria Rossi; the coordinator takes her in charge and sets a call plan;
the next day (the server's clock moved there) the daily job puts the call in the volunteer's
"Chiamate di oggi"; three unanswered attempts raise a "Repeatedly not reached" alert on the
social worker's alerts board. Three people at three desks, each in their own browser context.

Also: axe-core on every page of the programmes and questionnaires apps that
`test_referral_pages.py` does not already check (and in the states only the journey reaches),
and the worklist's outcome buttons with the keyboard alone, focus kept after the HTMX swap.

Time: `time_machine` patches the clock of the whole process, so the live server's threads see
the same day as the test. It moves wall-clock time only (not `time.monotonic`), so Playwright's
timeouts are unaffected.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from prossimo.listening.models import Alert
from prossimo.programmes.models import CallAttempt, Enrolment, PlannedCall, Rhythm, Weekday
from tests.browser.conftest import (
    assert_accessible,
    assert_focus_visible,
    assert_no_console_errors,
    choose_radio,
    is_focused,
    login_as,
    tab_to,
)

UUID = r"[0-9a-f-]{36}"
Outcome = CallAttempt.Outcome


def in_italian(message: str) -> str:
    with translation.override("it"):
        return gettext(message)


def label(choice: Any) -> str:
    """A model choice's label as the Italian pages show it."""
    with translation.override("it"):
        return str(choice.label)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`day` at a local time of the project's time zone (Europe/Rome)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def follow(page, selector: str) -> None:
    """Tab to a link or button and press Enter."""
    tab_to(page, selector)
    page.keyboard.press("Enter")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def user_label(user) -> str:
    return user.get_full_name() or user.username


# --- the journey --------------------------------------------------------------------------


def test_a_referral_becomes_tomorrows_call_and_three_unanswered_calls_alert_the_social_worker(
    new_page, social_worker, coordinator, volunteer, operator, person_a, telefonia
):
    # The rules this journey goes through, as the programme's data (the model's defaults).
    telefonia.attempts_per_call = 3
    telefonia.retry_after_minutes = 120
    telefonia.escalate_failed_attempts = 3
    telefonia.escalate_failed_within_days = 7
    telefonia.save()
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)

    with time_machine.travel(at(today, 10), tick=True) as clock:
        # --- Day 1, 10:00. The social worker finds Maria Rossi and refers her. -------------
        desk = new_page()  # the social worker's
        login_as(desk, social_worker)
        desk.goto("/programmi/segnala/")
        assert is_focused(desk, "#id_q")
        desk.keyboard.type("Rossi")
        desk.keyboard.press("Enter")
        refer_her = f"#results a[href='/programmi/segnala/persona/{person_a.pk}/']"
        expect(desk.locator(refer_her)).to_be_visible()
        assert_accessible(desk, label="refer: search results")
        follow(desk, refer_her)
        desk.wait_for_url(f"**/programmi/segnala/persona/{person_a.pk}/")
        tab_to(desk, "#id_programme")
        desk.select_option("#id_programme", label="Telefonia Sociale")
        type_into(desk, "#id_reason", "Vive sola, la figlia abita all'estero")
        type_into(desk, "#id_preferred_contact_times", "la mattina")
        choose_radio(desk, "consent", Enrolment.Consent.GIVEN)
        follow(desk, "#referral-form button[type=submit]")
        desk.wait_for_url(re.compile(rf"/programmi/presa-in-carico/{UUID}/$"))
        expect(desk.locator("main [role=status]")).to_contain_text(
            in_italian(
                "%(name)s is referred to %(programme)s; %(organisation)s will take it from here."
            )
            % {
                "name": person_a.full_name,
                "programme": "Telefonia Sociale",
                "organisation": "Cooperativa A",
            }
        )
        expect(desk.locator("[data-state]")).to_contain_text(label(Enrolment.State.REFERRED))
        enrolment_path = desk.url.removeprefix(desk.base_url)

        # --- The coordinator finds her in the queue, reaches her and takes her in charge. --
        board = new_page()  # the coordinator's
        login_as(board, coordinator)
        board.goto("/programmi/prese-in-carico/")
        queued = board.locator("[data-enrolment]", has_text="Rossi Maria")
        expect(queued).to_contain_text(label(Enrolment.Consent.GIVEN))
        queued.get_by_role("link").first.click()
        board.wait_for_url(f"**{enrolment_path}")
        expect(board.locator("main")).to_contain_text("Vive sola, la figlia abita all'estero")
        board.fill("#id_contact_attempted-note", "Prima telefonata: richiamare dopo le 11")
        board.locator("#state-contact_attempted button[type=submit]").click()
        now_state = in_italian("The enrolment is now “%(state)s”.")
        expect(board.locator("main [role=status]")).to_contain_text(
            now_state % {"state": label(Enrolment.State.CONTACT_ATTEMPTED)}
        )
        board.locator("#state-active button[type=submit]").click()
        expect(board.locator("main [role=status]")).to_contain_text(
            now_state % {"state": label(Enrolment.State.ACTIVE)}
        )
        expect(board.locator("[data-state]")).to_contain_text(label(Enrolment.State.ACTIVE))

        # --- The call plan: weekly on tomorrow's weekday, 9–12, the volunteer and a backup. -
        board.get_by_role("link", name=in_italian("Call plan"), exact=True).click()
        board.wait_for_url(re.compile(rf"/programmi/chiamate/piano/{UUID}/$"))
        choose_radio(board, "rhythm", Rhythm.WEEKLY)
        for day in Weekday:
            box = board.locator(f"input[name=weekdays][value='{day.value}']")
            if box.is_checked() != (day.value == tomorrow.isoweekday()):
                tab_to(board, f"input[name=weekdays][value='{day.value}']")
                board.keyboard.press("Space")
        expect(board.locator("input[name=weekdays]:checked")).to_have_count(1)
        expect(
            board.locator(f"input[name=weekdays][value='{tomorrow.isoweekday()}']")
        ).to_be_checked()
        # Date and time fields are set whole: their segments follow the system's locale.
        tab_to(board, "#id_starts_on")
        board.locator("#id_starts_on").fill(tomorrow.isoformat())
        tab_to(board, "#id_window_start")
        board.locator("#id_window_start").fill("09:00")
        tab_to(board, "#id_window_end")
        board.locator("#id_window_end").fill("12:00")
        tab_to(board, "#id_volunteer")
        board.select_option("#id_volunteer", label=user_label(volunteer))
        # A slip: the same person as the backup. The form says so and keeps what was typed.
        tab_to(board, "#id_backup")
        board.select_option("#id_backup", label=user_label(volunteer))
        follow(board, "#plan-form button[type=submit]")
        expect(board.locator("#id_backup_error")).to_have_text(
            in_italian("The backup must be someone other than the volunteer.")
        )
        expect(board.locator("[data-error-summary]")).to_be_focused()
        expect(board.locator("#id_starts_on")).to_have_value(tomorrow.isoformat())
        expect(board.locator("#id_window_start")).to_have_value("09:00")
        assert_accessible(board, label="call plan form with errors")
        tab_to(board, "#id_backup")
        board.select_option("#id_backup", label=user_label(operator))
        follow(board, "#plan-form button[type=submit]")
        expect(board.locator("main [role=status]")).to_contain_text(
            in_italian("The call plan is saved.")
        )

        # --- Day 2, 09:00. Yesterday's sessions have ended (8 hours): people log in again. -
        clock.move_to(at(tomorrow, 9))
        phone = new_page()  # the volunteer's
        login_as(phone, volunteer)
        phone.goto("/")
        follow(phone, "nav a[href='/programmi/chiamate/']")
        phone.wait_for_url("**/programmi/chiamate/")
        expect(phone.locator("main")).to_contain_text(in_italian("No calls to make today."))
        assert_accessible(phone, label="Chiamate di oggi, empty")

        # The daily job runs (the worker does it at 04:30; `prossimo plan_calls` is the same).
        out = io.StringIO()
        call_command("plan_calls", stdout=out)
        assert f"{tomorrow.isoformat()}: 0 enrolments resumed, 1 planned calls created." in (
            out.getvalue()
        )
        phone.reload()
        call = PlannedCall.objects.get(person=person_a, due_on=tomorrow)
        row = phone.locator(f"#call-{call.pk}")
        expect(row).to_contain_text(person_a.full_name)
        expect(row).to_contain_text("340 123 4567")
        expect(row).to_contain_text("09:00–12:00")
        expect(row).to_contain_text("Telefonia Sociale")
        expect(row).to_contain_text("Vive sola, la figlia abita all'estero")
        expect(row).to_contain_text("0 / 3")
        assert_accessible(phone, label="Chiamate di oggi with a call")

        # --- Three attempts, nobody answers: 09:00, then after each retry delay. ------------
        # Each outcome redraws its row and fills the live region through HTMX: the page is
        # never reloaded (without JavaScript the list would come back with a page message).
        phone.evaluate("window.__sameDocument = true")
        status = phone.locator("#calls-status")
        no_answer = label(Outcome.NO_ANSWER)
        for attempt in (1, 2, 3):
            with phone.expect_response(
                lambda r: r.request.method == "POST" and r.url.endswith(f"/{call.pk}/esito/")
            ) as answer:
                row.get_by_role("button", name=no_answer, exact=True).click()
            assert answer.value.status == 200
            call.refresh_from_db()
            if attempt < 3:
                retry = f"{timezone.localtime(call.next_attempt_at):%H:%M}"
                expect(status).to_have_text(
                    in_italian("%(outcome)s: try %(who)s again from %(time)s.")
                    % {"outcome": no_answer, "who": person_a.full_name, "time": retry}
                )
                # The call stays in the list, saying when to try again.
                expect(row).to_contain_text(f"{attempt} / 3")
                expect(row).to_contain_text(in_italian("try again from %(time)s") % {"time": retry})
                clock.shift(dt.timedelta(minutes=125))
        given_up = in_italian(
            "%(outcome)s: %(who)s was not reached after %(n)d attempts; the call is closed."
        ) % {"outcome": no_answer, "who": person_a.full_name, "n": 3}
        expect(status).to_have_text(given_up)
        expect(phone.locator(f"#call-{call.pk}[data-closed]")).to_contain_text(given_up)
        assert phone.evaluate("window.__sameDocument === true"), "the page was reloaded"

        # --- The social worker's alerts board shows that Maria Rossi cannot be reached. -----
        login_as(desk, social_worker)
        desk.goto("/")
        follow(desk, "nav a[href='/ascolto/allerte/']")
        desk.wait_for_url("**/ascolto/allerte/")
        alert = desk.locator("#alert-board [data-alert]", has_text=person_a.full_name)
        expect(alert).to_have_count(1)
        expect(alert).to_contain_text(label(Alert.Kind.FAILED_ATTEMPTS))
        expect(alert).to_contain_text(in_italian("Waiting for acknowledgement"))
        assert_accessible(desk, label="alerts board with a not-reached alert")

    for page in (desk, board, phone):
        assert_no_console_errors(page)


# --- people in charge, for the pages below -----------------------------------------------


def _in_charge(person, *, social_worker, coordinator, telefonia) -> Enrolment:
    from prossimo.programmes.services import ReferralInput, change_state, refer_person

    enrolment = refer_person(
        social_worker,
        programme=telefonia,
        person=person,
        referral=ReferralInput(
            reason="Vive sola", fragility_notes="Sente poco", consent=Enrolment.Consent.GIVEN
        ),
    )
    return change_state(coordinator, enrolment=enrolment, to_state=Enrolment.State.ACTIVE)


def _plan(enrolment, coordinator, volunteer, backup=None):
    from prossimo.programmes.calls import set_call_plan

    return set_call_plan(
        coordinator,
        enrolment=enrolment,
        rhythm=Rhythm.WEEKLY,
        weekdays=list(Weekday.values),
        interval_days=None,
        starts_on=timezone.localdate(),
        window_start=dt.time(9),
        window_end=dt.time(12),
        volunteer=volunteer,
        backup=backup,
    )


@pytest.fixture
def todays_call(telefonia, social_worker, coordinator, volunteer, operator, person_a):
    """Maria Rossi in charge, called every day 9–12 by the volunteer (the proximity operator
    is the backup): today's call, made by the daily job."""
    from prossimo.programmes.calls import generate_due_calls

    enrolment = _in_charge(
        person_a, social_worker=social_worker, coordinator=coordinator, telefonia=telefonia
    )
    _plan(enrolment, coordinator, volunteer, operator)
    generate_due_calls(timezone.localdate())
    return PlannedCall.objects.get(enrolment=enrolment)


@pytest.fixture
def questionnaires(db):
    """The shipped instruments (a browser test's flush empties their table)."""
    from prossimo.questionnaires.loader import ensure_shipped_questionnaires
    from prossimo.questionnaires.models import Questionnaire

    ensure_shipped_questionnaires()
    return {q.code: q for q in Questionnaire.objects.filter(version=1)}


@pytest.fixture
def programme_pages(
    todays_call, questionnaires, telefonia, social_worker, coordinator, volunteer, operator
) -> dict[str, Any]:
    """Something on every page: Maria Rossi in charge with a plan, today's call and a UCLA-3
    screening; one person in each other state of the queue; the proximity operator away today
    with a call of their own nobody can make (no backup)."""
    from prossimo.people.tests.factories import PersonFactory
    from prossimo.programmes.calls import generate_due_calls, record_absence
    from prossimo.programmes.services import ReferralInput, change_state, refer_person
    from prossimo.questionnaires.definition import item_options
    from prossimo.questionnaires.services import record_response

    today = timezone.localdate()
    cast = {"social_worker": social_worker, "coordinator": coordinator, "telefonia": telefonia}

    def person(first: str, last: str):
        return PersonFactory(first_name=first, last_name=last)

    attempted = refer_person(
        social_worker,
        programme=telefonia,
        person=person("Bruno", "Neri"),
        referral=ReferralInput(reason="Vedovo da poco"),
    )
    change_state(coordinator, enrolment=attempted, to_state=Enrolment.State.CONTACT_ATTEMPTED)
    suspended = _in_charge(person("Anna", "Gallo"), **cast)
    change_state(
        coordinator,
        enrolment=suspended,
        to_state=Enrolment.State.SUSPENDED,
        resume_on=today + dt.timedelta(days=14),
        note="Ricoverata",
    )
    closed = _in_charge(person("Luigi", "Conti"), **cast)
    change_state(
        coordinator,
        enrolment=closed,
        to_state=Enrolment.State.CLOSED,
        reason=Enrolment.CloseReason.MOVED,
    )
    uncovered = _in_charge(person("Carla", "Verdi"), **cast)
    _plan(uncovered, coordinator, operator)
    generate_due_calls(today)
    record_absence(
        coordinator, user=operator, starts_on=today, ends_on=today + dt.timedelta(days=3)
    )
    ucla = questionnaires["ucla-3"]
    definition = ucla.definition
    response = record_response(
        volunteer,
        person=todays_call.person,
        questionnaire=ucla,
        answers={i["id"]: item_options(definition, i)[-1]["value"] for i in definition["items"]},
    )
    return {"person": todays_call.person, "enrolment": todays_call.enrolment, "response": response}


# (name, who opens it, its address, what it must show: the state axe-core checks). The pages
# and states `test_referral_pages.py` checks (programme list and detail, refer search/new
# person/person preselected, import upload, preview and result, my referrals, the queue's
# first tab, a referred enrolment, its state forms with errors) are not repeated; the journey
# above checks the refer search's results, Chiamate di oggi empty and with a call, the call
# plan form with errors and the alerts board; the keyboard test below, Chiamate di oggi after
# an outcome.
QUEUE = "/programmi/prese-in-carico/?stato="
PAGES = [
    ("queue, contact attempted", "coordinator", QUEUE + "contact_attempted", "[data-enrolment]"),
    ("queue, active", "coordinator", QUEUE + "active", "[data-enrolment]"),
    ("queue, suspended", "coordinator", QUEUE + "suspended", "[data-enrolment]"),
    ("queue, closed", "coordinator", QUEUE + "closed", "[data-enrolment]"),
    (
        "active enrolment",
        "coordinator",
        "/programmi/presa-in-carico/{enrolment}/",
        "#id_suspended-resume_on",
    ),
    (
        "call plan with its calls",
        "coordinator",
        "/programmi/chiamate/piano/{enrolment}/",
        "[aria-labelledby=h-history] tbody tr",
    ),
    (
        "volunteers away",
        "coordinator",
        "/programmi/chiamate/assenze/",
        "[aria-labelledby=h-uncovered] tbody tr",
    ),
    ("monitoring", "monitoring", "/programmi/monitoraggio/", "main table"),
    ("questionnaires", "volunteer", "/questionari/", "#q-ucla-3"),
    (
        "administer UCLA-3",
        "volunteer",
        "/questionari/persona/{person}/ucla-3/",
        "#screening-form [data-questions]",
    ),
    ("screening response", "volunteer", "/questionari/risposte/{response}/", "[data-answers]"),
    (
        "person with screenings and programmes",
        "social_worker",
        "/persone/{person}/",
        "#screenings [data-scores], #programmes [data-enrolments]",
    ),
]


@pytest.mark.parametrize(("name", "role", "path", "shows"), PAGES, ids=[p[0] for p in PAGES])
def test_programme_and_questionnaire_pages_have_no_serious_accessibility_violation(
    page, request, programme_pages, name, role, path, shows
):
    login_as(page, request.getfixturevalue(role))
    response = page.goto(path.format(**{k: o.pk for k, o in programme_pages.items()}))
    assert response is not None
    assert response.status == 200, f"{name}: {response.status}"
    for selector in shows.split(", "):
        expect(page.locator(selector).first, f"{name}: {selector}").to_be_visible()
    assert_accessible(page, label=name)
    assert_no_console_errors(page)


def test_a_screening_form_showing_its_errors_is_accessible(
    page, volunteer, person_a, questionnaires
):
    login_as(page, volunteer)
    page.goto(f"/questionari/persona/{person_a.pk}/ucla-3/")
    page.locator("#screening-form button[type=submit]").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary] li")).to_have_count(3)
    assert_accessible(page, label="screening form with errors")
    assert_no_console_errors(page)


# --- the worklist with the keyboard alone --------------------------------------------------


def test_an_outcome_is_recorded_from_the_worklist_with_the_keyboard_alone(
    page, volunteer, person_a, todays_call
):
    login_as(page, volunteer)
    page.goto("/programmi/chiamate/")
    row = f"#call-{todays_call.pk}"
    status = page.locator("#calls-status")

    # A note, then the next Tab stop is the first outcome: "No answer", recorded with Enter.
    tab_to(page, f"{row} textarea[name=notes]")
    assert_focus_visible(page, label="the note of the attempt")
    page.keyboard.type("Squilla a vuoto")
    page.keyboard.press("Tab")
    assert is_focused(page, f"{row} button[value={Outcome.NO_ANSWER}]")
    assert_focus_visible(page, label="No answer")
    with page.expect_response(lambda r: r.url.endswith("/esito/")):
        page.keyboard.press("Enter")
    expect(status).to_contain_text(label(Outcome.NO_ANSWER))
    expect(page.locator(row)).to_contain_text("1 / 3")

    # The row was redrawn: the focus is on its header (the person), not lost to <body>, and
    # the next Tab goes on from there.
    page.wait_for_function(f"() => document.activeElement.closest({row!r}) !== null")
    assert page.evaluate("document.activeElement.matches('th[scope=row]')")
    assert_focus_visible(page, label="the redrawn row")
    # htmx settles the swap (and applies autofocus) after the response: Tab once it is done.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.keyboard.press("Tab")
    page.wait_for_function(
        "(sel) => document.activeElement && document.activeElement.matches(sel)",
        arg=f"{row} th a[href='/persone/{person_a.pk}/']",
    )
    assert is_focused(page, f"{row} th a[href='/persone/{person_a.pk}/']")
    assert_focus_visible(page, label="the person's link after the swap")

    # Another outcome, this time with the space bar.
    tab_to(page, f"{row} button[value={Outcome.BUSY}]")
    assert_focus_visible(page, label="Busy")
    with page.expect_response(lambda r: r.url.endswith("/esito/")):
        page.keyboard.press("Space")
    expect(status).to_contain_text(label(Outcome.BUSY))
    expect(page.locator(row)).to_contain_text("2 / 3")
    page.wait_for_function(f"() => document.activeElement.closest({row!r}) !== null")
    assert_accessible(page, label="Chiamate di oggi after an outcome")

    attempts = CallAttempt.objects.filter(call=todays_call).order_by("at")
    assert [(a.outcome, a.notes) for a in attempts] == [
        (Outcome.NO_ANSWER, "Squilla a vuoto"),
        (Outcome.BUSY, ""),
    ]
    assert_no_console_errors(page)
