"""URL map: one include per app; user-facing paths in Italian."""

from django.contrib import admin
from django.urls import include, path

from prossimo.api.urls import api
from prossimo.core import views as core_views

handler403 = "prossimo.core.views.error_403"
handler404 = "prossimo.core.views.error_404"
handler500 = "prossimo.core.views.error_500"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("accessibilita/", core_views.accessibility, name="accessibility"),
    path("", include("prossimo.core.urls")),
    path("account/", include("allauth.urls")),
    path("persone/", include("prossimo.people.urls")),
    path("ascolto/", include("prossimo.listening.urls")),
    path("telefonia/", include("prossimo.telephony.urls")),
    path("programmi/", include("prossimo.programmes.urls")),
    path("questionari/", include("prossimo.questionnaires.urls")),
    path("territorio/", include("prossimo.territory.urls")),
    path("risorse/", include("prossimo.directory.urls")),
    path("invii/", include("prossimo.referrals.urls")),
    path("api/", api.urls),
    path("gestione/", admin.site.urls),
    path("favicon.ico", core_views.favicon),
]
