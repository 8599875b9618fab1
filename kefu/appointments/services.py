"""Writes: book, move, cancel, confirm by call, record arrival / no-show, parts. Every write checks
access (staff) or the customer's signed link. Capacity: the slot rows of a booking are written if
missing, then locked in start order; a full one refuses; the database constraint backs it up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.appointments import maintenance, selectors
from kefu.appointments import slots as grid_mod
from kefu.appointments.access import (
    access_appointment,
    access_appointment_by_token,
    access_call,
    require_staff,
)
from kefu.appointments.choices import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    BookingSource,
    CallOutcome,
    CallStatus,
    ReminderStatus,
)
from kefu.appointments.errors import AppointmentErrorCode
from kefu.appointments.models import (
    Appointment,
    AppointmentsClock,
    ConfirmationCall,
    MaintenancePlan,
    MaintenanceReminder,
    Part,
    ReservedHours,
    Resource,
    ServiceType,
    Slot,
    WalkIn,
)
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.customers.models import Customer, CustomerAsset
from kefu.customers.services import CustomerIdentity, customer_match_or_create
from kefu.tickets.models import Ticket

CONFIRM_BUSINESS_DAYS = 2
RETRY_AFTER = timedelta(hours=2)
# A booking still open this long after its slot ended is recorded as a no-show by the clock.
NO_SHOW_GRACE = timedelta(minutes=30)
CLOCK_NAME = "appointments_daily"
CLOCK_EVERY = timedelta(hours=1)
FIRST_FREE_DAYS = 14


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(code=AppointmentErrorCode.INVALID_INPUT, message=message, fields={field: [message]}, status=422)


def _resource(resource_id: int) -> Resource:
    found = Resource.objects.filter(pk=resource_id, is_active=True).first()
    if found is None:
        raise _invalid("resource", _("Choose a resource that takes appointments."))
    return found


def _service(service_type_id: int, *, portal: bool = False) -> ServiceType:
    qs = ServiceType.objects.filter(pk=service_type_id)
    if portal:
        qs = qs.filter(on_portal=True)
    found = qs.first()
    if found is None:
        raise _invalid("service_type", _("Choose a service."))
    return found


def _run_for(resource: Resource, service: ServiceType, start: datetime) -> list[grid_mod.GridSlot]:
    if timezone.is_naive(start):
        raise _invalid("start", _("Give the start with its time zone."))
    cal = grid_mod.resource_calendar(resource)
    day = start.astimezone(cal.zone).date()
    cells = grid_mod.grid(resource, day, grid_mod.reserved_for([resource]))
    run = grid_mod.runs(cells, service.slots).get(start)
    if run is None or any(c.capacity == 0 for c in run):
        raise _invalid("start", _("That time is not open for appointments."))
    return run


def _take(resource: Resource, run: list[grid_mod.GridSlot]) -> None:
    Slot.objects.bulk_create(
        [Slot(resource=resource, start=c.start, capacity=c.capacity) for c in run], ignore_conflicts=True
    )
    locked = list(
        Slot.objects.select_for_update().filter(resource=resource, start__in=[c.start for c in run]).order_by("start")
    )
    if len(locked) != len(run) or any(s.booked >= s.capacity for s in locked):
        raise Conflict(code=AppointmentErrorCode.SLOT_FULL, message=_("That time has just been taken; choose another."))
    try:
        with transaction.atomic():
            Slot.objects.filter(pk__in=[s.pk for s in locked]).update(booked=F("booked") + 1)
    except IntegrityError as exc:  # the constraint: never over capacity
        raise Conflict(code=AppointmentErrorCode.SLOT_FULL, message=_("That time has just been taken; choose another.")) from exc


def _release(appointment: Appointment) -> None:
    Slot.objects.filter(
        resource_id=appointment.resource_id, start__gte=appointment.start, start__lt=appointment.end, booked__gt=0
    ).update(booked=F("booked") - 1)


def _schedule_call(appointment: Appointment, now: datetime) -> None:
    cal = grid_mod.resource_calendar(appointment.resource)
    day = appointment.start.astimezone(cal.zone).date()
    due = grid_mod.business_days_before(cal, day, CONFIRM_BUSINESS_DAYS)
    today = now.astimezone(cal.zone).date()
    ConfirmationCall.objects.filter(appointment=appointment, status=CallStatus.OPEN).update(status=CallStatus.DONE)
    ConfirmationCall.objects.create(appointment=appointment, due_on=max(due, today))


def _book(
    *, actor: User | None, resource: Resource, service: ServiceType, start: datetime, customer: Customer,
    asset: CustomerAsset | None, ticket: Ticket | None, source: str, contact_phone: str, notes: str, now: datetime,
) -> Appointment:
    if start <= now:
        raise _invalid("start", _("Choose a time in the future."))
    if asset is not None and asset.customer_id != customer.pk:
        raise _invalid("asset", _("That asset belongs to another customer."))
    run = _run_for(resource, service, start)
    with transaction.atomic():
        _take(resource, run)
        appointment = Appointment.objects.create(
            resource=resource, service_type=service, customer=customer, asset=asset, ticket=ticket,
            start=start, end=run[-1].start + timedelta(minutes=resource.slot_minutes),
            source=source, booked_by=actor, contact_phone=contact_phone[:32], notes=notes[:500],
            no_show_due_at=run[-1].start + timedelta(minutes=resource.slot_minutes) + NO_SHOW_GRACE,
        )
        _schedule_call(appointment, now)
    return appointment


def appointment_book(
    *, actor: User, resource_id: int, service_type_id: int, start: datetime, customer_id: int,
    asset_id: int | None = None, ticket_id: int | None = None, source: str = BookingSource.STAFF,
    notes: str = "", now: datetime | None = None,
) -> Appointment:
    """Staff (or the API) book for a customer, optionally with the customer's asset and a ticket."""
    require_staff(actor)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise _invalid("customer", _("Customer not found."))
    asset = None
    if asset_id:
        asset = CustomerAsset.objects.filter(pk=asset_id).first()
        if asset is None:
            raise _invalid("asset", _("Asset not found."))
    ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
    phone = customer.phones.values_list("number", flat=True).first() or ""
    return _book(
        actor=actor, resource=_resource(resource_id), service=_service(service_type_id), start=start,
        customer=customer, asset=asset, ticket=ticket, source=source, contact_phone=phone, notes=notes,
        now=now or timezone.now(),
    )


