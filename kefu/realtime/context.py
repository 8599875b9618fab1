"""Template context: whether this page can open the push socket."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest


def realtime(request: HttpRequest) -> dict[str, Any]:
    """`realtime_push`: the page was served by the ASGI application (`kefu run`, uvicorn), which
    also serves /ws/push/. A page from a WSGI server (gunicorn, Django's test live server) has no
    socket to connect to, so it does not try (and keeps refreshing as it did before push)."""
    return {"realtime_push": isinstance(request, ASGIRequest)}
