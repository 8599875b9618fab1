"""Time-driven ticket work, run by `kefu clock` (see kefu.core.clock)."""

from __future__ import annotations

from datetime import datetime

from kefu.core.clock import Job, register
from kefu.tickets.models import IdempotencyKey, ReactionFailure, Ticket
from kefu.tickets.reactions import failure_retry
from kefu.tickets.services import idempotency_key_expire, ticket_auto_close


def _auto_close(ticket_id: int, due_at: datetime, now: datetime) -> bool:
    return ticket_auto_close(ticket_id=ticket_id, due_at=due_at, now=now)


# A resolved ticket closes itself KEFU_AUTO_CLOSE_DAYS after resolution (partial index ticket_auto_close_due_idx).
register(Job(name="ticket_auto_close", model=Ticket, due_field="auto_close_due_at", handle=_auto_close))


def _expire_key(key_id: int, due_at: datetime, now: datetime) -> bool:
    return idempotency_key_expire(key_id=key_id, due_at=due_at)


# API Idempotency-Keys are forgotten KEFU_IDEMPOTENCY_KEY_HOURS after they were first used
# (index idempotency_key_expiry_idx).
register(Job(name="idempotency_key_expire", model=IdempotencyKey, due_field="expires_at", handle=_expire_key,
             batch_size=500))


def _retry_reaction(failure_id: int, due_at: datetime, now: datetime) -> bool:
    return failure_retry(failure_id=failure_id, due_at=due_at, now=now)


# Failed after-commit and task reactions, retried with backoff (partial index reaction_failure_due_idx).
register(Job(name="reaction_retry", model=ReactionFailure, due_field="next_attempt_at", handle=_retry_reaction))
