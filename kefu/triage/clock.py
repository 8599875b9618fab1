"""The nightly training, run by `kefu clock` (see kefu.core.clock)."""

from __future__ import annotations

from datetime import datetime

from kefu.core.clock import Job, register
from kefu.triage.models import TriageSchedule
from kefu.triage.services import triage_train_nightly


def _nightly(pk: int, due_at: datetime, now: datetime) -> bool:
    return triage_train_nightly(schedule_id=pk, due_at=due_at, now=now)


JOBS = [register(Job(name="triage_train", model=TriageSchedule, due_field="train_due_at", handle=_nightly, batch_size=1))]
