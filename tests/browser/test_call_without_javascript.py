"""The call form works without JavaScript: every button is a plain form submission."""

import re

from playwright.sync_api import expect

from prossimo.listening.models import Contact, RedFlag
from tests.browser.conftest import login_as


def test_volunteer_logs_a_call_without_javascript(new_page, volunteer, person_a):
    page = new_page(java_script_enabled=False)
    login_as(page, volunteer)
    page.goto("/ascolto/chiamata/nuova/")

    # Find the caller and choose them: the page comes back with them chosen.
    page.fill("#id_search_q", "Rossi")
    page.locator("button[name=action][value=search]").click()
    page.locator(f"button[name=pick][value='{person_a.pk}']").click()
    expect(page.locator(f"input[name=who][value='{person_a.pk}']")).to_be_checked()

    # Two needs: the second row comes from the server.
    page.select_option("#id_needs-0-category", label="Solitudine e isolamento")
    page.locator("button[name=action][value=add_need]").click()
    page.select_option("#id_needs-1-category", label="Spesa")

    # Danger to life: without JavaScript the 112 block comes with the refused log.
    danger = page.locator(f"input[name=red_flags][value={RedFlag.DANGER_TO_LIFE}]")
    page.locator(f"label[for={danger.get_attribute('id')}]").click()
    page.locator("#call-form button[name=action][value=log]").click()
    expect(page.locator("#id_emergency_called_error")).to_be_visible()
    page.locator("label[for=id_emergency_called]").click()
    page.locator("#call-form button[name=action][value=log]").click()

    page.wait_for_url(re.compile(r"/ascolto/contatti/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-needs] li")).to_have_count(2)
    contact = Contact.objects.get()
    assert contact.status == Contact.Status.LOGGED
    assert contact.person == person_a
    assert contact.emergency_call_made_at is not None
