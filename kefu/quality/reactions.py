"""Quality's reaction to ticket facts (subscribed in QualityConfig.ready()): a closed ticket is drawn
into the inspection sample at KEFU_QA_SAMPLE_RATE, after commit (never inside the ticket change)."""

from __future__ import annotations

from django.conf import settings

from kefu.quality.services import item_capture_ticket, sample_draw
from kefu.tickets.reactions import Phase, TicketClosed, TicketFact, subscribe


def sample_closed(fact: TicketFact) -> None:
    if sample_draw(ticket_id=fact.ticket_id, seed=getattr(settings, "KEFU_QA_SAMPLE_SEED", None)):
        item_capture_ticket(ticket_id=fact.ticket_id)


def subscribe_all() -> None:
    subscribe(TicketClosed, sample_closed, phase=Phase.AFTER_COMMIT, name="quality.sample_closed", order=400)
