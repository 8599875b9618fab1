"""The one NinjaAPI, mounted at /api/v1/. Each app adds its Router here.

Every error leaves the API as {"code", "message", "fields"}: DomainError from the services, ninja's
own validation errors, a body that is not JSON, a missing or bad token, an unknown path or method.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from kefu.accounts.models import User
from kefu.accounts.services import api_token_authenticate
from kefu.core.errors import DomainError

# Where an error sits in the input: ("body", "payload", "customer", "phone") -> "customer.phone".
_PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_WRAPPER_PARAMS = {"payload", "params"}


class BearerAuth(HttpBearer):
    """`Authorization: Bearer kefu_...`; the token's user becomes request.auth (and request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token.strip())
        if user is not None:
            request.user = user
        return user


class Utf8JSONRenderer(JSONRenderer):
    # Chinese text as itself, not \\uXXXX escapes: readable in curl and a third smaller.
    json_dumps_params = {"ensure_ascii": False}


class KefuAPI(NinjaAPI):
    """NinjaAPI whose 404 and 405 answers are JSON in the same error shape as everything else."""

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


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400, "Cannot parse request body") for a body that is not JSON.
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return api.create_response(
            request, error_body("invalid_json", _("The request body is not valid JSON.")), status=400
        )
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


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
api.add_router("/dispatch/triage/", "kefu.triage.api.router")
