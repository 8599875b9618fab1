"""Appointments' reactions to ticket facts (subscribed in AppointmentsConfig.ready()); orders 600–619.

After commit only: a booking following its ticket must never slow down or fail the ticket's change."""

from __future__ import annotations

from kefu.appointments.services import appointments_follow_merge
from kefu.tickets.reactions import Phase, TicketFact, TicketMerged, subscribe


def follow_merge(fact: TicketFact) -> None:
    # Idempotent (an UPDATE by ticket id), so a retry after a failure moves nothing twice.
    if isinstance(fact, TicketMerged):
        appointments_follow_merge(source_ticket_id=fact.ticket_id, target_ticket_id=fact.into_id)


def subscribe_all() -> None:
    subscribe(TicketMerged, follow_merge, phase=Phase.AFTER_COMMIT, name="appointments.follow_merge", order=600)
