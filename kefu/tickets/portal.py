"""The customer portal: submit a request and follow it through a signed tracking link, no account.

Customers are not users. Every page that names a ticket takes the token from the URL and goes
through access_ticket_by_portal_token, which answers NotFound for a bad, forged or revoked token;
that becomes a friendly 404 page here, never a 500. Only public replies and public attachments of
that one ticket are ever shown. The tracking pages are kept out of caches, search engines and
Referer headers, because the URL is the key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from kefu.core.errors import DomainError, NotFound
from kefu.core.htmx import FORM_ERROR_STATUS, add_domain_error
from kefu.customers.services import CustomerIdentity, customer_match_or_create
from kefu.tickets.access import access_ticket_by_portal_token, portal_token
from kefu.tickets.choices import Channel, TicketStatus
from kefu.tickets.models import Ticket, TicketAttachment
from kefu.tickets.portal_forms import ReopenForm, ReplyForm, SubmitForm, install_upload_limit
from kefu.tickets.portal_notify import tracking_link_mail_on_commit
from kefu.tickets.selectors import ticket_timeline
from kefu.tickets.services import (
    TicketInput,
    ticket_create,
    ticket_customer_reopen,
    ticket_customer_reply,
    ticket_reopen_deadline,
)

# What the customer reads: their situation, not our internal workflow.
CUSTOMER_STATUS = {
    TicketStatus.NEW: gettext_lazy("Received, waiting for an agent"),
    TicketStatus.ASSIGNED: gettext_lazy("Being handled"),
    TicketStatus.IN_PROGRESS: gettext_lazy("Being handled"),
    TicketStatus.PENDING_CUSTOMER: gettext_lazy("Waiting for your reply"),
    TicketStatus.RESOLVED: gettext_lazy("Resolved"),
    TicketStatus.CLOSED: gettext_lazy("Closed"),
}

View = Callable[..., HttpResponseBase]


def private(view: View) -> View:
    """The URL is the key: no caching, no indexing, no Referer to other sites (see portal/base.html
    for why the policy is same-origin rather than no-referrer)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", {}, status=404)


def _too_large(request: HttpRequest) -> set[str]:
    return set(getattr(request, "kefu_too_large_uploads", set()))


# --- submit ----------------------------------------------------------------------------------------


@private
@csrf_exempt  # the upload limit must be installed before CSRF reads the body; csrf_protect below checks it
def submit(request: HttpRequest) -> HttpResponse:
    install_upload_limit(request)
    return _submit(request)


@csrf_protect
def _submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "portal/ticket_submit.html", {"form": SubmitForm()})
    form = SubmitForm(request.POST, request.FILES, too_large=_too_large(request))
    if form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                identity = CustomerIdentity(name=d["name"], phone=d["phone"], email=d["email"])
                customer, _created = customer_match_or_create(actor=None, identity=identity)
                data = TicketInput(
                    title=d["title"], description=d["description"], kind=d["kind"], channel=Channel.WEB,
                    customer=customer, contact_phone=d["phone"], uploads=[d["attachment"]] if d["attachment"] else [],
                )
                ticket = ticket_create(actor=None, data=data, by_customer=True)
                token = portal_token(ticket)
                if d["email"]:
                    link = request.build_absolute_uri(reverse("portal:track", args=[token]))
                    tracking_link_mail_on_commit(ticket=ticket, email=d["email"], name=d["name"], link=link)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if d["email"]:
                messages.info(request, _("We also sent this link to %(email)s.") % {"email": d["email"]})
            return redirect("portal:submitted", token=token)
    return render(request, "portal/ticket_submit.html", {"form": form}, status=FORM_ERROR_STATUS)


@private
@require_GET
def submitted(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = access_ticket_by_portal_token(token)
    except NotFound:
        return not_found(request)
    track_url = request.build_absolute_uri(reverse("portal:track", args=[token]))
    return render(request, "portal/ticket_submitted.html", {"ticket": ticket, "track_url": track_url})


# --- track -----------------------------------------------------------------------------------------


def reopen_deadline(ticket: Ticket) -> datetime | None:
    return ticket_reopen_deadline(ticket)


def _render_track(
    request: HttpRequest,
    ticket: Ticket,
    token: str,
    *,
    reply_form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    deadline = None if ticket.is_open else reopen_deadline(ticket)
    merged = ticket.merged_into_id is not None
    attachments = TicketAttachment.objects.filter(ticket=ticket, is_public=True, message__isnull=True).select_related(
        "document"
    )
    context = {
        "ticket": ticket,
        "token": token,
        "status_text": CUSTOMER_STATUS.get(TicketStatus(ticket.status), ticket.status),
        "timeline": ticket_timeline(ticket=ticket, for_customer=True),
        "attachments": list(attachments),
        "merged": merged,
        "can_reply": ticket.is_open and not merged,
        "can_reopen": not merged and deadline is not None and timezone.now() <= deadline,
        "reopen_deadline": deadline,
        "reopen_days": settings.KEFU_REOPEN_DAYS,
        "reply_form": reply_form or ReplyForm(allow_attachment=ticket.customer_id is not None),
        "reopen_form": reopen_form or ReopenForm(),
    }
    return render(request, "portal/ticket_track.html", context, status=status)


@private
@require_GET
def track(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = access_ticket_by_portal_token(token)
    except NotFound:
        return not_found(request)
    return _render_track(request, ticket, token)


@private
@csrf_exempt  # see submit
@require_POST
def reply(request: HttpRequest, token: str) -> HttpResponse:
    install_upload_limit(request)
    return _reply(request, token)


@csrf_protect
def _reply(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = access_ticket_by_portal_token(token)
    except NotFound:
        return not_found(request)
    form = ReplyForm(
        request.POST, request.FILES, too_large=_too_large(request), allow_attachment=ticket.customer_id is not None
    )
    if form.is_valid():
        upload = form.cleaned_data.get("attachment")
        try:
            ticket_customer_reply(token=token, body=form.cleaned_data["body"], uploads=[upload] if upload else [])
        except NotFound:
            return not_found(request)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your reply was sent. We will get back to you soon."))
            return redirect(reverse("portal:track", args=[token]) + "#ticket-messages")
    return _render_track(request, ticket, token, reply_form=form, status=FORM_ERROR_STATUS)


@private
@require_POST
def reopen(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = access_ticket_by_portal_token(token)
    except NotFound:
        return not_found(request)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            ticket_customer_reopen(token=token, reason=form.cleaned_data["reason"])
        except NotFound:
            return not_found(request)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your request was reopened. An agent will look at it again."))
            return redirect(reverse("portal:track", args=[token]) + "#ticket-messages")
    return _render_track(request, ticket, token, reopen_form=form, status=FORM_ERROR_STATUS)


@private
@require_GET
def attachment(request: HttpRequest, token: str, attachment_id: int) -> HttpResponseBase:
    """A public attachment of the ticket the token names; anything else is 404."""
    try:
        ticket = access_ticket_by_portal_token(token)
    except NotFound:
        return not_found(request)
    att = (
        TicketAttachment.objects.filter(pk=attachment_id, ticket=ticket, is_public=True).select_related("document").first()
    )
    if att is None:
        return not_found(request)
    doc = att.document
    try:
        fh = doc.file.open("rb")
    except FileNotFoundError:
        return not_found(request)
    # Always a download, never rendered inline: the type was checked on upload, this is defence in depth.
    return FileResponse(fh, as_attachment=True, filename=doc.name, content_type=doc.content_type)
