"""The one NinjaAPI, mounted at /api/v1/. Each app adds its Router here."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="kefu API", version="1", urls_namespace="api")
