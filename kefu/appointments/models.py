"""Appointments (预约): resources that take them, service types by slot count, capacity per slot,
hours kept free, the bookings, the confirmation calls two business days before, parts per booking."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kefu.appointments.choices import AppointmentStatus, BookingSource, CallOutcome, CallStatus, ResourceKind


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
    key = models.CharField(max_length=32, default=new_key)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["resource", "start"], name="appt_resource_start_idx")]

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

