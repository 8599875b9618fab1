"""The one place that answers "may this user see or touch this ticket".

Staff visibility: managers, admins and QA inspectors see every ticket; agents and team leads see
their team's tickets and the ones they own or are assigned. An invisible ticket answers 404, not 403,
so numbers cannot be probed. Customers never come through here: they hold a signed portal link.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden, NotFound
from kefu.tickets.errors import TicketErrorCode
from kefu.tickets.models import Ticket

PORTAL_SALT = "kefu.tickets.portal"


def visible_tickets_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_tickets:
        return Q()
    q = Q(owner_id=user.pk) | Q(assignee_id=user.pk)
    if user.team_id:
        q |= Q(team_id=user.team_id)
    return q


def may_see(user: User, ticket: Ticket) -> bool:
    """visible_tickets_q for a row in hand."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.sees_all_tickets:
        return True
    return user.pk in (ticket.owner_id, ticket.assignee_id) or bool(user.team_id and ticket.team_id == user.team_id)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(visible_tickets_q(user))


def access_ticket(*, user: User, number: str | None = None, ticket_id: int | None = None, for_update: bool = False) -> Ticket:
    """The ticket if `user` may see it, else NotFound. `for_update` locks the row (call inside atomic())."""
    qs = tickets_visible_to(user)
    if for_update:
        # A service changing the ticket: its reactions (SLA) read the category and the customer.
        qs = qs.select_for_update(of=("self",)).select_related("customer", "category")
    if number is not None:
        qs = qs.filter(number=number)
    elif ticket_id is not None:
        qs = qs.filter(pk=ticket_id)
    else:
        raise ValueError("access_ticket needs number or ticket_id")
    ticket = qs.first()
    if ticket is None:
        raise NotFound(code=TicketErrorCode.NOT_FOUND, message=_("Ticket not found."))
    return ticket


def may_write(user: User) -> bool:
    """QA inspectors read every ticket but do not work them."""
    return user.is_active and (user.role != Role.QA or user.is_superuser)


def require_write(user: User) -> None:
    if not may_write(user):
        raise Forbidden(code=TicketErrorCode.FORBIDDEN, message=_("Your role may read tickets but not change them."))


def may_assign_others(user: User) -> bool:
    return user.role in (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN) or user.is_superuser


def may_merge(user: User) -> bool:
    return may_assign_others(user)


# --- customer portal -------------------------------------------------------------------------------


def portal_token(ticket: Ticket) -> str:
    """A signed, unguessable token for the tracking link: it names the ticket and its portal key."""
    return signing.dumps({"t": ticket.pk, "k": ticket.portal_key}, salt=PORTAL_SALT, compress=True)


def access_ticket_by_portal_token(token: str, *, for_update: bool = False) -> Ticket:
    """The ticket a tracking link names; NotFound for a bad, forged or revoked token."""
    try:
        data = signing.loads(token, salt=PORTAL_SALT)
        ticket_id, key = int(data["t"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(code=TicketErrorCode.NOT_FOUND, message=_("This tracking link is not valid.")) from exc
    qs = Ticket.objects.filter(pk=ticket_id, portal_key=key)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    ticket = qs.first()
    if ticket is None:
        raise NotFound(code=TicketErrorCode.NOT_FOUND, message=_("This tracking link is not valid."))
    return ticket
