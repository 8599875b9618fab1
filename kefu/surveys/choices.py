from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Sending")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


# Surveys that reached the customer: the denominator of the response rate.
DELIVERED_STATUSES = (SurveyStatus.SENT, SurveyStatus.ANSWERED, SurveyStatus.EXPIRED)


class SkipReason(models.TextChoices):
    THROTTLED = "throttled", _("Surveyed recently")
    NO_CONTACT = "no_contact", _("No way to reach the customer")
    NO_CUSTOMER = "no_customer", _("No customer on the ticket")
    REOPENED = "reopened", _("Ticket reopened")
    TOO_LATE = "too_late", _("More than 24 hours late")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class Dimension(models.TextChoices):
    SPEED = "speed", _("Speed")
    ATTITUDE = "attitude", _("Attitude")
    PROFESSIONALISM = "professionalism", _("Professionalism")
    RESOLUTION = "resolution", _("Resolution")


class CallbackSource(models.TextChoices):
    LOW_SCORE = "low_score", _("Low score")
    PLAN = "plan", _("Callback plan")
    MANUAL = "manual", _("Manual")


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    FAILED = "failed", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("In the archive")
    CLOSED = "closed", _("Left the archive")


class CaseReason(models.TextChoices):
    LOW_SCORE = "low_score", _("Low survey score")
    COMPLAINT = "complaint", _("Complaint")
    FAILED_CALLBACK = "failed_callback", _("Failed callback")
    MANUAL = "manual", _("Added by staff")


class CaseCloseReason(models.TextChoices):
    SATISFIED = "satisfied", _("A later survey was satisfied")
    MANAGER = "manager", _("Closed by a manager")


class CareKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    GIFT = "gift", _("Gift")
    COMPENSATION = "compensation", _("Compensation")
    OTHER = "other", _("Other")


class CareStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
