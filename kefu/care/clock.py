"""Customer care on `kefu clock` (kefu.core.clock): the daily work (greetings, expiries, expiry
reminders) from one CareClock row claimed hourly, and the outbox's queued messages."""

from __future__ import annotations

from datetime import datetime

from kefu.care.models import CareClock, CareMessage
from kefu.care.services import care_message_send, care_tick
from kefu.core.clock import Job, register


def _tick(pk: int, due_at: datetime, now: datetime) -> bool:
    return care_tick(clock_id=pk, due_at=due_at, now=now)


def _send(pk: int, due_at: datetime, now: datetime) -> bool:
    return care_message_send(message_id=pk, due_at=due_at, now=now)


JOBS = [
    register(Job(name="care_daily", model=CareClock, due_field="due_at", handle=_tick, batch_size=1)),
    register(Job(name="care_send", model=CareMessage, due_field="send_due_at", handle=_send, batch_size=200)),
]
