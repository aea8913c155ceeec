"""Referrals and taking in charge in a real browser: axe-core finds no serious violation, no
script or CSP error shows, and a referral and a spreadsheet import work by keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    assert_accessible,
    assert_focus_visible,
    assert_no_console_errors,
    login_as,
    tab_to,
)


@pytest.fixture
def referral(social_worker, person_a, telefonia):
    from prossimo.programmes.models import Enrolment
    from prossimo.programmes.services import ReferralInput, refer_person

    return refer_person(
        social_worker,
        programme=telefonia,
        person=person_a,
        referral=ReferralInput(reason="Vive sola", consent=Enrolment.Consent.GIVEN),
    )


PAGES = [
    ("coordinator", lambda e: "/programmi/prese-in-carico/"),
    ("coordinator", lambda e: f"/programmi/presa-in-carico/{e.pk}/"),
    ("social_worker", lambda e: f"/programmi/presa-in-carico/{e.pk}/"),
    ("social_worker", lambda e: "/programmi/segnalazioni/"),
    ("social_worker", lambda e: "/programmi/segnala/"),
    ("social_worker", lambda e: "/programmi/segnala/nuova-persona/"),
    ("social_worker", lambda e: f"/programmi/segnala/persona/{e.person_id}/"),
    ("social_worker", lambda e: "/programmi/segnala/importa/"),
    ("coordinator", lambda e: "/programmi/"),
    ("coordinator", lambda e: "/programmi/programma/telefonia-sociale/"),
    ("social_worker", lambda e: f"/persone/{e.person_id}/"),
]


@pytest.mark.parametrize(
    ("role", "path"), PAGES, ids=[f"{r}-{i}" for i, (r, _p) in enumerate(PAGES)]
)
def test_referral_pages_have_no_serious_accessibility_violation(
    page, request, referral, role, path
):
    login_as(page, request.getfixturevalue(role))
    page.goto(path(referral))
    assert_accessible(page, label=path(referral))
    assert_no_console_errors(page)


def test_the_state_forms_showing_their_errors_are_accessible(page, coordinator, referral):
    login_as(page, coordinator)
    page.goto(f"/programmi/presa-in-carico/{referral.pk}/")
    page.locator("#state-closed button[type=submit]").click()
    page.locator("#id_closed-reason_error").wait_for()
    assert_accessible(page, label="close form with errors")
    assert_no_console_errors(page)


def test_a_referral_by_keyboard_alone(page, social_worker, person_a, telefonia):
    from prossimo.programmes.models import Enrolment

    login_as(page, social_worker)
    page.goto(f"/programmi/segnala/persona/{person_a.pk}/")
    tab_to(page, "#id_programme")
    assert_focus_visible(page, label="programme")
    page.keyboard.press("ArrowDown")  # the first (and only active) programme with a referral
    tab_to(page, "#id_reason")
    page.keyboard.type("Vive sola, la figlia è all'estero")
    tab_to(page, "#referral-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/presa-in-carico/**")
    enrolment = Enrolment.objects.get(person=person_a)
    assert enrolment.reason == "Vive sola, la figlia è all'estero"
    assert_no_console_errors(page)


def test_an_import_preview_is_accessible_and_confirmed_by_keyboard(
    page, social_worker, person_a, telefonia, tmp_path, settings
):
    from prossimo.programmes.models import Enrolment

    settings.PROSSIMO_IMPORT_DIR = tmp_path / "imports"
    sheet = tmp_path / "segnalazioni.csv"
    sheet.write_text(
        "\ufeffnome;cognome;data_nascita;comune;telefono;motivo;consenso\r\n"
        "Giuseppe;Verdi;12/05/1940;Lecco;333 765 4321;Vive solo;si\r\n"
        "Anna;Neri;ieri;Lecco;;Vive sola;si\r\n"
        "Bruna;Gialli;01/02/1941;Lecco;340 123 4567;Vedova;si\r\n",
        encoding="utf-8",
    )
    login_as(page, social_worker)
    page.goto("/programmi/segnala/importa/")
    page.select_option("#id_programme", "telefonia-sociale")
    page.set_input_files("#id_file", str(sheet))
    page.locator("form[enctype] button[type=submit]").click()
    page.locator("[data-status=duplicate]").wait_for()
    assert_accessible(page, label="import preview")
    tab_to(page, "button[form=confirm-form]")
    page.keyboard.press("Enter")
    page.locator("[data-outcome]").first.wait_for()
    assert_accessible(page, label="import result")
    assert_no_console_errors(page)
    assert Enrolment.objects.filter(person__last_name="Verdi").exists()
    assert not Enrolment.objects.filter(person__last_name="Gialli").exists()  # skipped


def test_the_result_page_follows_an_import_until_it_is_done(
    page, social_worker, telefonia, tmp_path, settings
):
    from prossimo.programmes import imports
    from prossimo.programmes.models import ImportJob
    from prossimo.programmes.tests.test_imports import row

    settings.PROSSIMO_IMPORT_DIR = tmp_path / "imports"
    token, key = imports.store_pending([row()])
    job = imports.start_import(social_worker, programme=telefonia, token=token, key=key, choices={})
    login_as(page, social_worker)
    page.goto(f"/programmi/segnala/importa/{token}/esito/")
    page.locator("[data-job-state=queued]").wait_for()
    assert_accessible(page, label="import waiting")
    imports.run_import(job.pk)  # the worker, meanwhile
    page.locator("[data-job-state=done]").wait_for(timeout=10_000)
    assert page.locator("[data-outcome=created]").count() == 1
    assert page.locator("#import-job-announce").inner_text() != ""
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE
    assert_accessible(page, label="import done")
    assert_no_console_errors(page)
