"""The login page and home page work in a real browser, with the keyboard, without CSP errors."""

from tests.browser.conftest import assert_accessible, assert_no_console_errors, login


def test_volunteer_logs_in_with_the_keyboard_and_sees_the_home_page(page, volunteer):
    page.goto("/account/login/")
    assert_accessible(page, label="login")
    login(page, "volunteer")
    assert page.locator("h1").inner_text().startswith(("Benvenuta", "Benvenuto", "Welcome"))
    assert_accessible(page, label="home")
    assert_no_console_errors(page)
