from django.urls import path

from prossimo.people import views

app_name = "people"

urlpatterns = [
    path("", views.search, name="search"),
    path("<uuid:person_id>/", views.detail, name="detail"),
]
