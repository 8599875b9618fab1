"""The dispatch app's reactions to ticket facts (subscribed in DispatchConfig.ready())."""

from __future__ import annotations

from django.conf import settings

from kefu.accounts.models import Team, User
from kefu.accounts.reactions import on_presence_change
from kefu.dispatch.services import (
    dispatch_new_ticket,
    dispatch_on_create,
    dispatch_on_presence_change,
    dispatch_on_transfer,
    dispatch_team_queue,
)
from kefu.tickets import workflow
from kefu.tickets.reactions import (
    Phase,
    TicketCreated,
    TicketFact,
    TicketMerged,
    TicketStatusChanged,
    TicketTransferred,
    subscribe,
)


def _auto(_fact: TicketFact) -> bool:
    return bool(settings.KEFU_AUTO_DISPATCH)


def on_create(fact: TicketFact) -> None:
    # Triage and assignment commit with the ticket (never raises: a failed dispatch leaves the
    # ticket waiting in its team queue).
    if fact.instance is not None and fact.instance.pk == fact.ticket_id:
        dispatch_new_ticket(ticket=fact.instance, now=fact.at)
    else:
        dispatch_on_create(ticket_id=fact.ticket_id, now=fact.at)


def on_transfer(fact: TicketFact) -> None:
    # Bounce flags, the back-office reply limit, and an agent in the receiving team.
    dispatch_on_transfer(ticket_id=fact.ticket_id)


def _frees_capacity(fact: TicketFact) -> bool:
    if not settings.KEFU_AUTO_DISPATCH or fact.ticket.team_id is None:
        return False
    return isinstance(fact, TicketMerged) or (
        isinstance(fact, TicketStatusChanged) and fact.to_status in workflow.DONE
    )


def drain_team(fact: TicketFact) -> None:
    """A ticket left its agent's hands (resolved, closed, merged): hand out waiting tickets."""
    team_id = fact.ticket.team_id
    team = Team.objects.filter(pk=team_id).first() if team_id is not None else None
    if team is not None:
        dispatch_team_queue(team)


def presence(user: User) -> None:
    """Going offline returns untouched tickets; coming online drains the queue (never raises)."""
    if settings.KEFU_AUTO_DISPATCH:
        dispatch_on_presence_change(user=user)


def subscribe_all() -> None:
    on_presence_change("dispatch.presence", presence)
    subscribe(TicketCreated, on_create, phase=Phase.IN_TRANSACTION, name="dispatch.on_create", order=300, when=_auto)
    subscribe(
        TicketTransferred, on_transfer, phase=Phase.IN_TRANSACTION, name="dispatch.on_transfer", order=310, when=_auto
    )
    subscribe(
        (TicketStatusChanged, TicketMerged), drain_team, phase=Phase.AFTER_COMMIT, name="dispatch.drain_team",
        order=300, when=_frees_capacity, once_per_ticket=True,
    )
