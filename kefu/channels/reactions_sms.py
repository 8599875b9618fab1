"""The SMS reaction (subscribed in ChannelsConfig.ready()): an agent's public reply on a ticket
that came in by SMS is queued as an SmsMessage after the reply commits and handed to the task
worker; the clock retries what fails. The reply itself never waits for the gateway."""

from __future__ import annotations

from kefu.channels.sms import sms_reply_queue
from kefu.channels.tasks import sms_send_task
from kefu.tickets.choices import Channel
from kefu.tickets.reactions import AuthorKind, Phase, TicketMessageAdded, subscribe


def send_sms_reply(fact: TicketMessageAdded) -> None:
    sms = sms_reply_queue(message_id=fact.message_id)
    if sms is not None and sms.next_attempt_at is not None:
        sms_send_task.enqueue(sms_id=sms.pk, due_at=sms.next_attempt_at.isoformat())


def subscribe_all() -> None:
    subscribe(
        TicketMessageAdded,
        send_sms_reply,
        phase=Phase.AFTER_COMMIT,
        name="channels.send_sms_reply",
        order=470,
        when=lambda f: f.is_public and f.author_kind == AuthorKind.AGENT and f.ticket.channel == Channel.SMS,
    )
