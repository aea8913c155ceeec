"""URLs of the shared kernel's own pages (mounted at the site root)."""

from django.urls import path

from prossimo.core import views

app_name = "core"

urlpatterns = [
    path("profilo/", views.profile, name="profile"),
]
