"""/api/v1/appointments/: resources, service types, free slots, book, list, move, cancel, mark,
the confirmation call list and its outcomes, parts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.appointments import selectors, services
from kefu.appointments.access import access_appointment, require_staff
from kefu.appointments.errors import AppointmentErrorCode
from kefu.appointments.models import Appointment, ConfirmationCall, MaintenanceReminder, WalkIn
from kefu.core.apitypes import ApiDate, ApiDateTime
from kefu.core.errors import DomainError

router = Router(tags=["appointments"])


class ResourceOut(Schema):
    id: int
    name: str
    kind: str
    slot_minutes: int
    capacity: int


class ServiceOut(Schema):
    id: int
    name: str
    slots: int


class FreeQuery(Schema):
    service_type: int
    day: ApiDate
    days: int = 1
    resource: int | None = None


class FreeOut(Schema):
    resource_id: int
    start: datetime
    free: int


class BookIn(Schema):
    resource: int
    service_type: int
    start: ApiDateTime
    customer: int
    asset: int | None = None
    ticket: int | None = None
    notes: str = ""


class MoveIn(Schema):
    start: ApiDateTime


class MarkIn(Schema):
    status: Literal["arrived", "done", "no_show"]


class CallIn(Schema):
    outcome: Literal["confirmed", "moved", "cancelled", "no_answer"]
    start: ApiDateTime | None = None


class PartIn(Schema):
    name: str
    expected_on: ApiDate


class AppointmentOut(Schema):
    id: int
    resource_id: int
    service_type_id: int
    customer_id: int
    customer_name: str
    asset: str | None
    ticket_id: int | None
    start: datetime
    end: datetime
    status: str
    source: str
    parts_late: bool


class CallOut(Schema):
    id: int
    appointment_id: int
    due_on: date
    status: str
    outcome: str
    attempts: int


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.pk, resource_id=a.resource_id, service_type_id=a.service_type_id, customer_id=a.customer_id,
        customer_name=a.customer.name, asset=a.asset.identifier if a.asset else None, ticket_id=a.ticket_id,
        start=a.start, end=a.end, status=a.status, source=a.source, parts_late=a.parts_late,
    )


def call_out(c: ConfirmationCall) -> CallOut:
    return CallOut(id=c.pk, appointment_id=c.appointment_id, due_on=c.due_on, status=c.status, outcome=c.outcome, attempts=c.attempts)


@router.get("/resources", response=list[ResourceOut])
def resources(request: ApiRequest) -> list[ResourceOut]:
    require_staff(request.auth)
    return [ResourceOut(id=r.pk, name=r.name, kind=r.kind, slot_minutes=r.slot_minutes, capacity=r.capacity) for r in selectors.active_resources()]


@router.get("/services", response=list[ServiceOut])
def services_list(request: ApiRequest) -> list[ServiceOut]:
    require_staff(request.auth)
    return [ServiceOut(id=s.pk, name=s.name, slots=s.slots) for s in selectors.service_types()]


@router.get("/free", response=list[FreeOut])
def free(request: ApiRequest, params: Query[FreeQuery]) -> list[FreeOut]:
    """Free starts for a service over `days` local days (at most 14), per resource."""
    require_staff(request.auth)
    if not 1 <= params.days <= 14:
        raise DomainError(code=AppointmentErrorCode.INVALID_INPUT, message=_("Ask for 1 to 14 days."), fields={"days": [_("1 to 14.")]}, status=422)
    service = next((s for s in selectors.service_types() if s.pk == params.service_type), None)
    if service is None:
        raise DomainError(code=AppointmentErrorCode.INVALID_INPUT, message=_("Choose a service."), fields={"service_type": [_("Choose a service.")]}, status=422)
    rs = [r for r in selectors.active_resources() if params.resource in (None, r.pk)]
    return [FreeOut(resource_id=s.resource_id, start=s.start, free=s.free) for s in selectors.free_slots(resources=rs, service=service, first=params.day, days=params.days)]


@router.get("/", response=list[AppointmentOut])
def appointments(request: ApiRequest, day: ApiDate | None = None, days: int = 1) -> list[AppointmentOut]:
    first = day or timezone.localdate()
    return [appointment_out(a) for a in selectors.appointments_list(viewer=request.auth, first=first, days=max(1, min(days, 31)))]


@router.post("/", response={201: AppointmentOut})
def book(request: ApiRequest, payload: BookIn) -> Status:
    a = services.appointment_book(
        actor=request.auth, resource_id=payload.resource, service_type_id=payload.service_type, start=payload.start,
        customer_id=payload.customer, asset_id=payload.asset, ticket_id=payload.ticket, source="api", notes=payload.notes,
    )
    return Status(201, appointment_out(a))


@router.get("/calls", response=list[CallOut])
def calls(request: ApiRequest) -> list[CallOut]:
    return [call_out(c) for c in selectors.calls_due(viewer=request.auth)]


@router.post("/calls/{call_id}", response=CallOut)
def call_result(request: ApiRequest, call_id: int, payload: CallIn) -> CallOut:
    return call_out(services.call_record(actor=request.auth, call_id=call_id, outcome=payload.outcome, start=payload.start))


class WalkInIn(Schema):
    customer: int | None = None
    name: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)
    resource: int | None = None
    service_type: int | None = None
    asset: int | None = None
    notes: str = Field("", max_length=500)


class WalkInOut(Schema):
    id: int
    customer_id: int | None
    name: str
    phone: str
    resource_id: int | None
    service_type_id: int | None
    arrived_at: datetime


class ReminderOut(Schema):
    id: int
    plan: str
    customer_id: int
    asset_id: int
    asset: str
    due_on: date
    reason: str
    status: str
    appointment_id: int | None


class ReminderBookIn(Schema):
    resource: int | None = None
    start: ApiDateTime | None = None


def walkin_out(w: WalkIn) -> WalkInOut:
    return WalkInOut(
        id=w.pk, customer_id=w.customer_id, name=w.name, phone=w.phone, resource_id=w.resource_id,
        service_type_id=w.service_type_id, arrived_at=w.arrived_at,
    )


def reminder_out(r: MaintenanceReminder) -> ReminderOut:
    return ReminderOut(
        id=r.pk, plan=r.plan.name, customer_id=r.customer_id, asset_id=r.asset_id, asset=r.asset.identifier,
        due_on=r.due_on, reason=r.reason, status=r.status, appointment_id=r.appointment_id,
    )


@router.get("/walk-ins", response=list[WalkInOut])
def walk_ins(request: ApiRequest, day: ApiDate | None = None) -> list[WalkInOut]:
    """The day's walk-ins (到店未预约)."""
    require_staff(request.auth)
    return [walkin_out(w) for w in selectors.walk_ins(viewer=request.auth, day=day or timezone.localdate())]


