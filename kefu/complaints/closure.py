"""Closing a complaint needs the customer's callback confirmation (回访确认).

A complaint ticket closes only when one of its callbacks (kefu/surveys) is done with the customer
reached and the problem not reported unrepaired, or when a team lead overrode the rule with a
reason (`ClosureOverride`). The in-transaction reaction `complaints.closure_check` (subscribed in
ComplaintsConfig.ready()) refuses any other close, by hand, through the API or by the auto-close
clock (which tries again later); a complaint closed as a duplicate by a merge is let through."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.complaints.access import require_work
from kefu.complaints.errors import ComplaintErrorCode as E
from kefu.complaints.models import ClosureOverride
from kefu.core.errors import Conflict, DomainError
from kefu.surveys.choices import CallbackOutcome, CallbackStatus
from kefu.surveys.models import Callback
from kefu.tickets.access import access_ticket
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.reactions import TicketMerged, batch_facts
from kefu.tickets.services import ticket_change_status


def confirmed_callback(ticket_id: int) -> Callback | None:
    """The callback that confirms the complaint's handling: done, customer reached, and not
    reported as unrepaired (a plan callback records no repair answer)."""
    return (
        Callback.objects.filter(
            ticket_id=ticket_id, status=CallbackStatus.DONE, outcome=CallbackOutcome.REACHED
        )
        .exclude(repaired=False)
        .order_by("-completed_at", "-id")
        .first()
    )


def closure_allowed(ticket_id: int) -> bool:
    return (
        ClosureOverride.objects.filter(ticket_id=ticket_id).exists()
        or confirmed_callback(ticket_id) is not None
    )


def complaint_closure_check(*, ticket_id: int) -> None:
    """Refuse closing a complaint without a confirmed callback or a lead's override (409
    `complaint_closure_unconfirmed`); the ticket change rolls back."""
    if any(isinstance(f, TicketMerged) for f in batch_facts(ticket_id)):
        return  # closed as a duplicate of another complaint, which carries on
    if closure_allowed(ticket_id):
        return
    raise Conflict(
        code=E.CLOSURE_UNCONFIRMED,
        message=_(
            "A complaint closes only after the customer confirms it on a callback. "
            "A team lead may close it without the confirmation, giving a reason."
        ),
    )


def complaint_close_override(*, actor: User, number: str, reason: str) -> Ticket:
    """A team lead (or manager) closes a complaint without the callback confirmation. Records the
    override with its reason (shown on the ticket's complaint card; the reason is also the close's
    comment on the timeline), then closes the ticket through the ticket service, in one
    transaction. Refuses a ticket that is not a complaint, a closed one and an empty reason."""
    require_work(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            code=E.REASON_REQUIRED,
            message=_("Give the reason for closing without the customer's confirmation."),
            fields={"reason": [_("Required.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        ticket = access_ticket(user=actor, number=number, for_update=True)
        if ticket.kind != TicketKind.COMPLAINT:
            raise DomainError(code=E.NOT_A_COMPLAINT, message=_("This ticket is not a complaint."))
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict(code=E.ALREADY_CLOSED, message=_("This complaint is already closed."))
        # Overridden before and reopened since: the latest decision is the one on record.
        ClosureOverride.objects.update_or_create(
            ticket=ticket, defaults={"actor": actor, "reason": reason[:500], "created_at": now}
        )
        return ticket_change_status(
            actor=actor,
            number=number,
            status=TicketStatus.CLOSED,
            comment=_("Closed without the customer's confirmation: %(reason)s") % {"reason": reason},
        )
