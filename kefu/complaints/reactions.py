"""Complaint management's reactions to ticket facts (subscribed in ComplaintsConfig.ready()).

After commit only: counting a complaint must never slow down or fail the ticket's creation."""

from __future__ import annotations

from kefu.complaints.services import complaint_record
from kefu.tickets.choices import TicketKind
from kefu.tickets.reactions import Phase, TicketCreated, TicketFact, subscribe


def count_complaint(fact: TicketFact) -> None:
    # Idempotent (one Complaint row per ticket), so a retry after a failure never counts twice.
    complaint_record(ticket_id=fact.ticket_id)


def subscribe_all() -> None:
    subscribe(
        TicketCreated,
        count_complaint,
        phase=Phase.AFTER_COMMIT,
        name="complaints.count",
        order=500,
        when=lambda f: f.ticket.kind == TicketKind.COMPLAINT,
    )
