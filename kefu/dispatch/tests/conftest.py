from __future__ import annotations

from typing import Any

import pytest

from kefu.dispatch.models import DispatchDecision
from kefu.dispatch.services import dispatch_on_create
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_create


def create(actor: Any, title: str = "宽带无法上网", **kw: Any) -> tuple[Ticket, DispatchDecision | None]:
    """ticket_create followed by the dispatch hook, as the lead wires it."""
    ticket = ticket_create(actor=actor, data=TicketInput(title=title, **kw))
    decision = dispatch_on_create(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket, decision


@pytest.fixture
def mk():
    return create
