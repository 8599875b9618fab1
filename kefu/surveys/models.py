from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.surveys.choices import (
    CallbackOutcome,
    CallbackSource,
    CallbackStatus,
    CareKind,
    CareStatus,
    CaseCloseReason,
    CaseReason,
    CaseStatus,
    DeliveryChannel,
    SkipReason,
    SurveyStatus,
)


def new_survey_key() -> str:
    # 192 random bits: the link's secret. The link also carries a signature over (id, key).
    return secrets.token_urlsafe(24)


def default_reasons() -> list[str]:
    return ["响应太慢", "问题没有解决", "服务态度不好", "解释不清楚", "需要多次联系"]


def default_dimensions() -> list[str]:
    return ["speed", "attitude", "professionalism", "resolution"]


def default_negative_words() -> list[str]:
    return ["不满意", "太差", "很差", "垃圾", "投诉", "敷衍", "没解决", "没有解决", "态度差", "失望", "骗"]


class SurveyTemplate(models.Model):
    """What to ask and when, for tickets of some kinds / channels / team. The first active template
    (by position) whose non-empty matchers all match a resolved ticket is used; `is_default` catches the rest."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default template"), default=False)
    match_kinds = models.JSONField(_("ticket kinds"), default=list, blank=True)
    match_channels = models.JSONField(_("ticket channels"), default=list, blank=True)
    match_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100, default="请评价本次服务")
    intro = models.TextField(_("introduction"), blank=True, default="感谢您联系我们，请花几秒钟为本次服务打分。")
    ask_csat = models.BooleanField(_("ask satisfaction (1–5)"), default=True)
    ask_nps = models.BooleanField(_("ask recommendation (0–10)"), default=True)
    dimensions = models.JSONField(_("dimensions"), default=default_dimensions, blank=True)
    reasons = models.JSONField(_("reasons to pick"), default=default_reasons, blank=True)
    delay_minutes = models.PositiveIntegerField(
        _("send after (minutes)"), default=0, help_text=_("After resolution; at most 1440 (24 hours).")
    )
    remind_after_hours = models.PositiveIntegerField(_("remind after (hours, 0 = never)"), default=24)
    expire_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=7)
    min_days_between = models.PositiveSmallIntegerField(_("at most one survey per customer per (days)"), default=30)
    low_csat = models.PositiveSmallIntegerField(_("low satisfaction at or below"), default=2)
    low_nps = models.PositiveSmallIntegerField(_("low recommendation at or below"), default=6)
    negative_words = models.JSONField(_("negative words in comments"), default=default_negative_words, blank=True)
    callback_business_hours = models.PositiveSmallIntegerField(_("callback due within (business hours)"), default=24)
    callback_max_attempts = models.PositiveSmallIntegerField(_("callback attempts"), default=3)

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="survey_one_default_template"
            ),
            models.CheckConstraint(condition=models.Q(delay_minutes__lte=1440), name="survey_delay_max_24h"),
            models.CheckConstraint(condition=models.Q(low_csat__lte=5, low_nps__lte=10), name="survey_low_bounds"),
        ]

    def __str__(self) -> str:
        return self.name


class Survey(models.Model):
    """One survey of one resolved ticket. Due columns drive the clock: send, remind, expire, and the
    follow-up sweep that makes sure every low answer has its callback."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="surveys")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="surveys")
    # Who served: the ticket's assignee (else owner) and team at resolution, for per-agent numbers.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.CharField(max_length=40, default=new_survey_key, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=SurveyStatus.choices, default=SurveyStatus.SCHEDULED)
    skip_reason = models.CharField(_("skipped because"), max_length=16, choices=SkipReason.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=DeliveryChannel.choices, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    send_due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    expire_due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    csat = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("recommendation"), null=True, blank=True)
    dimension_scores = models.JSONField(_("dimension scores"), default=dict, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    is_low = models.BooleanField(_("low score"), default=False)
    low_because = models.JSONField(default=list, blank=True)
    # Set with the answer when a callback is owed; cleared in the transaction that creates it. The
    # clock picks up any row left set (a crash after the answer committed loses nothing).
    followup_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["send_due_at"], name="survey_send_due_idx", condition=models.Q(send_due_at__isnull=False)),
            models.Index(
                fields=["reminder_due_at"], name="survey_remind_due_idx", condition=models.Q(reminder_due_at__isnull=False)
            ),
            models.Index(
                fields=["expire_due_at"], name="survey_expire_due_idx", condition=models.Q(expire_due_at__isnull=False)
            ),
            models.Index(
                fields=["followup_due_at"], name="survey_followup_due_idx", condition=models.Q(followup_due_at__isnull=False)
            ),
            models.Index(fields=["customer", "-sent_at"], name="survey_customer_sent_idx"),
            models.Index(fields=["sent_at"], name="survey_sent_idx"),
            models.Index(fields=["ticket", "-created_at"], name="survey_ticket_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(csat__isnull=True) | models.Q(csat__gte=1, csat__lte=5), name="survey_csat_range"),
            models.CheckConstraint(condition=models.Q(nps__isnull=True) | models.Q(nps__lte=10), name="survey_nps_range"),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} of ticket {self.ticket_id}"


