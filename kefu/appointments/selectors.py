"""Reads: free slots (for the portal, staff and the API), the day's board, calls due."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kefu.accounts.models import User
from kefu.appointments import slots as grid_mod
from kefu.appointments.access import appointments_visible_to, is_staff_member
from kefu.appointments.choices import ACTIVE_STATUSES, AppointmentStatus, CallStatus, ReminderStatus
from kefu.appointments.models import (
    Appointment,
    ConfirmationCall,
    MaintenanceReminder,
    Resource,
    ServiceType,
    Slot,
    WalkIn,
)

# A booking not arrived this long after its start is late on the board.
LATE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class FreeSlot:
    resource_id: int
    start: datetime
    free: int


def active_resources() -> list[Resource]:
    return list(Resource.objects.filter(is_active=True).order_by("kind", "name"))


def service_types(*, portal: bool = False) -> list[ServiceType]:
    qs = ServiceType.objects.all()
    if portal:
        qs = qs.filter(on_portal=True)
    return list(qs.order_by("name"))


def free_slots(
    *, resources: list[Resource], service: ServiceType, first: date, days: int = 1, now: datetime | None = None
) -> list[FreeSlot]:
    """Starts where the service's run of slots has room on every slot, from `now` on. Public
    information (times only), so no viewer is needed: the portal uses it too."""
    now = now or timezone.now()
    if not resources:
        return []
    last = first + timedelta(days=days)
    reserved = grid_mod.reserved_for(resources)
    lo = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    booked: dict[int, dict[datetime, int]] = defaultdict(dict)
    for rid, start, n in Slot.objects.filter(
        resource__in=resources, start__gte=lo, start__lt=lo + timedelta(days=days + 2), booked__gt=0
    ).values_list("resource_id", "start", "booked"):
        booked[rid][start] = n
    # Hot loop (a week over 50 resources is ~11,000 cells): the grids and their run starts are
    # cached per configuration in slots.py, so this only subtracts bookings and takes minima.
    found: list[tuple[datetime, int, int]] = []
    size = service.slots
    for resource in resources:
        rid = resource.pk
        taken = booked.get(rid, {})
        rules = [grid_mod.rules_on(resource, wd, reserved) for wd in range(7)]
        d = first
        while d < last:
            cells, heads = grid_mod.grid_with_heads(resource, d, rules[d.weekday()], size)
            room = [c.capacity - taken.get(c.start, 0) for c in cells] if taken else [c.capacity for c in cells]
            for i in heads:
                start = cells[i].start
                if start <= now:
                    continue
                free = min(room[i : i + size])
                if free > 0:
                    found.append((start, rid, free))
            d += timedelta(days=1)
    found.sort()
    return [FreeSlot(rid, start, free) for start, rid, free in found]


def day_board(*, viewer: User, day: date) -> dict[Resource, list[Appointment]]:
    """The day's appointments per resource (the welcome board)."""
    resources = active_resources() if is_staff_member(viewer) else []
    zone = timezone.get_current_timezone()
    lo = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    rows = (
        appointments_visible_to(viewer)
        .filter(start__gte=lo, start__lt=lo + timedelta(days=1))
        .select_related("customer", "asset", "service_type", "resource")
        .order_by("start")
    )
    per: dict[int, list[Appointment]] = defaultdict(list)
    for a in rows:
        per[a.resource_id].append(a)
    return {r: per.get(r.pk, []) for r in resources}


def appointments_list(*, viewer: User, first: date, days: int = 1) -> QuerySet[Appointment]:
    zone = timezone.get_current_timezone()
    lo = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    return (
        appointments_visible_to(viewer)
        .filter(start__gte=lo, start__lt=lo + timedelta(days=days))
        .select_related("customer", "asset", "service_type", "resource")
        .order_by("start", "id")
    )


def calls_due(*, viewer: User, now: datetime | None = None) -> list[ConfirmationCall]:
    """The confirmation call list: due today or earlier, retries whose time has come."""
    if not is_staff_member(viewer):
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    return list(
        ConfirmationCall.objects.filter(status=CallStatus.OPEN, due_on__lte=today, appointment__status__in=ACTIVE_STATUSES)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .select_related("appointment__customer", "appointment__resource", "appointment__service_type", "appointment__asset")
        .order_by("due_on", "appointment__start")
    )


def late_parts(*, viewer: User) -> list[Appointment]:
    return list(
        appointments_visible_to(viewer)
        .filter(parts_late=True, status__in=ACTIVE_STATUSES)
        .select_related("customer", "resource", "service_type")
        .prefetch_related("parts")
        .order_by("start")
    )


def no_shows_of(*, viewer: User, customer_id: int) -> int:
    return appointments_visible_to(viewer).filter(customer_id=customer_id, status=AppointmentStatus.NO_SHOW).count()


def source_share(*, viewer: User, first: date, days: int = 7) -> dict[str, int]:
    rows = appointments_list(viewer=viewer, first=first, days=days).values("source").annotate(n=Count("id")).order_by()
    return {r["source"]: r["n"] for r in rows}


