"""Issue 5, point 8: a closed-loop referral end to end, in a real browser.

Org_a's proximity operator looks for a service that takes Maria Rossi (Lecco) to a medical
appointment: the directory, searched by need and municipality, finds "Accompagnamento visite
mediche", run by Auser Lecco; its row opens its marker on the map, the marker's popup opens the
service's page. The operator sends Maria's need to that service with her consent to share and
her phone. Auser Lecco's operator, who works its referrals in Prossimo (`ReferralDestination`),
finds it in the incoming queue, opens it (it becomes "received"), accepts it and reports it
completed, both with the keyboard alone. Back at org_a, the sender sees "completed" in the
referrals sent, on the referral's page and on Maria's record.

axe-core checks every page of issue 5 on the way: the directory search with its map, a service's
page, the referral form, a referral's page (sender's and receiver's side), the incoming queue,
the referrals sent and the person's page with its referrals section.

A service outside Prossimo (no receiving organisation, no partner system) cannot report back:
the sender phones it and records what it said ("accepted", then "completed", each with who at
the service said so) on the referral's page, with the keyboard alone; the history shows both
moves as told by the service.

Map tiles come from the test server's address and are answered by Playwright with a blank
image: nothing leaves the test server.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from prossimo.core.permissions import Role
from prossimo.listening.models import NeedCategory
from prossimo.referrals.models import Referral, ReferralTransition
from tests.browser.conftest import (
    assert_accessible,
    assert_focus_visible,
    assert_no_console_errors,
    login,
    login_as,
    tab_to,
)

S = Referral.State
PHONE = "+393401234567"  # Maria Rossi's number (root conftest)
SUMMARY = "Visita cardiologica il 12 alle 9, non guida e vive sola"
UUID = r"[0-9a-f-]{36}"
# A 1×1 transparent PNG: the tile every request gets.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def label(state: S) -> str:
    """A referral state's label as the Italian pages show it."""
    with translation.override("it"):
        return str(state.label)


@pytest.fixture
def tiles(settings, live_server):
    settings.PROSSIMO_MAP_TILES_URL = f"{live_server.url}/tiles/{{z}}/{{x}}/{{y}}.png"
    settings.PROSSIMO_MAP_TILES_ATTRIBUTION = "&copy; OpenStreetMap contributors"


@pytest.fixture
def transport() -> NeedCategory:
    return NeedCategory.objects.get(code="practical-transport")


@pytest.fixture
def receiver(territory):
    """Auser Lecco's proximity operator: works the referrals to Auser's services."""
    from prossimo.territory.models import Organisation
    from prossimo.territory.tests.factories import (
        MembershipFactory,
        OrganisationFactory,
        UserFactory,
    )

    auser = OrganisationFactory(name="Auser Lecco", kind=Organisation.Kind.ASSOCIATION)
    user = UserFactory(username="auser", first_name="Utente", last_name="Auser")
    MembershipFactory(user=user, organisation=auser, role=Role.PROXIMITY_OPERATOR)
    return user


@pytest.fixture
def accompaniment(lecco, monza, receiver):
    """The service the journey is about, whose organization works its referrals in Prossimo
    (as Auser Lecco), and another service meeting the same need in Monza."""
    from prossimo.directory.tests.factories import OrganizationFactory, service_in
    from prossimo.referrals.models import ReferralDestination

    auser = OrganizationFactory(name="Auser Lecco ODV")
    ReferralDestination.objects.create(
        directory_organization=auser, organisation=receiver.memberships.get().organisation
    )
    service_in(
        monza,
        name="Trasporto sociale Monza",
        organization=OrganizationFactory(name="Croce Bianca Monza"),
        needs=("practical-transport",),
        latitude=45.5845,
        longitude=9.2744,
    )
    return service_in(
        lecco,
        name="Accompagnamento visite mediche",
        organization=auser,
        needs=("practical-transport",),
        eligibility_description="Persone sole over 65",
    )


