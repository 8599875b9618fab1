"""Report packs (例会报表): what a pack holds (ReportPack), when the clock builds and sends it
(ReportSchedule), and each built pack kept with its figures and files (ReportRun)."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.reports.choices import PeriodKind, RobotKind, RunStatus


class ReportPack(models.Model):
    """Which sections and indicators, over which kind of period, for all teams or one. A pack shows
    what its owner may see: it is built with the owner's visibility."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.WEEK)
    sections = models.JSONField(_("sections"), default=list)
    metrics = models.JSONField(_("indicators"), default=list, blank=True)  # empty: the 12 scorecard indicators
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report pack")
        verbose_name_plural = _("report packs")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ReportSchedule(models.Model):
    """When the clock builds a pack for the period just ended and sends it: weekly packs on `weekday`
    at `at_time`, monthly (quarterly, annual) packs on `day_of_month` of the first month after the
    period, daily packs every day; Asia/Shanghai. A period is sent once (ReportRun's unique key)."""

    pack = models.ForeignKey(ReportPack, on_delete=models.CASCADE, related_name="schedules")
    weekday = models.PositiveSmallIntegerField(
        _("weekday (0 = Monday)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    at_time = models.TimeField(_("time"), default=time(8, 0))
    emails = models.TextField(_("mail to"), blank=True, help_text=_("One address a line or separated by commas."))
    robot_kind = models.CharField(_("group robot"), max_length=10, choices=RobotKind.choices, blank=True, default="")
    robot_url = models.URLField(_("robot webhook"), max_length=500, blank=True)
    robot_secret = models.CharField(_("robot signing secret (DingTalk)"), max_length=128, blank=True)
    attach_files = models.BooleanField(_("attach Excel and PDF to mail"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        indexes = [models.Index(fields=["due_at"], name="report_schedule_due_idx", condition=models.Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.pack} @ {self.at_time:%H:%M}"

    @property
    def email_list(self) -> list[str]:
        return [e.strip() for e in self.emails.replace(",", "\n").replace(";", "\n").splitlines() if e.strip()]


class ReportRun(models.Model):
    """One built pack: its period, the figures it showed (`data`), both files, and how sending went.
    A scheduled run is unique per schedule and period, so the clock never sends a period twice."""

    pack = models.ForeignKey(ReportPack, on_delete=models.CASCADE, related_name="runs")
    schedule = models.ForeignKey(ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    period_key = models.CharField(_("period"), max_length=16)
    data = models.JSONField(default=dict)
    xlsx = models.BinaryField()
    pdf = models.BinaryField()
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.BUILT)
    delivery = models.JSONField(default=dict)  # channel -> "ok" | error text
    # Sending again by the clock (kefu.reports.services.run_retry): how many sends were tried, the
    # last failure, and when the failed channels are tried next (null: nothing left to try).
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    built_at = models.DateTimeField(_("built at"))
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    build_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("built report pack")
        verbose_name_plural = _("built report packs")
        ordering = ["-built_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_key"], name="report_run_once_per_period",
                                    condition=models.Q(schedule__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["pack", "-built_at"], name="report_run_pack_idx"),
            models.Index(fields=["retry_at"], name="report_run_retry_idx", condition=models.Q(retry_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.pack} {self.period_key}"
