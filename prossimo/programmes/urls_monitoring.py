"""URLs of programme monitoring (mounted at /programmi/monitoraggio/): report and CSV export."""

from django.urls import path

from prossimo.programmes import views_monitoring

urlpatterns = [
    path("", views_monitoring.report, name="monitoring"),
    path("export.csv", views_monitoring.export, name="monitoring_export"),
]
