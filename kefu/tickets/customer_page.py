"""What the ticket app adds to the customer's page (registered in TicketsConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from kefu.accounts.models import User
from kefu.customers.models import Customer
from kefu.customers.sections import register_document_ground, register_section
from kefu.tickets.access import visible_tickets_q
from kefu.tickets.models import Ticket
from kefu.tickets.panels import annotate_list
from kefu.tickets.selectors import customer_ticket_history


def _tickets(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    tickets = customer_ticket_history(user=request.user, customer_id=customer.pk, limit=50)  # type: ignore[arg-type]
    annotate_list(tickets)  # countdown badges on first paint (then refreshed every 60 s by the rows' poller)
    return {"tickets": tickets}


def _documents_on_visible_tickets(viewer: User, customer: Customer) -> Q:
    visible = Ticket.objects.filter(visible_tickets_q(viewer), customer=customer).values("pk")
    return Q(ticket_links__ticket__in=visible)


def register_all() -> None:
    register_section(name="tickets.history", order=10, template="tickets/_customer_tickets.html", context=_tickets)
    register_document_ground("tickets.attached", _documents_on_visible_tickets)
