"""The satisfaction app's reactions to ticket facts (subscribed in SurveysConfig.ready())."""

from __future__ import annotations

from kefu.surveys.services import dissatisfied_note_complaint, survey_schedule_for_ticket
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.reactions import Phase, TicketCreated, TicketFact, TicketStatusChanged, subscribe


def complaint_to_archive(fact: TicketFact) -> None:
    dissatisfied_note_complaint(ticket_id=fact.ticket_id)


def schedule_survey(fact: TicketFact) -> None:
    # Writes due rows only (survey, plan callbacks) with the resolution; the clock sends later.
    survey_schedule_for_ticket(ticket_id=fact.ticket_id, now=fact.at)


def subscribe_all() -> None:
    subscribe(
        TicketCreated, complaint_to_archive, phase=Phase.IN_TRANSACTION, name="surveys.complaint_to_archive",
        order=200, when=lambda f: f.ticket.kind == TicketKind.COMPLAINT and f.ticket.customer_id is not None,
    )
    subscribe(
        TicketStatusChanged, schedule_survey, phase=Phase.IN_TRANSACTION, name="surveys.schedule_survey",
        order=210, when=lambda f: f.to_status == TicketStatus.RESOLVED,
    )