@pytest.fixture
def need(operator, person_a, transport):
    """Maria Rossi asked org_a's line for a lift to a medical appointment."""
    from prossimo.listening.services import ContactInput, NeedInput, log_contact

    contact = log_contact(
        operator,
        data=ContactInput(person=person_a, notes="Chiede un passaggio per la visita"),
        needs=[NeedInput(transport, "Visita cardiologica il 12")],
    )
    return contact.needs.get()


def log_out(page) -> None:
    page.locator("form[action='/account/logout/'] button[type=submit]").click()
    page.wait_for_url("**/account/login/")


def move_with_the_keyboard(page, to_state: str, note: str) -> None:
    """Type a note in the move's form, then press its button with Enter."""
    tab_to(page, f"#state-{to_state} textarea[name='{to_state}-reason']")
    page.keyboard.type(note)
    tab_to(page, f"#state-{to_state} button[type=submit]")
    assert_focus_visible(page, label=f"the {to_state} button")
    page.keyboard.press("Enter")
    expect(page.locator(f"main p[data-state='{to_state}']")).to_be_visible()


def test_a_need_sent_to_a_service_from_the_directory_comes_back_completed_to_the_sender(
    page, operator, person_a, need, transport, accompaniment, receiver, tiles
):
    page.route(
        "**/tiles/**", lambda route: route.fulfill(status=200, content_type="image/png", body=TILE)
    )

    # --- The sender looks for a service meeting the need, in Maria's municipality. ---------
    login(page, operator.username)
    page.locator("nav a[href='/risorse/']").click()
    page.wait_for_url("**/risorse/")
    page.select_option("#id_need", str(transport.pk))
    page.fill("#id_municipality", "Lecco (LC)")
    page.click("#directory-form button[type=submit]")
    row = page.locator(f"#directory-list [data-service='{accompaniment.pk}']")
    expect(row).to_be_visible()
    expect(page.locator("#directory-list [data-service]")).to_have_count(1)  # not Monza's

    # "Show on the map": the row's link opens its marker's popup, which links to the service.
    page.locator("#directory-map .leaflet-marker-icon").first.wait_for()
    row.locator("[data-map-point]").click()
    popup_link = page.locator(
        f"#directory-map .leaflet-popup-content a[href='/risorse/servizi/{accompaniment.pk}/']"
    )
    expect(popup_link).to_be_visible()
    assert_accessible(page, label="directory search by need and municipality, with its map")
    popup_link.click()
    page.wait_for_url(f"**/risorse/servizi/{accompaniment.pk}/")
    expect(page.locator("h1")).to_have_text("Accompagnamento visite mediche")
    page.locator("#directory-map .leaflet-marker-icon").first.wait_for()
    assert_accessible(page, label="service page")

    # --- The sender sends the need to it. -------------------------------------------------
    # From Maria's record: her history, the call, and the need's "Send to a service" button
    # (`referrals/_need_status.html`, under each need of the contact page).
    page.goto(f"/persone/{person_a.pk}/")
    page.locator(f"a[href='/ascolto/contatti/{need.contact_id}/']").first.click()
    page.wait_for_url(f"**/ascolto/contatti/{need.contact_id}/")
    page.locator(f"a[data-send-referral='{need.pk}']").click()
    page.wait_for_url(re.compile(r"/invii/nuovo/\?need="))
    expect(page.locator("#referral-form")).to_be_visible()
    # Maria's only number is offered, already chosen.
    expect(page.locator(f"input[name=contact_phone][value='{PHONE}']")).to_be_checked()
    tab_to(page, "#id_service")
    page.select_option("#id_service", str(accompaniment.pk))
    tab_to(page, "#id_consent_to_share")
    page.keyboard.press("Space")
    expect(page.locator("#id_consent_to_share")).to_be_checked()
    tab_to(page, "#id_summary")
    page.keyboard.type(SUMMARY)
    assert_accessible(page, label="new referral form, filled in")
    tab_to(page, "#referral-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/invii/{UUID}/$"))
    referral = Referral.objects.get(need=need)
    assert page.url.endswith(f"/invii/{referral.pk}/")
    assert referral.service == accompaniment
    assert referral.receiving_organisation == receiver.memberships.get().organisation
    assert referral.share_consent
    assert referral.shared_summary == SUMMARY
    assert referral.contact_phone == PHONE
    state = page.locator("main p[data-state]")
    expect(state).to_have_attribute("data-state", S.REQUESTED)
    expect(state.locator("[data-state]")).to_have_text(label(S.REQUESTED))
    # The sender may only cancel it: every other move is the receiver's.
    expect(page.locator("main form[id^='state-']")).to_have_count(1)
    expect(page.locator("#state-cancelled")).to_be_visible()
    assert_accessible(page, label="referral page, sender's side, just sent")
    log_out(page)

    # --- The receiving organisation finds it in its queue and opens it. ------------------
    login(page, receiver.username)
    page.locator("nav a[href='/invii/ricevuti/']").click()
    page.wait_for_url("**/invii/ricevuti/")
    incoming = page.locator(f"main tr[data-referral='{referral.pk}']")
    expect(incoming).to_contain_text("Rossi Maria")  # named: she consented to share
    expect(incoming.locator("[data-state]")).to_have_attribute("data-state", S.REQUESTED)
    expect(page.locator("[data-count='requested']")).to_have_text("1")
    assert_accessible(page, label="incoming queue")
    incoming.locator("th a").click()
    page.wait_for_url(f"**/invii/{referral.pk}/")
    # Opening it told the sender it arrived.
    expect(page.locator("main p[data-state]")).to_have_attribute("data-state", S.RECEIVED)
    expect(page.locator("[data-summary]")).to_have_text(SUMMARY)
    expect(page.locator(f"[data-contact-phone][href='tel:{PHONE}']")).to_be_visible()
    assert_accessible(page, label="referral page, receiver's side, received")

    # --- Accepted, then completed with a note: with the keyboard alone. ----------------------
    move_with_the_keyboard(page, S.ACCEPTED, "La chiamiamo domani")
    move_with_the_keyboard(page, S.COMPLETED, "Accompagnata alla visita il 12")
    expect(page.locator("main p[data-state] [data-reason]")).to_have_text(
        "Accompagnata alla visita il 12"
    )
    expect(page.locator("main form[id^='state-']")).to_have_count(0)  # a final state
    expect(page.locator("[data-transition]")).to_have_count(4)
    assert_accessible(page, label="referral page, receiver's side, completed")
    moves = ReferralTransition.objects.filter(referral=referral).order_by("at", "pk")
    assert [(t.from_state, t.to_state, t.by) for t in moves] == [
        ("", S.REQUESTED, operator),
        (S.REQUESTED, S.RECEIVED, receiver),
        (S.RECEIVED, S.ACCEPTED, receiver),
        (S.ACCEPTED, S.COMPLETED, receiver),
    ]
    log_out(page)

    # --- The sender sees the loop closed: referrals sent, the referral, Maria's record. ------
    login(page, operator.username)
    # The menu's "Referrals to services" opens the queue first: the operator receives too.
    page.locator("nav a[href='/invii/ricevuti/']").click()
    page.wait_for_url("**/invii/ricevuti/")
    page.locator("main nav a[href='/invii/inviati/']").click()
    page.wait_for_url("**/invii/inviati/")
    sent = page.locator(f"main tr[data-referral='{referral.pk}']")
    badge = sent.locator("[data-state]")
    expect(badge).to_have_attribute("data-state", S.COMPLETED)
    expect(badge).to_have_text(label(S.COMPLETED))
    expect(sent).to_contain_text("Accompagnata alla visita il 12")
    assert_accessible(page, label="referrals sent")
    sent.locator("th a").click()
    page.wait_for_url(f"**/invii/{referral.pk}/")
    expect(page.locator("main p[data-state]")).to_have_attribute("data-state", S.COMPLETED)
    assert_accessible(page, label="referral page, sender's side, completed")
    page.locator(f"main a[href='/persone/{person_a.pk}/']").click()
    page.wait_for_url(f"**/persone/{person_a.pk}/")
    on_record = page.locator(f"#referrals [data-referral='{referral.pk}']")
    expect(on_record.locator("[data-state]")).to_have_attribute("data-state", S.COMPLETED)
    expect(on_record.locator("[data-state]")).to_have_text(label(S.COMPLETED))
    expect(on_record).to_contain_text("Accompagnata alla visita il 12")
    assert_accessible(page, label="person page with its referrals")
    assert_no_console_errors(page)


