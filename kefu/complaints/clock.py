"""Time-driven complaint work, run by `kefu clock` (see kefu.core.clock): the detector's run, warning
duty escalations, the 48-hour compensation-plan clock of incidents, and the time limit of joint
handling tasks."""

from __future__ import annotations

from datetime import datetime

from kefu.complaints.models import ComplaintWarning, DetectorRun, Incident, JointTask
from kefu.complaints.services import (
    detector_run,
    incident_plan_overdue,
    joint_task_overdue,
    warning_escalate,
)
from kefu.core.clock import Job, register


def _detect(pk: int, due_at: datetime, now: datetime) -> bool:
    return detector_run(run_id=pk, due_at=due_at, now=now)


def _escalate(pk: int, due_at: datetime, now: datetime) -> bool:
    return warning_escalate(warning_id=pk, due_at=due_at, now=now)


def _plan(pk: int, due_at: datetime, now: datetime) -> bool:
    return incident_plan_overdue(incident_id=pk, due_at=due_at, now=now)


def _joint(pk: int, due_at: datetime, now: datetime) -> bool:
    return joint_task_overdue(task_id=pk, due_at=due_at, now=now)


JOBS = [
    register(
        Job(name="complaints_detect", model=DetectorRun, due_field="due_at", handle=_detect, batch_size=1)
    ),
    register(
        Job(name="complaints_warning_duty", model=ComplaintWarning, due_field="duty_due_at", handle=_escalate)
    ),
    register(Job(name="complaints_incident_plan", model=Incident, due_field="plan_due_at", handle=_plan)),
    register(Job(name="complaints_joint_task", model=JointTask, due_field="due_at", handle=_joint)),
]
