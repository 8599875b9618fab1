"""The triage app's reactions to ticket facts (subscribed in TriageConfig.ready()).

Both run after commit (orders 320 and 321): the prediction is pure Python, but storing suggestions,
reading the dispatch record (did a keyword rule decide?) and auto-applying are statements of their
own, and the create path's budget (kefu/tickets/tests/test_budgets.py) stays as it is. Dispatch's
keyword rules ran in the create transaction already, so the prediction sees what they decided. A
failure never loses the ticket: it is stored and retried by the clock.
"""

from __future__ import annotations

from kefu.tickets.reactions import (
    Phase,
    TicketCreated,
    TicketFact,
    TicketPriorityChanged,
    TicketTransferred,
    TicketUpdated,
    subscribe,
)
from kefu.triage.choices import Field
from kefu.triage.services import triage_on_create, triage_record_change


def on_create(fact: TicketFact) -> None:
    triage_on_create(ticket_id=fact.ticket_id, now=fact.at)


def _changed_fields(fact: TicketFact) -> list[str]:
    if isinstance(fact, TicketPriorityChanged):
        return [Field.PRIORITY]
    if isinstance(fact, TicketTransferred):
        return [Field.TEAM]
    if isinstance(fact, TicketUpdated):
        out: list[str] = []
        if "category" in fact.changes:
            out.append(Field.CATEGORY)
        if "kind" in fact.changes:
            out.append(Field.COMPLAINT)
        return out
    return []


def _by_a_person(fact: TicketFact) -> bool:
    return fact.actor_id is not None and bool(_changed_fields(fact))


def on_change(fact: TicketFact) -> None:
    """An agent set a predicted field: record it as an acceptance or a correction."""
    triage_record_change(ticket_id=fact.ticket_id, fields=_changed_fields(fact), actor_id=fact.actor_id, at=fact.at)


def subscribe_all() -> None:
    subscribe(TicketCreated, on_create, phase=Phase.AFTER_COMMIT, name="triage.on_create", order=320)
    subscribe(
        (TicketUpdated, TicketPriorityChanged, TicketTransferred), on_change, phase=Phase.AFTER_COMMIT,
        name="triage.record_change", order=321, when=_by_a_person,
    )
