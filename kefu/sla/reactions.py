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
    batch_facts,
    changed_by_reactions,
    subscribe,
)


def recompute(fact: TicketFact) -> None:
    # Inside the change's transaction, once per ticket when the batch has settled (after dispatch
    # assigned a new ticket): the clocks commit or roll back with it.
    new = any(isinstance(f, TicketCreated) for f in batch_facts(fact.ticket_id))
    # The service's own row is locked and current unless another service (called by a reaction)
    # changed the ticket since: then it is read again.
    fresh = fact.instance if fact.ticket_id not in changed_by_reactions() else None
    sla_recompute(fact.ticket_id, now=fact.at, new=new, read_back=False, ticket=fresh)


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
