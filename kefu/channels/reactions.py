"""The channels app's reactions to ticket facts (subscribed in ChannelsConfig.ready()).

After commit only: an agent's public reply on a ticket that came in on a channel is queued as a
Delivery (one per message, so a retried reaction queues nothing twice) and handed to the task
worker; the clock retries what fails. The reply itself never waits for the mail server."""

from __future__ import annotations

from kefu.channels.services import delivery_queue
from kefu.channels.tasks import delivery_send_task
from kefu.tickets.choices import Channel
from kefu.tickets.reactions import AuthorKind, Phase, TicketMessageAdded, subscribe


def send_reply(fact: TicketMessageAdded) -> None:
    delivery, created = delivery_queue(message_id=fact.message_id)
    if delivery is not None and created and delivery.next_attempt_at is not None:
        delivery_send_task.enqueue(delivery_id=delivery.pk, due_at=delivery.next_attempt_at.isoformat())


def subscribe_all() -> None:
    subscribe(
        TicketMessageAdded,
        send_reply,
        phase=Phase.AFTER_COMMIT,
        name="channels.send_reply",
        order=460,
        when=lambda f: f.is_public and f.author_kind == AuthorKind.AGENT and f.ticket.channel == Channel.EMAIL,
    )
