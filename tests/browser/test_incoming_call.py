"""Acceptance 9: a call rings, the volunteer on duty answers and logs it, the coordinator
acts on the alert it raised — two people at two desks, each in their own browser."""

import re

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from prossimo.listening.models import Alert, Contact, Need, RedFlag
from prossimo.telephony.models import IncomingCall
from tests.browser.conftest import (
    assert_no_console_errors,
    login_as,
    tab_to,
    wait_for_draft_saved,
)

UUID = r"[0-9a-f-]{36}"


def in_italian(message: str) -> str:
    with translation.override("it"):
        return gettext(message)


def test_volunteer_on_duty_answers_a_ringing_call_and_the_coordinator_resolves_its_alert(
    new_page, volunteer, coordinator, person_a, pbx
):
    desk = new_page()
    login_as(desk, volunteer)
    board = new_page()
    login_as(board, coordinator)

    # The coordinator keeps the alerts page open; nothing to act on yet.
    board.goto("/ascolto/allerte/")
    expect(board.locator("#alert-board [data-alert]")).to_have_count(0)

    # The volunteer starts their duty with the keyboard: the region starts polling.
    desk.goto("/")
    tab_to(desk, "#telephony-duty-start")
    desk.keyboard.press("Enter")
    expect(desk.locator("#telephony-duty-end")).to_be_visible()

    # Maria Rossi calls: within two seconds the banner says who it probably is.
    call = pbx.send("ringing", "1700000000.42", caller="340 123 4567")
    assert call["state"] == IncomingCall.State.RINGING
    banner = desk.locator("[data-incoming-calls]")
    expect(banner).to_be_visible(timeout=2_000)
    expect(banner).to_contain_text(person_a.full_name)

    # The next polls bring nothing new (204): the alert stays the same element, so screen
    # readers announce the call once.
    shown = banner.element_handle()
    for _ in range(2):
        with desk.expect_response(lambda r: "/telefonia/in-arrivo/" in r.url) as poll:
            pass
        assert poll.value.status == 204
    assert shown.evaluate("el => el.isConnected")

    # Answer with the keyboard: the call form opens on a draft, Maria Rossi chosen.
    tab_to(desk, f"#answer-{call['call']}")
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(rf"/ascolto/chiamata/{UUID}/$"))
    assert "3401234567" not in desk.url
    expect(desk.locator(f"input[name=who][value='{person_a.pk}']")).to_be_checked()
    expect(desk.locator("[data-incoming-calls]")).to_have_count(0)

    # Two needs, each with a note, and a red flag; then log the call.
    desk.select_option("#id_needs-0-category", label="Solitudine e isolamento")
    desk.fill("#id_needs-0-note", "Vive sola da quando è morto il marito")
    desk.locator("[data-formset-add=needs]").click()
    expect(desk.locator("#id_needs-1-category")).to_be_focused()
    desk.select_option("#id_needs-1-category", label="Spesa")
    desk.fill("#id_needs-1-note", "Non riesce a uscire per la spesa")
    red_flag = desk.locator(f"input[name=red_flags][value={RedFlag.ALONE_AND_UNWELL}]")
    # Bootstrap Italia draws the box on the label, which takes the clicks.
    desk.locator(f"label[for={red_flag.get_attribute('id')}]").click()
    expect(red_flag).to_be_checked()
    wait_for_draft_saved(desk)
    desk.locator("#call-form button[name=action][value=log]").click()
    desk.wait_for_url(re.compile(rf"/ascolto/contatti/{UUID}/$"))
    expect(desk.locator("main [role=status]")).to_contain_text(in_italian("The call is logged."))
    needs = desk.locator("[data-needs] li")
    expect(needs).to_have_count(2)
    expect(needs.nth(0)).to_contain_text("Vive sola da quando è morto il marito")
    expect(needs.nth(1)).to_contain_text("Non riesce a uscire per la spesa")
    with translation.override("it"):
        flag = str(RedFlag.ALONE_AND_UNWELL.label)
    expect(desk.locator("[data-alerts]")).to_contain_text(flag)

    contact = Contact.objects.get(status=Contact.Status.LOGGED)
    assert contact.person == person_a
    assert contact.caller_number == "+393401234567"
    assert sorted(
        Need.objects.filter(contact=contact).values_list("category__code", flat=True)
    ) == [
        "loneliness",
        "practical-shopping",
    ]
    assert IncomingCall.objects.get(contact=contact).answered_by == volunteer
    alert = Alert.objects.get(contact=contact)

    # The coordinator's page shows the alert at its next refresh (every 10 s), not reloaded.
    row = board.locator(f"#alert-board [data-alert='{alert.pk}']")
    expect(row).to_contain_text(flag, timeout=12_000)
    expect(row).to_contain_text(person_a.full_name)
    row.locator(f"#ack-{alert.pk}").click()
    expect(board.locator("#alert-board-status")).to_contain_text(
        in_italian("Alert acknowledged: %(flag)s, %(who)s.")
        % {"flag": flag, "who": person_a.full_name}
    )
    expect(board.locator(f"#ack-{alert.pk}")).to_have_count(0)

    # Resolve it, saying what was done: it moves among the resolved ones.
    board.locator(f"#alert-board [data-alert='{alert.pk}'] a[href$='#resolve']").click()
    board.wait_for_url(f"**/ascolto/allerte/{alert.pk}/#resolve")
    board.fill("#id_resolution", "Chiamata la figlia, che è passata alle 11.")
    board.locator("#resolve button[type=submit]").click()
    board.wait_for_url("**/ascolto/allerte/")
    expect(board.locator("main [role=status]").first).to_contain_text(
        in_italian("The alert is resolved.")
    )
    expect(board.locator("section[aria-labelledby=h-unresolved] [data-alert]")).to_have_count(0)
    resolved = board.locator(f"section[aria-labelledby=h-resolved] [data-alert='{alert.pk}']")
    expect(resolved).to_contain_text("Chiamata la figlia, che è passata alle 11.")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.acknowledged_by == coordinator
    assert alert.resolved_by == coordinator

    assert_no_console_errors(desk)
    assert_no_console_errors(board)
