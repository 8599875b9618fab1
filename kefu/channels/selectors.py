"""Reads of the channels app; managers see accounts and contacts, the ticket page shows the
deliveries of a ticket its viewer may see (the ticket page checked that already)."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import User
from kefu.channels.access import require_manage
from kefu.channels.choices import ContactStatus
from kefu.channels.models import ChannelAccount, Contact, Delivery
from kefu.tickets.models import Ticket

FAILURE_STATUSES = (ContactStatus.FAILED, ContactStatus.IGNORED)


def account_list(*, viewer: User) -> list[ChannelAccount]:
    require_manage(viewer)
    return list(ChannelAccount.objects.select_related("team").order_by("kind", "name"))


def account_get(*, viewer: User, account_id: int) -> ChannelAccount | None:
    require_manage(viewer)
    return ChannelAccount.objects.select_related("team").filter(pk=account_id).first()


def contact_list(
    *, viewer: User, status: str | None = None, account_id: int | None = None, before_id: int | None = None, limit: int = 50
) -> list[Contact]:
    """Newest first, keyset-paged by id. Without a status: everything; "failures": failed + ignored."""
    require_manage(viewer)
    qs: QuerySet[Contact] = Contact.objects.select_related("account", "ticket").defer("raw")
    if status == "failures":
        qs = qs.filter(status__in=FAILURE_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if account_id:
        qs = qs.filter(account_id=account_id)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-id")[: max(1, min(limit, 200))])


def contact_get(*, viewer: User, contact_id: int) -> Contact | None:
    require_manage(viewer)
    return Contact.objects.select_related("account", "ticket").filter(pk=contact_id).first()


def deliveries_of(ticket: Ticket) -> list[Delivery]:
    return list(Delivery.objects.filter(ticket=ticket).order_by("created_at", "id"))


def came_by_channel(ticket: Ticket) -> bool:
    return Contact.objects.filter(ticket=ticket).exists()
