"""The resource directory in a browser: search by need and municipality, the map, a service's
page; accessible, and still a usable list when the map's tiles cannot be loaded.

Tiles come from the test server's address (`/tiles/…`), answered by Playwright with a blank
image, or refused: nothing leaves the test server.
"""

from __future__ import annotations

import base64

import pytest

from tests.browser.conftest import assert_accessible, assert_no_console_errors, login_as

# A 1×1 transparent PNG: the tile every request gets.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def tiles(settings, live_server):
    settings.PROSSIMO_MAP_TILES_URL = f"{live_server.url}/tiles/{{z}}/{{x}}/{{y}}.png"
    settings.PROSSIMO_MAP_TILES_ATTRIBUTION = "&copy; OpenStreetMap contributors"


@pytest.fixture
def services(lecco, monza):
    from prossimo.directory.tests.factories import OrganizationFactory, service_in

    return {
        "transport": service_in(
            lecco,
            name="Accompagnamento visite mediche",
            organization=OrganizationFactory(name="Auser Lecco"),
            needs=("practical-transport",),
            eligibility_description="Persone sole over 65",
        ),
        "meals": service_in(
            monza,
            name="Consegna pasti a domicilio",
            organization=OrganizationFactory(name="Caritas Monza"),
            needs=("practical-shopping",),
            latitude=45.5845,
            longitude=9.2744,
        ),
    }


def serve_tiles(page) -> None:
    page.route(
        "**/tiles/**", lambda route: route.fulfill(status=200, content_type="image/png", body=TILE)
    )


def search_transport_in_lecco(page) -> None:
    from prossimo.listening.models import NeedCategory

    transport = NeedCategory.objects.get(code="practical-transport")
    page.goto("/risorse/")
    page.select_option("#id_need", str(transport.pk))
    page.fill("#id_municipality", "Lecco (LC)")
    with page.expect_response(lambda r: "/risorse/?" in r.url) as answered:
        page.click("#directory-form button[type=submit]")
    assert answered.value.request.headers.get("hx-request") == "true"


def test_search_by_need_and_municipality_then_the_map_then_the_service(
    page, volunteer, services, tiles
):
    serve_tiles(page)
    login_as(page, volunteer)
    search_transport_in_lecco(page)
    transport, meals = services["transport"], services["meals"]
    row = page.locator(f"#directory-list [data-service='{transport.pk}']")
    row.wait_for()
    assert page.locator(f"[data-service='{meals.pk}']").count() == 0
    assert "municipality=Lecco" in page.url  # the search is in the address: shareable, back

    # The map draws the place; the row's link opens its popup and gives the marker the focus.
    page.locator("#directory-map .leaflet-marker-icon").first.wait_for()
    link = row.locator("[data-map-point]")
    link.click()
    popup_link = page.locator(
        f"#directory-map .leaflet-popup-content a[href='/risorse/servizi/{transport.pk}/']"
    )
    popup_link.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('leaflet-marker-icon')")
    assert_accessible(page, label="directory search with its map")

    popup_link.click()
    page.wait_for_url(f"**/risorse/servizi/{transport.pk}/")
    assert page.locator("h1").inner_text() == "Accompagnamento visite mediche"
    assert page.locator("a[href='tel:+390341123456']").count() >= 1
    page.locator("#directory-map .leaflet-marker-icon").first.wait_for()
    assert_accessible(page, label="service page")
    assert_no_console_errors(page)


def test_the_map_can_be_skipped_with_the_keyboard(page, volunteer, services, tiles):
    serve_tiles(page)
    login_as(page, volunteer)
    page.goto("/risorse/")
    page.locator("#directory-map .leaflet-marker-icon").first.wait_for()
    skip = page.locator("[data-map-block] a.visually-hidden-focusable")
    skip.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "directory-list-title"
    assert page.locator("#directory-map").get_attribute("aria-label")
    assert_no_console_errors(page)


def test_without_tiles_the_page_is_a_list_with_a_notice(page, volunteer, services, tiles):
    page.route("**/tiles/**", lambda route: route.abort())
    login_as(page, volunteer)
    page.goto("/risorse/")
    notice = page.locator("#directory-map-unavailable")
    notice.wait_for(state="visible")
    assert notice.inner_text()
    assert page.locator("#directory-map").is_hidden()
    assert page.locator("[data-map-point]:visible").count() == 0
    assert page.locator(f"[data-service='{services['transport'].pk}'] h3 a").is_visible()

    search_transport_in_lecco(page)
    page.locator(f"#directory-list [data-service='{services['transport'].pk}']").wait_for()
    page.locator("#directory-map-unavailable").wait_for(state="visible")
    assert_accessible(page, label="directory search without tiles")
    # Refused tiles are failed loads in the console; nothing else may be.
    others = [e for e in page.console_errors if "Failed to load resource" not in e]
    assert not others, others


def test_the_search_works_without_javascript(new_page, volunteer, services, tiles):
    page = new_page(java_script_enabled=False)
    login_as(page, volunteer)
    page.goto("/risorse/")
    page.fill("#id_q", "pasti domicilio")
    with page.expect_navigation():
        page.click("#directory-form button[type=submit]")
    assert "q=pasti+domicilio" in page.url
    assert page.locator(f"[data-service='{services['meals'].pk}']").count() == 1
    assert page.locator(f"[data-service='{services['transport'].pk}']").count() == 0
    assert page.locator("#directory-map").is_hidden()
