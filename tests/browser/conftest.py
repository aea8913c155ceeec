"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium), never a download.

`make test` installs the `chromium` package with apt where it can. A missing browser is a
failure, never a skip: the journeys below are acceptance criteria.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


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
def page(browser, live_server, territory) -> Iterator:
    context = browser.new_context(base_url=live_server.url, locale="it-IT")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """A second, independent browser context (another user at another desk)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="it-IT")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


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


def tab_to(page, selector: str, *, max_tabs: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus: it is keyboard-reachable."""
    target = page.locator(selector).first
    for _ in range(max_tabs):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def login(page, username: str, password: str = "prossimo-test-pw") -> None:
    """Log in with the keyboard only."""
    page.goto("/account/login/")
    tab_to(page, "input[name=login]")
    page.keyboard.type(username)
    tab_to(page, "input[name=password]")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/account/login" not in url)
