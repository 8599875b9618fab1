from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffingModel(models.TextChoices):
    ERLANG_C = "erlang_c", _("Erlang C (no abandonment)")
    ERLANG_A = "erlang_a", _("Erlang A (with abandonment)")


class ForecastMethod(models.TextChoices):
    AUTO = "auto", _("Chosen by backtest")
    BASELINE = "baseline", _("8-week same-slot average")
    PROFILE = "profile", _("Daily total × weekday profile")


class HistorySource(models.TextChoices):
    TICKETS = "tickets", _("Tickets of the system")
    IMPORT = "import", _("Imported file")


class ImportKind(models.TextChoices):
    COUNTS = "counts", _("Interval counts")
    CALLS = "calls", _("Per-call log")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
