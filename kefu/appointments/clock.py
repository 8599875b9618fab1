"""Appointments on `kefu clock` (kefu.core.clock): no-shows recorded after the slot and the grace
period, and the daily maintenance reminder list from one AppointmentsClock row claimed hourly."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.appointments.models import Appointment, AppointmentsClock
from kefu.appointments.services import appointment_no_show_due, appointments_tick
from kefu.core.clock import Job, register


def _no_show(pk: int, due_at: datetime, now: datetime) -> bool:
    return appointment_no_show_due(appointment_id=pk, due_at=due_at, now=now)


def _tick(pk: int, due_at: datetime, now: datetime) -> bool:
    return appointments_tick(clock_id=pk, due_at=due_at, now=now)


JOBS = [
    register(Job(
        name="appointments_no_show", model=Appointment, due_field="no_show_due_at", handle=_no_show,
        where=Q(no_show_due_at__isnull=False), batch_size=200,
    )),
    register(Job(name="appointments_daily", model=AppointmentsClock, due_field="due_at", handle=_tick, batch_size=1)),
]  # fmt: skip
