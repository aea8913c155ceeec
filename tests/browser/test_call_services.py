"""On the phone, the volunteer chooses the need and sees the services that meet it where the
caller lives, tells the caller about one, logs the call and finds it on the contact page."""

from playwright.sync_api import expect

from prossimo.listening.models import Contact, NeedCategory
from prossimo.referrals.models import ServiceInformation
from prossimo.referrals.tests.test_call_panel import make_service
from tests.browser.conftest import (
    assert_accessible,
    assert_no_console_errors,
    login_as,
    wait_for_draft_saved,
)


def test_the_services_panel_follows_the_need_and_the_information_given_reaches_the_contact(
    page, operator, person_a, lecco, monza
):
    near = make_service("Accompagnamento visite Lecco", "practical-transport", lecco)
    far = make_service("Accompagnamento visite Monza", "practical-transport", monza)
    transport = NeedCategory.objects.get(code="practical-transport")
    login_as(page, operator)
    page.goto(f"/ascolto/chiamata/nuova/persona/{person_a.pk}/")
    expect(page.locator(f"[data-caller='{person_a.pk}'] input[name=who]")).to_be_checked()
    expect(page.locator("#call-services [data-services-empty]")).to_be_visible()

    # The need chosen: the panel comes back with the services serving Lecco, not Monza's.
    page.select_option("#id_needs-0-category", value=str(transport.pk))
    row = page.locator(f"#call-services [data-service='{near.pk}']")
    expect(row).to_be_visible()
    expect(page.locator(f"[data-service='{far.pk}']")).to_have_count(0)
    expect(row.locator("a[href='tel:+390341123456']")).to_be_visible()

    # The referral's details show only once "Send a referral" is ticked.
    details = row.locator("[data-referral-details]")
    expect(details).to_be_hidden()
    refer = row.locator("[data-send-referral-here]")
    page.locator(f"label[for={refer.get_attribute('id')}]").click()
    expect(details).to_be_visible()
    page.locator(f"label[for={refer.get_attribute('id')}]").click()
    expect(details).to_be_hidden()

    info = row.locator("[data-information-given]")
    page.locator(f"label[for={info.get_attribute('id')}]").click()
    expect(info).to_be_checked()
    wait_for_draft_saved(page)
    assert_accessible(page, label="call form with the services panel")

    with page.expect_navigation():
        page.locator("#call-form button[name=action][value=log]").click()
    page.wait_for_url("**/ascolto/contatti/*/")
    expect(page.locator(f"[data-informed-service='{near.pk}']")).to_be_visible()
    contact = Contact.objects.get(person=person_a, status=Contact.Status.LOGGED)
    information = ServiceInformation.objects.get()
    assert (information.service, information.contact, information.need.category) == (
        near,
        contact,
        transport,
    )
    assert_accessible(page, label="contact page with the information given")
    assert_no_console_errors(page)


def test_a_screen_reader_hears_what_the_refreshed_panel_found_and_if_details_are_shown(
    page, operator, person_a, lecco
):
    make_service("Accompagnamento visite Lecco", "practical-transport", lecco)
    make_service("Trasporto sociale Lecco", "practical-transport", lecco)
    make_service("Telefono amico Lecco", "loneliness", lecco)
    login_as(page, operator)
    page.goto(f"/ascolto/chiamata/nuova/persona/{person_a.pk}/")

    # The live region is in the page before any refresh, outside the block htmx replaces.
    status = page.locator("#call-panels-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text("")
    assert status.evaluate("el => !el.closest('#call-panels-body')")
    status.evaluate("el => { el.dataset.sameNode = 'yes'; }")

    page.select_option(
        "#id_needs-0-category", value=str(NeedCategory.objects.get(code="practical-transport").pk)
    )
    expect(status).to_have_text("2 servizi trovati")
    page.select_option(
        "#id_needs-0-category", value=str(NeedCategory.objects.get(code="loneliness").pk)
    )
    expect(page.locator("#call-services [data-service]")).to_have_count(1)
    expect(status).to_have_text("1 servizio trovato")
    expect(status).to_have_attribute("data-same-node", "yes")  # kept, not swapped

    # "Send a referral" says whether the details it controls are shown.
    refer = page.locator("#call-services [data-send-referral-here]")
    details = page.locator(f"#{refer.get_attribute('aria-controls')}")
    expect(refer).to_have_attribute("aria-expanded", "false")
    expect(details).to_be_hidden()
    page.locator(f"label[for={refer.get_attribute('id')}]").click()
    expect(refer).to_have_attribute("aria-expanded", "true")
    expect(details).to_be_visible()
    wait_for_draft_saved(page)
    assert_accessible(page, label="call form with a referral's details shown")
    assert_no_console_errors(page)
