"""The call pages: the one-screen call form, drafts, the logged contact, the person's history."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from prossimo.listening.models import Alert, Contact, FollowUp, Need, RedFlag
from prossimo.listening.services import ContactInput, NeedInput, log_contact, save_draft
from prossimo.people.tests.factories import PersonFactory, PhoneFactory

pytestmark = pytest.mark.django_db

NUMBER = "+393401234567"


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login


def call_data(*, needs: list[dict[str, str]] | None = None, **fields: Any) -> dict[str, Any]:
    """What the call form posts: an anonymous caller, low urgency, no need, unless told."""
    rows = needs or [{"category": "", "note": ""}]
    data: dict[str, Any] = {
        "action": "log",
        "draft": "",
        "version": "",
        "who": "anonymous",
        "caller_first_name": "",
        "caller_approx_age": "",
        "caller_municipality": "",
        "caller_number": "",
        "search_q": "",
        "urgency": "low",
        "follow_up_on": "",
        "follow_up_from": "",
        "follow_up_to": "",
        "follow_up_assignee": "",
        "follow_up_reason": "",
        "notes": "",
        "channel": "inbound_call",
        "needs-TOTAL_FORMS": str(len(rows)),
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        data.update({f"needs-{i}-{name}": value for name, value in row.items()})
    data.update(fields)
    return data


def new_url() -> str:
    return reverse("listening:call_new")


def draft_url(draft: Contact) -> str:
    return reverse("listening:call_draft", args=[draft.pk])


def contact_url(contact: Contact) -> str:
    return reverse("listening:contact_detail", args=[contact.pk])


def logged_call(user, person=None, category=None, **fields) -> Contact:
    needs = [NeedInput(category)] if category is not None else []
    return log_contact(user, data=ContactInput(person=person, **fields), needs=needs)


def html_of(response) -> str:
    return response.content.decode()


# --- the phone opens the call form ----------------------------------------------------------


def test_a_number_from_the_phone_opens_a_draft_without_the_number_in_the_address(
    client_of, volunteer, person_a
):
    response = client_of(volunteer).get(new_url(), {"numero": "340 123 4567"})
    draft = Contact.objects.get(status=Contact.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == draft_url(draft)
    assert "340" not in response["Location"]
    assert (draft.operator, draft.caller_number) == (volunteer, NUMBER)


def test_a_known_caller_is_shown_chosen_with_open_needs_and_last_contacts(
    client_of, volunteer, person_a, loneliness
):
    logged_call(volunteer, person_a, loneliness, notes="Ha chiamato ieri sera")
    client = client_of(volunteer)
    response = client.get(new_url(), {"numero": NUMBER}, follow=True)
    html = html_of(response)
    assert [o["entry"]["person"] for o in response.context["who_options"] if "entry" in o] == [
        person_a
    ]
    assert re.search(rf'value="{person_a.pk}" checked autofocus', html)
    assert loneliness.name in html
    assert "Ha chiamato ieri sera" in html


def test_a_couple_sharing_the_number_are_both_shown_and_neither_is_chosen(
    client_of, volunteer, person_a, lecco
):
    husband = PersonFactory(first_name="Mario", last_name="Rossi", municipality=lecco)
    PhoneFactory(person=husband, number=NUMBER)
    response = client_of(volunteer).get(new_url(), {"numero": NUMBER}, follow=True)
    people = {o["entry"]["person"] for o in response.context["who_options"] if "entry" in o}
    assert people == {person_a, husband}
    assert not any(o["checked"] for o in response.context["who_options"])
    assert f'data-caller="{husband.pk}"' in html_of(response)


def test_an_unknown_number_identifies_nobody_and_starts_as_an_anonymous_caller(
    client_of, volunteer, person_a
):
    response = client_of(volunteer).get(new_url(), {"numero": "+390341999999"}, follow=True)
    options = response.context["who_options"]
    assert not any("entry" in o for o in options)
    assert [o["value"] for o in options if o["checked"]] == ["anonymous"]


def test_a_caller_of_another_territory_is_not_identified(client_of, outsider, person_a):
    response = client_of(outsider).get(new_url(), {"numero": NUMBER}, follow=True)
    assert not any("entry" in o for o in response.context["who_options"])
    assert "Rossi" not in html_of(response)


def test_a_call_started_from_the_persons_page_has_them_chosen(client_of, volunteer, person_a):
    url = reverse("listening:call_for_person", args=[person_a.pk])
    response = client_of(volunteer).get(url)
    assert [o["value"] for o in response.context["who_options"] if o["checked"]] == [
        str(person_a.pk)
    ]
    assert not Contact.objects.exists()


def test_the_call_form_offers_the_active_needs_grouped_by_parent(client_of, volunteer):
    html = html_of(client_of(volunteer).get(new_url()))
    assert re.search(r'<optgroup label="Aiuto con gli strumenti digitali">', html)
    assert "SPID e identità digitale" in html


# --- logging a call -------------------------------------------------------


def test_a_call_with_two_needs_and_a_red_flag_logs_the_needs_and_an_alert(
    client_of, volunteer, person_a, loneliness, shopping
):
    data = call_data(
        who=str(person_a.pk),
        needs=[
            {"category": str(loneliness.pk), "note": "vuole parlare"},
            {"category": str(shopping.pk), "note": "spesa giovedì"},
        ],
        red_flags=[RedFlag.ALONE_AND_UNWELL],
        notes="Sola da giorni",
    )
    response = client_of(volunteer).post(new_url(), data)
    contact = Contact.objects.get(status=Contact.Status.LOGGED)
    assert response.status_code == 302
    assert response["Location"] == contact_url(contact)
    assert contact.person == person_a
    assert sorted(n.note for n in contact.needs.all()) == ["spesa giovedì", "vuole parlare"]
    assert [a.red_flag for a in Alert.objects.all()] == [RedFlag.ALONE_AND_UNWELL]
    assert contact.urgency == "high"


def test_the_success_message_carries_no_personal_data(client_of, volunteer, person_a):
    client = client_of(volunteer)
    response = client.post(new_url(), call_data(who=str(person_a.pk), notes="Rossi"))
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1
    assert not any(word in texts[0] for word in ("Rossi", "Maria", "340"))


def test_danger_to_life_without_112_is_refused_with_everything_typed_kept(
    client_of, volunteer, person_a, loneliness
):
    data = call_data(
        who=str(person_a.pk),
        needs=[{"category": str(loneliness.pk), "note": "parla di farla finita"}],
        red_flags=[RedFlag.DANGER_TO_LIFE],
        notes="Voce molto debole",
    )
    response = client_of(volunteer).post(new_url(), data)
    html = html_of(response)
    assert response.status_code == 200
    assert not Contact.objects.filter(status=Contact.Status.LOGGED).exists()
    assert response.context["form"].errors["emergency_called"]
    assert 'id="id_emergency_called"' in html
    assert "Voce molto debole" in html
    assert "parla di farla finita" in html
    assert f'value="{loneliness.pk}" selected' in html
    assert 'href="#id_emergency_called"' in html


def test_a_refused_call_is_kept_as_a_draft(client_of, volunteer, person_a):
    data = call_data(who=str(person_a.pk), red_flags=[RedFlag.DANGER_TO_LIFE], notes="Aiuto")
    response = client_of(volunteer).post(new_url(), data)
    draft = Contact.objects.get(status=Contact.Status.DRAFT)
    assert draft.draft_data["notes"] == ["Aiuto"]
    assert response.context["action"] == draft_url(draft)
    assert f'value="{draft.version}"' in html_of(response)


def test_danger_to_life_with_112_called_records_when(client_of, volunteer, person_a):
    data = call_data(
        who=str(person_a.pk), red_flags=[RedFlag.DANGER_TO_LIFE], emergency_called="on"
    )
    client_of(volunteer).post(new_url(), data)
    contact = Contact.objects.get(status=Contact.Status.LOGGED)
    assert contact.emergency_call_made_at is not None
    assert contact.urgency == "emergency"


def test_a_need_handed_over_goes_to_the_proximity_desk(
    client_of, volunteer, person_a, desk, shopping
):
    data = call_data(
        who=str(person_a.pk),
        needs=[{"category": str(shopping.pk), "note": "spesa", "hand_over": "on"}],
    )
    client_of(volunteer).post(new_url(), data)
    need = Need.objects.get()
    assert (need.status, need.owner_organisation) == (Need.Status.HANDED_OVER, desk)


def test_a_follow_up_is_planned_for_a_colleague(
    client_of, volunteer, coordinator, person_a, tomorrow
):
    data = call_data(
        who=str(person_a.pk),
        follow_up_on=tomorrow.isoformat(),
        follow_up_from="10:00",
        follow_up_to="11:00",
        follow_up_assignee=str(coordinator.pk),
        follow_up_reason="Sentire come sta",
    )
    client_of(volunteer).post(new_url(), data)
    follow_up = FollowUp.objects.get()
    assert (follow_up.due_on, follow_up.window_start, follow_up.assignee, follow_up.person) == (
        tomorrow,
        dt.time(10),
        coordinator,
        person_a,
    )


def test_a_follow_up_without_assignee_is_for_whoever_is_on_duty(
    client_of, volunteer, person_a, tomorrow
):
    client_of(volunteer).post(
        new_url(), call_data(who=str(person_a.pk), follow_up_on=tomorrow.isoformat())
    )
    assert FollowUp.objects.get().assignee is None


def test_a_follow_up_in_the_past_is_shown_on_its_date_field(client_of, volunteer, person_a):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = call_data(who=str(person_a.pk), follow_up_on=yesterday.isoformat())
    response = client_of(volunteer).post(new_url(), data)
    assert response.context["form"].errors["follow_up_on"]


def test_a_call_back_time_without_a_date_is_refused(client_of, volunteer, person_a):
    response = client_of(volunteer).post(
        new_url(), call_data(who=str(person_a.pk), follow_up_from="10:00")
    )
    assert response.context["form"].errors["follow_up_on"]


def test_a_note_without_a_need_is_refused_on_its_row(client_of, volunteer):
    data = call_data(needs=[{"category": "", "note": "qualcosa"}])
    response = client_of(volunteer).post(new_url(), data)
    assert response.context["forms"].needs.forms[0].errors["category"]
    assert 'href="#id_needs-0-category"' in html_of(response)


def test_a_person_of_another_territory_cannot_be_chosen(client_of, outsider, person_a):
    response = client_of(outsider).post(new_url(), call_data(who=str(person_a.pk)))
    assert response.context["form"].errors["who"]
    assert not Contact.objects.filter(status=Contact.Status.LOGGED).exists()


def test_several_people_on_the_number_must_be_told_apart(client_of, volunteer, person_a, lecco):
    husband = PersonFactory(first_name="Mario", last_name="Rossi", municipality=lecco)
    PhoneFactory(person=husband, number=NUMBER)
    client = client_of(volunteer)
    draft = client.get(new_url(), {"numero": NUMBER}).wsgi_request and Contact.objects.get()
    response = client.post(
        draft_url(draft), call_data(who="", draft=str(draft.pk), version=str(draft.version))
    )
    assert response.context["form"].errors["who"]
    assert 'href="#who-fieldset"' in html_of(response)


def test_an_anonymous_caller_is_logged_with_first_name_age_and_municipality(
    client_of, volunteer, lecco
):
    data = call_data(
        caller_first_name="Anna", caller_approx_age="80", caller_municipality="Lecco (LC)"
    )
    client_of(volunteer).post(new_url(), data)
    contact = Contact.objects.get()
    assert (contact.person, contact.caller_first_name, contact.caller_approx_age) == (
        None,
        "Anna",
        80,
    )
    assert contact.caller_municipality == lecco


def test_a_misspelt_municipality_is_refused_with_suggestions(client_of, volunteer, lecco):
    response = client_of(volunteer).post(new_url(), call_data(caller_municipality="Leco"))
    assert response.context["form"].errors["caller_municipality"]


def test_logging_a_draft_completes_it_and_keeps_the_number(client_of, volunteer, person_a):
    client = client_of(volunteer)
    client.get(new_url(), {"numero": NUMBER})
    draft = Contact.objects.get()
    data = call_data(who=str(person_a.pk), draft=str(draft.pk), version=str(draft.version))
    response = client.post(draft_url(draft), data)
    draft.refresh_from_db()
    assert response["Location"] == contact_url(draft)
    assert (draft.status, draft.caller_number, draft.draft_data) == (
        Contact.Status.LOGGED,
        NUMBER,
        {},
    )


def test_a_stale_version_is_refused_with_a_clear_message_and_the_data_kept(
    client_of, volunteer, person_a
):
    client = client_of(volunteer)
    draft = save_draft(volunteer, form_data={})
    save_draft(volunteer, form_data={"notes": ["from the other tab"]}, draft=draft)
    data = call_data(who=str(person_a.pk), notes="Typed here", version="1", draft=str(draft.pk))
    response = client.post(draft_url(draft), data)
    html = html_of(response)
    assert response.status_code == 200
    assert "Typed here" in html
    assert response.context["form"].non_field_errors()
    assert Contact.objects.get().status == Contact.Status.DRAFT
    assert Contact.objects.get().draft_data == {"notes": ["from the other tab"]}


def test_a_draft_already_logged_opens_the_contact(client_of, volunteer, person_a):
    client = client_of(volunteer)
    draft = save_draft(volunteer, form_data={})
    client.post(draft_url(draft), call_data(who=str(person_a.pk), version=str(draft.version)))
    response = client.get(draft_url(draft))
    assert response["Location"] == contact_url(draft)


# --- drafts: nothing typed is lost -------------------------------------------------------


def test_autosave_keeps_what_is_typed_and_reopening_restores_it(
    client_of, volunteer, person_a, loneliness
):
    client = client_of(volunteer)
    draft = save_draft(volunteer, form_data={}, caller_number=NUMBER)
    data = call_data(
        draft=str(draft.pk),
        version=str(draft.version),
        who=str(person_a.pk),
        needs=[{"category": str(loneliness.pk), "note": "Parla poco"}],
        red_flags=[RedFlag.VIOLENCE],
        notes="Chiamata interrotta",
    )
    data.pop("action")
    response = client.post(reverse("listening:call_autosave"), data, headers={"HX-Request": "true"})
    draft.refresh_from_db()
    assert draft.version == 2
    assert 'id="id_version" value="2" hx-swap-oob="true"' in html_of(response)
    assert 'role="status"' in html_of(response)
    html = html_of(client.get(draft_url(draft)))
    assert "Chiamata interrotta" in html
    assert "Parla poco" in html
    assert f'value="{loneliness.pk}" selected' in html
    assert re.search(rf'value="{person_a.pk}" checked', html)
    assert re.search(rf'value="{RedFlag.VIOLENCE}"[^>]* checked', html)


def test_the_first_autosave_creates_the_draft_and_moves_the_address_to_it(client_of, volunteer):
    response = client_of(volunteer).post(
        reverse("listening:call_autosave"),
        call_data(notes="Appena iniziata"),
        headers={"HX-Request": "true"},
    )
    draft = Contact.objects.get()
    assert draft.draft_data["notes"] == ["Appena iniziata"]
    assert "csrfmiddlewaretoken" not in draft.draft_data
    assert response["HX-Replace-Url"] == draft_url(draft)
    assert f'id="id_draft" value="{draft.pk}" hx-swap-oob="true"' in html_of(response)


def test_an_autosave_from_a_stale_version_says_so_and_saves_nothing(client_of, volunteer):
    draft = save_draft(volunteer, form_data={})
    save_draft(volunteer, form_data={"notes": ["other"]}, draft=draft)
    response = client_of(volunteer).post(
        reverse("listening:call_autosave"),
        call_data(draft=str(draft.pk), version="1", notes="mine"),
        headers={"HX-Request": "true"},
    )
    draft.refresh_from_db()
    assert draft.draft_data == {"notes": ["other"]}
    assert "text-danger" in html_of(response)


def test_ticking_danger_to_life_shows_the_112_block_at_once(client_of, volunteer):
    response = client_of(volunteer).post(
        reverse("listening:call_autosave"),
        call_data(red_flags=[RedFlag.DANGER_TO_LIFE], part="emergency"),
        headers={"HX-Request": "true"},
    )
    html = html_of(response)
    assert html.lstrip().startswith('<div id="emergency-block">')
    assert 'id="id_emergency_called"' in html
    assert 'id="autosave-status" role="status" class="small mb-0" hx-swap-oob="true"' in html


def test_adding_a_need_without_javascript_keeps_the_draft_and_adds_a_row(
    client_of, volunteer, loneliness
):
    client = client_of(volunteer)
    data = call_data(action="add_need", needs=[{"category": str(loneliness.pk), "note": "x"}])
    response = client.post(new_url(), data)
    draft = Contact.objects.get()
    assert response["Location"] == draft_url(draft) + "#needs-rows"
    page = client.get(draft_url(draft))
    assert len(page.context["forms"].needs.forms) == 2
    assert not page.context["error_summary"]


def test_searching_without_javascript_shows_people_to_choose(client_of, volunteer, person_a):
    response = client_of(volunteer).post(new_url(), call_data(action="search", search_q="rossi"))
    assert response.context["results"] == [person_a]
    assert f'name="pick" value="{person_a.pk}"' in html_of(response)


def test_the_person_search_of_the_call_form_answers_htmx_with_choices(
    client_of, volunteer, person_a
):
    response = client_of(volunteer).post(
        reverse("listening:call_person_search"),
        {"search_q": "340 123 4567"},
        headers={"HX-Request": "true"},
    )
    html = html_of(response)
    assert html.lstrip().startswith('<div id="search-results"')
    assert f'name="pick" value="{person_a.pk}"' in html
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 1


def test_choosing_a_person_found_keeps_the_draft_with_them_chosen(
    client_of, volunteer, person_a, loneliness
):
    client = client_of(volunteer)
    draft = save_draft(volunteer, form_data={})
    data = call_data(
        draft=str(draft.pk),
        version=str(draft.version),
        pick=str(person_a.pk),
        search_q="rossi",
        notes="già scritto",
    )
    data.pop("action")
    response = client.post(draft_url(draft), data)
    assert response["Location"] == draft_url(draft) + "#who-fieldset"
    page = client.get(draft_url(draft))
    assert [o["value"] for o in page.context["who_options"] if o["checked"]] == [str(person_a.pk)]
    assert "già scritto" in html_of(page)


def test_save_and_finish_later_lists_the_call_among_my_unfinished_calls(
    client_of, volunteer, operator
):
    client = client_of(volunteer)
    response = client.post(new_url(), call_data(action="save_exit", caller_first_name="Anna"))
    assert response["Location"] == reverse("listening:drafts")
    save_draft(operator, form_data={})
    listed = client.get(reverse("listening:drafts")).context["rows"]
    assert [row["first_name"] for row in listed] == ["Anna"]


def test_my_unfinished_calls_are_newest_first(client_of, volunteer):
    older = save_draft(volunteer, form_data={})
    newer = save_draft(volunteer, form_data={})
    rows = client_of(volunteer).get(reverse("listening:drafts")).context["rows"]
    assert [row["draft"] for row in rows] == [newer, older]


def test_the_call_page_links_my_unfinished_calls(client_of, volunteer):
    assert reverse("listening:drafts") in html_of(client_of(volunteer).get(new_url()))


def test_a_draft_can_be_discarded(client_of, volunteer):
    draft = save_draft(volunteer, form_data={})
    url = reverse("listening:draft_discard", args=[draft.pk])
    response = client_of(volunteer).post(url)
    assert response["Location"] == reverse("listening:drafts")
    assert not Contact.objects.exists()


def test_a_colleagues_draft_cannot_be_opened(client_of, volunteer, operator):
    draft = save_draft(operator, form_data={})
    assert client_of(volunteer).get(draft_url(draft)).status_code == 404


# --- the logged contact and linking an anonymous caller ------------------------------------------


def test_the_contact_page_shows_needs_alerts_and_follow_ups_and_leaves_an_access_entry(
    client_of, volunteer, person_a, loneliness, tomorrow
):
    client = client_of(volunteer)
    client.post(
        new_url(),
        call_data(
            who=str(person_a.pk),
            needs=[{"category": str(loneliness.pk), "note": "parlare"}],
            red_flags=[RedFlag.VIOLENCE],
            follow_up_on=tomorrow.isoformat(),
        ),
    )
    contact = Contact.objects.get()
    LogEntry.objects.filter(action=LogEntry.Action.ACCESS).delete()
    response = client.get(contact_url(contact))
    assert [n.note for n in response.context["needs"]] == ["parlare"]
    assert [a.red_flag for a in response.context["alerts"]] == [RedFlag.VIOLENCE]
    assert len(response.context["follow_ups"]) == 1
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.object_pk, entry.actor) == (str(contact.pk), volunteer)


def test_an_anonymous_call_is_linked_to_the_person_later(
    client_of, volunteer, person_a, loneliness
):
    client = client_of(volunteer)
    client.post(
        new_url(),
        call_data(
            caller_first_name="Maria",
            needs=[{"category": str(loneliness.pk), "note": ""}],
            red_flags=[RedFlag.ALONE_AND_UNWELL],
        ),
    )
    contact = Contact.objects.get()
    link_url = reverse("listening:contact_link", args=[contact.pk])
    assert link_url in html_of(client.get(contact_url(contact)))
    found = client.post(link_url, {"step": "search", "q": "rossi maria"})
    assert found.context["results"] == [person_a]
    response = client.post(link_url, {"step": "link", "person": str(person_a.pk)})
    contact.refresh_from_db()
    assert response["Location"] == contact_url(contact)
    assert contact.person == person_a
    assert Need.objects.get().person == person_a
    assert Alert.objects.get().person == person_a


def test_a_contact_with_a_person_offers_no_link(client_of, volunteer, person_a):
    contact = logged_call(volunteer, person_a)
    client = client_of(volunteer)
    link_url = reverse("listening:contact_link", args=[contact.pk])
    assert link_url not in html_of(client.get(contact_url(contact)))
    assert client.get(link_url)["Location"] == contact_url(contact)


def test_an_anonymous_call_cannot_be_linked_to_a_person_of_another_territory(
    client_of, volunteer, person_b
):
    contact = logged_call(volunteer)
    link_url = reverse("listening:contact_link", args=[contact.pk])
    response = client_of(volunteer).post(link_url, {"step": "link", "person": str(person_b.pk)})
    contact.refresh_from_db()
    assert response.status_code == 404
    assert contact.person is None


# --- the person's history -------------------------------------------------------


def test_the_persons_page_shows_the_history_newest_first(
    client_of, volunteer, person_a, loneliness, tomorrow
):
    client = client_of(volunteer)
    client.post(
        new_url(),
        call_data(
            who=str(person_a.pk),
            needs=[{"category": str(loneliness.pk), "note": ""}],
            red_flags=[RedFlag.VIOLENCE],
            follow_up_on=tomorrow.isoformat(),
        ),
    )
    response = client.get(reverse("people:detail", args=[person_a.pk]))
    html = html_of(response)
    kinds = re.findall(r'data-kind="(\w+)"', html)
    assert kinds[0] == "follow_up"
    assert set(kinds) == {"contact", "need", "alert", "follow_up"}
    assert contact_url(Contact.objects.get()) in html


def test_the_persons_page_has_a_button_for_a_new_call(client_of, volunteer, person_a):
    html = html_of(client_of(volunteer).get(reverse("people:detail", args=[person_a.pk])))
    assert reverse("listening:call_for_person", args=[person_a.pk]) in html


def test_the_people_app_does_not_import_the_listening_line():
    people_dir = Path(__file__).resolve().parents[2] / "people"
    for source in people_dir.glob("*.py"):
        assert "prossimo.listening" not in source.read_text(encoding="utf-8"), source.name


# --- query counts -------------------------------------------------------


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_the_call_page_takes_as_many_queries_for_10_previous_contacts_as_for_1(
    client_of, volunteer, person_a, lecco, loneliness, django_assert_max_num_queries
):
    husband = PersonFactory(first_name="Mario", last_name="Rossi", municipality=lecco)
    PhoneFactory(person=husband, number=NUMBER)
    client = client_of(volunteer)
    draft = save_draft(volunteer, form_data={}, caller_number=NUMBER)
    for person in (person_a, husband):
        logged_call(volunteer, person, loneliness)
    page_queries(client, draft_url(draft))  # session and caches warm
    few = page_queries(client, draft_url(draft))
    for person in (person_a, husband):
        for _ in range(9):
            logged_call(volunteer, person, loneliness)
    with django_assert_max_num_queries(few):
        client.get(draft_url(draft))


def test_the_persons_page_takes_as_many_queries_for_10_contacts_as_for_1(
    client_of, volunteer, person_a, loneliness, tomorrow, django_assert_max_num_queries
):
    def call():
        log_contact(
            volunteer,
            data=ContactInput(person=person_a, red_flags=[RedFlag.VIOLENCE]),
            needs=[NeedInput(loneliness)],
        )

    client = client_of(volunteer)
    url = reverse("people:detail", args=[person_a.pk])
    call()
    page_queries(client, url)
    few = page_queries(client, url)
    for _ in range(9):
        call()
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(re.findall(r'data-kind="contact"', html_of(response))) == 10


# --- who may open what -------------------------------------------------------

CASEWORK = ["volunteer", "proximity_operator", "social_worker", "coordinator", "administrator"]
ROLES = ["anonymous", *CASEWORK, "monitoring_officer", "outsider"]


@pytest.fixture
def targets(volunteer, person_a):
    """A draft of the volunteer, an anonymous contact and a contact about person_a (Lecco)."""
    return {
        "draft": save_draft(volunteer, form_data={}),
        "anonymous_contact": logged_call(volunteer),
        "contact": logged_call(volunteer, person_a),
        "person": person_a,
    }


# (url name, method, argument, who gets "ok" besides the casework roles of territory A)
PAGES = [
    ("call_new", "GET", None, "all"),
    ("call_new", "POST", None, "all"),
    ("call_for_person", "GET", "person", "territory"),
    ("call_autosave", "POST", None, "all"),
    ("call_person_search", "POST", None, "all"),
    ("drafts", "GET", None, "all"),
    ("call_draft", "GET", "draft", "owner"),
    ("call_draft", "POST", "draft", "owner"),
    ("draft_discard", "GET", "draft", "owner"),
    ("contact_detail", "GET", "contact", "territory"),
    ("contact_detail", "GET", "anonymous_contact", "territory"),
    ("contact_link", "GET", "anonymous_contact", "territory"),
    ("contact_link", "POST", "anonymous_contact", "territory"),
]


def expected(role: str, scope: str) -> Any:
    if role == "anonymous":
        return "login"
    if role == "monitoring_officer":
        return 403
    if scope == "owner" and role != "volunteer":
        return 404
    if scope == "territory" and role == "outsider":
        return 404
    return "ok"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "argument", "scope"), PAGES)
def test_access_to_the_call_pages(client, cast, targets, role, name, method, argument, scope):
    if role != "anonymous":
        client.force_login(cast[role])
    args = [targets[argument].pk] if argument else []
    url = reverse(f"listening:{name}", args=args)
    data = call_data(search_q="rossi") if method == "POST" else {}
    response = client.get(url) if method == "GET" else client.post(url, data)
    want = expected(role, scope)
    if want == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif want == "ok":
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == want
        assert "Rossi" not in response.content.decode()


# --- the screen itself -------------------------------------------------------


def test_a_call_logged_from_a_fresh_form_starts_when_the_form_was_opened(client_of, volunteer):
    client = client_of(volunteer)
    opened_at = client.get(new_url()).context["form"].initial["opened_at"]
    client.post(new_url(), call_data(opened_at=opened_at))
    contact = Contact.objects.get()
    assert contact.started_at.isoformat() == opened_at


def test_every_control_of_the_call_form_has_a_label(client_of, volunteer, person_a):
    html = html_of(client_of(volunteer).get(new_url(), {"numero": NUMBER}, follow=True))
    start = html.index('<form id="call-form"')
    form = html[start : html.index("</form>", start)]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)
    labelled = set(re.findall(r'<label for="([^"]+)"', form))
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    visible = [c for c in controls if 'type="hidden"' not in c]
    ids = [re.search(r'id="([^"]+)"', c).group(1) for c in visible]
    assert ids
    assert [i for i in ids if i not in labelled] == []


def test_the_radio_and_checkbox_groups_of_the_call_form_have_legends(client_of, volunteer):
    html = html_of(client_of(volunteer).get(new_url()))
    for name in ("who", "urgency", "red_flags", "outcomes"):
        position = html.index(f'name="{name}"')
        fieldset = html.rindex("<fieldset", 0, position)
        assert "<legend" in html[fieldset:position], name
