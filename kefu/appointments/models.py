"""Appointments (预约): resources that take them, service types by slot count, capacity per slot,
hours kept free, the bookings, the confirmation calls two business days before, parts per booking."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kefu.appointments.choices import (
    AppointmentStatus,
    BookingSource,
    CallOutcome,
    CallStatus,
    ReminderReason,
    ReminderStatus,
    ResourceKind,
)


def new_key() -> str:
    return secrets.token_urlsafe(12)


class Resource(models.Model):
    """A service advisor, a bay or a counter. Working hours: `hours` (e.g. "08:30-12:00 13:30-17:30")
    on `weekdays` (digits, 0 = Monday), closed on Chinese public holidays, open on make-up days."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices, default=ResourceKind.ADVISOR)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("advisor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="appointment_resources",
    )
    hours = models.CharField(_("working hours"), max_length=100, default="08:30-12:00 13:30-17:30")
    weekdays = models.CharField(_("weekdays"), max_length=7, default="012345")
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    capacity = models.PositiveSmallIntegerField(_("capacity per slot"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("appointment resource")
        verbose_name_plural = _("appointment resources")
        ordering = ["kind", "name"]
        constraints = [models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="appt_resource_slot_min")]

    def __str__(self) -> str:
        return self.name


class ServiceType(models.Model):
    """What is booked; a one-hour 保养 on 15-minute slots takes 4."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    slots = models.PositiveSmallIntegerField(_("slots taken"), default=1)
    on_portal = models.BooleanField(_("bookable on the portal"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(slots__gte=1), name="appt_service_slots_min")]

    def __str__(self) -> str:
        return self.name


class ReservedHours(models.Model):
    """Busy hours kept free of appointments (capacity 0) or given a lower capacity, for one resource
    or all, on one weekday or every day."""

    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="reserved")
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=0)

    class Meta:
        verbose_name = _("reserved hours")
        verbose_name_plural = _("reserved hours")


class Slot(models.Model):
    """One bookable slot, written when first booked. The row is locked while booking, and the
    database refuses `booked > capacity` whatever happens."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "start"], name="appt_slot_unique"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="appt_slot_not_over"),
        ]


class Appointment(models.Model):
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="appointments")
    service_type = models.ForeignKey(ServiceType, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="appointments"
    )
    asset = models.ForeignKey(
        "customers.CustomerAsset", verbose_name=_("asset"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    source = models.CharField(_("booked via"), max_length=16, choices=BookingSource.choices, default=BookingSource.STAFF)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    parts_late = models.BooleanField(_("parts late"), default=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    # When the clock records a no-show: the end of the slot plus the grace period, while still open.
    no_show_due_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(max_length=32, default=new_key)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["resource", "start"], name="appt_resource_start_idx"),
            models.Index(fields=["no_show_due_at"], name="appt_no_show_due_idx", condition=Q(no_show_due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED)


class ConfirmationCall(models.Model):
    """The call two business days before; no answer is retried up to `MAX_ATTEMPTS` times."""

    MAX_ATTEMPTS = 3

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="calls")
    due_on = models.DateField(_("due on"))
    next_try_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="appt_call_due_idx")]


class Part(models.Model):
    """A part (配件) the appointment needs, with its expected arrival."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="parts")
    name = models.CharField(_("part"), max_length=100)
    expected_on = models.DateField(_("expected on"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)

    class Meta:
        ordering = ["expected_on", "id"]



class WalkIn(models.Model):
    """A customer who came without an appointment (到店未预约), recorded at the desk beside the day's
    appointments. The customer may be unknown (a name and a phone are enough)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), null=True, blank=True, on_delete=models.SET_NULL, related_name="walk_ins"
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="walk_ins"
    )
    asset = models.ForeignKey(
        "customers.CustomerAsset", verbose_name=_("asset"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")
        ordering = ["arrived_at", "id"]
        indexes = [models.Index(fields=["arrived_at"], name="appt_walkin_arrived_idx")]


class MaintenancePlan(models.Model):
    """Periodic maintenance (定期保养) for one kind of asset: every `months` months and/or every `km`
    kilometres since the last service, whichever comes first; reminders `days_ahead` days before."""

    name = models.CharField(_("name"), max_length=64)
    asset_kind = models.CharField(_("asset kind"), max_length=16, default="vehicle")
    months = models.PositiveSmallIntegerField(_("every (months)"), null=True, blank=True)
    km = models.PositiveIntegerField(_("every (km)"), null=True, blank=True)
    days_ahead = models.PositiveSmallIntegerField(_("remind days ahead"), default=14)
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["asset_kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(months__isnull=False) | Q(km__isnull=False), name="appt_plan_interval"),
        ]

    def __str__(self) -> str:
        return self.name


class MaintenanceReminder(models.Model):
    """One reminder that an asset's maintenance falls due on `due_on`. The database holds one per
    asset, plan and due date, so the clock running again (or twice at once) reminds nobody twice."""

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="reminders")
    asset = models.ForeignKey("customers.CustomerAsset", on_delete=models.CASCADE, related_name="maintenance_reminders")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="maintenance_reminders")
    due_on = models.DateField(_("due on"))
    reason = models.CharField(_("reason"), max_length=10, choices=ReminderReason.choices)
    status = models.CharField(_("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.OPEN)
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance reminder")
        verbose_name_plural = _("maintenance reminders")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "plan", "due_on"], name="appt_reminder_once_per_due_date"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="appt_reminder_open_idx")]


class AppointmentsClock(models.Model):
    """When the clock next writes the maintenance reminder lists: one row, claimed with a
    conditional update and moved an hour ahead (the work is idempotent per day)."""

    name = models.CharField(max_length=32, unique=True)
    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="appt_clock_due_idx", condition=Q(due_at__isnull=False))]
