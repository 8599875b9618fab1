from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.sla.choices import DayKind, DaySource, RobotKind, SlaEventKind, SlaStateChoice, SlaTarget

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SlaConfigVersion(models.Model):
    """One row whose `token` changes on every edit of calendars or policies. Each process caches the
    compiled calendars and policies and reloads them when the token differs. A random token, not a
    counter: a rolled-back edit followed by another must not look like the version already cached."""

    token = models.CharField(max_length=32, default="initial")


class BusinessCalendar(models.Model):
    """A business calendar (工作日历): weekly working periods plus holidays and make-up days."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    tz = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    is_default = models.BooleanField(_("default calendar"), default=False)
    is_24x7 = models.BooleanField(_("open 24×7"), default=False, help_text=_("Working periods and days are ignored."))
    follows_chinese_holidays = models.BooleanField(
        _("follows Chinese public holidays"),
        default=True,
        help_text=_("Holidays and make-up working days are seeded from the chinese-calendar package."),
    )
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up days work the hours of"), choices=WEEKDAYS, default=0
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="sla_one_default_calendar"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        end = "24:00" if self.end == time(0) else f"{self.end:%H:%M}"
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{end}"

    def clean(self) -> None:
        if self.end != time(0) and self.end <= self.start:
            raise ValidationError(_("A working period must end after it starts."))


class CalendarDay(models.Model):
    """A holiday, a make-up working day (调休), or a manual ordinary day that cancels a seeded one."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    note = models.CharField(_("note"), max_length=64, blank=True)
    # Manual rows win: re-seeding from the package never changes or deletes them.
    source = models.CharField(_("source"), max_length=8, choices=DaySource.choices, default=DaySource.MANUAL)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SlaPolicy(models.Model):
    """A time-limit policy (时效规则). Active policies are tried by `position`; the first whose
    conditions all match wins (an empty condition matches anything). The default policy comes last."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default policy"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    match_kinds = models.JSONField(_("ticket kinds"), default=list, blank=True)
    match_priorities = models.JSONField(_("priorities"), default=list, blank=True)
    match_channels = models.JSONField(_("channels"), default=list, blank=True)
    match_categories = models.ManyToManyField(
        "tickets.Category", verbose_name=_("categories (with subcategories)"), blank=True, related_name="+"
    )
    match_tiers = models.ManyToManyField(
        "customers.CustomerTier", verbose_name=_("customer tiers"), blank=True, related_name="+"
    )
    dispatch_minutes = models.PositiveIntegerField(_("dispatch within (business minutes)"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (business minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolve within (business minutes)"), null=True, blank=True)
    warn_shares = models.JSONField(
        _("warn at (percent of the target)"), default=list, blank=True, help_text=_("For example [50, 80].")
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=list, blank=True, help_text=_('For example ["pending_customer"].')
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["is_default", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="sla_one_default_policy"),
        ]

    def __str__(self) -> str:
        return self.name

    def minutes_for(self, target: str) -> int | None:
        value: int | None = getattr(self, f"{target}_minutes")
        return value


class EscalationLevel(models.Model):
    """What happens `delay_minutes` of business time after a target of the policy is breached."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(3)])
    delay_minutes = models.PositiveIntegerField(_("after the breach (business minutes)"), default=0)
    notify_team_lead = models.BooleanField(_("notify the team lead of the ticket's team"), default=False)
    notify_managers = models.BooleanField(_("notify managers"), default=False)
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("notify these users"), blank=True, related_name="+"
    )
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)
    reassign_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("transfer to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    add_tag = models.CharField(_("add tag"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="sla_escalation_level_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=3), name="sla_escalation_level_1_3"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} L{self.level}"


class TicketSla(models.Model):
    """The SLA state of one target of one ticket, rewritten by `sla_recompute`.

    One row per (ticket, target), so reports count with plain SQL (`target='resolution' AND
    state='breached'`). The clock scans the three *_due_at columns through partial indexes.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_targets")
    target = models.CharField(_("target"), max_length=16, choices=SlaTarget.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=SlaStateChoice.choices)
    paused = models.BooleanField(_("paused"), default=False)
    cycle = models.PositiveIntegerField(default=1)
    cycles_breached = models.PositiveIntegerField(default=0)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    achieved_at = models.DateTimeField(_("achieved at"), null=True, blank=True)
    # Business time the clock ran: until achieved_at, or until the last recompute while running.
    elapsed = models.DurationField(_("business time used"))
    # Warning and escalation moments of the current cycle (ISO strings or null, in order).
    moments = models.JSONField(default=dict)
    warnings_fired = models.PositiveSmallIntegerField(default=0)
    warn_due_at = models.DateTimeField(null=True, blank=True)
    breach_due_at = models.DateTimeField(null=True, blank=True)
    breach_fired_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    # When 80 % of the target is used (engine.RISK_SHARE); null once achieved or while unknowable.
    risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        constraints = [models.UniqueConstraint(fields=["ticket", "target"], name="sla_ticket_target_unique")]
        indexes = [
            models.Index(fields=["warn_due_at"], name="sla_warn_due_idx", condition=models.Q(warn_due_at__isnull=False)),
            models.Index(
                fields=["breach_due_at"], name="sla_breach_due_idx", condition=models.Q(breach_due_at__isnull=False)
            ),
            models.Index(
                fields=["escalation_due_at"],
                name="sla_escalation_due_idx",
                condition=models.Q(escalation_due_at__isnull=False),
            ),
            models.Index(fields=["state", "due_at"], name="sla_state_due_idx"),
            models.Index(fields=["risk_at"], name="sla_risk_idx", condition=models.Q(risk_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.state}"


class SlaEvent(models.Model):
    """A warning, breach or escalation that fired. Unique per (ticket, target, kind, cycle, level):
    the database itself refuses a second row, whatever several clocks do."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events")
    target = models.CharField(_("target"), max_length=16, choices=SlaTarget.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=SlaEventKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    level = models.PositiveSmallIntegerField(_("level"), default=0)  # warning number or escalation level
    moment = models.DateTimeField(_("due moment"))
    fired_at = models.DateTimeField(_("fired at"))
    late = models.BooleanField(_("fired late"), default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "kind", "cycle", "level"], name="sla_event_once"),
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="sla_event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind} {self.level}"


class Notification(models.Model):
    """An in-app notification for one staff member."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_notifications")
    ticket = models.ForeignKey("tickets.Ticket", null=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(SlaEvent, null=True, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="sla_notification_user_idx")]

    def __str__(self) -> str:
        return self.title


class RobotWebhook(models.Model):
    """A WeCom or DingTalk group robot that hears SLA events (of one team, or of all without a team)."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=12, choices=RobotKind.choices)
    url = models.URLField(_("webhook URL"), max_length=500)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    include_warnings = models.BooleanField(_("also post warnings"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("robot webhook")
        verbose_name_plural = _("robot webhooks")

    def __str__(self) -> str:
        return self.name
