"""The resource directory: search, a service's page, the map."""

from django.urls import path

from prossimo.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("servizi/<uuid:service_id>/", views.service_detail, name="service"),
]
