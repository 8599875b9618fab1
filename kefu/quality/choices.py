from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    """How a scorecard item is scored."""

    SCORED = "scored", _("Scored 0..N")
    YES_NO = "yes_no", _("Yes / no")
    FATAL = "fatal", _("Fatal item")


class ContactKind(models.TextChoices):
    """What an inspection item is a copy of; chats and calls plug in with their own kind."""

    TICKET = "ticket", _("Ticket")
    CHAT = "chat", _("Chat")
    CALL = "call", _("Call")
    VISIT = "visit", _("Outlet visit")


class InspectionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Speaker(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    NOTE = "note", _("Internal note")


class PlanPeriod(models.TextChoices):
    DAILY = "daily", _("Daily")
    MONTHLY = "monthly", _("Monthly")


class DrawReason(models.TextChoices):
    """Why a contact was drawn into a plan: the random share or one of the targeted rules."""

    RANDOM = "random", _("Random share")
    COMPLAINT = "complaint", _("Complaint")
    LOW_CSAT = "low_csat", _("Satisfaction 2 or lower")
    REOPENED = "reopened", _("Reopened")
    TRANSFERS = "transfers", _("Transferred twice or more")
    FLAGGED = "flagged", _("Flagged by the AI pre-screen")
    SLOW = "slow", _("Handling time above the percentile")
    MANUAL = "manual", _("Added by hand")


TARGETED_RULES = [r for r in DrawReason.values if r not in (DrawReason.RANDOM, DrawReason.MANUAL)]


class InspectionLevel(models.TextChoices):
    """三级质检: inspector, QA lead re-check, center manager spot check; plus the second inspector of a
    double-blind pair, a calibration and an upheld appeal, which each write a newer inspection."""

    FIRST = "first", _("Inspection")
    BLIND = "blind", _("Double-blind re-check")
    RECHECK = "recheck", _("QA lead re-check")
    SPOT = "spot", _("Manager spot check")
    CALIBRATION = "calibration", _("Calibration")
    APPEAL = "appeal", _("Appeal decision")


class AppealState(models.TextChoices):
    LEAD = "lead", _("With the team lead")
    QA = "qa", _("With the QA lead")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class CalibrationState(models.TextChoices):
    OPEN = "open", _("Open")
    SETTLED = "settled", _("Settled")


class CoachingState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class CaseTag(models.TextChoices):
    """The library's standard tags; a case may carry free tags too (shown as typed)."""

    EXCELLENT = "excellent", _("Excellent case")
    PROBLEM = "problem", _("Problem case")
