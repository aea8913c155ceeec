"""The resource directory: search, a service's page, the map."""

from django.urls import path  # noqa: F401

app_name = "directory"

urlpatterns: list = []
