"""The services panel for screen-reader and keyboard users: what a refresh found is said,
the referral's details say whether they are shown, errors name the field they are about."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from prossimo.directory.models import ServiceNeed
from prossimo.listening.tests.test_views_calls import call_data
from prossimo.referrals import call_panel
from prossimo.referrals.tests.test_call_panel import (
    category,
    key,
    make_service,
    need_rows,
    panel_of,
)

pytestmark = pytest.mark.django_db


def status_text(html: str) -> str:
    found = re.search(r"<p [^>]*data-call-panel-status[^>]*>([^<]*)</p>", html)
    assert found, "the panel has no status text"
    return found.group(1)


def test_the_panel_says_how_many_services_it_found_a_service_under_two_needs_once(
    client, operator, person_a, lecco
):
    make_service("Telefono amico Lecco", "loneliness", lecco)
    both = make_service("Custodia sociale", "loneliness", lecco)
    ServiceNeed.objects.create(service=both, category=category("practical-transport"))
    client.force_login(operator)

    one_need = panel_of(client, who=str(person_a.pk), needs=need_rows("practical-transport"))
    two_needs = panel_of(
        client, who=str(person_a.pk), needs=need_rows("loneliness", "practical-transport")
    )

    # In the interface's language, Italian, with its plural forms.
    assert status_text(one_need.content.decode()) == "1 servizio trovato"
    assert status_text(two_needs.content.decode()) == "2 servizi trovati"


def test_no_live_region_comes_with_the_refreshed_panel(client, operator, person_a, lecco):
    # A live region swapped in together with its text is not announced: the page keeps one
    # outside the refreshed block (listening/call_form.js), the panel only gives the text.
    make_service("Telefono amico Lecco", "loneliness", lecco)
    client.force_login(operator)
    html = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness")).content.decode()
    assert "data-call-panel-status" in html
    assert 'role="status"' not in html and "aria-live" not in html


def test_without_a_need_the_panel_has_nothing_to_announce(client, operator, person_a):
    client.force_login(operator)
    html = panel_of(client, who=str(person_a.pk)).content.decode()
    assert "data-services-empty" in html and "data-call-panel-status" not in html


def test_send_a_referral_names_the_details_it_shows_and_says_they_are_shown(
    client, operator, person_a, lecco
):
    service = make_service("Telefono amico Lecco", "loneliness", lecco)
    client.force_login(operator)
    html = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness")).content.decode()
    box = re.search(rf'<input [^>]*name="{key(service, "loneliness")}-refer"[^>]*>', html)
    assert box
    controls = re.search(r'aria-controls="([^"]+)"', box.group(0))
    assert controls and f'id="{controls.group(1)}"' in html
    # Without JavaScript the details are always shown; call_form.js hides them while the box
    # is not ticked and keeps `aria-expanded` in step.
    assert 'aria-expanded="true"' in box.group(0) and "data-reveals" in box.group(0)


def visible_label(html: str, name: str) -> str:
    """The text of the <label> of the field `name` (the legend of its fieldset)."""
    found = re.search(rf'<label [^>]*for="id_{name}"[^>]*>([^<]*)', html) or re.search(
        rf'<fieldset id="id_{name}"[^>]*>\s*<legend[^>]*>([^<]*)</legend>', html
    )
    assert found, f"no label for {name}"
    return found.group(1).strip()


def test_each_field_of_the_panel_has_its_visible_label_for_the_error_summary(
    client, operator, person_a, lecco
):
    service = make_service("Telefono amico Lecco", "loneliness", lecco)
    client.force_login(operator)
    response = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness"))
    html = response.content.decode()
    (shown,) = response.context["call_panels"]
    k = key(service, "loneliness")
    for part in ("info", "refer", "consent", "summary", "phone"):
        with translation.override("it"):  # the page's language
            label = call_panel.field_label(shown.context, f"{k}-{part}")
        assert label == f"Telefono amico Lecco, {visible_label(html, f'{k}-{part}')}"
        assert f'id="id_{k}-{part}"' in html  # where the summary's link points
    assert call_panel.field_label(shown.context, "svc-0-gone-summary") == ""


def test_the_error_summary_names_each_panel_field_by_its_label_and_links_to_it(
    client, operator, person_a, lecco
):
    service = make_service("Telefono amico Lecco", "loneliness", lecco)
    client.force_login(operator)
    k = key(service, "loneliness")
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **{f"{k}-refer": "on", f"{k}-summary": "Vive sola", f"{k}-phone": "+390000000000"},
    )
    html = client.post(reverse("listening:call_new"), data).content.decode()
    summary = re.search(r"<div [^>]*data-error-summary.*?</div>", html, re.S)
    assert summary
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary.group(0)))
    assert set(links) == {f"id_{k}-summary", f"id_{k}-phone"}
    for part in ("summary", "phone"):
        assert f'id="id_{k}-{part}"' in html
        label = f"Telefono amico Lecco, {visible_label(html, f'{k}-{part}')}: "
        assert links[f"id_{k}-{part}"].startswith(label)
