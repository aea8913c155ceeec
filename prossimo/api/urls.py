"""The REST API: one NinjaAPI, with one router module per app mounted here."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Prossimo API",
    version="1",
    urls_namespace="api",
    description="Prossimo's REST API for integrations. Authenticate with a token: "
    "`Authorization: Bearer <token>`.",
)
