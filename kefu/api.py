"""The one NinjaAPI, mounted at /api/v1/. Each app adds its Router here.

Every error leaves the API as {"code", "message", "fields"}: DomainError from the services, ninja's
own validation errors, a body that is not JSON or not declared as JSON (415), a body over the size
limit (413), a missing or bad token, too many requests (429), an unknown path or method, and an
unexpected failure (500, with the request id that is also in the log). The OpenAPI document
declares those answers on every operation (`ERROR_RESPONSES`), so clients and the fuzz tests
(kefu/tests/test_api_fuzz.py) can hold the API to them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from kefu.accounts.api_auth import BearerAuth
from kefu.accounts.limits import RateLimited
from kefu.core.dbretry import connection_lost, may_run_again
from kefu.core.errors import DomainError
from kefu.core.request_id import HEADER as REQUEST_ID_HEADER
from kefu.core.request_id import request_id_of

logger = logging.getLogger("kefu.errors")

# Where an error sits in the input: ("body", "payload", "customer", "phone") -> "customer.phone".
_PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_WRAPPER_PARAMS = {"payload", "params"}


class Utf8JSONRenderer(JSONRenderer):
    # Chinese text as itself, not \\uXXXX escapes: readable in curl and a third smaller.
    json_dumps_params = {"ensure_ascii": False}


class UnsupportedMediaType(Exception):
    pass


class JSONOnlyParser(Parser):
    """Bodies are JSON: `application/json` or `application/*+json` (or no Content-Type at all, which
    is read as JSON); anything else, a form post included, answers 415 rather than being guessed at."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = (request.content_type or "").lower()
        if content_type and content_type != "application/json" and not (
            content_type.startswith("application/") and content_type.endswith("+json")
        ):
            raise UnsupportedMediaType(content_type)
        return super().parse_body(request)


# What any operation may answer besides its own success codes (all in the Error shape). Declared in
# the OpenAPI document on every operation; 413 and 415 only where the operation takes a body.
ERROR_RESPONSES: dict[int, str] = {
    400: "A business rule said no, or the body is not JSON.",
    401: "No valid token.",
    403: "Your role may not do this.",
    404: "No such object, or one you may not see.",
    409: "Conflict with the current state.",
    422: "The input has the wrong shape; `fields` names what is wrong.",
    429: "Too many requests; wait `Retry-After` seconds.",
}
BODY_ERROR_RESPONSES: dict[int, str] = {
    413: "The body is over the size limit.",
    415: "The body is not declared as JSON (`Content-Type: application/json`).",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "required": ["code", "message", "fields"],
    "properties": {
        "code": {"type": "string", "description": "Stable English code, for programs."},
        "message": {"type": "string", "description": "For people; follows Accept-Language."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Input path -> what is wrong with it; {} when no single field is to blame.",
        },
        "request_id": {"type": "string", "description": "On a 500: quote it, it is in the server log."},
    },
}


def _declare_errors(schema: OpenAPISchema) -> OpenAPISchema:
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            declared = dict(ERROR_RESPONSES)
            if "requestBody" in operation:
                declared.update(BODY_ERROR_RESPONSES)
            for status, description in declared.items():
                responses.setdefault(str(status), {"description": description, **ref})
    return schema


