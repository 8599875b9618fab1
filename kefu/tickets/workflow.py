"""The ticket status machine, as data. Pure: no ORM."""

from __future__ import annotations

from kefu.tickets.choices import TicketStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.NEW, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.PENDING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.PENDING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}

# Moving out of these is a reopen.
DONE = frozenset({S.RESOLVED, S.CLOSED})


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed_targets(current: str) -> list[str]:
    order = list(S.values)
    return sorted(TRANSITIONS.get(current, frozenset()), key=order.index)


def status_after_staff_reply(current: str) -> str:
    """A staff reply starts work on a new or assigned ticket; other statuses stay as they are."""
    return S.IN_PROGRESS if current in (S.NEW, S.ASSIGNED) else current


def status_after_customer_reply(current: str) -> str:
    """The customer answering puts the ticket back to work (and reopens a resolved one)."""
    if current in (S.PENDING_CUSTOMER, S.RESOLVED, S.CLOSED):
        return S.IN_PROGRESS
    return current
