"""The SLA app's reactions to ticket facts (subscribed in SlaConfig.ready())."""

from __future__ import annotations

from kefu.sla.services import sla_recompute
from kefu.tickets.reactions import (
    Phase,
    TicketAssigned,
    TicketCreated,
    TicketFact,
    TicketMerged,
    TicketMessageAdded,
    TicketPriorityChanged,
    TicketStatusChanged,
    TicketTransferred,
    TicketUpdated,
    subscribe,
)


def recompute(fact: TicketFact) -> None:
    # Inside the change's transaction: the clocks commit or roll back with it.
    sla_recompute(fact.ticket_id, now=fact.at)


def _policy_fields_changed(fact: TicketFact) -> bool:
    # Kind, category and channel choose the policy; a tag edit alone changes nothing.
    return not isinstance(fact, TicketUpdated) or bool(fact.changes)


def subscribe_all() -> None:
    subscribe(
        (TicketCreated, TicketAssigned, TicketTransferred, TicketStatusChanged, TicketPriorityChanged,
         TicketUpdated, TicketMessageAdded, TicketMerged),
        recompute, phase=Phase.IN_TRANSACTION, name="sla.recompute", order=100,
        when=_policy_fields_changed, once_per_ticket=True,
    )
