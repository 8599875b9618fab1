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
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> TicketEvent:
    """`data` and `fields` together make the event's JSON payload (`data` is for keys such as
    "from" that are not valid Python names)."""
    payload = {**(data or {}), **fields}
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, by_customer=by_customer, data=payload, created_at=at
    )
