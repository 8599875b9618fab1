"""Time-driven operations work, run by `kefu clock`: escalate emergency notices nobody acknowledged."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.operations.models import IncidentNotice
from kefu.operations.services import notice_escalate


def _escalate(pk: int, due_at: datetime, now: datetime) -> bool:
    return notice_escalate(notice_id=pk, due_at=due_at, now=now)


JOBS = [
    register(
        Job(
            name="operations_notice_escalate", model=IncidentNotice, due_field="escalate_due_at",
            where=Q(escalate_due_at__isnull=False), handle=_escalate,
        )  # fmt: skip
    ),
]
