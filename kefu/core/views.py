"""Django's error handlers: JSON in the API's error shape under /api/, the usual pages elsewhere."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from kefu.core.request_id import HEADER, request_id_of

logger = logging.getLogger("kefu.errors")

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, code: str, message: str, **extra: str) -> JsonResponse:
    body = {"code": code, "message": message, "fields": {}, **extra}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: reached for a failure outside a ninja operation (middleware, URL resolving)."""
    if not _is_api(request):
        return defaults.server_error(request)
    rid = request_id_of(request)
    logger.error("Unexpected error, request %s: %s %s", rid, request.method, request.path, exc_info=True)
    response = _json(500, "server_error", _("Something went wrong on our side. Quote request %(id)s.") % {"id": rid},
                     request_id=rid)  # fmt: skip
    response[HEADER] = rid
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return _json(400, "bad_request", _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _json(403, "forbidden", _("You may not do this."))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _json(404, "not_found", _("There is no such endpoint."))
