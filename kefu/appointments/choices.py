from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    ADVISOR = "advisor", _("Service advisor")
    BAY = "bay", _("Service bay")
    COUNTER = "counter", _("Counter")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED)


class BookingSource(models.TextChoices):
    STAFF = "staff", _("Staff")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")


class CallOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    MOVED = "moved", _("Moved")
    CANCELLED = "cancelled", _("Cancelled")
    NO_ANSWER = "no_answer", _("No answer")


class CallStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    GAVE_UP = "gave_up", _("Gave up")


class ReminderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    BOOKED = "booked", _("Booked")
    DISMISSED = "dismissed", _("Dismissed")


class ReminderReason(models.TextChoices):
    MONTHS = "months", _("Time since the last service")
    MILEAGE = "mileage", _("Mileage since the last service")
