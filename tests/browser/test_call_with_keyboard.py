"""Acceptance 9: a whole call is logged with the keyboard alone."""

import re

from playwright.sync_api import expect

from prossimo.listening.models import Contact, Need, Urgency
from tests.browser.conftest import (
    assert_focus_visible,
    assert_no_console_errors,
    choose_radio,
    is_focused,
    login_as,
    tab_to,
    wait_for_draft_saved,
)


def test_volunteer_logs_an_anonymous_call_with_the_keyboard_alone(page, volunteer):
    login_as(page, volunteer)
    page.goto("/ascolto/chiamata/nuova/")

    # Nobody is known to be calling: the form starts on "anonymous caller".
    assert is_focused(page, "input[name=who][value=anonymous]")
    choose_radio(page, "who", "anonymous")
    tab_to(page, "#id_caller_first_name")
    page.keyboard.type("Giuseppe")

    # A closed <select> picks the option whose label starts with what is typed.
    tab_to(page, "#id_needs-0-category")
    assert_focus_visible(page, label="need category")
    page.keyboard.type("Solitudine")
    expect(page.locator("#id_needs-0-category option:checked")).to_have_text(
        "Solitudine e isolamento"
    )
    tab_to(page, "#id_needs-0-note")
    page.keyboard.type("Non esce di casa da settimane")
    choose_radio(page, "urgency", Urgency.MEDIUM)

    tab_to(page, "#call-form button[name=action][value=log]")
    assert_focus_visible(page, label="log the call")
    wait_for_draft_saved(page)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/ascolto/contatti/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-needs] li")).to_have_count(1)
    expect(page.locator("[data-needs] li")).to_contain_text("Solitudine e isolamento")
    expect(page.locator("[data-needs] li")).to_contain_text("Non esce di casa da settimane")
    expect(page.locator("main dl")).to_contain_text("Giuseppe")
    contact = Contact.objects.get()
    assert contact.status == Contact.Status.LOGGED
    assert contact.person is None
    assert contact.caller_first_name == "Giuseppe"
    assert contact.urgency == Urgency.MEDIUM
    need = Need.objects.get(contact=contact)
    assert need.category.code == "loneliness"
    assert need.note == "Non esce di casa da settimane"
    assert_no_console_errors(page)
