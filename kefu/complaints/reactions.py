"""Complaint management's reactions to ticket facts (subscribed in ComplaintsConfig.ready()).

In the transaction: closing a complaint is refused without the customer's callback confirmation
or a lead's override (complaints/closure.py). After commit: counting a complaint or opening its joint handling task must never slow down or
fail the ticket's creation. Dispatch graded the complaint inside the create transaction, so the
joint-task reaction reads the grade it committed."""

from __future__ import annotations

from kefu.complaints.closure import complaint_closure_check
from kefu.complaints.services import complaint_record, joint_task_consider
from kefu.tickets.choices import TicketKind
from kefu.tickets.reactions import Phase, TicketClosed, TicketCreated, TicketFact, TicketUpdated, subscribe


def count_complaint(fact: TicketFact) -> None:
    # Idempotent (one Complaint row per ticket), so a retry after a failure never counts twice.
    complaint_record(ticket_id=fact.ticket_id)


def _is_complaint(fact: TicketFact) -> bool:
    return fact.ticket.kind == TicketKind.COMPLAINT


def _may_need_joint_task(fact: TicketFact) -> bool:
    if not _is_complaint(fact):
        return False
    if isinstance(fact, TicketUpdated):
        # Became a complaint, or a (VIP) customer was named later.
        return bool({"kind", "customer"} & set(fact.changes))
    return True


def joint_task(fact: TicketFact) -> None:
    # Idempotent too: one task per ticket.
    joint_task_consider(ticket_id=fact.ticket_id, now=fact.at)


def closure_check(fact: TicketFact) -> None:
    # In the close's transaction: refusing rolls the close back (a 409 for the caller).
    complaint_closure_check(ticket_id=fact.ticket_id)


def subscribe_all() -> None:
    subscribe(
        TicketClosed,
        closure_check,
        phase=Phase.IN_TRANSACTION,
        name="complaints.closure_check",
        order=50,
        # From the fact alone: closing any other ticket costs no statement.
        when=_is_complaint,
    )
    subscribe(
        TicketCreated,
        count_complaint,
        phase=Phase.AFTER_COMMIT,
        name="complaints.count",
        order=500,
        when=_is_complaint,
    )
    subscribe(
        (TicketCreated, TicketUpdated),
        joint_task,
        phase=Phase.AFTER_COMMIT,
        name="complaints.joint_task",
        order=510,
        when=_may_need_joint_task,
    )
