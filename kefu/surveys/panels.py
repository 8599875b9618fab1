"""What the satisfaction app adds to the ticket page (registered in SurveysConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _flag(_request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    return {} if ticket.customer_id else None  # the dissatisfied-customer flag in the customer card


def register_all() -> None:
    register_panel(
        name="surveys.dissatisfied_flag", slot=Slot.CUSTOMER, order=10,
        template="surveys/_ticket_customer_flag.html", context=_flag,
    )
