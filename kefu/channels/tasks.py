"""Background work of the channels app: thin wrappers that call one service."""

from __future__ import annotations

from django.tasks import task
from django.utils.dateparse import parse_datetime

from kefu.channels.services import delivery_send
from kefu.channels.sms import sms_send


@task()
def delivery_send_task(*, delivery_id: int, due_at: str) -> None:
    """Send a reply now rather than at the clock's next pass; the claim in delivery_send makes a
    second run (or the clock) a no-op."""
    at = parse_datetime(due_at)
    if at is not None:
        delivery_send(delivery_id=delivery_id, due_at=at)


@task()
def sms_send_task(*, sms_id: int, due_at: str) -> None:
    """Send a queued SMS now; the claim in sms_send makes the clock's later pass a no-op."""
    at = parse_datetime(due_at)
    if at is not None:
        sms_send(sms_id=sms_id, due_at=at)
