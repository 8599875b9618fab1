"""Turn a ticket's timeline (TicketEvent kind, data, time) into the engine's history. Pure, no ORM.

Some ticket services change the status without a status event (a staff reply starts work, a
customer reply puts a pending ticket back to work, a transfer returns it to the queue), so the
status is replayed with the same rules as kefu.tickets.workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kefu.sla.engine import Ev, EvKind
from kefu.tickets import workflow
from kefu.tickets.choices import EventKind, TicketStatus

# (kind, data, created_at) of TicketEvent rows, in timeline order.
EventRow = tuple[str, Mapping[str, Any], datetime]

_ATTRIBUTE_EVENTS = frozenset({EventKind.PRIORITY_CHANGED, EventKind.FIELDS_CHANGED})


def history_from_events(rows: Iterable[EventRow], *, final_status: str | None = None) -> list[Ev]:
    """The engine history of a timeline. When the replayed status disagrees with `final_status`
    (the ticket row's), a status event at the last event's time makes them agree."""
    history: list[Ev] = []
    status: str = TicketStatus.NEW
    last_at: datetime | None = None

    def set_status(at: datetime, new: str) -> None:
        nonlocal status
        if new != status:
            status = new
            history.append(Ev(at, EvKind.STATUS, new))

    for kind, data, at in rows:
        last_at = at
        if kind == EventKind.CREATED:
            if not history:
                history.append(Ev(at, EvKind.CREATED))
            continue
        if not history:
            continue  # a timeline must start with its creation; anything before it is ignored
        if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED, EventKind.AUTO_CLOSED):
            to = data.get("to")
            if isinstance(to, str):
                set_status(at, to)
        elif kind == EventKind.ASSIGNED:
            history.append(Ev(at, EvKind.DISPATCHED))
            if status == TicketStatus.NEW:
                set_status(at, TicketStatus.ASSIGNED)
        elif kind == EventKind.UNASSIGNED:
            if status in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS):
                set_status(at, TicketStatus.NEW)
        elif kind == EventKind.TRANSFERRED:
            history.append(Ev(at, EvKind.DISPATCHED))
            set_status(at, TicketStatus.ASSIGNED if data.get("to_user") else TicketStatus.NEW)
        elif kind == EventKind.REPLIED:
            history.append(Ev(at, EvKind.STAFF_REPLY))
            set_status(at, workflow.status_after_staff_reply(status))
        elif kind == EventKind.CUSTOMER_REPLIED:
            history.append(Ev(at, EvKind.CUSTOMER_MESSAGE))
            set_status(at, workflow.status_after_customer_reply(status))
        elif kind == EventKind.MERGED_INTO:
            set_status(at, TicketStatus.CLOSED)
        elif kind in _ATTRIBUTE_EVENTS:
            history.append(Ev(at, EvKind.ATTRIBUTES))
    if history and final_status is not None and final_status != status and last_at is not None:
        set_status(last_at, final_status)
    return history
