"""Closed-loop referrals: the receiving organisation's queue and a referral's page."""

from django.urls import path  # noqa: F401

app_name = "referrals"

urlpatterns: list = []
