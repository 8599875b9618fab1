"""Operations' reactions to ticket facts (subscribed in OperationsConfig.ready()); orders 630–639.

After commit only: closing a device fault's downtime must never slow down or fail the ticket's
change. The filter reads only the fact (报修 without a customer), so other tickets cost no query."""

from __future__ import annotations

from kefu.operations.equipment import fault_ticket_status, is_fault_ticket
from kefu.tickets.reactions import Phase, TicketClosed, TicketFact, TicketStatusChanged, subscribe


def fault_downtime(fact: TicketFact) -> None:
    # Idempotent (the fault row is locked and only moves when its state differs), so a retry after
    # a failure closes nothing twice.
    fault_ticket_status(ticket_id=fact.ticket_id, status=fact.ticket.status, at=fact.at)


def subscribe_all() -> None:
    subscribe(
        [TicketStatusChanged, TicketClosed], fault_downtime, phase=Phase.AFTER_COMMIT, name="operations.fault_downtime",
        order=630, when=lambda f: is_fault_ticket(f.ticket.kind, f.ticket.customer_id),
    )  # fmt: skip
