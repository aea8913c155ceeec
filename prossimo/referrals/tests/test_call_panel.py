"""The call form's "Useful services" panel: the directory's services meeting the needs chosen
where the caller lives, "information given" and referrals sent without leaving the call."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prossimo.directory.models import (
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceMunicipality,
    ServiceNeed,
)
from prossimo.listening.models import Contact, Need, NeedCategory
from prossimo.listening.tests.test_views_calls import call_data
from prossimo.referrals import call_panel
from prossimo.referrals.models import Referral, ServiceInformation
from prossimo.referrals.services import record_information_given

pytestmark = pytest.mark.django_db

PHONE = "+393401234567"  # Maria Rossi's (root conftest)


def category(code: str) -> NeedCategory:
    return NeedCategory.objects.get(code=code)


def make_service(name: str, code: str, *places: Any, active: bool = True) -> Service:
    """An active service of its own organization meeting the need `code`, serving `places`,
    with a phone and weekday morning hours."""
    organization = Organization.objects.create(name=f"Ente {name}", description="Ente")
    service = Service.objects.create(
        organization=organization,
        name=name,
        status=Service.Status.ACTIVE if active else Service.Status.INACTIVE,
    )
    ServiceNeed.objects.create(service=service, category=category(code))
    for place in places:
        ServiceMunicipality.objects.create(
            service=service, municipality=place, source=ServiceMunicipality.Source.MANUAL
        )
    Phone.objects.create(service=service, number="0341 123456")
    Schedule.objects.create(
        service=service,
        freq=Schedule.Frequency.WEEKLY,
        byday="MO,TU,WE,TH,FR",
        opens_at=dt.time(9, 0),
        closes_at=dt.time(12, 30),
    )
    return service


@pytest.fixture
def company(lecco) -> Service:
    return make_service("Telefono amico Lecco", "loneliness", lecco)


@pytest.fixture
def monza_company(monza) -> Service:
    return make_service("Telefono amico Monza", "loneliness", monza)


@pytest.fixture
def closed_company(lecco) -> Service:
    return make_service("Compagnia chiusa", "loneliness", lecco, active=False)


@pytest.fixture
def transport(lecco) -> Service:
    return make_service("Accompagnamento visite", "practical-transport", lecco)


def key(service: Service, code: str) -> str:
    return f"svc-{category(code).pk}-{service.pk.hex}"


def need_rows(*codes: str) -> list[dict[str, str]]:
    return [{"category": str(category(code).pk), "note": ""} for code in codes]


def services_shown(html: str) -> set[str]:
    return set(re.findall(r'data-service="([0-9a-f-]+)"', html))


def panel_of(client, **fields: Any) -> Any:
    """The HTMX refresh of the panels (the autosave address, asked for the panels only)."""
    data = call_data(action="", part="panels", **fields)
    return client.post(reverse("listening:call_autosave"), data, HTTP_HX_REQUEST="true")


def referral_fields(service: Service, code: str, **values: str) -> dict[str, str]:
    k = key(service, code)
    fields = {f"{k}-refer": "on", f"{k}-phone": PHONE}
    fields.update({f"{k}-{name}": value for name, value in values.items()})
    return fields


# --- what the panel shows --------------------------------------------------------------------


def test_the_panel_shows_the_services_meeting_the_need_where_the_person_lives(
    client, operator, person_a, company, monza_company, closed_company, transport
):
    client.force_login(operator)
    response = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness"))
    html = response.content.decode()
    assert response.status_code == 200
    assert services_shown(html) == {str(company.pk)}
    assert 'href="tel:+390341123456"' in html
    assert "09:00–12:30" in html
    assert reverse("directory:service", args=[company.pk]) in html
    assert 'id="call-panels-body"' in html
    assert not Contact.objects.exists()  # a read: the form's autosave keeps the draft


def test_an_anonymous_callers_municipality_chooses_the_services(
    client, volunteer, company, monza_company
):
    client.force_login(volunteer)
    response = panel_of(
        client, who="anonymous", caller_municipality="Monza", needs=need_rows("loneliness")
    )
    assert services_shown(response.content.decode()) == {str(monza_company.pk)}


def test_without_a_municipality_the_services_of_every_municipality_are_shown(
    client, volunteer, company, monza_company
):
    client.force_login(volunteer)
    response = panel_of(client, who="anonymous", needs=need_rows("loneliness"))
    assert services_shown(response.content.decode()) == {str(company.pk), str(monza_company.pk)}


def test_without_a_need_the_panel_asks_for_one(client, volunteer, company):
    client.force_login(volunteer)
    response = panel_of(client, who="anonymous")
    html = response.content.decode()
    assert "data-services-empty" in html and not services_shown(html)


def test_without_javascript_the_full_page_shows_the_same_panel(
    client, operator, person_a, company, monza_company, transport
):
    client.force_login(operator)
    fields = {"who": str(person_a.pk), "needs": need_rows("loneliness", "practical-transport")}
    partial = services_shown(panel_of(client, **fields).content.decode())
    # The panel's own button (no JavaScript): keeps a draft and shows the page again.
    response = client.post(reverse("listening:call_new"), call_data(action="panels", **fields))
    assert response.status_code == 302 and response["Location"].endswith("#call-panels")
    page = client.get(response["Location"]).content.decode()
    assert services_shown(page) == partial == {str(company.pk), str(transport.pk)}
    assert 'id="call-services"' in page


def test_the_panel_reads_a_fixed_number_of_queries_whatever_the_number_of_needs(
    client, operator, person_a, lecco
):
    codes = ["loneliness", "practical-transport", "housing"]
    for code in codes:
        make_service(f"Servizio {code}", code, lecco)
        make_service(f"Altro servizio {code}", code, lecco)
    client.force_login(operator)
    panel_of(client, who=str(person_a.pk), needs=need_rows(codes[0]))  # warm the caches

    def queries(codes: list[str]) -> int:
        rows = need_rows(*codes)
        with CaptureQueriesContext(connection) as captured:
            response = panel_of(client, who=str(person_a.pk), needs=rows)
        assert len(services_shown(response.content.decode())) == 2 * len(codes)
        return len(captured)

    assert queries(codes[:1]) == queries(codes)


def test_the_services_of_several_needs_are_one_statement(lecco, monza):
    services = [make_service(f"S{i}", "loneliness", lecco) for i in range(7)]
    make_service("Trasporti", "practical-transport", lecco)
    ids = [category("loneliness").pk, category("practical-transport").pk, category("housing").pk]
    with CaptureQueriesContext(connection) as captured:
        found = call_panel.services_for_needs(ids, lecco.pk)
    assert len(captured) <= 7
    assert [h.service.name for h in found[ids[0]]] == [s.name for s in services[:5]]
    assert [h.service.name for h in found[ids[1]]] == ["Trasporti"]
    assert ids[2] not in found


# --- who may refer ---------------------------------------------------------------------------


def test_a_volunteer_sees_no_referral_option_but_can_give_information(
    client, volunteer, person_a, company
):
    client.force_login(volunteer)
    html = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness")).content.decode()
    assert "data-information-given" in html
    assert "data-send-referral-here" not in html and "data-referral-details" not in html


def test_a_volunteer_posting_a_referral_anyway_sends_nothing(client, volunteer, person_a, company):
    client.force_login(volunteer)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **referral_fields(company, "loneliness", consent="on", summary="Sola"),
    )
    response = client.post(reverse("listening:call_new"), data)
    assert response.status_code == 302
    assert not Referral.objects.exists()


def test_an_anonymous_caller_cannot_be_referred(client, operator, company, lecco):
    client.force_login(operator)
    response = panel_of(
        client, who="anonymous", caller_municipality="Lecco", needs=need_rows("loneliness")
    )
    html = response.content.decode()
    assert 'data-no-referral="anonymous"' in html
    assert "data-send-referral-here" not in html and "data-information-given" in html


def test_staff_see_the_referral_option_with_the_persons_phones(client, operator, person_a, company):
    client.force_login(operator)
    html = panel_of(client, who=str(person_a.pk), needs=need_rows("loneliness")).content.decode()
    k = key(company, "loneliness")
    assert f'name="{k}-refer"' in html and f'name="{k}-consent"' in html
    assert re.search(rf'name="{k}-phone" id="[^"]+" value="\{PHONE}" checked', html)


# --- information given -----------------------------------------------------------------------


def test_information_given_is_recorded_with_the_need_and_audited(
    client, volunteer, person_a, company, transport
):
    client.force_login(volunteer)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("practical-transport", "loneliness"),
        **{f"{key(company, 'loneliness')}-info": "on"},
    )
    response = client.post(reverse("listening:call_new"), data)
    contact = Contact.objects.get(status=Contact.Status.LOGGED)
    assert response["Location"] == reverse("listening:contact_detail", args=[contact.pk])
    information = ServiceInformation.objects.get()
    assert information.need == Need.objects.get(contact=contact, category__code="loneliness")
    assert (information.service, information.contact, information.given_by) == (
        company,
        contact,
        volunteer,
    )
    entry = LogEntry.objects.get(additional_data__event="referrals.information.given")
    assert entry.additional_data["person"] == str(person_a.pk)


def test_the_contact_page_shows_what_the_caller_was_told_about_and_the_referrals(
    client, operator, person_a, company, transport
):
    client.force_login(operator)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness", "practical-transport"),
        **{f"{key(company, 'loneliness')}-info": "on"},
        **referral_fields(transport, "practical-transport"),
    )
    response = client.post(reverse("listening:call_new"), data, follow=True)
    html = response.content.decode()
    need = Need.objects.get(category__code="loneliness")
    moved = Need.objects.get(category__code="practical-transport")
    assert f'data-need-informed="{need.pk}"' in html
    assert f'data-informed-service="{company.pk}"' in html
    assert f'data-need-referrals="{moved.pk}"' in html and 'data-state="requested"' in html


def test_ticks_are_kept_in_the_draft_and_after_an_error(client, volunteer, person_a, company):
    client.force_login(volunteer)
    name = f"{key(company, 'loneliness')}-info"
    fields = {"who": str(person_a.pk), "needs": need_rows("loneliness"), name: "on"}
    client.post(reverse("listening:call_autosave"), call_data(action="", **fields))
    draft = Contact.objects.get(status=Contact.Status.DRAFT)
    assert draft.draft_data[name] == ["on"]
    page = client.get(reverse("listening:call_draft", args=[draft.pk])).content.decode()
    assert re.search(rf'name="{name}" id="id_{name}" checked', page)

    # A call-back without its date: not logged, the tick is still there.
    data = call_data(
        draft=str(draft.pk),
        version=str(draft.version),
        follow_up_reason="Richiamare",
        **fields,
    )
    response = client.post(reverse("listening:call_draft", args=[draft.pk]), data)
    assert response.status_code == 200
    assert re.search(rf'name="{name}" id="id_{name}" checked', response.content.decode())
    assert not ServiceInformation.objects.exists()


def test_telling_again_about_the_same_service_keeps_the_first_record(volunteer, need, company):
    first = record_information_given(volunteer, need=need, service=company)
    assert record_information_given(volunteer, need=need, service=company) == first
    assert ServiceInformation.objects.count() == 1


def test_nobody_records_information_on_a_need_they_cannot_see(outsider, need, company):
    with pytest.raises(PermissionDenied):
        record_information_given(outsider, need=need, service=company)


def test_information_about_an_inactive_service_is_refused(volunteer, need, closed_company):
    with pytest.raises(ValidationError):
        record_information_given(volunteer, need=need, service=closed_company)


# --- referrals sent with the call ------------------------------------------------------------


def test_a_referral_is_sent_when_the_call_is_logged(client, operator, person_a, company):
    client.force_login(operator)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **referral_fields(company, "loneliness", consent="on", summary="Vive sola"),
    )
    response = client.post(reverse("listening:call_new"), data)
    assert response.status_code == 302
    contact = Contact.objects.get(status=Contact.Status.LOGGED)
    referral = Referral.objects.get()
    assert referral.need == contact.needs.get()
    assert (referral.service, referral.person, referral.sender) == (company, person_a, operator)
    assert (referral.share_consent, referral.shared_summary, referral.contact_phone) == (
        True,
        "Vive sola",
        PHONE,
    )
    assert referral.need.status == Need.Status.IN_PROGRESS


def test_a_referral_without_consent_sends_only_the_minimum(client, operator, person_a, company):
    client.force_login(operator)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **referral_fields(company, "loneliness"),
    )
    client.post(reverse("listening:call_new"), data)
    referral = Referral.objects.get()
    assert (referral.share_consent, referral.shared_summary) == (False, "")


def test_a_summary_without_consent_is_an_error_and_nothing_is_logged(
    client, operator, person_a, company
):
    client.force_login(operator)
    k = key(company, "loneliness")
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **{f"{k}-info": "on"},
        **referral_fields(company, "loneliness", summary="Vive sola"),
    )
    response = client.post(reverse("listening:call_new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="#id_{k}-summary"' in html  # in the error summary
    assert f'id="id_{k}-summary_error"' in html and 'aria-invalid="true"' in html
    assert ">Vive sola</textarea>" in html
    assert not Contact.objects.filter(status=Contact.Status.LOGGED).exists()
    assert not Need.objects.exists() and not Referral.objects.exists()
    assert not ServiceInformation.objects.exists()
    assert Contact.objects.get(status=Contact.Status.DRAFT).draft_data[f"{k}-summary"] == [
        "Vive sola"
    ]


def test_a_referral_refused_after_logging_undoes_the_whole_call(
    client, operator, person_a, company, monkeypatch
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValidationError({"service": ["This need was already sent to this service."]})

    monkeypatch.setattr(call_panel, "send_referral", refuse)
    client.force_login(operator)
    k = key(company, "loneliness")
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **{f"{k}-info": "on"},
        **referral_fields(company, "loneliness"),
    )
    response = client.post(reverse("listening:call_new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{k}-refer_error"' in html
    assert not Contact.objects.filter(status=Contact.Status.LOGGED).exists()
    assert not Need.objects.exists() and not ServiceInformation.objects.exists()


@pytest.mark.parametrize("error", [PermissionDenied, IntegrityError])
def test_a_refusal_or_a_clash_after_logging_undoes_the_call_with_a_message(
    client, operator, person_a, company, monkeypatch, error
):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(call_panel, "send_referral", fail)
    client.force_login(operator)
    data = call_data(
        who=str(person_a.pk),
        needs=need_rows("loneliness"),
        **referral_fields(company, "loneliness"),
    )
    response = client.post(reverse("listening:call_new"), data)
    assert response.status_code == 200
    assert "data-error-summary" in response.content.decode()
    assert not Contact.objects.filter(status=Contact.Status.LOGGED).exists()
    assert not Need.objects.exists()


# --- where referrals stand, on the listening pages --------------------------------------------


def test_the_call_form_shows_where_the_callers_open_needs_referrals_stand(
    client, operator, person_a, referral
):
    client.force_login(operator)
    response = client.get(reverse("listening:call_for_person", args=[person_a.pk]))
    html = response.content.decode()
    assert f'data-need-referrals="{referral.need_id}"' in html
    assert "data-send-referral=" not in html  # the call form is not left for the referral page
