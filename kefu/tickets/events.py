"""Timeline rows. Every service writes one through here (saleor order/events.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    written = _new.tickets.get(ticket.pk)
    if written is not None:
        written.append((str(kind), json.loads(json.dumps(payload)), at))  # as the database gives it back
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, by_customer=by_customer, data=payload, created_at=at
    )


class _New(threading.local):
    def __init__(self) -> None:
        self.tickets: dict[int, list[tuple[str, dict[str, Any], datetime]]] = {}


_new = _New()


@contextmanager
def new_ticket_timeline() -> Iterator[Callable[[int], None]]:
    """Around the creation of a ticket and its reactions: `track(ticket.pk)` right after the
    insert; from then on (the row is new in this transaction, so every event it has is written
    here, through event_write) its timeline is kept in memory for the reactions that read it (SLA)
    instead of being read back."""
    ids: list[int] = []

    def track(ticket_id: int) -> None:
        ids.append(ticket_id)
        _new.tickets[ticket_id] = []

    try:
        yield track
    finally:
        for ticket_id in ids:
            _new.tickets.pop(ticket_id, None)


def timeline_in_memory(ticket_id: int) -> list[tuple[str, dict[str, Any], datetime]] | None:
    """(kind, data, at) of every event of a ticket created in the running ticket_create, ordered
    as the database orders them (time, then writing order); None for any other ticket."""
    written = _new.tickets.get(ticket_id)
    return None if written is None else sorted(written, key=lambda row: row[2])
