"""People endpoints: roles against endpoints, territory, writes, audit, query counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client

from prossimo.api.tests.conftest import ROLE_FIXTURES, ApiClient
from prossimo.people.models import Person
from prossimo.people.tests.factories import PersonFactory, PhoneFactory, fiscal_code_for
from prossimo.territory.models import Municipality

pytestmark = pytest.mark.django_db

PEOPLE = "/api/people"

ENDPOINTS = ["list", "search", "read", "create", "update"]
CASEWORK = {"list": 200, "search": 200, "read": 200, "create": 201, "update": 200}
EXPECTED: dict[str, dict[str, int]] = {
    "volunteer": CASEWORK,
    "proximity_operator": CASEWORK,
    "social_worker": CASEWORK,
    "coordinator": CASEWORK,
    "administrator": CASEWORK,
    "monitoring_officer": dict.fromkeys(ENDPOINTS, 403),
    # The outsider lists and searches their own territory; person_a does not exist for them,
    # and they may not register someone living in Lecco.
    "outsider": {"list": 200, "search": 200, "read": 404, "create": 422, "update": 404},
    "anonymous": dict.fromkeys(ENDPOINTS, 401),
}


def call(api: ApiClient, endpoint: str, person: Person, new_person: dict[str, Any]) -> Any:
    if endpoint == "list":
        return api.get(PEOPLE)
    if endpoint == "search":
        return api.post(f"{PEOPLE}/search", {"q": "Rossi"})
    if endpoint == "read":
        return api.get(f"{PEOPLE}/{person.pk}")
    if endpoint == "create":
        return api.post(PEOPLE, new_person)
    return api.patch(f"{PEOPLE}/{person.pk}", {"notes": "Chiamare al mattino."})


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_endpoint_matrix(request, role, endpoint, api_as, person_a, new_person):
    user = None if role == "anonymous" else request.getfixturevalue(ROLE_FIXTURES[role])
    response = call(api_as(user), endpoint, person_a, new_person)
    assert response.status_code == EXPECTED[role][endpoint], response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"detail", "errors"}
        # An error never carries the person's data.
        assert person_a.last_name not in response.content.decode()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_session_user_gets_the_same_answers_as_a_token(request, endpoint, volunteer, monitoring,
                                                       person_a, new_person):  # fmt: skip
    for user, expected in [(volunteer, CASEWORK[endpoint]), (monitoring, 403)]:
        client = Client()
        client.force_login(user)
        api = ApiClient(client)
        assert call(api, endpoint, person_a, new_person).status_code == expected
        Person.objects.filter(first_name="Anna").delete()


# --- reading -----------------------------------------------------------------------------


def test_out_of_scope_person_is_404_without_personal_data(outsider, api_as, person_a):
    response = api_as(outsider).get(f"{PEOPLE}/{person_a.pk}")
    assert response.status_code == 404
    content = response.content.decode()
    assert person_a.last_name not in content
    assert person_a.fiscal_code not in content
    assert str(person_a.pk) not in content


@pytest.mark.parametrize("person_id", [str(uuid.uuid4()), "not-a-uuid", "1", "%20", "null"])
def test_nonexistent_and_malformed_ids_get_the_same_404(volunteer, api_as, outsider, person_a,
                                                        person_id):  # fmt: skip
    out_of_scope = api_as(outsider).get(f"{PEOPLE}/{person_a.pk}")
    response = api_as(volunteer).get(f"{PEOPLE}/{person_id}")
    assert response.status_code == 404
    assert response.json() == out_of_scope.json()


def test_read_returns_the_whole_record(volunteer, api_as, person_a):
    body = api_as(volunteer).get(f"{PEOPLE}/{person_a.pk}").json()
    assert body["id"] == str(person_a.pk)
    assert body["last_name"] == "Rossi"
    assert body["fiscal_code"] == person_a.fiscal_code
    assert body["municipality"] == {"istat_code": "097042", "name": "Lecco", "province": "LC"}
    assert body["phones"] == [{"number": "+393401234567", "kind": "mobile", "note": ""}]


def test_list_shows_only_the_territory_of_the_caller(outsider, api_as, person_a, person_b):
    body = api_as(outsider).get(PEOPLE).json()
    assert [p["id"] for p in body["items"]] == [str(person_b.pk)]
    assert body["count"] == 1


def test_list_is_paged(volunteer, api_as, lecco):
    for name in ["Alfa", "Bravo", "Charlie", "Delta", "Echo"]:
        PersonFactory(last_name=name, municipality=lecco)
    body = api_as(volunteer).get(PEOPLE, {"limit": 2, "offset": 2}).json()
    assert body["count"] == 5
    assert [p["last_name"] for p in body["items"]] == ["Charlie", "Delta"]


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"offset": -1}])
def test_list_refuses_pages_out_of_bounds(volunteer, api_as, params):
    response = api_as(volunteer).get(PEOPLE, params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(params))


def test_list_leaves_out_inactive_people_unless_asked(volunteer, api_as, person_a, lecco):
    PersonFactory(last_name="Zeta", municipality=lecco, is_active=False)
    api = api_as(volunteer)
    assert api.get(PEOPLE).json()["count"] == 1
    assert api.get(PEOPLE, {"include_inactive": "true"}).json()["count"] == 2


def test_search_by_query_string_and_by_body_agree(volunteer, api_as, person_a, lecco):
    PersonFactory(last_name="Bianchi", municipality=lecco)
    api = api_as(volunteer)
    by_url = api.get(PEOPLE, {"q": "rossi maria"}).json()
    by_body = api.post(f"{PEOPLE}/search", {"q": "rossi maria"}).json()
    assert [p["id"] for p in by_body["items"]] == [str(person_a.pk)]
    assert by_url == by_body
    assert by_body["count"] is None


def test_search_by_phone_in_any_format(volunteer, api_as, person_a):
    body = api_as(volunteer).post(f"{PEOPLE}/search", {"q": "340 123 4567"}).json()
    assert [p["id"] for p in body["items"]] == [str(person_a.pk)]


def test_search_does_not_reach_other_territories(outsider, api_as, person_a):
    body = api_as(outsider).post(f"{PEOPLE}/search", {"q": "Rossi"}).json()
    assert body["items"] == []


# --- audit of reads ----------------------------------------------------------------------


def _accesses(**filters: Any) -> list[LogEntry]:
    return list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS, **filters).order_by("pk"))


def test_reading_a_person_is_audited(volunteer, api_as, person_a):
    api_as(volunteer).get(f"{PEOPLE}/{person_a.pk}")
    [entry] = _accesses()
    assert entry.actor == volunteer
    assert entry.object_pk == str(person_a.pk)
    assert entry.additional_data == {"person": str(person_a.pk), "via": "api"}


def test_listing_and_searching_audit_every_person_shown(volunteer, api_as, person_a, lecco):
    other = PersonFactory(last_name="Rossetti", municipality=lecco)
    api = api_as(volunteer)
    api.get(PEOPLE)
    assert {e.object_pk for e in _accesses()} == {str(person_a.pk), str(other.pk)}
    LogEntry.objects.all().delete()
    api.post(f"{PEOPLE}/search", {"q": "Rossi Maria"})
    assert [(e.object_pk, e.actor, e.additional_data["via"]) for e in _accesses()] == [
        (str(person_a.pk), volunteer, "api")
    ]


def test_refused_reads_are_not_audited_as_reads(outsider, monitoring, api_as, person_a):
    api_as(outsider).get(f"{PEOPLE}/{person_a.pk}")
    api_as(monitoring).get(PEOPLE)
    assert _accesses() == []


def test_list_audit_is_one_insert(volunteer, api_as, lecco, django_assert_num_queries):
    for _i in range(5):
        PersonFactory(municipality=lecco)
    api = api_as(volunteer)
    api.get(PEOPLE)  # warm caches (content types, the token's last use)
    with django_assert_num_queries(6) as ctx:
        api.get(PEOPLE)
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_does_not_grow_with_the_people(
    n, volunteer, api_as, lecco, django_assert_max_num_queries
):
    for _i in range(n):
        PhoneFactory(person=PersonFactory(municipality=lecco))
    api = api_as(volunteer)
    with django_assert_max_num_queries(9):
        body = api.get(PEOPLE, {"limit": 100}).json()
    assert len(body["items"]) == n
    with django_assert_max_num_queries(9):
        body = api.post(f"{PEOPLE}/search", {"q": "a", "limit": 100}).json()


# --- registering ------------------------------------------------------------------------


def test_create_registers_the_person_with_normalised_phones(volunteer, api_as, new_person):
    new_person["reference_persons"] = [{"name": "Luca Verdi", "phone": "0341 123456"}]
    new_person["consents"] = [{"kind": "privacy_notice", "given_on": "2026-01-10"}]
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 201, response.json()
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.created_by == volunteer
    assert list(person.phones.values_list("number", flat=True)) == ["+393477654321"]
    assert body["phones"] == [{"number": "+393477654321", "kind": "mobile", "note": ""}]
    assert body["reference_persons"][0]["phone"] == "+390341123456"
    assert body["consents"][0]["kind"] == "privacy_notice"
    assert body["municipality"]["istat_code"] == "097042"


def test_create_is_attributed_to_the_token_user_in_the_audit_trail(volunteer, api_as, new_person):
    response = api_as(volunteer).post(PEOPLE, new_person)
    person_id = response.json()["id"]
    entries = LogEntry.objects.filter(action=LogEntry.Action.CREATE)
    person_entry = entries.get(object_pk=person_id)
    assert person_entry.actor == volunteer
    # The phone too, written in the same request.
    assert {e.actor for e in entries} == {volunteer}


def test_update_is_attributed_to_the_token_user(social_worker, api_as, person_a):
    api_as(social_worker).patch(f"{PEOPLE}/{person_a.pk}", {"address": "Via Roma 1"})
    entry = LogEntry.objects.get(action=LogEntry.Action.UPDATE, object_pk=str(person_a.pk))
    assert entry.actor == social_worker
    assert "address" in entry.changes_dict


def test_create_with_a_wrong_codice_fiscale_is_422_on_that_field(volunteer, api_as, new_person):
    new_person["fiscal_code"] = "RSSMRA40A41E507X"
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert "fiscal_code" in {e["field"] for e in body["errors"]}


def test_create_with_a_codice_fiscale_not_matching_the_data_is_422(
    volunteer, api_as, new_person, lecco
):
    # A valid code, but of somebody else.
    new_person["fiscal_code"] = fiscal_code_for("Paolo", "Neri", "M", dt.date(1950, 1, 1), lecco)
    body = api_as(volunteer).post(PEOPLE, new_person).json()
    assert {e["field"] for e in body["errors"]} == {"fiscal_code"}


def test_create_with_a_bad_phone_reports_its_path(volunteer, api_as, new_person):
    new_person["phones"].append({"number": "12", "kind": "mobile"})
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["phones.1.number"]


def test_schema_errors_have_field_paths(volunteer, api_as, new_person):
    new_person["phones"][0]["kind"] = "pager"
    new_person["birth_date"] = "03/05/1941"
    del new_person["last_name"]
    new_person["colour"] = "blue"
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"phones.0.kind", "birth_date", "last_name", "colour"}
    assert errors["last_name"]["code"] == "missing"


def test_create_with_an_unknown_istat_code_is_422(volunteer, api_as, new_person):
    new_person["municipality"] = "999999"
    new_person["birth_municipality"] = "000000"
    new_person["first_name"] = "  "  # the service's rules are checked too
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"municipality", "birth_municipality", "first_name"}


def test_create_outside_the_callers_territory_is_422(volunteer, api_as, new_person, monza):
    new_person["municipality"] = monza.istat_code
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["municipality"]
    assert not Person.objects.filter(first_name="Anna").exists()


def test_create_with_a_future_consent_is_422(volunteer, api_as, new_person):
    new_person["consents"] = [{"kind": "calls", "given_on": "2999-01-01"}]
    response = api_as(volunteer).post(PEOPLE, new_person)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["consents.0.given_on"]


def test_likely_duplicate_is_409_with_the_matches(volunteer, api_as, person_a, new_person):
    new_person["phones"] = [{"number": "340 123 4567"}]
    api = api_as(volunteer)
    response = api.post(PEOPLE, new_person)
    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    [match] = body["matches"]
    assert match["id"] == str(person_a.pk)
    assert match["name"] == "Maria Rossi"
    assert match["birth_date"] == person_a.birth_date.isoformat()
    assert match["reasons"]
    assert not Person.objects.filter(first_name="Anna").exists()
    # The matches were shown: that is a read of person_a.
    assert [e.object_pk for e in _accesses()] == [str(person_a.pk)]

    new_person["confirm_not_duplicate"] = True
    assert api.post(PEOPLE, new_person).status_code == 201


def test_duplicates_outside_the_territory_are_not_shown(outsider, api_as, person_b, new_person):
    new_person["municipality"] = person_b.municipality.istat_code
    new_person["fiscal_code"] = person_b.fiscal_code
    new_person.update(first_name=person_b.first_name, last_name=person_b.last_name)
    new_person.update(birth_date=person_b.birth_date.isoformat(), sex=person_b.sex)
    new_person["birth_municipality"] = person_b.birth_municipality.istat_code
    body = api_as(outsider).post(PEOPLE, new_person).json()
    assert [m["id"] for m in body["matches"]] == [str(person_b.pk)]


# --- changing ---------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(volunteer, api_as, person_a):
    before = Person.objects.get(pk=person_a.pk)
    response = api_as(volunteer).patch(
        f"{PEOPLE}/{person_a.pk}", {"address": "Via Roma 1", "lives_alone": True}
    )
    assert response.status_code == 200, response.json()
    after = Person.objects.get(pk=person_a.pk)
    assert (after.address, after.lives_alone) == ("Via Roma 1", True)
    assert (after.fiscal_code, after.birth_date) == (before.fiscal_code, before.birth_date)
    assert list(after.phones.values_list("number", flat=True)) == ["+393401234567"]


def test_patch_replaces_a_list_sent(volunteer, api_as, person_a):
    response = api_as(volunteer).patch(
        f"{PEOPLE}/{person_a.pk}",
        {"phones": [{"number": "0341 123456", "kind": "landline"}]},
    )
    assert response.json()["phones"] == [
        {"number": "+390341123456", "kind": "landline", "note": ""}
    ]


def test_patch_can_move_the_person_by_istat_code(volunteer, api_as, person_a, territory):
    merate = Municipality.objects.get(name="Merate")
    response = api_as(volunteer).patch(
        f"{PEOPLE}/{person_a.pk}", {"municipality": merate.istat_code}
    )
    assert response.json()["municipality"]["name"] == "Merate"


def test_patch_clearing_a_required_field_is_422(volunteer, api_as, person_a):
    response = api_as(volunteer).patch(f"{PEOPLE}/{person_a.pk}", {"last_name": None})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["last_name"]


def test_patch_with_a_misspelt_field_is_422(volunteer, api_as, person_a):
    response = api_as(volunteer).patch(f"{PEOPLE}/{person_a.pk}", {"adress": "Via Roma 1"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "adress"


def test_patch_of_a_person_out_of_scope_is_404_even_with_valid_data(outsider, api_as, person_a):
    response = api_as(outsider).patch(f"{PEOPLE}/{person_a.pk}", {"address": "Via Roma 1"})
    assert response.status_code == 404
    assert Person.objects.get(pk=person_a.pk).address != "Via Roma 1"
