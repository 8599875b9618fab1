from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricRollup(models.Model):
    """The numbers of one period × group × key, as `metrics.compute` gave them when the clock last
    refreshed the period (`values`: metric -> value, `counts`: metric -> denominator)."""

    period_kind = models.CharField(max_length=8)
    period_key = models.CharField(max_length=16)
    group = models.CharField(max_length=12)
    key = models.CharField(max_length=32)
    values = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_key", "group", "key"], name="perf_rollup_unique"),
        ]
        indexes = [models.Index(fields=["group", "key", "period_kind", "period_key"], name="perf_rollup_series_idx")]

    def __str__(self) -> str:
        return f"{self.period_key} {self.group}={self.key}"


class RollupClock(models.Model):
    """When the clock next refreshes the rollups (one row; the clock claims it with a conditional update)."""

    name = models.CharField(max_length=32, unique=True)
    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="perf_rollup_due_idx", condition=models.Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return self.name


class ScorecardPlan(models.Model):
    """A 绩效考核 plan: which indicators count, with weights, targets and direction, for a team or a
    role (a team plan wins over a role plan, which wins over the default plan)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, blank=True)
    top_share = models.PositiveSmallIntegerField(
        _("top share (percent)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scorecard plan")
        verbose_name_plural = _("scorecard plans")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ScorecardIndicator(models.Model):
    plan = models.ForeignKey(ScorecardPlan, on_delete=models.CASCADE, related_name="indicators")
    metric = models.CharField(_("metric"), max_length=32)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=1, default=10)
    target = models.FloatField(_("target"))
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")
        ordering = ["plan", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "metric"], name="perf_indicator_unique")]

    def __str__(self) -> str:
        return f"{self.plan} {self.metric}"


class ScorecardMonth(models.Model):
    """A locked (定稿) month of a plan: the results as they were when locked, kept as they are."""

    plan = models.ForeignKey(ScorecardPlan, on_delete=models.CASCADE, related_name="months")
    month = models.CharField(_("month"), max_length=7)
    locked_at = models.DateTimeField(_("locked at"))
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    frozen = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("locked scorecard month")
        verbose_name_plural = _("locked scorecard months")
        constraints = [models.UniqueConstraint(fields=["plan", "month"], name="perf_month_unique")]

    def __str__(self) -> str:
        return f"{self.plan} {self.month}"
