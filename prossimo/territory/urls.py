from django.urls import path

from prossimo.territory import views

app_name = "territory"

urlpatterns = [
    path("comuni/cerca/", views.municipality_autocomplete, name="municipality_autocomplete"),
    path("ambiti/", views.ambiti, name="ambiti"),
    path("ambiti/nuovo/", views.ambito_create, name="ambito_create"),
    path("ambiti/<int:ambito_id>/modifica/", views.ambito_edit, name="ambito_edit"),
]
