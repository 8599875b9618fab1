from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.workforce.choices import (
    ForecastMethod,
    HistorySource,
    ImportKind,
    ImportStatus,
    LeaveStatus,
    ScheduleStatus,
    StaffingModel,
)


class Queue(models.Model):
    """A contact queue planned on its own (a hotline, a skill group): service goals, shrinkage, cost, work rules."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    skill = models.ForeignKey(
        "accounts.Skill",
        verbose_name=_("required skill"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interval_minutes = models.PositiveSmallIntegerField(_("interval (minutes)"), default=30)
    service_level = models.FloatField(_("service level target"), default=0.8)
    service_time = models.FloatField(_("answered within (seconds)"), default=20)
    asa = models.FloatField(_("max. average speed of answer (seconds)"), null=True, blank=True)
    abandonment = models.FloatField(_("max. abandonment"), null=True, blank=True)
    occupancy = models.FloatField(_("max. occupancy"), null=True, blank=True, default=0.85)
    staffing_model = models.CharField(
        _("staffing model"), max_length=16, choices=StaffingModel.choices, default=StaffingModel.ERLANG_C
    )
    patience = models.FloatField(_("mean patience (seconds)"), null=True, blank=True)
    shrinkage = models.FloatField(_("shrinkage"), default=0.3)
    hourly_cost = models.DecimalField(
        _("cost per paid hour (yuan)"), max_digits=8, decimal_places=2, default=40
    )
    default_aht = models.FloatField(_("default handling time (seconds)"), default=300)
    forecast_method = models.CharField(
        _("forecast method"), max_length=16, choices=ForecastMethod.choices, default=ForecastMethod.AUTO
    )
    promotion_days = models.JSONField(_("promotion days"), default=list, blank=True)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Holidays and make-up working days for the forecast; empty: Chinese public holidays."),
    )
    # Contact history from the system's own tickets (the clock job `workforce_history`): tickets of these
    # channels (empty: every channel) and of the queue's team (empty: every team), counted per interval.
    count_tickets = models.BooleanField(_("count the system's tickets as history"), default=False)
    channels = models.JSONField(_("ticket channels"), default=list, blank=True)
    history_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    history_counted_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Work rules of the tours (see engine.schedule.WorkRules) and the shift template.
    days_off = models.PositiveSmallIntegerField(_("days off per week"), default=2)
    consecutive_days_off = models.BooleanField(_("days off consecutive"), default=True)
    max_consecutive_days = models.PositiveSmallIntegerField(_("max. consecutive working days"), default=6)
    min_weekly_hours = models.FloatField(_("min. weekly hours"), default=0)
    max_weekly_hours = models.FloatField(_("max. weekly hours"), default=44)
    shift_hours = models.FloatField(_("shift length incl. break (hours)"), default=8.5)
    shift_earliest_start = models.TimeField(_("earliest shift start"), default="00:00")
    shift_latest_start = models.TimeField(_("latest shift start"), default="23:30")
    break_minutes = models.PositiveSmallIntegerField(_("unpaid break (minutes)"), default=30)
    break_after_hours = models.FloatField(_("break starts after (hours)"), default=3)
    break_before_hours = models.FloatField(_("break ends before (hours)"), default=5)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_minutes__in=[15, 30, 60]), name="wf_queue_interval"
            ),
            models.CheckConstraint(
                condition=models.Q(shrinkage__gte=0, shrinkage__lt=1), name="wf_queue_shrinkage"
            ),
        ]
        indexes = [
            models.Index(
                fields=["history_due_at"],
                name="wf_queue_history_due_idx",
                condition=models.Q(history_due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def slots_per_day(self) -> int:
        return 24 * 60 // self.interval_minutes


class IntervalVolume(models.Model):
    """Contacts offered in one interval and their total handling time (history for the forecast)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="volumes")
    start = models.DateTimeField(_("interval start"))
    calls = models.FloatField(_("contacts"), default=0)
    handle_seconds = models.FloatField(_("handling time (seconds)"), default=0)
    source = models.CharField(max_length=16, choices=HistorySource.choices, default=HistorySource.IMPORT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "start"], name="wf_volume_unique")]
        ordering = ["queue", "start"]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.start:%Y-%m-%d %H:%M} {self.calls:g}"


class HistoryImport(models.Model):
    """An uploaded CSV of interval counts or per-call logs, processed in the background with progress."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=255, blank=True)
    payload = models.TextField(editable=False)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.done_rows / self.total_rows)


class Forecast(models.Model):
    """A week's forecast for a queue (Monday 00:00 local onwards, 7 × slots) and the staffing requirement."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="forecasts")
    week_start = models.DateField(_("week starting"))
    method = models.CharField(max_length=16, choices=ForecastMethod.choices)
    backtest_wape = models.JSONField(default=dict, blank=True)
    calls = models.JSONField(default=list)
    aht = models.JSONField(default=list)
    agents = models.JSONField(default=list)
    heads = models.JSONField(default=list)
    goals = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        indexes = [models.Index(fields=["queue", "week_start"], name="wf_forecast_week_idx")]

    def __str__(self) -> str:
        return f"{self.queue} {self.week_start}"


class Schedule(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="schedules")
    week_start = models.DateField(_("week starting"))
    forecast = models.ForeignKey(Forecast, on_delete=models.PROTECT, related_name="schedules")
    status = models.CharField(max_length=16, choices=ScheduleStatus.choices, default=ScheduleStatus.DRAFT)
    objective_hours = models.FloatField(default=0)
    lp_bound_hours = models.FloatField(default=0)
    gap = models.FloatField(default=0)
    solver_status = models.CharField(max_length=16, blank=True)
    solve_seconds = models.FloatField(default=0)
    settings_snapshot = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-week_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "week_start"],
                condition=models.Q(status=ScheduleStatus.PUBLISHED),
                name="wf_one_published_schedule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.week_start} ({self.status})"

    @property
    def week_end(self) -> Any:
        return self.week_start + timedelta(days=7)


class Shift(models.Model):
    """One agent's (or an open, unassigned) shift on one day of a schedule."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="wf_shifts"
    )
    tour = models.PositiveIntegerField(default=0)  # shifts of the same tour (one agent's week) share it
    day = models.DateField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    break_start = models.DateTimeField(null=True, blank=True)
    break_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["agent", "start"], name="wf_shift_agent_idx"),
            models.Index(fields=["schedule", "day"], name="wf_shift_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.start:%Y-%m-%d %H:%M}"


class LeaveRequest(models.Model):
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wf_leaves")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["agent", "status", "start"], name="wf_leave_agent_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="wf_leave_positive")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start
