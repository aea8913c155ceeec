"""Closed-loop referrals: the receiving organisation's queue and a referral's page."""

from django.urls import path

from prossimo.referrals import views

app_name = "referrals"

urlpatterns = [
    path("ricevuti/", views.incoming, name="incoming"),
    path("inviati/", views.sent, name="sent"),
    path("nuovo/", views.new, name="new"),
    path("<uuid:referral_id>/", views.detail, name="detail"),
    path("<uuid:referral_id>/stato/", views.change_state, name="change_state"),
]
