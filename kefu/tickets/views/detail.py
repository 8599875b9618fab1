"""The ticket page: header, timeline, reply/note box, actions and the customer panel.

Mutations follow one shape (`_act`): validate the form, call one service, then
- htmx: 204 with HX-Trigger `ticketUpdated` (the regions listening for it reload themselves),
- plain POST: redirect back to the page (post/redirect/get),
- refusal (bad input or DomainError): the region with the form re-rendered with errors, status 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import DomainError, NotFound
from kefu.core.htmx import (
    FORM_ERROR_STATUS,
    AuthedHtmxRequest,
    add_domain_error,
    render_region,
    toast,
    with_events,
)
from kefu.customers.selectors import contact_view
from kefu.tickets.access import access_ticket, may_assign_others, may_merge, may_write
from kefu.tickets.forms import (
    AssignForm,
    LinkForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TagsForm,
    TransferForm,
    uploads_from,
)
from kefu.tickets.models import Ticket, TicketAttachment
from kefu.tickets.panels import panel_for_region, panels_by_slot
from kefu.tickets.selectors import customer_ticket_history, ticket_detail_related, ticket_timeline
from kefu.tickets.services import (
    ticket_add_message,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_link,
    ticket_merge,
    ticket_transfer,
    ticket_update,
)

TEMPLATE = "tickets/ticket_detail.html"
REGIONS = ("ticket-header", "ticket-timeline", "ticket-actions", "ticket-customer", "ticket-compose")


def ticket_or_404(request: AuthedHtmxRequest, number: str) -> Ticket:
    try:
        return access_ticket(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _assign_candidates(user: User, ticket: Ticket) -> QuerySet[User]:
    """Leads pick anyone active in the ticket's team; agents may only claim for themselves."""
    if may_assign_others(user) and ticket.team_id:
        return User.objects.filter(team_id=ticket.team_id, is_active=True).exclude(role=Role.QA).order_by("id")
    return User.objects.filter(pk=user.pk)


def _forms(user: User, ticket: Ticket, bound: dict[str, forms.Form]) -> dict[str, forms.Form]:
    tags = SimpleLazyObject(lambda: " ".join(t.name for t in ticket.tags.all()))
    unbound: dict[str, Callable[[], forms.Form]] = {
        "reply": lambda: ReplyForm(current_status=ticket.status),
        "assign": lambda: AssignForm(candidates=_assign_candidates(user, ticket), initial={"assignee": ticket.assignee_id}),
        "status": lambda: StatusForm(current_status=ticket.status),
        "priority": lambda: PriorityForm(initial={"priority": ticket.priority}),
        "transfer": lambda: TransferForm(),
        "tags": lambda: TagsForm(initial={"tags": str(tags)}),
        "link": lambda: LinkForm(),
        "merge": lambda: MergeForm(),
    }
    return {name: bound.get(name) or make() for name, make in unbound.items()}


