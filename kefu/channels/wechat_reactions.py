"""The WeChat channel's reaction to ticket facts (subscribed from ChannelsConfig.ready()).

After commit: an agent's public reply on a WeChat ticket is queued as a Delivery (one per message)
and handed to the task worker; the clock's channels_deliver job retries what fails. Also tells the
ticket app that WeChat carries the replies of those tickets (no second notice by mail)."""

from __future__ import annotations

from kefu.channels.choices import ChannelKind, ContactStatus
from kefu.channels.models import Contact
from kefu.channels.tasks import delivery_send_task
from kefu.channels.wechat_services import delivery_queue
from kefu.tickets.carriers import register_reply_carrier
from kefu.tickets.choices import Channel
from kefu.tickets.models import TicketMessage
from kefu.tickets.reactions import AuthorKind, Phase, TicketMessageAdded, subscribe


def send_reply(fact: TicketMessageAdded) -> None:
    delivery, created = delivery_queue(message_id=fact.message_id)
    if delivery is not None and created and delivery.next_attempt_at is not None:
        delivery_send_task.enqueue(delivery_id=delivery.pk, due_at=delivery.next_attempt_at.isoformat())


def _carries(message: TicketMessage) -> bool:
    return message.ticket.channel == Channel.WECHAT and Contact.objects.filter(
        ticket_id=message.ticket_id, channel=ChannelKind.WECHAT, status=ContactStatus.PROCESSED).exists()


def subscribe_all() -> None:
    register_reply_carrier("channels.wechat", _carries)
    subscribe(
        TicketMessageAdded,
        send_reply,
        phase=Phase.AFTER_COMMIT,
        name="channels.wechat_reply",
        order=465,
        when=lambda f: f.is_public and f.author_kind == AuthorKind.AGENT and f.ticket.channel == Channel.WECHAT,
    )
