"""Appointment demo data (预约演示数据): a dealership service desk, written through the real services.

Three service advisors and two bays, four service types (a 1-hour 保养 takes four 15-minute slots),
the first half hour of the morning kept free of appointments (the busiest time at the desk), and a
week of appointments (Monday to Sunday of this week) for customers with a car on file: the days
gone by arrived, done or no-shows, the days to come booked, confirmed or waiting for their call,
some booked on the portal, one waiting for a part that comes too late."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from kefu.accounts.models import User
from kefu.appointments import selectors, services
from kefu.appointments.choices import AppointmentStatus, BookingSource, CallOutcome
from kefu.appointments.models import Appointment, ConfirmationCall, Resource, ServiceType
from kefu.customers.models import Customer, CustomerAsset

SEED = 20261208
ADVISORS = ["服务顾问 王建国", "服务顾问 李娜", "服务顾问 陈晓东"]
BAYS = ["快修工位 1", "快修工位 2"]
SERVICES = [("常规保养", 4, True), ("快速检查", 1, True), ("故障诊断", 2, True), ("钣金喷漆估价", 2, False)]
NOTES = ["客户要求洗车", "仪表盘保养灯亮", "刹车有异响", "空调不制冷", "更换雨刮片", ""]
PARTS = ["机油滤清器", "空调滤芯", "前刹车片", "雨刮片"]


@dataclass
class AppointmentsDemoSummary:
    resources: int = 0
    appointments: int = 0
    reminders: int = 0


def _customers_with_cars(limit: int) -> list[tuple[Customer, CustomerAsset | None]]:
    cars = list(CustomerAsset.objects.filter(kind="vehicle").select_related("customer").order_by("id")[:limit])
    out: list[tuple[Customer, CustomerAsset | None]] = [(a.customer, a) for a in cars]
    if len(out) < limit:
        taken = {c.pk for c, _a in out}
        out += [(c, None) for c in Customer.objects.exclude(pk__in=taken).order_by("id")[: limit - len(out)]]
    return out


def load_appointments_demo(*, manager: User, desk: list[User], per_day: int = 8) -> AppointmentsDemoSummary:
    """The dealership's appointment book. `desk` are the staff who book and call."""
    rng = random.Random(SEED)
    summary = AppointmentsDemoSummary()
    resources: list[Resource] = []
    for i, name in enumerate(ADVISORS):
        advisor = desk[i % len(desk)] if desk else None
        resources.append(services.resource_create(actor=manager, name=name, advisor=advisor, weekdays="0123456"))
    for name in BAYS:
        resources.append(services.resource_create(actor=manager, name=name, kind="bay", capacity=2, weekdays="0123456"))
    summary.resources = len(resources)
    kinds: list[ServiceType] = [
        services.service_type_create(actor=manager, name=n, slots=s, on_portal=p) for n, s, p in SERVICES
    ]
    services.reserved_hours_create(actor=manager, start=time(8, 30), end=time(9, 0), capacity=0)

    now = timezone.now()
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    people = _customers_with_cars(per_day * 7)
    for d in range(7):
        day = monday + timedelta(days=d)
        # Booked a few days ahead of the day, as customers do; the past ones are recorded afterwards.
        booked_at = min(now, timezone.make_aware(datetime.combine(day, time(8))) - timedelta(days=3))
        for n in range(per_day):
            customer, car = people[(d * per_day + n) % len(people)]
            kind = kinds[n % len(kinds)]
            free = selectors.free_slots(resources=resources, service=kind, first=day, now=booked_at)
            if not free:
                continue
            slot = free[rng.randrange(len(free))]
            actor = desk[n % len(desk)] if desk else manager
            appointment = services.appointment_book(
                actor=actor, resource_id=slot.resource_id, service_type_id=kind.pk, start=slot.start,
                customer_id=customer.pk, asset_id=car.pk if car else None, notes=rng.choice(NOTES),
                source=BookingSource.PORTAL if n % 4 == 3 else BookingSource.STAFF, now=booked_at,
            )
            summary.appointments += 1
            _history(appointment, actor=actor, now=now, rng=rng)
    _late_part(manager=manager, now=now)
    # Periodic maintenance (定期保养): every 6 months or 5,000 km for cars, and a 2-year brake-fluid
    # change; the list of reminders due in the next two weeks is written as the clock would.
    by_name = {k.name: k for k in kinds}
    services.maintenance_plan_create(
        actor=manager, name="常规保养（6个月/5000公里）", months=6, km=5000, days_ahead=14,
        service_type_id=by_name["常规保养"].pk,
    )
    services.maintenance_plan_create(
        actor=manager, name="更换刹车油（24个月）", months=24, days_ahead=30, service_type_id=by_name["常规保养"].pk
    )
    summary.reminders = services.maintenance_reminders_generate(day=today)
    return summary


def _history(appointment: Appointment, *, actor: User, now: datetime, rng: random.Random) -> None:
    if appointment.end <= now:
        roll = rng.random()
        status = AppointmentStatus.NO_SHOW if roll < 0.1 else AppointmentStatus.DONE
        services.appointment_mark(actor=actor, appointment_id=appointment.pk, status=status)
        return
    if appointment.start <= now:
        services.appointment_mark(actor=actor, appointment_id=appointment.pk, status=AppointmentStatus.ARRIVED)
        return
    call = ConfirmationCall.objects.filter(appointment=appointment, status="open").first()
    if call is not None and call.due_on < timezone.localdate(now) and rng.random() < 0.7:
        outcome = CallOutcome.CONFIRMED if rng.random() < 0.85 else CallOutcome.NO_ANSWER
        services.call_record(actor=actor, call_id=call.pk, outcome=outcome, now=now)


def _late_part(*, manager: User, now: datetime) -> None:
    upcoming = (
        Appointment.objects.filter(start__gt=now + timedelta(days=1), status__in=["booked", "confirmed"])
        .order_by("start")
        .first()
    )
    if upcoming is None:
        return
    day = timezone.localtime(upcoming.start).date()
    services.part_add(actor=manager, appointment_id=upcoming.pk, name=PARTS[0], expected_on=day - timedelta(days=2))
    services.part_add(actor=manager, appointment_id=upcoming.pk, name=PARTS[2], expected_on=day + timedelta(days=3))
