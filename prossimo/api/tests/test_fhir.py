"""FHIR exchange: referrals as ServiceRequest and Task, screenings as QuestionnaireResponse,
Task status updates from partner systems; every document validated with fhir.resources (R4B)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from prossimo.referrals.models import Referral, ReferralDestination
from prossimo.referrals.services import send_referral
from prossimo.referrals.tests import conftest as referral_fixtures
from prossimo.territory.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The referrals app's fixtures: a service received by "Auser Lecco", a need, a referral.
_english = referral_fixtures._english
hsds_org = referral_fixtures.hsds_org
loneliness = referral_fixtures.loneliness
need = referral_fixtures.need
outside_service = referral_fixtures.outside_service
receiver = referral_fixtures.receiver
receiving_org = referral_fixtures.receiving_org
referral = referral_fixtures.referral
sender = referral_fixtures.sender
service = referral_fixtures.service
unshared = referral_fixtures.unshared
PHONE = referral_fixtures.PHONE

S = Referral.State
FHIR = "application/fhir+json"


def _get(client, token, path):
    return client.get(path, headers={"Authorization": f"Bearer {token}", "Accept": FHIR})


def _put(client, token, path, body, **headers):
    return client.put(
        path,
        json.dumps(body),
        content_type=FHIR,
        headers={"Authorization": f"Bearer {token}", **headers},
    )


def _outcome(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith(FHIR)
    return OperationOutcome.model_validate(response.json())


def test_a_referral_reads_as_a_valid_service_request(client, make_token, referral, receiver):
    response = _get(client, make_token(receiver), f"/api/fhir/ServiceRequest/{referral.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR)
    resource = ServiceRequest.model_validate(response.json())
    assert resource.id == str(referral.pk)
    assert (resource.status, resource.intent) == ("active", "order")
    assert resource.code.coding[0].code == "loneliness"
    assert resource.code.coding[0].system.endswith("/CodeSystem/need-category")
    assert resource.subject.reference == "#person"
    patient = resource.contained[0]
    assert patient.name[0].family == "Rossi" and patient.telecom[0].value == PHONE
    assert resource.note[0].text == "Vive sola, preferisce il mattino"
    performer = resource.performer[0]
    assert performer.identifier.value == f"urn:uuid:{referral.service.organization_id}"
    assert resource.requester.display == "Cooperativa A"
    assert response["ETag"] == 'W/"1"'


def test_without_consent_the_documents_name_nobody_and_carry_no_note(
    client, make_token, unshared, receiver
):
    token = make_token(receiver)
    body = _get(client, token, f"/api/fhir/ServiceRequest/{unshared.pk}").json()
    resource = ServiceRequest.model_validate(body)
    assert resource.note is None
    patient = resource.contained[0]
    assert patient.name is None and patient.birthDate is None
    assert patient.telecom[0].value == PHONE
    assert "Rossi" not in json.dumps(body)
    task = _get(client, token, f"/api/fhir/Task/{unshared.pk}").json()
    Task.model_validate(task)
    assert "Rossi" not in json.dumps(task)


def test_a_referral_reads_as_a_valid_task(client, make_token, referral, receiver, sender):
    from prossimo.referrals.services import change_referral_state

    change_referral_state(receiver, referral=referral, to_state=S.REJECTED, reason="Pieno")
    response = _get(client, make_token(sender), f"/api/fhir/Task/{referral.pk}")
    resource = Task.model_validate(response.json())
    assert (resource.status, resource.intent) == ("rejected", "order")
    assert resource.focus.reference == f"ServiceRequest/{referral.pk}"
    assert resource.statusReason.text == "Pieno"
    assert resource.owner.display == "Auser Lecco"
    assert resource.authoredOn is not None and resource.lastModified is not None
    sr = _get(client, make_token(sender), f"/api/fhir/ServiceRequest/{referral.pk}").json()
    assert ServiceRequest.model_validate(sr).status == "revoked"


def test_a_screening_reads_as_a_valid_questionnaire_response(
    client, make_token, volunteer, person_a
):
    from prossimo.questionnaires.loader import ensure_shipped_questionnaires
    from prossimo.questionnaires.models import Questionnaire
    from prossimo.questionnaires.services import record_response

    ensure_shipped_questionnaires()
    ucla = Questionnaire.objects.get(code="ucla-3", version=1)
    answers = {item["id"]: "often" for item in ucla.definition["items"]}
    response_row = record_response(volunteer, person=person_a, questionnaire=ucla, answers=answers)
    response = _get(
        client, make_token(volunteer), f"/api/fhir/QuestionnaireResponse/{response_row.pk}"
    )
    assert response.status_code == 200
    resource = QuestionnaireResponse.model_validate(response.json())
    assert resource.status == "completed"
    assert resource.questionnaire.endswith("/Questionnaire/ucla-3|1")
    assert [i.linkId for i in resource.item] == [i["id"] for i in ucla.definition["items"]]
    assert {i.answer[0].valueCoding.code for i in resource.item} == {"often"}
    assert all(i.answer[0].valueCoding.display for i in resource.item)
    assert resource.subject.identifier.value == f"urn:uuid:{person_a.pk}"


def test_reads_outside_the_scope_are_a_404_operation_outcome(
    client, make_token, referral, outsider
):
    token = make_token(outsider)
    for kind in ("ServiceRequest", "Task", "QuestionnaireResponse"):
        outcome = _outcome(_get(client, token, f"/api/fhir/{kind}/{referral.pk}"), 404)
        assert outcome.issue[0].code == "not-found"
    _outcome(_get(client, token, "/api/fhir/Task/not-a-uuid"), 404)


def test_monitoring_officers_read_nothing(client, make_token, referral, monitoring):
    token = make_token(monitoring)
    _outcome(_get(client, token, f"/api/fhir/Task/{referral.pk}"), 404)
    _outcome(_get(client, token, f"/api/fhir/QuestionnaireResponse/{referral.pk}"), 403)


def test_without_credentials_the_answer_is_401(client, referral):
    assert client.get(f"/api/fhir/Task/{referral.pk}").status_code == 401


def test_a_partner_moves_the_task_and_the_history_says_fhir(client, make_token, referral, receiver):
    token = make_token(receiver)
    task = _get(client, token, f"/api/fhir/Task/{referral.pk}").json()
    task["status"] = "accepted"
    response = _put(client, token, f"/api/fhir/Task/{referral.pk}", task, **{"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(FHIR)
    assert Task.model_validate(response.json()).status == "accepted"
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED
    last = referral.transitions.last()
    assert (last.via, last.by, last.from_state) == ("fhir", receiver, S.REQUESTED)


def test_the_status_reason_is_the_reason(client, make_token, referral, receiver):
    body = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "status": "rejected",
        "intent": "order",
        "statusReason": {"text": "Nessun volontario disponibile"},
    }
    response = _put(client, make_token(receiver), f"/api/fhir/Task/{referral.pk}", body)
    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == (S.REJECTED, "Nessun volontario disponibile")


def test_a_move_the_rules_refuse_is_a_422_operation_outcome(client, make_token, referral, receiver):
    token = make_token(receiver)
    body = {"resourceType": "Task", "status": "completed", "intent": "order"}
    outcome = _outcome(_put(client, token, f"/api/fhir/Task/{referral.pk}", body), 422)
    assert outcome.issue[0].code == "business-rule"
    body = {"resourceType": "Task", "status": "rejected", "intent": "order"}
    outcome = _outcome(_put(client, token, f"/api/fhir/Task/{referral.pk}", body), 422)
    assert outcome.issue[0].expression == ["Task.statusReason"]
    referral.refresh_from_db()
    assert referral.state == S.REQUESTED


def test_stale_versions_are_refused(client, make_token, referral, receiver):
    token = make_token(receiver)
    path = f"/api/fhir/Task/{referral.pk}"
    body = {"resourceType": "Task", "status": "received", "intent": "order"}
    assert _put(client, token, path, body).status_code == 200
    body = {"resourceType": "Task", "status": "accepted", "intent": "order"}
    outcome = _outcome(_put(client, token, path, body, **{"If-Match": 'W/"1"'}), 412)
    assert outcome.issue[0].code == "conflict"
    stale = {**body, "meta": {"versionId": "1"}}
    _outcome(_put(client, token, path, stale), 409)
    referral.refresh_from_db()
    assert referral.state == S.RECEIVED


def test_a_change_between_the_check_and_the_lock_is_refused_as_stale(
    client, make_token, referral, receiver, monkeypatch
):
    """Someone moves the referral after the If-Match check and before the service locks it:
    412 with If-Match (as if seen at once), 409 with meta.versionId; nothing moves."""
    from django.db.models import F

    from prossimo.api import fhir

    token = make_token(receiver)
    path = f"/api/fhir/Task/{referral.pk}"
    original = fhir._expected_version

    def meanwhile(request):
        found = original(request)
        Referral.objects.filter(pk=referral.pk).update(version=F("version") + 1)
        return found

    monkeypatch.setattr(fhir, "_expected_version", meanwhile)
    body = {"resourceType": "Task", "status": "received", "intent": "order"}
    assert _outcome(_put(client, token, path, body, **{"If-Match": 'W/"1"'}), 412)
    stale = {**body, "meta": {"versionId": "2"}}
    assert _outcome(_put(client, token, path, stale), 409)
    referral.refresh_from_db()
    assert (referral.state, referral.version) == (S.REQUESTED, 3)


def test_a_new_reason_alone_is_refused_and_a_retry_is_safe(client, make_token, referral, receiver):
    token = make_token(receiver)
    path = f"/api/fhir/Task/{referral.pk}"
    body = {
        "resourceType": "Task",
        "status": "rejected",
        "intent": "order",
        "statusReason": {"text": "Fuori zona"},
    }
    assert _put(client, token, path, body).status_code == 200
    moves = referral.transitions.count()
    # The same Task again (a retry): nothing changes, 200.
    assert _put(client, token, path, body).status_code == 200
    referral.refresh_from_db()
    assert (referral.state, referral.reason, referral.transitions.count()) == (
        S.REJECTED,
        "Fuori zona",
        moves,
    )
    changed = {**body, "statusReason": {"text": "Posti esauriti"}}
    outcome = _outcome(_put(client, token, path, changed), 422)
    assert outcome.issue[0].expression == ["Task.statusReason"]
    referral.refresh_from_db()
    assert referral.reason == "Fuori zona"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"resourceType": "Patient"},
        {"resourceType": "Task", "status": "accepted"},  # intent is required
        {"resourceType": "Task", "status": "flying", "intent": "order"},
        {"resourceType": "Task", "status": "accepted", "intent": "order", "id": "other"},
    ],
)
def test_what_is_not_a_valid_task_is_a_400_operation_outcome(
    client, make_token, referral, receiver, body
):
    token = make_token(receiver)
    response = client.put(
        f"/api/fhir/Task/{referral.pk}",
        body if isinstance(body, str) else json.dumps(body),
        content_type=FHIR,
        headers={"Authorization": f"Bearer {token}"},
    )
    _outcome(response, 400)


def test_who_may_not_act_gets_403_and_outsiders_404(
    client, make_token, referral, volunteer, outsider, sender
):
    body = {"resourceType": "Task", "status": "accepted", "intent": "order"}
    path = f"/api/fhir/Task/{referral.pk}"
    _outcome(_put(client, make_token(volunteer), path, body), 403)
    _outcome(_put(client, make_token(outsider), path, body), 404)
    _outcome(_put(client, make_token(sender), path, body), 403)
    cancel = {**body, "status": "cancelled", "statusReason": {"text": "Non serve più"}}
    assert _put(client, make_token(sender), path, cancel).status_code == 200


def test_a_partner_account_moves_referrals_to_a_service_outside_prossimo(
    client, make_token, sender, need, outside_service
):
    referral = send_referral(
        sender, need=need, service=outside_service, consent_to_share=False, contact_phone=PHONE
    )
    partner = UserFactory(username="partner")
    path = f"/api/fhir/Task/{referral.pk}"
    body = {"resourceType": "Task", "status": "accepted", "intent": "order"}
    _outcome(_put(client, make_token(partner), path, body), 404)
    ReferralDestination.objects.create(
        directory_organization=outside_service.organization, partner_account=partner
    )
    response = _put(client, make_token(partner), path, body)
    assert response.status_code == 200
    assert Task.model_validate(response.json()).owner.identifier.value == (
        f"urn:uuid:{outside_service.organization_id}"
    )


def test_a_deactivated_destination_closes_its_partner_out(
    client, make_token, sender, need, outside_service
):
    referral = send_referral(
        sender, need=need, service=outside_service, consent_to_share=False, contact_phone=PHONE
    )
    partner = UserFactory(username="partner")
    destination = ReferralDestination.objects.create(
        directory_organization=outside_service.organization, partner_account=partner
    )
    token = make_token(partner)
    assert _get(client, token, f"/api/fhir/Task/{referral.pk}").status_code == 200
    destination.is_active = False
    destination.save()
    for kind in ("Task", "ServiceRequest"):
        _outcome(_get(client, token, f"/api/fhir/{kind}/{referral.pk}"), 404)
    body = {"resourceType": "Task", "status": "accepted", "intent": "order"}
    _outcome(_put(client, token, f"/api/fhir/Task/{referral.pk}", body), 404)
    assert not Referral.objects.visible_to(partner).exists()


def test_fhir_reads_are_in_the_audit_trail(client, make_token, referral, receiver):
    from auditlog.models import LogEntry

    _get(client, make_token(receiver), f"/api/fhir/Task/{referral.pk}")
    entry = LogEntry.objects.filter(object_pk=str(referral.pk), action=LogEntry.Action.ACCESS).get()
    assert entry.additional_data["via"] == "fhir"
    assert entry.additional_data["person"] == str(referral.person_id)
