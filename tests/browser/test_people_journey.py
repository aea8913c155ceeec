"""Acceptance 12: with the keyboard alone, find a person by phone and register another one."""

import datetime as dt
import re

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from prossimo.people.models import Person
from prossimo.people.tests.factories import fiscal_code_for
from tests.browser.conftest import assert_no_console_errors, choose_radio, login, tab_to

BIRTH_DATE = dt.date(1948, 3, 21)
TYPED = {
    "#id_first_name": "Giovanna",
    "#id_last_name": "Brambilla",
    "#id_birth_municipality": "Lecco",
    "#id_address": "Via Cavour 12",
    "#id_postal_code": "23900",
    "#id_municipality": "Lecco",
    "#id_phones-0-number": "333 765 4321",
}
REGISTER = "#person-form button[type=submit].btn-primary"


def in_italian(message: str) -> str:
    with translation.override("it"):
        return gettext(message)


def follow(page, selector: str) -> None:
    """Tab to a link or button and press Enter."""
    tab_to(page, selector)
    page.keyboard.press("Enter")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def type_municipality(page, selector: str, name: str) -> None:
    """Type a municipality's whole name; wait for the suggestions HTMX puts in the datalist."""
    type_into(page, selector, name)
    page.locator(f"{selector}_options option").first.wait_for(state="attached")


def test_volunteer_finds_a_person_by_phone_and_registers_another_after_fixing_the_codice_fiscale(
    page, volunteer, person_a, lecco
):
    wrong_code = fiscal_code_for("Giovanna", "Brambilla", "F", dt.date(1948, 3, 12), lecco)
    right_code = fiscal_code_for("Giovanna", "Brambilla", "F", BIRTH_DATE, lecco)
    login(page, "volunteer")

    # Find Maria Rossi by her phone number, typed with spaces, and open her record.
    follow(page, "nav a[href='/persone/']")
    page.wait_for_url("**/persone/")
    type_into(page, "#id_q", "340 123 4567")
    page.keyboard.press("Enter")
    follow(page, f"#results a[href='/persone/{person_a.pk}/']")
    page.wait_for_url(f"**/persone/{person_a.pk}/")
    expect(page.locator("h1")).to_contain_text("Rossi Maria")

    # Register a new person, with a codice fiscale whose date of birth is not the one typed.
    follow(page, "main .breadcrumb a[href='/persone/']")
    page.wait_for_url("**/persone/")
    follow(page, "main a[href='/persone/nuova/']")
    page.wait_for_url("**/persone/nuova/")
    type_into(page, "#id_first_name", TYPED["#id_first_name"])
    type_into(page, "#id_last_name", TYPED["#id_last_name"])
    choose_radio(page, "sex", "F")
    tab_to(page, "#id_birth_date")
    # The order of a date field's day, month and year follows the operating system's locale,
    # so the date is set whole rather than typed.
    page.locator("#id_birth_date").fill(BIRTH_DATE.isoformat())
    type_municipality(page, "#id_birth_municipality", TYPED["#id_birth_municipality"])
    type_into(page, "#id_fiscal_code", wrong_code)
    type_into(page, "#id_address", TYPED["#id_address"])
    type_into(page, "#id_postal_code", TYPED["#id_postal_code"])
    type_municipality(page, "#id_municipality", TYPED["#id_municipality"])
    type_into(page, "#id_phones-0-number", TYPED["#id_phones-0-number"])
    follow(page, REGISTER)

    # The error shows in Italian next to the codice fiscale, and everything typed is still there.
    error = page.locator("#id_fiscal_code_error")
    expect(error).to_have_text(in_italian("The codice fiscale does not match the date of birth."))
    field = page.locator("#id_fiscal_code")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", re.compile(r"\bid_fiscal_code_error\b"))
    expect(page.locator(".form-group", has=field).locator("#id_fiscal_code_error")).to_be_visible()
    expect(page.locator("[data-error-summary] li")).to_have_count(1)
    expect(page.locator("[data-error-summary]")).to_be_focused()
    for selector, value in TYPED.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#id_birth_date")).to_have_value(BIRTH_DATE.isoformat())
    expect(page.locator("input[name=sex][value=F]")).to_be_checked()
    expect(field).to_have_value(wrong_code)
    assert not Person.objects.filter(last_name="Brambilla").exists()

    # The summary's link leads to the field; the corrected code is saved.
    follow(page, "[data-error-summary] a[href='#id_fiscal_code']")
    expect(field).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(right_code)
    follow(page, REGISTER)
    page.wait_for_url(re.compile(r"/persone/[0-9a-f-]{36}/$"))
    person = Person.objects.get(fiscal_code=right_code)
    assert page.url.endswith(f"/persone/{person.pk}/")
    expect(page.locator("h1")).to_contain_text("Brambilla Giovanna")
    expect(page.locator("main [role=status]")).to_contain_text(
        in_italian("The person is registered.")
    )
    assert person.municipality == lecco
    assert person.birth_date == BIRTH_DATE
    assert [p.number for p in person.phones.all()] == ["+393337654321"]

    # The new person is found by surname.
    follow(page, "main .breadcrumb a[href='/persone/']")
    page.wait_for_url("**/persone/")
    type_into(page, "#id_q", "Brambilla")
    page.keyboard.press("Enter")
    expect(page.locator(f"#results a[href='/persone/{person.pk}/']")).to_be_visible()
    assert_no_console_errors(page)
