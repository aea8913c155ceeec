"""URLs of the daily work (mounted at /ascolto/): "Oggi", call-backs, the desk queue, needs,
alerts."""

from django.urls import path

from prossimo.listening import views_desk

urlpatterns = [
    path("oggi/", views_desk.today, name="today"),
    path("richiami/", views_desk.follow_ups, name="follow_ups"),
    path("sportello/", views_desk.desk, name="desk"),
    path("affidati/", views_desk.handed_over, name="handed_over"),
    path("bisogni/<uuid:need_id>/", views_desk.need_detail, name="need_detail"),
    path("bisogni/<uuid:need_id>/prendi/", views_desk.need_take, name="need_take"),
    path("bisogni/<uuid:need_id>/chiudi/", views_desk.need_close, name="need_close"),
    path("bisogni/<uuid:need_id>/affida/", views_desk.need_hand_over, name="need_hand_over"),
    path("allerte/", views_desk.alerts, name="alerts"),
    path("allerte/in-ritardo/", views_desk.overdue_notice, name="overdue_notice"),
    path("allerte/<uuid:alert_id>/", views_desk.alert_detail, name="alert_detail"),
    path(
        "allerte/<uuid:alert_id>/presa-visione/",
        views_desk.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("allerte/<uuid:alert_id>/risolvi/", views_desk.alert_resolve, name="alert_resolve"),
    path("richiami/<uuid:follow_up_id>/esito/", views_desk.follow_up_done, name="follow_up_done"),
]
