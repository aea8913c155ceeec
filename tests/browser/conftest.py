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

# When the call form was last edited and when an autosave was last sent, and how many are in
# flight, for `wait_for_draft_saved`. htmx's events bubble to the document; an autosave queued
# behind another is sent (and counted) only when that one ends.
_WATCH_AUTOSAVE = """
const autosave = (window.__autosave = {editedAt: 0, sentAt: 0, pending: 0});
const edited = () => { autosave.editedAt = performance.now(); };
document.addEventListener("input", edited, true);
document.addEventListener("change", edited, true);
const isAutosave = (e) => (e.detail.requestConfig || {}).path === "/ascolto/chiamata/salva/";
document.addEventListener("htmx:beforeRequest", (e) => {
  if (isAutosave(e)) { autosave.pending += 1; autosave.sentAt = performance.now(); }
});
document.addEventListener("htmx:afterRequest", (e) => {
  if (isAutosave(e)) { autosave.pending -= 1; }
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
    """Keep the reference data when the database is flushed after a browser test.

    `live_server` makes every test transactional: its data are deleted afterwards, and the
    `territory` fixture would load ~7,900 municipalities again for the next test. Regions,
    provinces and municipalities, and the need categories a migration loads, are reference
    data that no browser test changes, so they stay; everything else (people, users,
    organisations, ambiti and their municipality lists, calls, needs, alerts) is still
    deleted, so tests remain independent. This hook runs only for tests in this directory.
    """
    from prossimo.core.testing import flush_keeps_reference_data

    with flush_keeps_reference_data():
        return (yield)


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is shared with the live server: allauth's rate limits live in it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started once the test database exists.

    The server's threads share this thread's connection to the in-memory SQLite database
    only if that database exists when the server starts: `LiveServer` looks for in-memory
    connections when it is created. Started before it (`new_page` asks for `live_server`
    before `territory`), every request thread opened a connection of its own to the
    shared-cache database, where SQLite locks whole tables: a page's poll reading while
    another request writes failed at once with "database table is locked" (shared-cache
    locks do not wait for `busy_timeout`). One connection is what Django's
    LiveServerTestCase gives its server too.
    """
    return live_server


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
        context.add_init_script(_WATCH_AUTOSAVE)
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


# --- programmes ---------------------------------------------------------------------------


@pytest.fixture
def telefonia(org_a):
    """Telefonia Sociale, run by org_a (which serves Lecco, where Maria Rossi lives)."""
    from prossimo.programmes.models import Programme

    # Transactional tests empty the tables the migrations seeded: make the programme again.
    programme, _created = Programme.objects.get_or_create(
        code="telefonia-sociale", defaults={"name": "Telefonia Sociale", "target_people": 1500}
    )
    programme.organisations.add(org_a)
    return programme


# --- the listening line and telephony -----------------------------------------------------


@pytest.fixture
def logged_call(volunteer, person_a):
    """A call about Maria Rossi the volunteer logged, and another call they left unfinished.

    The logged one has a need the volunteer keeps (loneliness), one handed over to the desk
    (shopping: the desk serving Lecco is org_a itself here), a red flag (alone and unwell),
    which raised an alert for the coordinators, and a call-back due today for whoever is on
    duty: every listening page has something to show.
    """
    import datetime as dt

    from django.utils import timezone

    from prossimo.listening import services
    from prossimo.listening.models import NeedCategory, RedFlag

    contact = services.log_contact(
        volunteer,
        data=services.ContactInput(
            person=person_a,
            red_flags=[RedFlag.ALONE_AND_UNWELL],
            notes="Ha la febbre e nessuno passa a trovarla.",
        ),
        needs=[
            services.NeedInput(NeedCategory.objects.get(code="loneliness"), "Vive sola"),
            services.NeedInput(
                NeedCategory.objects.get(code="practical-shopping"), "Latte e pane", hand_over=True
            ),
        ],
        follow_up=services.FollowUpInput(
            due_on=timezone.localdate(),
            window_start=dt.time(16, 0),
            window_end=dt.time(18, 0),
            reason="Sentire se la febbre è scesa",
        ),
    )
    services.save_draft(volunteer, form_data={"who": ["anonymous"], "caller_first_name": ["Anna"]})
    return contact


# Users who open the listening pages once `logged_call` is there (pages.PAGES names them).
@pytest.fixture
def volunteer_after_a_call(volunteer, logged_call):
    return volunteer


@pytest.fixture
def operator_after_a_call(operator, logged_call):
    return operator


@pytest.fixture
def coordinator_after_a_call(coordinator, logged_call):
    return coordinator


class Pbx:
    """A telephone system posting a line's call events to the live server, signed as
    docs/telephony.md says: `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body).

    Over HTTP, not through Django's test client: the server thread then does the write, as in
    production, instead of this thread writing on the database connection the server threads
    share (SQLite in memory) while they answer the pages' polls.
    """

    def __init__(self, url: str, line: str, secret: str) -> None:
        self.url = url
        self.line = line
        self.secret = secret

    def send(self, event: str, call_id: str, caller: str = "") -> dict[str, Any]:
        import hashlib
        import hmac
        import json
        import time
        import urllib.request

        body = json.dumps({"event": event, "call_id": call_id, "caller": caller}).encode()
        timestamp = str(int(time.time()))
        digest = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - the live server's http:// URL
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Prossimo-Line": self.line,
                "X-Prossimo-Timestamp": timestamp,
                "X-Prossimo-Signature": f"sha256={digest}",
            },
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 200
            return json.loads(response.read())


@pytest.fixture
def pbx(live_server, org_a) -> Pbx:
    """The PBX of org_a's listening line "Ascolto Lecco", 0341 000111."""
    from prossimo.telephony import services

    line, secret = services.create_line(
        None, name="Ascolto Lecco", number="0341 000111", organisation=org_a
    )
    return Pbx(f"{live_server.url}/api/telephony/events", line.number, secret)


def wait_for_draft_saved(page) -> None:
    """Wait until the call form's autosave has kept the last thing typed or chosen.

    The form saves a draft 2 s after the last input or change, and the draft's version comes
    back into the form. Logging the call while an autosave is due or in flight races it (the
    log is refused as stale, or a second draft is left behind), so a test waits for it as a
    user pausing would. `_WATCH_AUTOSAVE` keeps the times of the last edit and last save.
    """
    # Only the form's delayed autosave is sent 2 s or more after the last edit; a red flag's
    # immediate one (which brings the 112 block) is not enough: the delayed one still follows.
    page.wait_for_function(
        "() => { const a = window.__autosave;"
        " return a.editedAt > 0 && a.pending === 0 && a.sentAt - a.editedAt >= 1990; }",
        timeout=8_000,
    )