def _context(request: AuthedHtmxRequest, ticket: Ticket, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """Everything the page shows. The expensive parts are lazy, so a region reload only pays for itself."""
    user, customer = request.user, ticket.customer
    return {
        "ticket": ticket,
        "timeline": SimpleLazyObject(lambda: ticket_timeline(ticket=ticket)),
        "related": SimpleLazyObject(lambda: ticket_detail_related(ticket=ticket)),
        "customer": customer,
        "contacts": contact_view(customer=customer, viewer=user) if customer else None,
        "assets": SimpleLazyObject(lambda: list(customer.assets.all()[:10]) if customer else []),
        "history": SimpleLazyObject(
            lambda: customer_ticket_history(user=user, customer_id=customer.pk, exclude_id=ticket.pk, limit=8)
            if customer
            else []
        ),
        "panels": panels_by_slot(request, ticket),
        "may_write": may_write(user),
        "may_assign_others": may_assign_others(user),
        "may_merge": may_merge(user),
        "forms": _forms(user, ticket, bound or {}),
    }


@login_required
def ticket_detail(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    ticket = ticket_or_404(request, number)
    if request.htmx and (panel := panel_for_region(request, ticket, request.htmx.target)) is not None:
        # A panel another app added reloads itself (the SLA countdowns every minute).
        return render(request, panel.template, {"ticket": ticket, "may_write": may_write(request.user), **panel.context})
    return render_region(request, TEMPLATE, _context(request, ticket), regions=REGIONS)


def _act(
    request: AuthedHtmxRequest,
    number: str,
    name: str,
    make_form: Callable[[Ticket], forms.Form],
    run: Callable[[Ticket, dict[str, Any]], Any],
    done: str,
    region: str = "ticket-actions",
) -> HttpResponse:
    ticket = ticket_or_404(request, number)
    form = make_form(ticket)
    if form.is_valid():
        try:
            # One transaction: "reply and set status" is two services, and a refused status change
            # must not leave the reply (and its customer email) behind.
            with transaction.atomic():
                result = run(ticket, form.cleaned_data)
        except DomainError as exc:
            # This ticket passed the access check above, so a NotFound here names the other ticket of a
            # link or merge: it is shown on the form like any refusal.
            add_domain_error(form, exc)
        else:
            target = result.number if isinstance(result, Ticket) and result.number != ticket.number else ticket.number
            url = reverse("tickets:detail", kwargs={"number": target})
            if target != ticket.number:
                messages.success(request, done)
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
            if request.htmx:
                if region == "ticket-compose":
                    fresh = _context(request, ticket_or_404(request, number))
                    response = render_region(request, TEMPLATE, fresh, region=region)
                else:
                    response = HttpResponse(status=204)
                return with_events(response, ticketUpdated=True, kefuToast=toast(done))
            messages.success(request, done)
            return redirect(url)
    context = _context(request, ticket, {name: form})
    context["open_action"] = name
    return render_region(request, TEMPLATE, context, region=region, status=FORM_ERROR_STATUS)


@require_POST
@login_required
def ticket_reply(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """A public reply or an internal note, with attachments and an optional status change."""
    return _act(
        request, number, "reply",
        lambda t: ReplyForm(request.POST, request.FILES, current_status=t.status),
        lambda t, d: ticket_add_message(
            actor=request.user, number=t.number, kind=d["kind"], body=d["body"],
            uploads=uploads_from(d["attachments"]), status=d["status"] or None,
        ),
        _("Saved."),
        region="ticket-compose",
    )


@require_POST
@login_required
def ticket_assign_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """Claim (assign to me), assign to a teammate (leads), or return to the team queue."""
    if request.POST.get("claim"):
        post = request.POST.copy()
        post["assignee"] = str(request.user.pk)
    else:
        post = request.POST
    return _act(
        request, number, "assign",
        lambda t: AssignForm(post, candidates=_assign_candidates(request.user, t)),
        lambda t, d: ticket_assign(actor=request.user, number=t.number, assignee=d["assignee"]),
        _("Assignment saved."),
    )


@require_POST
@login_required
def ticket_status_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    return _act(
        request, number, "status",
        lambda t: StatusForm(request.POST, current_status=t.status),
        lambda t, d: ticket_change_status(actor=request.user, number=t.number, status=d["status"], comment=d["comment"]),
        _("Status changed."),
    )


@require_POST
@login_required
def ticket_priority_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    return _act(
        request, number, "priority",
        lambda t: PriorityForm(request.POST),
        lambda t, d: ticket_change_priority(actor=request.user, number=t.number, priority=d["priority"], reason=d["reason"]),
        _("Priority changed."),
    )


@require_POST
@login_required
def ticket_transfer_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """转派: to a team, optionally a person in it; the reason is required and recorded."""
    return _act(
        request, number, "transfer",
        lambda t: TransferForm(request.POST),
        lambda t, d: ticket_transfer(
            actor=request.user, number=t.number, to_team=d["to_team"], to_user=d["to_user"], reason=d["reason"]
        ),
        _("Ticket transferred."),
    )


@require_POST
@login_required
def ticket_tags_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    return _act(
        request, number, "tags",
        lambda t: TagsForm(request.POST),
        lambda t, d: ticket_update(actor=request.user, number=t.number, changes={}, tags=d["tags"]),
        _("Tags saved."),
    )


@require_POST
@login_required
def ticket_link_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    return _act(
        request, number, "link",
        lambda t: LinkForm(request.POST),
        lambda t, d: ticket_link(actor=request.user, number=t.number, other_number=d["other_number"], kind=d["kind"]),
        _("Tickets linked."),
    )


@require_POST
@login_required
def ticket_merge_view(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """Merge this duplicate into another ticket (leads); goes on to the target ticket."""
    return _act(
        request, number, "merge",
        lambda t: MergeForm(request.POST),
        lambda t, d: ticket_merge(actor=request.user, source_number=t.number, target_number=d["target_number"]),
        _("Tickets merged."),
    )


@login_required
def attachment_download(request: AuthedHtmxRequest, number: str, attachment_id: int) -> FileResponse:
    """Files are served only through here, after the ticket access check; never from a public media URL."""
    ticket = ticket_or_404(request, number)
    attachment = get_object_or_404(TicketAttachment.objects.select_related("document"), pk=attachment_id, ticket=ticket)
    doc = attachment.document
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing.")) from exc
    return FileResponse(handle, as_attachment=True, filename=doc.name, content_type=doc.content_type)
