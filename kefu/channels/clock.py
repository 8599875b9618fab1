"""Time-driven channel work, run by `kefu clock`: fetching mailboxes and (re)sending replies."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.channels.models import ChannelAccount, Delivery, SmsMessage
from kefu.channels.services import account_fetch, delivery_send
from kefu.channels.sms import sms_send
from kefu.core.clock import Job, register


def _fetch(pk: int, due_at: datetime, now: datetime) -> bool:
    return account_fetch(account_id=pk, due_at=due_at, now=now)


def _deliver(pk: int, due_at: datetime, now: datetime) -> bool:
    return delivery_send(delivery_id=pk, due_at=due_at, now=now)


JOBS = [
    register(
        Job(name="channels_fetch", model=ChannelAccount, due_field="fetch_due_at", handle=_fetch,
            where=Q(is_active=True), batch_size=10)
    ),
    register(Job(name="channels_deliver", model=Delivery, due_field="next_attempt_at", handle=_deliver)),
    register(Job(name="channels_sms_send", model=SmsMessage, due_field="next_attempt_at",
                 handle=lambda pk, due_at, now: sms_send(sms_id=pk, due_at=due_at, now=now))),
]
