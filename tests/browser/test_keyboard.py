"""Every page of the people registry can be used with the keyboard alone, focus always in sight."""

import pytest
from playwright.sync_api import expect

from prossimo.people.models import Person
from tests.browser.conftest import assert_focus_visible, is_focused, login_as, tab_to
from tests.browser.pages import PAGES


@pytest.mark.parametrize("spec", PAGES, ids=str)
def test_page_is_usable_with_the_keyboard_alone(page, open_page, spec):
    open_page(spec)
    if spec.autofocus:
        assert is_focused(page, spec.autofocus), f"{spec.autofocus} should have the focus"
    else:
        # The first Tab reaches the skip link, and Enter on it moves the focus to <main>.
        page.keyboard.press("Tab")
        skip_link = ".skiplinks a[href='#main']"
        assert is_focused(page, skip_link), "the first Tab does not reach the skip link"
        assert_focus_visible(page, label=f"{spec.name}: skip link")
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement === document.querySelector('main')")
    for selector in (*spec.fields, spec.action):
        tab_to(page, selector)
        assert_focus_visible(page, label=f"{spec.name}: {selector}")


def test_enter_in_a_field_of_the_registration_form_never_registers_a_likely_duplicate(
    page, volunteer, person_a
):
    """Enter submits the form as its main button does: not "add another phone number", and,
    with the likely duplicates showing, not "it is a different person: register anyway"."""
    login_as(page, volunteer)
    page.goto("/persone/nuova/")
    page.fill("#id_first_name", person_a.first_name)
    page.fill("#id_last_name", person_a.last_name)
    page.fill("#id_birth_date", person_a.birth_date.isoformat())
    page.fill("#id_municipality", "Lecco")
    page.press("#id_last_name", "Enter")
    duplicates = page.locator(f"[data-duplicates] a[href='/persone/{person_a.pk}/']")
    expect(duplicates, "Enter in a field did not submit the form").to_be_visible(timeout=3_000)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.press("#id_last_name", "Enter")
    assert Person.objects.count() == 1, "Enter in a field registered the likely duplicate"
    expect(duplicates).to_be_visible()