class KefuAPI(NinjaAPI):
    """NinjaAPI whose 404 and 405 answers are JSON in the same error shape as everything else, and
    whose OpenAPI document declares the error answers of every operation."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        return _declare_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_not_allowed(pattern.callback)
        # Anything else under /api/v1/ is an unknown endpoint; answer in JSON, not Django's HTML page.
        urls.append(re_path(r"^.*$", _not_found_view, name="not-found"))
        return urls


def error_body(code: str, message: Any, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": str(code), "message": str(message), "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()}}


def error_response(status: int, code: str, message: Any, fields: dict[str, list[str]] | None = None) -> HttpResponse:
    """For answers given outside a ninja operation (unknown path, wrong method)."""
    return JsonResponse(error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False})


def _json_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                405, "method_not_allowed", _("Method %(method)s is not allowed here.") % {"method": request.method}
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _not_found_view(request: HttpRequest) -> HttpResponse:
    return error_response(404, "not_found", _("There is no such endpoint."))


api = KefuAPI(
    title="kefu API",
    version="1",
    description="The JSON API of kefu 客服. Authenticate with `Authorization: Bearer <token>` "
    "(`kefu token USERNAME` prints one). Errors are `{code, message, fields}`. See docs/api.md.",
    urls_namespace="api",
    auth=BearerAuth(),
    renderer=Utf8JSONRenderer(),
    parser=JSONOnlyParser(),
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, error_body(exc.code, exc.message, exc.fields), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthorized", _("Send a valid API token: Authorization: Bearer <token>.")),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="kefu"'
    return response


@api.exception_handler(AuthorizationError)
def _forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return api.create_response(request, error_body("forbidden", _("You may not do this.")), status=403)


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, error_body("rate_limited", _("Too many requests. Try again in %(s)s seconds.") % {"s": exc.retry_after}),
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, Throttled):
        return api.create_response(
            request, error_body("rate_limited", _("Too many requests. Try again later.")), status=429
        )
    # ninja raises HttpError(400, "Cannot parse request body") from whatever the parser raised.
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        if isinstance(exc.__cause__, UnsupportedMediaType):
            return _unsupported_media_type(request)
        return api.create_response(
            request, error_body("invalid_json", _("The request body is not valid JSON.")), status=400
        )
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


def _unsupported_media_type(request: HttpRequest) -> HttpResponse:
    return api.create_response(
        request,
        error_body("unsupported_media_type", _("Send the body as JSON with Content-Type: application/json.")),
        status=415,
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request, error_body("payload_too_large", _("The request body is too large.")), status=413
    )


# Ids and counts are 64-bit in the database; a larger number reaches it as an OverflowError (SQLite)
# or a DataError (PostgreSQL). Rather than bound every integer of every schema, the failure is
# traced back to the input that caused it and answered as a 422 naming it.
_INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"^[+-]?\d+$")


def _too_large(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and _INTEGER.match(value.strip()) and len(value) < 5000:
        value = int(value)
    return isinstance(value, int) and abs(value) > _INT64_MAX


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _json_number_too_large(value: Any) -> bool:
    return isinstance(value, int) and _too_large(value)


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _inputs_where(
    request: HttpRequest,
    bad: Callable[[Any], bool],
    *,
    query: Callable[[str], bool],
    body: Callable[[Any], bool],
    read_body: bool = True,
) -> list[str]:
    """The names of the inputs (path parameters, the query parameters `query` admits, JSON body
    leaves as dotted paths) whose value `bad` (for the body: `body`) finds wrong."""
    found: list[str] = []
    match = request.resolver_match
    found += [str(k) for k, v in (match.kwargs if match else {}).items() if bad(v)]
    found += [k for k in request.GET if query(k) and any(bad(v) for v in request.GET.getlist(k))]

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}" if path else str(i))
        elif body(value):
            found.append(path or "__all__")

    if read_body:
        try:
            walk(json.loads(request.body or b"null"), "")
        except (ValueError, RequestDataTooBig):
            pass
    return found


def _refused(request: HttpRequest) -> dict[str, list[str]]:
    """Before the view: numbers beyond 64 bits where a number is meant for sure (path parameters,
    query parameters named `id` / `*_id`, JSON numbers — a run of digits in a search box or a title
    is text), and text with a NUL character (no PostgreSQL text column holds one)."""
    out = {
        name: [_("The number is out of range.")]
        for name in _inputs_where(request, _too_large, query=_is_id, body=_json_number_too_large)
    }
    nul = _inputs_where(
        request, _has_nul, query=lambda _name: True, body=_has_nul, read_body=b"\\u0000" in request.body
    )
    out.update({name: [_("Text may not contain NUL characters.")] for name in nul})
    return out


def _oversized_numbers(request: HttpRequest) -> dict[str, list[str]]:
    """After an OverflowError / DataError: any input that could have caused it."""
    found = _inputs_where(request, _too_large, query=lambda _name: True, body=_too_large)
    return {name: [_("The number is out of range.")] for name in found}


class OversizedNumbersMiddleware:
    """Refuse an API request naming a number beyond 64 bits or text with a NUL character (path,
    query or JSON body) with a 422 naming the input, before the view runs, the same on every
    database: PostgreSQL would compare such a number and answer "no rows" and refuses NUL in text
    with an error, SQLite raises OverflowError (handled below for what gets past this)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, _view: Any, _args: Any, _kwargs: Any) -> HttpResponse | None:
        if not request.path.startswith("/api/v1/"):
            return None
        try:
            fields = _refused(request)
        except RequestDataTooBig:
            return None  # answered 413 by the view's own parsing
        if not fields:
            return None
        return api.create_response(
            request, error_body("validation_error", _("Some of the input is not valid."), fields), status=422
        )


