"""URLs of telephony (mounted at /telefonia/): the live region, duty, taking a call."""

from django.urls import path

from prossimo.telephony import views

app_name = "telephony"

urlpatterns = [
    path("in-arrivo/", views.live, name="live"),
    path("turno/", views.duty, name="duty"),
    path("chiamate/<uuid:call_id>/rispondi/", views.answer, name="answer"),
]
