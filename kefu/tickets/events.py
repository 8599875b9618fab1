"""Timeline rows. Every service writes one through here (saleor order/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.accounts.models import User
from kefu.tickets.choices import EventKind
from kefu.tickets.models import Ticket, TicketEvent


def event_write(
    *,
    ticket: Ticket,
    kind: EventKind,
    actor: User | None,
    at: datetime,
    by_customer: bool = False,
    **data: Any,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, by_customer=by_customer, data=data, created_at=at
    )
