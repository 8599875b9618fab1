"""Time-driven operations work, run by `kefu clock`: escalate emergency notices nobody acknowledged,
list maintenance coming due, check the availability of devices with an open fault every hour."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.operations.equipment import fault_check, maintenance_list_due
from kefu.operations.models import DeviceFault, IncidentNotice, MaintenancePlan
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
    register(
        Job(
            name="operations_maintenance_due", model=MaintenancePlan, due_field="list_due_at",
            where=Q(list_due_at__isnull=False),
            handle=lambda pk, due_at, now: maintenance_list_due(plan_id=pk, due_at=due_at, now=now),
        )  # fmt: skip
    ),
    register(
        Job(
            name="operations_fault_check", model=DeviceFault, due_field="check_due_at",
            where=Q(check_due_at__isnull=False),
            handle=lambda pk, due_at, now: fault_check(fault_id=pk, due_at=due_at, now=now),
        )  # fmt: skip
    ),
]
