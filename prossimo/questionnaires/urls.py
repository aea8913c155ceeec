"""URLs of the questionnaires app (mounted at /questionari/)."""

from django.urls import path

from prossimo.questionnaires import views

app_name = "questionnaires"

urlpatterns = [
    path("", views.questionnaire_list, name="list"),
    path("persona/<uuid:person_id>/<slug:code>/", views.administer, name="administer"),
    path("risposte/<uuid:response_id>/", views.response_detail, name="response_detail"),
]
