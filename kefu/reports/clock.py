"""Scheduled report packs, run by `kefu clock` (kefu.core.clock): each ReportSchedule's due_at."""

from __future__ import annotations

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.reports.models import ReportSchedule
from kefu.reports.services import schedule_tick

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
