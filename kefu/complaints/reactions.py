"""Complaint management's reactions to ticket facts (subscribed in ComplaintsConfig.ready()).

After commit only: counting a complaint or opening its joint handling task must never slow down or
fail the ticket's creation. Dispatch graded the complaint inside the create transaction, so the
joint-task reaction reads the grade it committed."""

from __future__ import annotations

from kefu.complaints.services import complaint_record, joint_task_consider
from kefu.tickets.choices import TicketKind
from kefu.tickets.reactions import Phase, TicketCreated, TicketFact, TicketUpdated, subscribe


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


def subscribe_all() -> None:
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