@router.post("/walk-ins", response={201: WalkInOut})
def walk_in_record(request: ApiRequest, payload: WalkInIn) -> Status:
    w = services.walkin_record(
        actor=request.auth, customer_id=payload.customer, name=payload.name, phone=payload.phone,
        resource_id=payload.resource, service_type_id=payload.service_type, asset_id=payload.asset, notes=payload.notes,
    )
    return Status(201, walkin_out(w))


@router.get("/reminders", response=list[ReminderOut])
def reminders(request: ApiRequest) -> list[ReminderOut]:
    """Open maintenance reminders (定期保养提醒), soonest due first."""
    require_staff(request.auth)
    return [reminder_out(r) for r in selectors.reminders_open(viewer=request.auth)]


@router.post("/reminders/{reminder_id}/book", response={201: AppointmentOut})
def reminder_book(request: ApiRequest, reminder_id: int, payload: ReminderBookIn) -> Status:
    """One step from a reminder to an appointment: at `start` on `resource`, or the first free time."""
    a = services.reminder_book(actor=request.auth, reminder_id=reminder_id, resource_id=payload.resource, start=payload.start)
    return Status(201, appointment_out(access_appointment(user=request.auth, appointment_id=a.pk)))


@router.post("/reminders/{reminder_id}/dismiss", response=ReminderOut)
def reminder_dismiss(request: ApiRequest, reminder_id: int) -> ReminderOut:
    r = services.reminder_dismiss(actor=request.auth, reminder_id=reminder_id)
    return reminder_out(MaintenanceReminder.objects.select_related("plan", "asset").get(pk=r.pk))


@router.get("/{appointment_id}", response=AppointmentOut)
def appointment_get(request: ApiRequest, appointment_id: int) -> AppointmentOut:
    return appointment_out(access_appointment(user=request.auth, appointment_id=appointment_id))


@router.post("/{appointment_id}/move", response=AppointmentOut)
def move(request: ApiRequest, appointment_id: int, payload: MoveIn) -> AppointmentOut:
    return appointment_out(services.appointment_move(actor=request.auth, appointment_id=appointment_id, start=payload.start))


@router.post("/{appointment_id}/cancel", response=AppointmentOut)
def cancel(request: ApiRequest, appointment_id: int) -> AppointmentOut:
    return appointment_out(services.appointment_cancel(actor=request.auth, appointment_id=appointment_id))


@router.post("/{appointment_id}/mark", response=AppointmentOut)
def mark(request: ApiRequest, appointment_id: int, payload: MarkIn) -> AppointmentOut:
    return appointment_out(services.appointment_mark(actor=request.auth, appointment_id=appointment_id, status=payload.status))


@router.post("/{appointment_id}/parts", response={201: dict[str, object]})
def part(request: ApiRequest, appointment_id: int, payload: PartIn) -> Status:
    p = services.part_add(actor=request.auth, appointment_id=appointment_id, name=payload.name, expected_on=payload.expected_on)
    a = access_appointment(user=request.auth, appointment_id=appointment_id)
    return Status(201, {"id": p.pk, "name": p.name, "expected_on": p.expected_on.isoformat(), "parts_late": a.parts_late})
