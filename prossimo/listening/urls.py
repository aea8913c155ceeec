"""URLs of the listening line (mounted at /ascolto/): calls, then desk and worklist pages."""

from prossimo.listening import urls_calls, urls_desk

app_name = "listening"

urlpatterns = [*urls_calls.urlpatterns, *urls_desk.urlpatterns]
