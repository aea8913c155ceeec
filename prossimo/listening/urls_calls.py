"""URLs of the call pages (mounted at /ascolto/): the call form, drafts, logged contacts."""

from django.urls import path

from prossimo.listening import views_calls

urlpatterns = [
    path("chiamata/nuova/", views_calls.call_new, name="call_new"),
    path(
        "chiamata/nuova/persona/<uuid:person_id>/",
        views_calls.call_for_person,
        name="call_for_person",
    ),
    path("chiamata/salva/", views_calls.call_autosave, name="call_autosave"),
    path("chiamata/cerca-persona/", views_calls.call_person_search, name="call_person_search"),
    path("chiamata/bozze/", views_calls.drafts, name="drafts"),
    path("chiamata/<uuid:contact_id>/", views_calls.call_draft, name="call_draft"),
    path("chiamata/<uuid:contact_id>/scarta/", views_calls.draft_discard, name="draft_discard"),
    path("contatti/<uuid:contact_id>/", views_calls.contact_detail, name="contact_detail"),
    path("contatti/<uuid:contact_id>/collega/", views_calls.contact_link, name="contact_link"),
]
