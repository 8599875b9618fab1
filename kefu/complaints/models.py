"""Complaint management: counters and detector state, graded warnings with duties, incidents with
compensation, public-opinion posts, root causes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.complaints.choices import (
    ActionStatus,
    CompensationKind,
    CompensationState,
    Dimension,
    IncidentEventKind,
    IncidentStatus,
    JointTaskReason,
    JointTaskStatus,
    PostSource,
    WarningEventKind,
    WarningStatus,
    Window,
)

User = settings.AUTH_USER_MODEL


class RootCause(models.Model):
    """A node of the configurable root-cause tree (产品 / 流程 / 服务态度 / 物流 / 系统故障 …)."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    """One row per complaint ticket, written after the ticket's creation commits: what the detector
    counted (so counting is idempotent), the flags, and the root cause once it is known."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="complaint")
    created_at = models.DateTimeField()
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16)
    # The customer's region (省市) when the complaint was counted: a series of its own.
    region = models.CharField(_("region"), max_length=32, blank=True)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    is_escalated = models.BooleanField(_("escalated complaint"), default=False)
    cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    cause_department = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cause_note = models.CharField(_("cause note"), max_length=500, blank=True)
    cause_set_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cause_set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["created_at"], name="complaint_created_idx")]


class ComplaintCount(models.Model):
    """Complaints of one series in one UTC hour: the incremental counter the detector reads."""

    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=32, blank=True)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "hour"], name="complaint_count_unique")
        ]
        indexes = [models.Index(fields=["hour"], name="complaint_count_hour_idx")]


class SeriesState(models.Model):
    """The detector's baseline for one series (a detector.Baseline as JSON) and the last local day
    it learnt from."""

    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=32, blank=True)
    label = models.CharField(max_length=200, blank=True)
    baseline = models.JSONField(default=dict)
    last_day = models.DateField(null=True, blank=True)
    # Recent daily points for the chart: [[iso date, observed, expected], ...] (last 30).
    recent = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dimension", "key"], name="series_state_unique")]


class DetectorRun(models.Model):
    """One row: when the clock next evaluates every series."""

    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_series = models.PositiveIntegerField(default=0)


