from django.urls import path

from prossimo.people import views

app_name = "people"

urlpatterns = [
    path("", views.search, name="search"),
    path("nuova/", views.create, name="create"),
    path("<uuid:person_id>/", views.detail, name="detail"),
    path("<uuid:person_id>/modifica/", views.edit, name="edit"),
    path("<uuid:person_id>/disattiva/", views.deactivate, name="deactivate"),
    path("<uuid:person_id>/riattiva/", views.reactivate, name="reactivate"),
    path("<uuid:person_id>/consensi/nuovo/", views.consent_add, name="consent_add"),
    path(
        "<uuid:person_id>/consensi/<int:consent_id>/revoca/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<uuid:person_id>/unisci/", views.merge, name="merge"),
    path("<uuid:person_id>/accessi/", views.audit, name="audit"),
]
