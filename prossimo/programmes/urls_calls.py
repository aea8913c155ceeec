"""URLs of the call pages (mounted at /programmi/chiamate/, namespace "programmes")."""

from django.urls import path

from prossimo.programmes import views_calls

urlpatterns = [
    path("", views_calls.calls_today, name="calls_today"),
    path("<uuid:call_id>/esito/", views_calls.call_outcome, name="call_outcome"),
    path("piano/<uuid:enrolment_id>/", views_calls.call_plan, name="call_plan"),
    path("assenze/", views_calls.absences, name="call_absences"),
    path("assenze/annulla/", views_calls.absence_cancel, name="call_absence_cancel"),
]
