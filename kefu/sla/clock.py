"""SLA warnings, breaches and escalations, run by `kefu clock` (see kefu.core.clock).

Registered in this order so that, after an outage, one pass fires a target's warnings before its
breach and its breach before its escalations (escalation_due_at is only set once the breach fired).

Warnings and breaches fire in batches: when the clock hands over a due row, `sla_fire_due` claims
and fires it together with the next due rows of the same job (up to FIRE_BATCH, one transaction),
and the rows fired that way are answered from memory when the clock reaches them. 10,000 breaches
due in the same minute cost a few hundred transactions instead of 10,000. A row the batch did not
take (another clock holds it, or it still owes warnings) goes through the one-row service, which
is also the fallback when a batch fails or was full.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from kefu.core.clock import Job, register
from kefu.sla.choices import SlaEventKind
from kefu.sla.models import TicketSla
from kefu.sla.services import FIRE_BATCH, sla_fire_breach, sla_fire_due, sla_fire_escalation, sla_fire_warning

logger = logging.getLogger("kefu.sla")

OneRow = Callable[..., bool]


class Batched:
    """A clock handler (pk, due_at, now) -> bool that fires in batches.

    `fired` remembers (due moment, monotonic time) of rows this process fired in a batch; an entry
    answers once, only for the same due moment, and only for `remember` seconds, so a row that falls
    due again (next warning, new cycle) is never mistaken for one already fired.
    """

    def __init__(
        self, kind: SlaEventKind, one_row: OneRow, *, limit: int = FIRE_BATCH, remember: float = 60.0, pause: float = 60.0
    ) -> None:
        self.kind = kind
        self.limit = limit
        self.one_row = one_row
        self.remember = remember
        self.pause = pause
        self.fired: dict[int, tuple[datetime, float]] = {}
        self.paused_until = 0.0

    def __call__(self, pk: int, due_at: datetime, now: datetime) -> bool:
        clock = time.monotonic()
        known = self.fired.pop(pk, None)
        if known is not None and known[0] == due_at and clock - known[1] < self.remember:
            return True
        if clock >= self.paused_until:
            try:
                batch = sla_fire_due(kind=self.kind, now=now, limit=self.limit)
            except Exception:
                # A bad row or a lost claim: the batch rolled back. Go one row at a time for a while,
                # so the clock's per-row error handling postpones just the bad row.
                logger.exception("sla: batch of %s failed; firing one row at a time", self.kind)
                self.paused_until = clock + self.pause
                return self.one_row(sla_id=pk, due_at=due_at, now=now)
            if len(self.fired) > 20_000:
                self.fired = {k: v for k, v in self.fired.items() if clock - v[1] < self.remember}
            self.fired.update({k: (v, clock) for k, v in batch.items() if k != pk})
            if batch.get(pk) == due_at:
                return True
            if len(batch) < self.limit:
                # The batch took every due row it could claim, and not this one: another clock holds
                # or fired it, or (a breach) it still owes warnings, which the warning job fires
                # first; it stays due and a later pass takes it. No query needed.
                return False
        return self.one_row(sla_id=pk, due_at=due_at, now=now)


def _escalation(pk: int, due_at: datetime, now: datetime) -> bool:
    return sla_fire_escalation(sla_id=pk, due_at=due_at, now=now)


# Partial indexes sla_warn_due_idx, sla_breach_due_idx, sla_escalation_due_idx serve these scans.
JOBS = [
    register(
        Job(name="sla_warning", model=TicketSla, due_field="warn_due_at",
            handle=Batched(SlaEventKind.WARNING, sla_fire_warning), batch_size=500)
    ),
    register(
        Job(name="sla_breach", model=TicketSla, due_field="breach_due_at",
            handle=Batched(SlaEventKind.BREACH, sla_fire_breach), batch_size=500)
    ),
    # Escalations run ticket services (raise priority, transfer, tag): one row per transaction.
    register(
        Job(name="sla_escalation", model=TicketSla, due_field="escalation_due_at", handle=_escalation, batch_size=500)
    ),
]
