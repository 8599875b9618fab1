"""Points' reaction to ticket facts (subscribed in PointsConfig.ready()), after commit: a ticket
tagged 挖掘潜在需求 pays its agent +3, a praise ticket (kind 表扬 or tagged 表扬) pays +5 once resolved
or closed. The award is idempotent (PointsEntry.source), so a retry by the clock pays nothing twice."""

from __future__ import annotations

from kefu.points.services import points_award_from_ticket
from kefu.tickets.choices import TicketStatus
from kefu.tickets.reactions import Phase, TicketFact, TicketStatusChanged, TicketUpdated, subscribe


def award_from_ticket(fact: TicketFact) -> None:
    points_award_from_ticket(ticket_id=fact.ticket_id)


def _worth_a_look(fact: TicketFact) -> bool:
    if isinstance(fact, TicketUpdated):
        return fact.tags_changed or "kind" in fact.changes
    if isinstance(fact, TicketStatusChanged):
        # Praise pays once the ticket is done (kind 表扬, or a 表扬 tag added while it was open).
        return fact.to_status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    return False


def subscribe_all() -> None:
    subscribe(
        (TicketUpdated, TicketStatusChanged), award_from_ticket, phase=Phase.AFTER_COMMIT, name="points.award",
        order=620, when=_worth_a_look,
    )