def appointment_book_by_customer(
    *, name: str, phone: str, resource_id: int, service_type_id: int, start: datetime, plate: str = "",
    now: datetime | None = None,
) -> Appointment:
    """The portal: free slots only; the customer is matched by phone (or created)."""
    if not phone.strip():
        raise _invalid("phone", _("Give your phone number."))
    resource = _resource(resource_id)
    service = _service(service_type_id, portal=True)
    with transaction.atomic():
        customer, _created = customer_match_or_create(actor=None, identity=CustomerIdentity(name=name.strip(), phone=phone))
        asset = None
        if plate.strip():
            asset = CustomerAsset.objects.filter(customer=customer, identifier__iexact=plate.strip()).first()
            if asset is None:
                asset = CustomerAsset.objects.create(customer=customer, kind="vehicle", identifier=plate.strip()[:64])
        return _book(
            actor=None, resource=resource, service=service, start=start, customer=customer, asset=asset,
            ticket=None, source=BookingSource.PORTAL, contact_phone=phone.strip(), notes="", now=now or timezone.now(),
        )


def _cancel(appointment: Appointment) -> Appointment:
    if not appointment.is_active:
        raise Conflict(code=AppointmentErrorCode.NOT_ACTIVE, message=_("This appointment is no longer open."))
    _release(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.no_show_due_at = None
    appointment.save(update_fields=["status", "no_show_due_at", "updated_at"])
    ConfirmationCall.objects.filter(appointment=appointment, status=CallStatus.OPEN).update(status=CallStatus.DONE)
    return appointment


def _move(appointment: Appointment, start: datetime, now: datetime) -> Appointment:
    if not appointment.is_active:
        raise Conflict(code=AppointmentErrorCode.NOT_ACTIVE, message=_("This appointment is no longer open."))
    if start <= now:
        raise _invalid("start", _("Choose a time in the future."))
    resource = appointment.resource
    run = _run_for(resource, appointment.service_type, start)
    with transaction.atomic():
        _release(appointment)
        _take(resource, run)
        appointment.start = start
        appointment.end = run[-1].start + timedelta(minutes=resource.slot_minutes)
        appointment.status = AppointmentStatus.BOOKED
        appointment.no_show_due_at = appointment.end + NO_SHOW_GRACE
        appointment.save(update_fields=["start", "end", "status", "no_show_due_at", "updated_at"])
        _schedule_call(appointment, now)
        _flag_parts(appointment)
    return appointment


def appointment_cancel(*, actor: User, appointment_id: int) -> Appointment:
    with transaction.atomic():
        return _cancel(access_appointment(user=actor, appointment_id=appointment_id, for_update=True))


def appointment_move(*, actor: User, appointment_id: int, start: datetime, now: datetime | None = None) -> Appointment:
    with transaction.atomic():
        appointment = access_appointment(user=actor, appointment_id=appointment_id, for_update=True)
        return _move(appointment, start, now or timezone.now())


def appointment_cancel_by_token(*, token: str) -> Appointment:
    with transaction.atomic():
        return _cancel(access_appointment_by_token(token, for_update=True))


def appointment_move_by_token(*, token: str, start: datetime, now: datetime | None = None) -> Appointment:
    with transaction.atomic():
        return _move(access_appointment_by_token(token, for_update=True), start, now or timezone.now())


_MARKS = {AppointmentStatus.ARRIVED, AppointmentStatus.DONE, AppointmentStatus.NO_SHOW}


def appointment_mark(*, actor: User, appointment_id: int, status: str, now: datetime | None = None) -> Appointment:
    """Arrival (the time is kept: late ones show on the board), done, or a no-show by hand (which
    counts on the customer's profile). Any mark takes the booking off the clock's no-show list."""
    if status not in _MARKS:
        raise _invalid("status", _("Choose arrived, done or no-show."))
    with transaction.atomic():
        appointment = access_appointment(user=actor, appointment_id=appointment_id, for_update=True)
        if not appointment.is_active:
            raise Conflict(code=AppointmentErrorCode.NOT_ACTIVE, message=_("This appointment is no longer open."))
        appointment.status = status
        appointment.no_show_due_at = None
        fields = ["status", "no_show_due_at", "updated_at"]
        if status == AppointmentStatus.ARRIVED or (status == AppointmentStatus.DONE and appointment.arrived_at is None):
            appointment.arrived_at = now or timezone.now()
            fields.append("arrived_at")
        appointment.save(update_fields=fields)
        ConfirmationCall.objects.filter(appointment=appointment, status=CallStatus.OPEN).update(status=CallStatus.DONE)
    return appointment


def call_record(
    *, actor: User, call_id: int, outcome: str, start: datetime | None = None, now: datetime | None = None
) -> ConfirmationCall:
    """The confirmation call's outcome: confirmed, moved (to `start`), cancelled, or no answer (retried
    after two hours, given up after three tries)."""
    now = now or timezone.now()
    if outcome not in CallOutcome.values:
        raise _invalid("outcome", _("Choose an outcome."))
    with transaction.atomic():
        call = access_call(user=actor, call_id=call_id, for_update=True)
        if call.status != CallStatus.OPEN:
            raise Conflict(code=AppointmentErrorCode.CALL_CLOSED, message=_("This call has already been logged."))
        appointment = Appointment.objects.select_for_update().select_related("resource", "service_type").get(pk=call.appointment_id)
        call.attempts += 1
        call.called_by = actor
        call.outcome = outcome
        if outcome == CallOutcome.NO_ANSWER:
            if call.attempts >= ConfirmationCall.MAX_ATTEMPTS:
                call.status = CallStatus.GAVE_UP
            else:
                call.next_try_at = now + RETRY_AFTER
            call.save()
            return call
        if outcome == CallOutcome.MOVED:
            if start is None:
                raise _invalid("start", _("Give the new time."))
            call.status = CallStatus.DONE
            call.save()
            _move(appointment, start, now)
            return call
        call.status = CallStatus.DONE
        call.save()
        if outcome == CallOutcome.CONFIRMED:
            if not appointment.is_active:
                raise Conflict(code=AppointmentErrorCode.NOT_ACTIVE, message=_("This appointment is no longer open."))
            appointment.status = AppointmentStatus.CONFIRMED
            appointment.save(update_fields=["status", "updated_at"])
        else:
            _cancel(appointment)
    return call


def _flag_parts(appointment: Appointment) -> None:
    cal = grid_mod.resource_calendar(appointment.resource)
    day = appointment.start.astimezone(cal.zone).date()
    late = appointment.parts.filter(arrived_at__isnull=True, expected_on__gte=day).exists()
    if late != appointment.parts_late:
        appointment.parts_late = late
        appointment.save(update_fields=["parts_late", "updated_at"])


def part_add(*, actor: User, appointment_id: int, name: str, expected_on: date) -> Part:
    """A part the job needs. Expected on or after the appointment day: the appointment is flagged late
    and shows on the board for the advisor to propose a new time."""
    if not name.strip():
        raise _invalid("name", _("Name the part."))
    with transaction.atomic():
        appointment = access_appointment(user=actor, appointment_id=appointment_id, for_update=True)
        part = Part.objects.create(appointment=appointment, name=name.strip()[:100], expected_on=expected_on)
        _flag_parts(appointment)
    return part


def part_arrived(*, actor: User, part_id: int, now: datetime | None = None) -> Part:
    require_staff(actor)
    with transaction.atomic():
        part = Part.objects.select_for_update().filter(pk=part_id).first()
        if part is None:
            raise _invalid("part", _("Part not found."))
        appointment = access_appointment(user=actor, appointment_id=part.appointment_id, for_update=True)
        part.arrived_at = now or timezone.now()
        part.save(update_fields=["arrived_at"])
        _flag_parts(appointment)
    return part


# --- setup: resources, service types, hours kept free (managers; the admin edits them later) ----------


def _require_manager(actor: User) -> None:
    require_staff(actor)
    if not actor.is_supervising:
        raise Forbidden(code=AppointmentErrorCode.FORBIDDEN, message=_("Only managers may set up appointments."))


def resource_create(
    *, actor: User, name: str, kind: str = "advisor", advisor: User | None = None, hours: str = "08:30-12:00 13:30-17:30",
    weekdays: str = "012345", slot_minutes: int = 15, capacity: int = 1,
) -> Resource:
    """A resource that takes appointments (managers only)."""
    _require_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the resource."))
    if slot_minutes < 5:
        raise _invalid("slot_minutes", _("A slot is at least 5 minutes."))
    return Resource.objects.create(
        name=name.strip()[:64], kind=kind, advisor=advisor, hours=hours, weekdays=weekdays,
        slot_minutes=slot_minutes, capacity=capacity,
    )


def service_type_create(*, actor: User, name: str, slots: int = 1, on_portal: bool = True) -> ServiceType:
    """A service that can be booked and how many slots it takes (managers only)."""
    _require_manager(actor)
    if slots < 1:
        raise _invalid("slots", _("A service takes at least one slot."))
    return ServiceType.objects.create(name=name.strip()[:64], slots=slots, on_portal=on_portal)


def reserved_hours_create(
    *, actor: User, start: time, end: time, capacity: int = 0, resource_id: int | None = None, weekday: int | None = None
) -> ReservedHours:
    """Busy hours kept free of appointments (capacity 0) or with a lower capacity (managers only)."""
    _require_manager(actor)
    if end <= start:
        raise _invalid("end", _("The end must come after the start."))
    return ReservedHours.objects.create(resource_id=resource_id, weekday=weekday, start=start, end=end, capacity=capacity)


def appointments_follow_merge(*, source_ticket_id: int, target_ticket_id: int) -> int:
    """A ticket merged into another: its appointments now belong to the target, so the booking stays
    on the ticket that is being worked. System write (a reaction), idempotent. Returns the count moved."""
    with transaction.atomic():
        return Appointment.objects.filter(ticket_id=source_ticket_id).update(ticket_id=target_ticket_id, updated_at=timezone.now())


def appointment_no_show_due(*, appointment_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: a booking still booked or confirmed after its slot and the grace period is a
    no-show. Claimed with a conditional update (of several clocks one records it); an appointment
    marked in the meantime only loses its due time. Returns False when the row was not claimed."""
    with transaction.atomic():
        claimed = Appointment.objects.filter(
            pk=appointment_id, no_show_due_at=due_at, status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]
        ).update(status=AppointmentStatus.NO_SHOW, no_show_due_at=None, updated_at=now or timezone.now())
        if claimed:
            ConfirmationCall.objects.filter(appointment_id=appointment_id, status=CallStatus.OPEN).update(status=CallStatus.DONE)
            return True
        Appointment.objects.filter(pk=appointment_id, no_show_due_at=due_at).update(no_show_due_at=None)
    return False


# --- walk-ins (到店未预约) ------------------------------------------------------------------------------


def walkin_record(
    *, actor: User, customer_id: int | None = None, name: str = "", phone: str = "", resource_id: int | None = None,
    service_type_id: int | None = None, asset_id: int | None = None, notes: str = "", now: datetime | None = None,
) -> WalkIn:
    """A customer who came without an appointment, recorded at the desk (staff). A known customer by
    id, or a name or phone for someone not on file."""
    require_staff(actor)
    customer = None
    if customer_id:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise _invalid("customer", _("Customer not found."))
    elif not name.strip() and not phone.strip():
        raise _invalid("name", _("Give the customer's name or phone."))
    asset = None
    if asset_id:
        asset = CustomerAsset.objects.filter(pk=asset_id).first()
        if asset is None or (customer is not None and asset.customer_id != customer.pk):
            raise _invalid("asset", _("That asset belongs to another customer."))
    resource = _resource(resource_id) if resource_id else None
    service = _service(service_type_id) if service_type_id else None
    with transaction.atomic():
        return WalkIn.objects.create(
            customer=customer, asset=asset, resource=resource, service_type=service,
            name=(name.strip() or (customer.name if customer else ""))[:64], phone=phone.strip()[:32],
            notes=notes.strip()[:500], arrived_at=now or timezone.now(), recorded_by=actor,
        )


# --- periodic maintenance reminders (定期保养提醒) --------------------------------------------------------


def maintenance_plan_create(
    *, actor: User, name: str, asset_kind: str = "vehicle", months: int | None = None, km: int | None = None,
    days_ahead: int = 14, service_type_id: int | None = None,
) -> MaintenancePlan:
    """A maintenance interval for one kind of asset, by months and/or kilometres (managers only)."""
    _require_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the plan."))
    if not months and not km:
        raise _invalid("months", _("Give an interval in months or in kilometres."))
    if not 0 <= days_ahead <= 90:
        raise _invalid("days_ahead", _("Remind 0 to 90 days ahead."))
    service = _service(service_type_id) if service_type_id else None
    return MaintenancePlan.objects.create(
        name=name.strip()[:64], asset_kind=asset_kind, months=months or None, km=km or None, days_ahead=days_ahead,
        service_type=service,
    )


def _last_service(asset: CustomerAsset, done_on: date | None) -> tuple[date, int | None]:
    attrs = asset.attributes if isinstance(asset.attributes, dict) else {}
    on_file = maintenance.parse_day(attrs.get("last_service_on"))
    km = maintenance.parse_km(attrs.get("last_service_km"))
    if done_on is not None and (on_file is None or done_on > on_file):
        # A service done here since the file's date: the mileage at that visit is not known.
        return done_on, None
    if on_file is not None:
        return on_file, km
    return timezone.localtime(asset.created_at).date(), km


def maintenance_reminders_generate(*, day: date) -> int:
    """Write the reminder list: every asset of an active plan's kind whose next maintenance falls
    due within the plan's days ahead of `day` (or is overdue), unless it has an open booking.
    One reminder per asset, plan and due date (a database constraint; rows written with
    ignore_conflicts), so reruns and concurrent clocks remind nobody twice. Returns how many are new."""
    written = 0
    for plan in MaintenancePlan.objects.filter(is_active=True).order_by("pk"):
        assets = list(CustomerAsset.objects.filter(kind=plan.asset_kind).order_by("pk"))
        ids = [a.pk for a in assets]
        done: dict[int, datetime] = dict(
            Appointment.objects.filter(asset_id__in=ids, status=AppointmentStatus.DONE)
            .values("asset_id").annotate(last=Max("start")).values_list("asset_id", "last")
        )
        booked = set(
            Appointment.objects.filter(asset_id__in=ids, status__in=ACTIVE_STATUSES).values_list("asset_id", flat=True)
        )
        rows = []
        for asset in assets:
            if asset.pk in booked:
                continue
            last_done = done.get(asset.pk)
            last_on, last_km = _last_service(asset, timezone.localtime(last_done).date() if last_done else None)
            attrs = asset.attributes if isinstance(asset.attributes, dict) else {}
            due = maintenance.next_due(
                last_service_on=last_on, today=day, months=plan.months, km=plan.km,
                mileage=maintenance.parse_km(attrs.get("mileage", attrs.get("mileage_km"))), last_service_km=last_km,
            )
            if due is None or due.on > day + timedelta(days=plan.days_ahead):
                continue
            rows.append(MaintenanceReminder(plan=plan, asset=asset, customer_id=asset.customer_id, due_on=due.on, reason=due.reason))
        if rows:
            with transaction.atomic():
                before = MaintenanceReminder.objects.filter(plan=plan).count()
                MaintenanceReminder.objects.bulk_create(rows, ignore_conflicts=True)
                written += MaintenanceReminder.objects.filter(plan=plan).count() - before
    return written


def _first_free(service: ServiceType, after: datetime, resource_id: int | None) -> tuple[int, datetime]:
    resources = list(Resource.objects.filter(is_active=True).order_by("kind", "name"))
    if resource_id is not None:
        resources = [r for r in resources if r.pk == resource_id]
    day = timezone.localtime(after).date()
    free = selectors.free_slots(resources=resources, service=service, first=day, days=FIRST_FREE_DAYS, now=after)
    if not free:
        raise Conflict(code=AppointmentErrorCode.SLOT_FULL, message=_("No free time in the next two weeks; choose one by hand."))
    return free[0].resource_id, free[0].start


def reminder_book(
    *, actor: User, reminder_id: int, resource_id: int | None = None, start: datetime | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Turn a maintenance reminder into an appointment in one step: the plan's service for the
    customer's asset, at `start` on `resource`, or at the first free time from the due date's week
    (never in the past). Locks the reminder: two clicks book once (the second is a 409)."""
    require_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        reminder = MaintenanceReminder.objects.select_for_update().filter(pk=reminder_id).first()
        if reminder is None:
            raise NotFound(code=AppointmentErrorCode.REMINDER_NOT_FOUND, message=_("Reminder not found."))
        if reminder.status != ReminderStatus.OPEN:
            raise Conflict(code=AppointmentErrorCode.REMINDER_CLOSED, message=_("This reminder has already been handled."))
        plan = MaintenancePlan.objects.select_related("service_type").get(pk=reminder.plan_id)
        service = plan.service_type or ServiceType.objects.order_by("-slots", "name").first()
        if service is None:
            raise _invalid("service_type", _("Choose a service."))
        if start is None:
            week = datetime.combine(reminder.due_on - timedelta(days=7), time(0), tzinfo=timezone.get_current_timezone())
            resource_id, start = _first_free(service, max(now, week), resource_id)
        elif resource_id is None:
            raise _invalid("resource", _("Choose a resource that takes appointments."))
        appointment = appointment_book(
            actor=actor, resource_id=resource_id, service_type_id=service.pk, start=start,
            customer_id=reminder.customer_id, asset_id=reminder.asset_id, notes=plan.name, now=now,
        )
        reminder.status = ReminderStatus.BOOKED
        reminder.appointment = appointment
        reminder.save(update_fields=["status", "appointment"])
    return appointment


def reminder_dismiss(*, actor: User, reminder_id: int) -> MaintenanceReminder:
    """The customer declined or serviced elsewhere: the reminder leaves the list (staff)."""
    require_staff(actor)
    with transaction.atomic():
        reminder = MaintenanceReminder.objects.select_for_update().filter(pk=reminder_id).first()
        if reminder is None:
            raise NotFound(code=AppointmentErrorCode.REMINDER_NOT_FOUND, message=_("Reminder not found."))
        if reminder.status != ReminderStatus.OPEN:
            raise Conflict(code=AppointmentErrorCode.REMINDER_CLOSED, message=_("This reminder has already been handled."))
        reminder.status = ReminderStatus.DISMISSED
        reminder.save(update_fields=["status"])
    return reminder


def appointments_clock_install(*, due_at: datetime | None = None) -> AppointmentsClock:
    clock, _created = AppointmentsClock.objects.get_or_create(name=CLOCK_NAME, defaults={"due_at": due_at or timezone.now()})
    return clock


def appointments_tick(*, clock_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: claim the row (conditional update), then write the day's reminder list."""
    now = now or timezone.now()
    claimed = AppointmentsClock.objects.filter(pk=clock_id, due_at=due_at).update(due_at=now + CLOCK_EVERY, last_run_at=now)
    if not claimed:
        return False
    maintenance_reminders_generate(day=timezone.localdate(now))
    return True
