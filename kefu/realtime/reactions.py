"""Ticket facts pushed to the agents' pages (subscribed in RealtimeConfig.ready(), after commit).

- "new ticket in my queue": a ticket created, assigned or transferred to someone is pushed to that
  person (`user.<id>`); one left in a team queue without an assignee goes to the team (`team.<id>`).
  The actor is not told of their own doing.
- "ticket updated by someone else": every change goes to `ticket.<id>`, the group an open ticket
  page subscribes to; the page compares the actor with its own user and offers a reload.
"""

from __future__ import annotations

from kefu.realtime.push import group_name, push
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


def queued(fact: TicketFact) -> None:
    state = fact.ticket
    event = {"type": "ticket.queued", "ticket": state.id, "number": state.number, "priority": state.priority,
             "actor": fact.actor_id}
    if state.assignee_id is not None:
        if state.assignee_id != fact.actor_id:
            push(group_name("user", state.assignee_id), event)
    elif state.team_id is not None:
        push(group_name("team", state.team_id), event)


def updated(fact: TicketFact) -> None:
    state = fact.ticket
    push(group_name("ticket", state.id), {
        "type": "ticket.updated", "ticket": state.id, "number": state.number, "status": state.status,
        "actor": fact.actor_id, "by_customer": fact.by_customer, "fact": type(fact).__name__,
    })


def _in_someones_queue(fact: TicketFact) -> bool:
    if isinstance(fact, TicketCreated):
        return True
    # An assignment or transfer that moved the ticket to a person or back to a queue.
    return getattr(fact, "to_assignee_id", None) is not None or getattr(fact, "to_team_id", None) is not None


def subscribe_all() -> None:
    subscribe(
        (TicketCreated, TicketAssigned, TicketTransferred), queued, phase=Phase.AFTER_COMMIT,
        name="realtime.queued", order=440, when=_in_someones_queue, once_per_ticket=True,
    )
    subscribe(
        (TicketUpdated, TicketAssigned, TicketTransferred, TicketPriorityChanged, TicketStatusChanged,
         TicketMessageAdded, TicketMerged),
        updated, phase=Phase.AFTER_COMMIT, name="realtime.updated", order=450, once_per_ticket=True,
    )
