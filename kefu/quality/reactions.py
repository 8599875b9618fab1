"""Quality's reaction to ticket facts (subscribed in QualityConfig.ready()): every closed ticket is
copied into an inspection item and pre-screened (AI 初筛 on 100% of contacts), after commit, never
inside the ticket change. Sampling plans then draw from these items."""

from __future__ import annotations

from kefu.quality.services import item_capture_ticket
from kefu.tickets.reactions import Phase, TicketClosed, TicketFact, subscribe


def capture_closed(fact: TicketFact) -> None:
    # Idempotent (one item per contact; a re-close refreshes an item nobody has scored yet), so a
    # retry after a failure never captures twice.
    item_capture_ticket(ticket_id=fact.ticket_id, refresh=True)


def subscribe_all() -> None:
    subscribe(TicketClosed, capture_closed, phase=Phase.AFTER_COMMIT, name="quality.capture_closed", order=400)