class CallbackPlan(models.Model):
    """回访计划: callbacks scheduled after a kind of service (minor repair +3 days, major overhaul at
    10/30/90 days, sale at delivery + 7). Matched on resolution by ticket kind and category, or
    triggered by `code` through the API (e.g. a dealer system posting a delivery)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    match_kinds = models.JSONField(_("ticket kinds"), default=list, blank=True)
    match_category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    offsets_days = models.JSONField(_("callback after (days)"), default=list, help_text=_("For example [10, 30, 90]."))
    script = models.TextField(_("script"), blank=True)
    questions = models.JSONField(_("questions"), default=list, blank=True)
    max_attempts = models.PositiveSmallIntegerField(_("attempts"), default=3)

    class Meta:
        verbose_name = _("callback plan")
        verbose_name_plural = _("callback plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Callback(models.Model):
    """回访: a call back to the customer, from a low score or a plan. Due sorted in the agent's queue."""

    source = models.CharField(_("source"), max_length=12, choices=CallbackSource.choices)
    status = models.CharField(_("status"), max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.OPEN)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="callbacks")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="callbacks"
    )
    survey = models.OneToOneField(
        Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="callback"
    )
    plan = models.ForeignKey(CallbackPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks")
    plan_offset_days = models.PositiveSmallIntegerField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="who served the ticket",
    )
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("due at"))
    first_due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallbackOutcome.choices, blank=True)
    repaired = models.BooleanField(_("repaired"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["assignee", "due_at", "id"], name="callback_assignee_open_idx",
                condition=models.Q(status="open"),
            ),
            models.Index(fields=["team", "due_at", "id"], name="callback_team_open_idx", condition=models.Q(status="open")),
            models.Index(fields=["completed_at"], name="callback_completed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "ticket", "plan_offset_days"], name="callback_plan_step_once",
                condition=models.Q(plan__isnull=False, ticket__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"callback {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == CallbackStatus.OPEN


class CallbackAttempt(models.Model):
    """One logged call: who, when, outcome, answers to the plan's questions."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempt_rows")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=12, choices=CallbackOutcome.choices)
    repaired = models.BooleanField(null=True)
    notes = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class DissatisfiedCase(models.Model):
    """不满意客户档案: one open case per customer; reasons accumulate while it is open."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="dissatisfied_cases")
    status = models.CharField(_("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    reason = models.CharField(_("reason"), max_length=16, choices=CaseReason.choices)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("care owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("closed because"), max_length=12, choices=CaseCloseReason.choices, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        verbose_name = _("dissatisfied customer")
        verbose_name_plural = _("dissatisfied-customer archive")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(status="open"), name="dissatisfied_one_open_case"
            ),
        ]
        indexes = [models.Index(fields=["status", "-opened_at", "-id"], name="dissatisfied_status_idx")]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.customer_id})"


class CaseEntry(models.Model):
    """A further reason that came in while the case was open (another low score, a complaint)."""

    case = models.ForeignKey(DissatisfiedCase, on_delete=models.CASCADE, related_name="entries")
    reason = models.CharField(max_length=16, choices=CaseReason.choices)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class CareAction(models.Model):
    """关怀: a planned and then logged call, visit, gift or compensation."""

    case = models.ForeignKey(DissatisfiedCase, on_delete=models.CASCADE, related_name="care_actions")
    kind = models.CharField(_("kind"), max_length=16, choices=CareKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=CareStatus.choices, default=CareStatus.PLANNED)
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("care action")
        verbose_name_plural = _("care actions")
        ordering = ["status", "planned_for", "id"]


class DailySummary(models.Model):
    """The daily callback summary for managers: one row per local day, sent by the clock at due_at."""

    day = models.DateField(unique=True)
    due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="survey_summary_due_idx", condition=models.Q(due_at__isnull=False))]
