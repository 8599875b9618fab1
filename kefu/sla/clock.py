"""SLA warnings, breaches and escalations, run by `kefu clock` (see kefu.core.clock).

Registered in this order so that, after an outage, one pass fires a target's warnings before its
breach and its breach before its escalations (escalation_due_at is only set once the breach fired).
"""

from __future__ import annotations

from datetime import datetime

from kefu.core.clock import Job, register
from kefu.sla.models import TicketSla
from kefu.sla.services import sla_fire_breach, sla_fire_escalation, sla_fire_warning


def _warning(pk: int, due_at: datetime, now: datetime) -> bool:
    return sla_fire_warning(sla_id=pk, due_at=due_at, now=now)


def _breach(pk: int, due_at: datetime, now: datetime) -> bool:
    return sla_fire_breach(sla_id=pk, due_at=due_at, now=now)


def _escalation(pk: int, due_at: datetime, now: datetime) -> bool:
    return sla_fire_escalation(sla_id=pk, due_at=due_at, now=now)


# Partial indexes sla_warn_due_idx, sla_breach_due_idx, sla_escalation_due_idx serve these scans.
JOBS = [
    register(Job(name="sla_warning", model=TicketSla, due_field="warn_due_at", handle=_warning, batch_size=500)),
    register(Job(name="sla_breach", model=TicketSla, due_field="breach_due_at", handle=_breach, batch_size=500)),
    register(
        Job(name="sla_escalation", model=TicketSla, due_field="escalation_due_at", handle=_escalation, batch_size=500)
    ),
]
