"""axe-core finds no serious or critical violation on the people registry's pages and states."""

import pytest

from tests.browser.conftest import assert_accessible, login_as
from tests.browser.pages import PAGES


@pytest.mark.parametrize("spec", PAGES, ids=str)
def test_page_has_no_serious_accessibility_violation(page, open_page, spec):
    open_page(spec)
    assert_accessible(page, label=spec.name)


def test_registration_form_showing_its_errors_has_no_serious_accessibility_violation(
    page, volunteer
):
    login_as(page, volunteer)
    page.goto("/persone/nuova/")
    page.locator("#person-form button[type=submit].btn-primary").click()
    page.locator("#id_last_name_error").wait_for()
    assert_accessible(page, label="registration form with errors")


def test_registration_form_showing_likely_duplicates_has_no_serious_accessibility_violation(
    page, volunteer, person_a
):
    login_as(page, volunteer)
    page.goto("/persone/nuova/")
    page.fill("#id_first_name", person_a.first_name)
    page.fill("#id_last_name", person_a.last_name)
    page.fill("#id_birth_date", person_a.birth_date.isoformat())
    page.fill("#id_fiscal_code", person_a.fiscal_code)
    page.fill("#id_address", "Via Roma 1")
    page.fill("#id_postal_code", "23900")
    page.fill("#id_municipality", "Lecco")
    page.locator("#person-form button[type=submit].btn-primary").click()
    page.locator(f"[data-duplicates] a[href='/persone/{person_a.pk}/']").wait_for()
    assert_accessible(page, label="registration form with the duplicates panel")


def test_page_in_english_has_no_serious_accessibility_violation(page, volunteer, person_a):
    login_as(page, volunteer)
    page.goto(f"/persone/{person_a.pk}/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, label="record page in English")
