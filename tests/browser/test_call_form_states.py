"""The call form's states that no address opens: the 112 alert, then the errors of a call that
cannot be logged yet — accessible, and without a console error. (Its plain states, and every
other page of the listening line, are in `pages.PAGES`.)"""

from playwright.sync_api import expect

from prossimo.listening.models import Contact, RedFlag
from tests.browser.conftest import (
    assert_accessible,
    assert_no_console_errors,
    login_as,
    wait_for_draft_saved,
)


def test_call_form_showing_the_112_alert_and_its_errors_has_no_serious_accessibility_violation(
    page, volunteer_after_a_call, person_a
):
    login_as(page, volunteer_after_a_call)
    page.goto(f"/ascolto/chiamata/nuova/persona/{person_a.pk}/")
    expect(page.locator(f"[data-caller='{person_a.pk}']")).to_be_visible()

    # Danger to life: the 112 alert comes in at once.
    danger = page.locator(f"input[name=red_flags][value={RedFlag.DANGER_TO_LIFE}]")
    page.locator(f"label[for={danger.get_attribute('id')}]").click()
    expect(page.locator("#emergency-block [role=alert] #id_emergency_called")).to_be_visible()
    wait_for_draft_saved(page)  # no swap while axe reads the page
    assert_accessible(page, label="call form with the 112 alert")

    # A note without its kind of need: the call is not logged, nothing typed is lost.
    page.fill("#id_needs-0-note", "Dice di avere dolore al petto")
    log_the_call(page)
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#id_needs-0-category']")).to_be_visible()
    expect(page.locator("#id_needs-0-category")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_needs-0-note")).to_have_value("Dice di avere dolore al petto")
    expect(danger).to_be_checked()
    assert_accessible(page, label="call form with an error in a need")

    # The need is fixed, but 112 is not ticked yet.
    page.select_option("#id_needs-0-category", label="Disagio psicologico")
    log_the_call(page)
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#id_emergency_called']")).to_be_visible()
    expect(page.locator("#id_emergency_called")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_emergency_called_error")).to_be_visible()
    assert_accessible(page, label="call form with the 112 alert in error")

    page.locator("label[for=id_emergency_called]").click()
    log_the_call(page)
    page.wait_for_url("**/ascolto/contatti/*/")
    contact = Contact.objects.filter(person=person_a, status=Contact.Status.LOGGED).latest(
        "created_at"
    )
    assert contact.red_flags == [RedFlag.DANGER_TO_LIFE]
    assert contact.emergency_call_made_at is not None
    assert_no_console_errors(page)


def log_the_call(page) -> None:
    wait_for_draft_saved(page)
    with page.expect_navigation():
        page.locator("#call-form button[name=action][value=log]").click()