def _day_bounds(day: date, days: int = 1) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    lo = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return lo, lo + timedelta(days=days)


def walk_ins(*, viewer: User, day: date) -> list[WalkIn]:
    """The day's walk-ins (到店未预约), in arrival order."""
    if not is_staff_member(viewer):
        return []
    lo, hi = _day_bounds(day)
    return list(
        WalkIn.objects.filter(arrived_at__gte=lo, arrived_at__lt=hi)
        .select_related("customer", "asset", "resource", "service_type")
        .order_by("arrived_at", "id")
    )


@dataclass(frozen=True, slots=True)
class DayCounts:
    appointments: int
    arrived: int
    late: int
    no_shows: int
    walk_ins: int


def late_ones(*, viewer: User, day: date, now: datetime | None = None) -> list[Appointment]:
    """The day's bookings still booked or confirmed `LATE_AFTER` past their start (not arrived)."""
    now = now or timezone.now()
    lo, hi = _day_bounds(day)
    return list(
        appointments_visible_to(viewer)
        .filter(start__gte=lo, start__lt=min(hi, now - LATE_AFTER + timedelta(microseconds=1)))
        .filter(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED])
        .select_related("customer", "resource", "service_type", "asset")
        .order_by("start", "id")
    )


def day_counts(*, viewer: User, day: date, now: datetime | None = None) -> DayCounts:
    lo, hi = _day_bounds(day)
    rows = dict(
        appointments_visible_to(viewer).filter(start__gte=lo, start__lt=hi).exclude(status=AppointmentStatus.CANCELLED)
        .values_list("status").annotate(n=Count("id")).order_by()
    )
    return DayCounts(
        appointments=sum(rows.values()),
        arrived=rows.get(AppointmentStatus.ARRIVED, 0) + rows.get(AppointmentStatus.DONE, 0),
        late=len(late_ones(viewer=viewer, day=day, now=now)),
        no_shows=rows.get(AppointmentStatus.NO_SHOW, 0),
        walk_ins=len(walk_ins(viewer=viewer, day=day)),
    )


@dataclass(frozen=True, slots=True)
class WeekShare:
    appointments: int
    walk_ins: int

    @property
    def total(self) -> int:
        return self.appointments + self.walk_ins

    @property
    def appointment_pct(self) -> int:
        return round(100 * self.appointments / self.total) if self.total else 0

    @property
    def walk_in_pct(self) -> int:
        return 100 - self.appointment_pct if self.total else 0


def week_share(*, viewer: User, first: date, days: int = 7) -> WeekShare:
    """Visits of the week: appointments kept (arrived or done) against walk-ins."""
    if not is_staff_member(viewer):
        return WeekShare(0, 0)
    lo, hi = _day_bounds(first, days)
    kept = appointments_visible_to(viewer).filter(
        start__gte=lo, start__lt=hi, status__in=[AppointmentStatus.ARRIVED, AppointmentStatus.DONE]
    ).count()
    return WeekShare(kept, WalkIn.objects.filter(arrived_at__gte=lo, arrived_at__lt=hi).count())


@dataclass(frozen=True, slots=True)
class CustomerVisits:
    appointments: int
    kept: int
    no_shows: int
    cancelled: int
    walk_ins: int
    upcoming: list[Appointment]
    recent: list[Appointment]
    reminders: list[MaintenanceReminder]


def customer_visits(*, viewer: User, customer_id: int, now: datetime | None = None) -> CustomerVisits | None:
    """The customer page's appointments section: counts (no-shows among them), what is coming, the
    latest ones and the open maintenance reminders."""
    if not is_staff_member(viewer):
        return None
    now = now or timezone.now()
    qs = appointments_visible_to(viewer).filter(customer_id=customer_id)
    counts = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    related = qs.select_related("resource", "service_type", "asset")
    return CustomerVisits(
        appointments=sum(counts.values()),
        kept=counts.get(AppointmentStatus.DONE, 0) + counts.get(AppointmentStatus.ARRIVED, 0),
        no_shows=counts.get(AppointmentStatus.NO_SHOW, 0),
        cancelled=counts.get(AppointmentStatus.CANCELLED, 0),
        walk_ins=WalkIn.objects.filter(customer_id=customer_id).count(),
        upcoming=list(related.filter(start__gte=now, status__in=ACTIVE_STATUSES).order_by("start")[:5]),
        recent=list(related.filter(start__lt=now).order_by("-start")[:5]),
        reminders=list(
            MaintenanceReminder.objects.filter(customer_id=customer_id, status=ReminderStatus.OPEN)
            .select_related("plan", "asset").order_by("due_on")
        ),
    )


def reminders_open(*, viewer: User, until: date | None = None, limit: int = 200) -> list[MaintenanceReminder]:
    """The maintenance reminder list: open reminders, soonest due first."""
    if not is_staff_member(viewer):
        return []
    qs = MaintenanceReminder.objects.filter(status=ReminderStatus.OPEN)
    if until is not None:
        qs = qs.filter(due_on__lte=until)
    return list(qs.select_related("plan", "asset", "customer").order_by("due_on", "id")[:limit])
