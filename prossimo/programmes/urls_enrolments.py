"""URLs of referrals in and taking in charge (mounted at /programmi/, namespace "programmes")."""

from django.urls import path

from prossimo.programmes import views_enrolments as views

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("programma/<slug:code>/", views.programme_detail, name="programme_detail"),
    path("segnala/", views.refer, name="refer"),
    path("segnala/nuova-persona/", views.refer_new, name="refer_new"),
    path("segnala/persona/<uuid:person_id>/", views.refer_person, name="refer_person"),
    path("segnala/importa/", views.import_upload, name="import_upload"),
    path(
        "segnala/importa/modello.<str:fmt>",
        views.import_template,
        name="import_template",
    ),
    path("segnala/importa/<str:token>/", views.import_preview, name="import_preview"),
    path("segnala/importa/<str:token>/conferma/", views.import_confirm, name="import_confirm"),
    path("segnala/importa/<str:token>/annulla/", views.import_cancel, name="import_cancel"),
    path("segnala/importa/<str:token>/esito/", views.import_result, name="import_result"),
    path("segnalazioni/", views.my_referrals, name="my_referrals"),
    path("prese-in-carico/", views.queue, name="queue"),
    path(
        "presa-in-carico/<uuid:enrolment_id>/",
        views.enrolment_detail,
        name="enrolment_detail",
    ),
    path(
        "presa-in-carico/<uuid:enrolment_id>/stato/",
        views.enrolment_state,
        name="enrolment_state",
    ),
    path(
        "presa-in-carico/<uuid:enrolment_id>/consenso/",
        views.enrolment_consent,
        name="enrolment_consent",
    ),
]