@pytest.fixture
def parish_lifts(lecco):
    """A parish's volunteers driving people to appointments: the parish does not use Prossimo
    and has no partner system."""
    from prossimo.directory.tests.factories import OrganizationFactory, service_in

    return service_in(
        lecco,
        name="Passaggi della parrocchia",
        organization=OrganizationFactory(name="Parrocchia San Nicolò"),
        needs=("practical-transport",),
    )


def test_the_sender_records_what_a_service_outside_prossimo_said_with_the_keyboard(
    page, operator, need, parish_lifts
):
    """Nobody receives the referral in Prossimo: the operator phones the parish, hears it was
    accepted and then done, and records both on the referral's page, keyboard alone."""
    from prossimo.referrals.services import send_referral

    referral = send_referral(
        operator, need=need, service=parish_lifts, consent_to_share=False, contact_phone=PHONE
    )
    login_as(page, operator)
    page.goto(f"/invii/{referral.pk}/")
    form = page.locator("#service-said")
    expect(form).to_be_visible()
    # The sender's own move (cancelling) stays where it was; the service's are only here.
    expect(page.locator("main form[id^='state-']")).to_have_count(1)
    expect(page.locator("#id_told-to_state option")).to_have_count(4)  # blank + 3 next states
    assert_accessible(page, label="referral page, service outside Prossimo, sender's side")

    # Submitted without a note: the error summary names the field, the choice is kept.
    tab_to(page, "#id_told-to_state")
    assert_focus_visible(page, label="the state the service reported")
    page.keyboard.press("ArrowDown")  # received
    page.keyboard.press("ArrowDown")  # accepted
    expect(page.locator("#id_told-to_state")).to_have_value(S.ACCEPTED)
    tab_to(page, "#service-said button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#id_told-reason_error")).to_be_visible()
    expect(page.locator("[data-error-summary] a[href='#id_told-reason']")).to_be_visible()
    expect(page.locator("#id_told-to_state")).to_have_value(S.ACCEPTED)
    assert_accessible(page, label="what the service said, with its errors")

    tab_to(page, "#id_told-reason")
    page.keyboard.type("Don Luigi, al telefono: la accompagnano il 12")
    tab_to(page, "#service-said button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(f"main p[data-state='{S.ACCEPTED}']")).to_be_visible()

    # Then the parish says it is done: "completed", with who said so.
    tab_to(page, "#id_told-to_state")
    for _ in range(3):  # in progress, on hold, completed
        page.keyboard.press("ArrowDown")
    expect(page.locator("#id_told-to_state")).to_have_value(S.COMPLETED)
    tab_to(page, "#id_told-reason")
    page.keyboard.type("Don Luigi: accompagnata alla visita")
    tab_to(page, "#service-said button[type=submit]")
    assert_focus_visible(page, label="the record button")
    page.keyboard.press("Enter")
    state = page.locator(f"main p[data-state='{S.COMPLETED}']")
    expect(state).to_be_visible()
    expect(state.locator("[data-state]")).to_have_text(label(S.COMPLETED))
    expect(state.locator("[data-reason]")).to_have_text("Don Luigi: accompagnata alla visita")
    expect(page.locator("#service-said")).to_have_count(0)  # a final state
    told = page.locator("[data-transition] [data-via='phone']")
    expect(told).to_have_count(2)
    assert_accessible(page, label="referral page, completed as told by the service")
    assert_no_console_errors(page)
    moves = ReferralTransition.objects.filter(referral=referral).order_by("at", "pk")
    assert [(t.to_state, t.by, t.via) for t in moves] == [
        (S.REQUESTED, operator, "ui"),
        (S.ACCEPTED, operator, "phone"),
        (S.COMPLETED, operator, "phone"),
    ]