class LostConnectionRetryMiddleware:
    """An API request that met a lost database connection (answered 503 by the handler below) is
    run again whole on a fresh connection, up to ATTEMPTS runs, when that is safe: reads, and
    creates under an Idempotency-Key (kefu.core.dbretry.may_run_again). Other writes answer the 503
    with Retry-After: the client decides."""

    ATTEMPTS = 3

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        attempt = 1
        while getattr(response, "kefu_connection_lost", False) and attempt < self.ATTEMPTS and may_run_again(request):
            attempt += 1
            logger.warning("%s %s: database connection lost, running it again (run %d)", request.method, request.path, attempt)
            connection.close()
            response = self.get_response(request)
        return response


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    fields = _oversized_numbers(request)
    if not fields:
        return _server_error(request, exc)
    return api.create_response(
        request, error_body("validation_error", _("Some of the input is not valid."), fields), status=422
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """An unexpected failure: logged with its traceback and the request id, answered in JSON."""
    rid = request_id_of(request)
    if connection_lost(exc):
        logger.warning("Database connection lost, request %s: %s %s: %s", rid, request.method, request.path, exc)
        body = error_body("database_unavailable", _("The database connection was lost. Please try again."))
        body["request_id"] = rid
        response = api.create_response(request, body, status=503)
        response["Retry-After"] = "1"
        response[REQUEST_ID_HEADER] = rid
        response.kefu_connection_lost = True  # type: ignore[attr-defined]
        return response
    logger.error("Unexpected error, request %s: %s %s", rid, request.method, request.path, exc_info=exc)
    body = error_body("server_error", _("Something went wrong on our side. Quote request %(id)s.") % {"id": rid})
    body["request_id"] = rid
    response = api.create_response(request, body, status=500)
    response[REQUEST_ID_HEADER] = rid
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_field_path(err.get("loc", ())), []).append(str(err.get("msg", "")))
    return api.create_response(
        request,
        error_body("validation_error", _("Some of the input is not valid."), fields),
        status=422,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _PARAM_SOURCES:
        parts.pop(0)
    # The body and the query arrive as one named parameter each ("payload", "params"); those names
    # mean nothing to the client.
    if parts and parts[0] in _WRAPPER_PARAMS:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or "__all__"


api.add_router("/tickets/", "kefu.tickets.api.router")
api.add_router("/customers/", "kefu.customers.api.router")
api.add_router("/knowledge/", "kefu.knowledge.api.router")
api.add_router("/surveys/", "kefu.surveys.api.router")
api.add_router("/workforce/", "kefu.workforce.api.router")
api.add_router("/me", "kefu.accounts.api.router")
api.add_router("/dispatch/", "kefu.dispatch.api.router")
api.add_router("/chat/", "kefu.chat.api.router")
api.add_router("/bot/", "kefu.bot.api.router")
api.add_router("/complaints/", "kefu.complaints.api.router")
api.add_router("/quality/", "kefu.quality.api.router")
api.add_router("/appointments/", "kefu.appointments.api.router")
api.add_router("/operations/", "kefu.operations.api.router")
api.add_router("/dispatch/triage/", "kefu.triage.api.router")
api.add_router("/channels/", "kefu.channels.api.router")
api.add_router("/performance/packs", "kefu.reports.api.router")
api.add_router("/channels/calls/", "kefu.channels.cti_api.calls_router")  # signed CTI events
api.add_router("/channels/sms/", "kefu.channels.cti_api.sms_router")  # signed SMS receipts and inbound
api.add_router("/performance/", "kefu.performance.api.router")
api.add_router("/points/", "kefu.points.api.router")
api.add_router("/care/", "kefu.care.api.router")
