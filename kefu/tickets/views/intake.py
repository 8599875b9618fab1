"""Quick intake: log a phone contact as a ticket in under 30 seconds of typing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.core.htmx import FORM_ERROR_STATUS, AuthedHtmxRequest, add_domain_error
from kefu.customers.errors import CustomerErrorCode
from kefu.customers.selectors import contact_view, customer_get
from kefu.customers.services import CustomerIdentity, customer_match_or_create, normalize_phone
from kefu.tickets.forms import IntakeForm, uploads_from
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_create


def _intake(user: User, d: dict[str, Any]) -> Ticket:
    # Customer and ticket commit together: a refused ticket leaves no half-made customer behind.
    with transaction.atomic():
        customer, phone = None, ""
        if d["customer_id"]:
            customer = customer_get(viewer=user, customer_id=d["customer_id"])
            if customer is None:
                raise DomainError(code=CustomerErrorCode.NOT_FOUND, message=_("Customer not found."))
            phone = normalize_phone(d["phone"]) if d["phone"] else ""
        elif d["phone"]:
            phone = normalize_phone(d["phone"])
            customer, _created = customer_match_or_create(
                actor=user, identity=CustomerIdentity(name=d["customer_name"], phone=phone)
            )
        assign_me = d["assign"] == IntakeForm.ASSIGN_ME
        return ticket_create(
            actor=user,
            data=TicketInput(
                title=d["title"],
                description=d["description"],
                kind=d["kind"],
                channel=d["channel"],
                priority=d["priority"],
                category=d["category"],
                customer=customer,
                contact_phone=phone,
                team=None if assign_me else user.team,
                assignee=user if assign_me else None,
                uploads=uploads_from(d["attachments"]),
            ),
        )


@login_required
def ticket_new(request: AuthedHtmxRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = _intake(request.user, form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
                return redirect("tickets:detail", number=ticket.number)
        status = FORM_ERROR_STATUS
    else:
        form = IntakeForm(initial={"phone": request.GET.get("phone", "")[:32], "customer_id": request.GET.get("customer")})
    preset = _preset_customer(request, form)
    context = {"form": form, "nav": "new", "preset": preset}
    return render(request, "tickets/ticket_new.html", context, status=status)


def _preset_customer(request: AuthedHtmxRequest, form: IntakeForm) -> dict[str, Any] | None:
    """The customer the intake was opened for (from their page), shown instead of the phone lookup."""
    raw = form.data.get("customer_id") if form.is_bound else form.initial.get("customer_id")
    try:
        customer_id = int(raw or 0)
    except (TypeError, ValueError):
        return None
    customer = customer_get(viewer=request.user, customer_id=customer_id) if customer_id else None
    if customer is None:
        return None
    return {"customer": customer, "contacts": contact_view(customer=customer, viewer=request.user)}