class WarningLevel(models.Model):
    """A graded level (蓝/黄/橙/红) with its thresholds, who is told and the duties' time limits."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=32)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    color = models.CharField(_("colour"), max_length=16, default="#3b82f6")
    min_ratio = models.DecimalField(_("minimum ratio to baseline"), max_digits=5, decimal_places=2)
    min_count = models.PositiveIntegerField(_("minimum complaints"), default=3)
    notify_roles = models.JSONField(_("roles told"), default=list, blank=True)
    notify_emails = models.JSONField(_("also mail"), default=list, blank=True)
    robot_url = models.URLField(_("WeCom / DingTalk robot URL"), blank=True)
    robot_kind = models.CharField(_("robot kind"), max_length=16, blank=True)
    ack_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"), default=60)
    owner_minutes = models.PositiveIntegerField(_("assign an owner within (minutes)"), default=120)
    note_minutes = models.PositiveIntegerField(_("publish a handling note within (minutes)"), default=240)
    escalate_roles = models.JSONField(_("escalate to roles"), default=list, blank=True)

    class Meta:
        verbose_name = _("warning level")
        verbose_name_plural = _("warning levels")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class ComplaintWarning(models.Model):
    """A raised early warning (预警) on one series."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    level = models.ForeignKey(WarningLevel, on_delete=models.PROTECT, related_name="warnings")
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=32, blank=True)
    label = models.CharField(_("series"), max_length=200)
    window = models.CharField(_("window"), max_length=8, choices=Window.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=WarningStatus.choices, default=WarningStatus.OPEN
    )
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    ratio = models.FloatField(_("ratio"))
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    raised_at = models.DateTimeField(_("raised at"))
    chart = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("handling note"), blank=True)
    note_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The earliest deadline of a duty not yet met; the clock escalates when it passes.
    duty_due_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    tickets = models.ManyToManyField("tickets.Ticket", through="WarningTicket", related_name="+")

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        indexes = [
            models.Index(
                fields=["duty_due_at"],
                name="warning_duty_due_idx",
                condition=models.Q(duty_due_at__isnull=False),
            ),
            models.Index(fields=["dimension", "key", "status"], name="warning_series_idx"),
            models.Index(fields=["-raised_at"], name="warning_raised_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class WarningTicket(models.Model):
    warning = models.ForeignKey(ComplaintWarning, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warning", "ticket"], name="warning_ticket_unique")]


class WarningEvent(models.Model):
    warning = models.ForeignKey(ComplaintWarning, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=WarningEventKind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]


class Incident(models.Model):
    """A major or mass complaint (重大客诉 / 群体投诉): many tickets, one owner, a 48-hour plan clock."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supervisor = models.ForeignKey(
        User, verbose_name=_("supervisor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expert = models.ForeignKey(
        User, verbose_name=_("expert"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warning = models.ForeignKey(
        ComplaintWarning, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    opened_at = models.DateTimeField(_("opened at"))
    plan = models.TextField(_("compensation plan"), blank=True)
    plan_at = models.DateTimeField(null=True, blank=True)
    plan_due_at = models.DateTimeField(_("plan due"), null=True, blank=True)
    plan_overdue = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    tickets = models.ManyToManyField("tickets.Ticket", through="IncidentTicket", related_name="+")

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(
                fields=["plan_due_at"],
                name="incident_plan_due_idx",
                condition=models.Q(plan_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class IncidentTicket(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="incident_links")
    linked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "ticket"], name="incident_ticket_unique")]


class IncidentEvent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=IncidentEventKind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]


class Compensation(models.Model):
    """One line of an incident's compensation ledger."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="compensations")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CompensationKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=10, choices=CompensationState.choices, default=CompensationState.PROPOSED
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")


class OpinionRule(models.Model):
    """A watched keyword or phrase (舆情关键词); variants are matched too (one per line)."""

    phrase = models.CharField(_("phrase"), max_length=64, unique=True)
    variants = models.TextField(_("variants"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("opinion keyword")
        verbose_name_plural = _("opinion keywords")

    def __str__(self) -> str:
        return self.phrase

    def terms(self) -> list[str]:
        return [self.phrase, *[v.strip() for v in self.variants.splitlines() if v.strip()]]


class OpinionPost(models.Model):
    """A public post from a monitoring feed (微博 / 微信 / 论坛), matched against the keywords."""

    source = models.CharField(_("source"), max_length=10, choices=PostSource.choices)
    author = models.CharField(_("author"), max_length=100, blank=True)
    url = models.URLField(_("URL"), max_length=500, unique=True)
    text = models.TextField(_("text"))
    posted_at = models.DateTimeField(_("posted at"))
    metrics = models.JSONField(default=dict, blank=True)
    matched = models.JSONField(default=list, blank=True)
    score = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("public post")
        verbose_name_plural = _("public posts")
        indexes = [models.Index(fields=["-posted_at"], name="opinion_posted_idx")]


class JointTaskRule(models.Model):
    """The time limit of a joint handling task per reason, and the expert named when the dispatch
    rule that graded the complaint names none."""

    reason = models.CharField(_("reason"), max_length=8, choices=JointTaskReason.choices, unique=True)
    hours = models.PositiveSmallIntegerField(_("hours to a joint conclusion"), default=4)
    expert = models.ForeignKey(
        User,
        verbose_name=_("default expert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("joint handling rule")
        verbose_name_plural = _("joint handling rules")

    def __str__(self) -> str:
        return str(JointTaskReason(self.reason).label)


class JointTask(models.Model):
    """A joint handling task (联合处理) of a VIP or 重大/紧急 complaint: the supervisor and a named
    expert reach one conclusion within the reason's time limit; the clock marks it overdue."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="joint_task")
    reason = models.CharField(_("reason"), max_length=8, choices=JointTaskReason.choices)
    grade = models.CharField(_("complaint grade"), max_length=8, blank=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    supervisor = models.ForeignKey(
        User, verbose_name=_("supervisor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expert = models.ForeignKey(
        User, verbose_name=_("expert"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=JointTaskStatus.choices, default=JointTaskStatus.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    deadline = models.DateTimeField(_("time limit"))
    # The clock's column: the deadline while the task is open and not yet marked overdue.
    due_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    result = models.TextField(_("joint conclusion"), blank=True)
    done_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("joint handling task")
        verbose_name_plural = _("joint handling tasks")
        indexes = [
            models.Index(
                fields=["due_at"], name="joint_task_due_idx", condition=models.Q(due_at__isnull=False)
            ),
            models.Index(fields=["status", "deadline"], name="joint_task_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.reason}"


class ClosureOverride(models.Model):
    """A team lead's decision to close a complaint without the customer's callback confirmation
    (回访确认), with the reason: the closure reaction lets this ticket close, and the row is the
    event on the complaint's record."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="closure_override")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("closure override")
        verbose_name_plural = _("closure overrides")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.reason[:40]}"


class UpstreamAction(models.Model):
    """上游整改: what is changed upstream about a root cause (in a category and/or region), by whom,
    by when. The root-cause page shows the complaint rate in the 4 weeks before and after it."""

    cause = models.ForeignKey(
        RootCause, verbose_name=_("root cause"), on_delete=models.PROTECT, related_name="actions"
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.CharField(_("region"), max_length=32, blank=True)
    title = models.CharField(_("what is changed"), max_length=300)
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("upstream action")
        verbose_name_plural = _("upstream actions")
        ordering = ["status", "due_date", "id"]

    def __str__(self) -> str:
        return self.title
