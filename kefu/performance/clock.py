"""Rollup refresh, run by `kefu clock` (kefu.core.clock): one RollupClock row whose due_at the job
claims with a conditional update and moves ROLLUP_EVERY ahead."""

from __future__ import annotations

from kefu.core.clock import Job, register
from kefu.performance.models import RollupClock
from kefu.performance.services import rollup_tick

register(
    Job(
        name="performance_rollup",
        model=RollupClock,
        due_field="due_at",
        handle=lambda pk, due_at, now: rollup_tick(clock_id=pk, due_at=due_at, now=now),
        batch_size=1,
    )
)
