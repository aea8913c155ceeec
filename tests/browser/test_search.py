"""The search page works with HTMX (results swapped in) and without JavaScript (a plain POST)."""

from tests.browser.conftest import assert_no_console_errors, login_as


def test_search_swaps_the_results_in_without_loading_a_new_page(page, volunteer, person_a):
    login_as(page, volunteer)
    page.goto("/persone/")
    page.evaluate("window.sameDocument = true")
    page.fill("#id_q", "Rossi Maria")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.press("#id_q", "Enter")
    assert posted.value.request.headers.get("hx-request") == "true"
    page.locator(f"#results a[href='/persone/{person_a.pk}/']").wait_for()
    assert page.evaluate("window.sameDocument") is True
    assert_no_console_errors(page)


def test_search_works_without_javascript(new_page, volunteer, person_a):
    page = new_page(java_script_enabled=False)
    login_as(page, volunteer)
    page.goto("/persone/")
    page.fill("#id_q", "Rossi Maria")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert page.url.endswith("/persone/")
    assert page.locator(f"#results a[href='/persone/{person_a.pk}/']").count() == 1
