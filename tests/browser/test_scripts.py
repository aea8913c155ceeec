"""The pages' scripts run under the strict Content-Security-Policy without a console error."""

from tests.browser.conftest import assert_no_console_errors, login_as
from tests.browser.pages import PAGES


def test_no_page_of_the_registry_logs_a_console_error(page, request, person_a):
    failures = {}
    for spec in PAGES:
        if spec.role is not None:
            login_as(page, request.getfixturevalue(spec.role))
        page.goto(spec.path({"person": person_a}))
        if page.console_errors:
            failures[spec.name] = list(page.console_errors)
            page.console_errors.clear()
    assert not failures, f"console errors (CSP violations, script failures) by page: {failures}"


def test_no_script_adds_an_inline_style_element(page, volunteer):
    """`style-src 'self'` blocks every <style> a script adds, so none may be added at all.

    Bootstrap Italia's bundled video.js adds its default styles unless
    `window.VIDEOJS_NO_DYNAMIC_STYLE` is set before the bundle runs; htmx adds its indicator
    styles unless the htmx-config meta sets `includeIndicatorStyles` to false.
    """
    login_as(page, volunteer)
    page.goto("/persone/")
    page.fill("#id_q", "Rossi")
    page.press("#id_q", "Enter")
    page.locator("#results h2").wait_for()
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    styles = page.eval_on_selector_all("style", "els => els.map(e => e.outerHTML.slice(0, 80))")
    assert styles == []
    assert_no_console_errors(page)
