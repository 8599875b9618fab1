"""Small helpers for the HTML views: the typed request, partial rendering, HX-Trigger events and
mapping a DomainError onto a form."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kefu.core.errors import DomainError

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from kefu.accounts.models import User

# Invalid form input answers 422; the htmx config in base.html swaps 422 responses so errors show.
FORM_ERROR_STATUS = 422


class AuthedHtmxRequest(HttpRequest):
    """What a logged-in staff view receives (LoginMiddleware + HtmxMiddleware)."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def render_region(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    regions: tuple[str, ...] = (),
    status: int = 200,
    region: str | None = None,
) -> HttpResponse:
    """Render the whole page, or, for an htmx request, just one inline partial.

    The partial is `region` when given, else the request's HX-Target if it names one of `regions`
    (a partial's name equals the DOM id of its root element).
    """
    htmx = getattr(request, "htmx", None)
    if htmx:
        name = region or (htmx.target if htmx.target in regions else None)
        if name:
            return render(request, f"{template}#{name}", context, status=status)
    return render(request, template, context, status=status)


def with_events(response: HttpResponse, **events: Any) -> HttpResponse:
    """Add HX-Trigger events (e.g. ticketUpdated=True, kefuToast={"message": ...})."""
    merged: dict[str, Any] = {}
    if response.get("HX-Trigger"):
        merged = json.loads(response["HX-Trigger"])
    for name, value in events.items():
        merged[name] = None if value is True else value
    # ASCII-only JSON: a non-ASCII header value would be RFC 2047-encoded, which htmx cannot read.
    response["HX-Trigger"] = json.dumps(merged)
    return response


def toast(message: str) -> dict[str, str]:
    return {"message": str(message)}


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the form: on the named fields when the form has them, else on top."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))
