"""What the channels app adds to the ticket page: the delivery state of every reply that went out
on the ticket's channel (registered in ChannelsConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.channels.access import may_manage
from kefu.channels.models import Contact
from kefu.channels.selectors import deliveries_of
from kefu.tickets.carriers import register_reply_carrier
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.panels import Slot, register_panel


def _deliveries(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    if ticket.channel not in ("email", "wechat"):
        return None
    rows = deliveries_of(ticket)
    contacts = list(Contact.objects.filter(ticket=ticket).defer("raw").order_by("received_at")[:20])
    if not rows and not contacts:
        return None
    return {"ticket": ticket, "deliveries": rows, "contacts": contacts, "may_manage": may_manage(request.user)}  # type: ignore[arg-type]


def _carries(message: TicketMessage) -> bool:
    # A ticket that came in by mail is answered by mail (kefu.channels.reactions), in its thread.
    # Only a ticket on the email channel is asked (no statement for the others).
    return message.ticket.channel == Channel.EMAIL and Contact.objects.filter(
        ticket_id=message.ticket_id, channel="email", status="processed").exists()


def register_all() -> None:
    register_reply_carrier("channels.email", _carries)
    register_panel(
        name="channels.deliveries", slot=Slot.SIDE_END, order=300, template="channels/_ticket_deliveries.html",
        context=_deliveries, region="channel-deliveries",
    )
