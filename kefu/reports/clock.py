"""Scheduled report packs, run by `kefu clock` (kefu.core.clock): each ReportSchedule's due_at, and
each ReportRun's retry_at (a failed mail or robot send tried again with backoff)."""

from __future__ import annotations

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.reports.models import ReportRun, ReportSchedule
from kefu.reports.services import run_retry, schedule_tick

register(
    Job(
        name="report_schedule",
        model=ReportSchedule,
        due_field="due_at",
        where=Q(due_at__isnull=False),
        handle=lambda pk, due_at, now: schedule_tick(schedule_id=pk, due_at=due_at, now=now),
        batch_size=10,
    )
)

register(
    Job(
        name="report_send_retry",
        model=ReportRun,
        due_field="retry_at",
        where=Q(retry_at__isnull=False),
        handle=lambda pk, due_at, now: run_retry(run_id=pk, due_at=due_at, now=now),
        batch_size=10,
    )
)
