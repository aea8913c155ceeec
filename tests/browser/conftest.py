"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium), never a download.

`make test` installs the `chromium` package with apt where it can. A missing browser is a
failure, never a skip: the journeys below are acceptance criteria.

Every test gets its own browser context (cookies, storage, cache), opened through
`new_page`; each page records what would show in its console as an error: script errors,
failed loads, Content-Security-Policy violations and any request that leaves the test server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("PROSSIMO_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = {"serious", "critical"}
PASSWORD = "prossimo-test-pw"

# Chromium reports a blocked inline style or script only as text; this listener names the
# script that tried, which is what one needs to find the culprit. Init scripts are not subject
# to the page's CSP.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` from ${e.sourceFile || "the page"}:${e.lineNumber}`);
});
"""

# Whether the focused element shows a focus ring: an outline or a box-shadow that is neither
# transparent nor zero-sized. Transitions are finished first (Bootstrap animates the
# box-shadow of buttons, so reading it at once would give the starting, invisible value).
_FOCUS_RING = r"""
(el) => {
  el.getAnimations().forEach((a) => a.finish());
  const style = getComputedStyle(el);
  const opaque = (c) => c !== "transparent" && !/rgba\([^)]*,\s*0\)$/.test(c);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
    && opaque(style.outlineColor);
  const shadows = style.boxShadow === "none" ? [] : style.boxShadow.split(/,(?![^(]*\))/);
  const shadow = shadows.some((s) => {
    const color = (s.match(/rgba?\([^)]*\)/) || ["transparent"])[0];
    const sizes = s.replace(/rgba?\([^)]*\)/, "").trim().split(/\s+/).map(parseFloat);
    return opaque(color) && (sizes[2] > 0 || sizes[3] > 0);
  });
  return outline || shadow;
}
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    """Keep the ISTAT territory when the database is flushed after a browser test.

    `live_server` makes every test transactional: its data are deleted afterwards, and the
    `territory` fixture would load ~7,900 municipalities again for the next test. Regions,
    provinces and municipalities are reference data that no browser test changes, so they
    stay; everything else (people, users, organisations, ambiti and their municipality lists)
    is still deleted, so tests remain independent. This hook runs only for tests in this
    directory.
    """
    from django.core.management.commands import flush

    from prossimo.territory.models import Municipality, Province, Region

    kept = {model._meta.db_table for model in (Region, Province, Municipality)}
    original = flush.sql_flush

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        return connection.ops.sql_flush(
            style,
            [table for table in tables if table not in kept],
            reset_sequences=reset_sequences,
            allow_cascade=allow_cascade,
        )

    flush.sql_flush = sql_flush
    try:
        return (yield)
    finally:
        flush.sql_flush = original


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is shared with the live server: allauth's rate limits live in it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Debian's Chromium is missing at {CHROMIUM}: install it with "
            "'apt-get install chromium' (make test does this when run as root)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, territory) -> Iterator[Callable[..., Any]]:
    """Open a page in a new, independent browser context (another user at another desk).

    Keyword arguments go to `browser.new_context`, e.g. `java_script_enabled=False`.
    """
    contexts = []
    base_url = live_server.url

    def make(**options: Any):
        context = browser.new_context(base_url=base_url, locale="it-IT", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        errors: list[str] = []

        def leaving(request) -> None:
            if re.match(r"^[a-z]+://", request.url) and not request.url.startswith(base_url):
                errors.append(f"request outside the test server: {request.url}")

        # Nothing may be fetched from the internet at run time (fonts, CDNs, trackers). A
        # listener, not a route: routing every request through Python slows each page down.
        context.on("request", leaving)
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.console_errors = errors  # type: ignore[attr-defined]
        page.base_url = base_url  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def assert_accessible(page, *, label: str = "") -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    detail = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n.get("target") else "?" for n in v["nodes"][:5])
        for v in bad
    )
    assert not bad, f"axe-core violations on {label or page.url}:\n{detail}"


def assert_no_console_errors(page) -> None:
    errors = getattr(page, "console_errors", [])
    assert not errors, f"browser console errors (CSP or script failures): {errors}"


def is_focused(page, selector: str) -> bool:
    return page.locator(selector).first.evaluate("el => el === document.activeElement")


def tab_to(page, selector: str, *, max_tabs: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus: it is keyboard-reachable."""
    target = page.locator(selector).first.element_handle()
    for _ in range(max_tabs):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def assert_focus_visible(page, *, label: str = "") -> None:
    """The element that has the focus shows a visible focus ring (WCAG 2.4.7)."""
    visible = page.evaluate(f"({_FOCUS_RING})(document.activeElement)")
    if not visible:
        element = page.evaluate("document.activeElement.outerHTML.slice(0, 160)")
        raise AssertionError(f"no visible focus indicator on {label or page.url}: {element}")


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in with the keyboard only."""
    page.goto("/account/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(username)
    tab_to(page, "input[name=password]")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/account/login" not in url)


def login_as(page, user) -> None:
    """Start the page's session logged in as `user`, without the login form (faster).

    For tests about something else than logging in; `login` is the real thing.
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": page.base_url, "httpOnly": True}]
    )


@pytest.fixture
def open_page(page, request, person_a):
    """Open one of `pages.PAGES` as its user, about person_a (Maria Rossi, Lecco)."""

    def open_(spec) -> None:
        if spec.role is not None:
            login_as(page, request.getfixturevalue(spec.role))
        page.goto(spec.path({"person": person_a}))

    return open_


def choose_radio(page, name: str, value: str) -> None:
    """Choose a radio button with the keyboard: Tab into its group, then the arrow keys."""
    checked = page.locator(f"input[name='{name}']:checked")
    # A radio group is one Tab stop: its checked radio, or the first when none is.
    tab_to(page, f"input[name='{name}']" + (":checked" if checked.count() else ""))
    choice = page.locator(f"input[name='{name}'][value='{value}']")
    for _ in range(page.locator(f"input[name='{name}']").count()):
        if choice.is_checked():
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrow keys do not reach {name}={value}")
