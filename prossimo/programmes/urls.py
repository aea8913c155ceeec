"""URLs of the programmes app, under /programmi/: one module per area, one namespace."""

from django.urls import include, path

from prossimo.programmes import urls_calls, urls_enrolments, urls_monitoring

app_name = "programmes"
urlpatterns = [
    path("", include(urls_enrolments)),
    path("chiamate/", include(urls_calls)),
    path("monitoraggio/", include(urls_monitoring)),
]
