"""A request id on every request and response, so an error a client reports can be found in the log.

The id is the client's `X-Request-ID` when it sent a sensible one (a proxy's or load balancer's),
otherwise a fresh one; it is answered as `X-Request-ID`, put in every JSON 500 body, and logged with
the traceback of every unexpected error.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(request: HttpRequest) -> str:
    """The request's id, made (and kept on the request) on first use."""
    rid = getattr(request, "request_id", None)
    if rid is None:
        sent = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = sent if _SAFE.match(sent) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
    return rid


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_of(request)
        response = self.get_response(request)
        response[HEADER] = rid
        return response
