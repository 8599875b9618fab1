"""Scorecards (versioned; a published version is frozen), inspection items (one contact's text turns,
whatever channel it came from) and inspections (one inspector's scores on one version)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.quality.choices import (
    AppealState,
    CalibrationState,
    CoachingState,
    ContactKind,
    DrawReason,
    InspectionLevel,
    InspectionState,
    ItemKind,
    PlanPeriod,
)


class Scorecard(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"), default=80)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        ordering = ["scorecard_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "number"], name="quality_one_version_number")]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ScorecardSection(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version_id", "position", "id"]

    def __str__(self) -> str:
        return self.name


class ScorecardItem(models.Model):
    section = models.ForeignKey(ScorecardSection, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=ItemKind.choices, default=ItemKind.SCORED)
    # The most points the item gives (0 for a fatal item: it passes or fails the whole inspection).
    points = models.PositiveSmallIntegerField(_("points"), default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section__position", "position", "id"]

    def __str__(self) -> str:
        return self.name


class InspectionItem(models.Model):
    """A copy of one contact to inspect: `turns` is [{speaker, at, text}], so a chat transcript or a
    call's ASR text fits without a migration (kind + source id)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices, default=ContactKind.TICKET)
    source_id = models.BigIntegerField(_("source id"))
    source_ref = models.CharField(_("reference"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    turns = models.JSONField(_("turns"), default=list, blank=True)
    findings = models.JSONField(_("pre-screen findings"), default=list, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_at = models.DateTimeField(_("contact closed at"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampled at"))

    class Meta:
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        ordering = ["-sampled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "source_id"], name="quality_one_item_per_contact")]

    def __str__(self) -> str:
        return self.source_ref or f"{self.kind}:{self.source_id}"


class Inspection(models.Model):
    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="inspections")
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # {"<scorecard item id>": points given}; yes/no and fatal items: 1 = yes / passed, 0 = no / failed.
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    fatal_failed = models.BooleanField(_("fatal item failed"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    # {"<scorecard item id>": "why"}: the inspector's remark per item; `coaching` is for the agent.
    item_comments = models.JSONField(_("item comments"), default=dict, blank=True)
    coaching = models.TextField(_("coaching note"), blank=True)
    state = models.CharField(_("state"), max_length=12, choices=InspectionState.choices, default=InspectionState.DRAFT)
    level = models.CharField(_("level"), max_length=12, choices=InspectionLevel.choices, default=InspectionLevel.FIRST)
    entry = models.ForeignKey(
        "PlanEntry", verbose_name=_("drawn by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="inspections",
    )
    created_at = models.DateTimeField(_("created at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-created_at", "-id"]
        permissions = [("lead_qa", "QA lead: settle calibrations and appeals, re-check inspections")]
        constraints = [
            models.UniqueConstraint(fields=["item", "inspector", "level"], name="quality_one_inspection_per_level")
        ]
        indexes = [models.Index(fields=["inspector", "state"], name="quality_insp_queue")]

    def __str__(self) -> str:
        return f"{self.item} / {self.inspector}"


class SamplingPlan(models.Model):
    """抽检计划: what to draw (a team and/or channel, the random share per agent, targeted rules), how
    often (the clock draws at `next_draw_at`), which scorecard, and who inspects."""

    name = models.CharField(_("name"), max_length=100)
    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="plans")
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    period = models.CharField(_("period"), max_length=8, choices=PlanPeriod.choices, default=PlanPeriod.MONTHLY)
    random_share = models.DecimalField(_("random share"), max_digits=4, decimal_places=3, default=Decimal("0.2"))
    rules = models.JSONField(_("targeted rules"), default=list, blank=True)
    blind_share = models.DecimalField(_("double-blind share"), max_digits=4, decimal_places=3, default=Decimal("0.1"))
    blind_threshold = models.PositiveSmallIntegerField(_("calibration threshold (points)"), default=10)
    recheck_share = models.DecimalField(_("QA lead re-check share"), max_digits=4, decimal_places=3, default=Decimal("0.1"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), blank=True, related_name="+",
        help_text=_("Empty: every active QA inspector."),
    )
    seed = models.CharField(_("seed"), max_length=32, blank=True)
    # The "slow" rule draws contacts whose handling time is above this percentile (90: the slowest 10%).
    slow_percentile = models.PositiveSmallIntegerField(_("handling time percentile"), default=90)
    is_active = models.BooleanField(_("active"), default=True)
    next_draw_at = models.DateTimeField(_("next draw"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PlanDraw(models.Model):
    """One draw of a plan over a period, kept for audit: the same seed over the same contacts draws
    the same items again."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="draws")
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    seed = models.CharField(_("seed"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(_("drawn at"))
    count = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        ordering = ["-drawn_at", "-id"]


class PlanEntry(models.Model):
    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="entries")
    draw = models.ForeignKey(PlanDraw, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="entries")
    reason = models.CharField(_("reason"), max_length=12, choices=DrawReason.choices)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["plan", "item"], name="quality_drawn_once_per_plan")]


class Calibration(models.Model):
    """校准: the two double-blind inspections of an item differ by more than the plan's threshold (or
    one passes and one fails); a QA lead settles it with a newer inspection."""

    item = models.OneToOneField(InspectionItem, on_delete=models.CASCADE, related_name="calibration")
    first = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="+")
    difference = models.DecimalField(_("difference"), max_digits=5, decimal_places=1)
    state = models.CharField(_("state"), max_length=8, choices=CalibrationState.choices, default=CalibrationState.OPEN)
    result = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calibration")
        verbose_name_plural = _("calibrations")
        ordering = ["-created_at", "-id"]


class Appeal(models.Model):
    """申诉: the agent disputes the inspection that counts, within N business days; the team lead
    forwards or rejects it, the QA lead upholds (with corrected scores: a newer inspection) or rejects."""

    inspection = models.OneToOneField(Inspection, on_delete=models.CASCADE, related_name="appeal")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=8, choices=AppealState.choices, default=AppealState.LEAD)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead_note = models.TextField(_("team lead's note"), blank=True)
    lead_at = models.DateTimeField(null=True, blank=True)
    qa_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    qa_note = models.TextField(_("QA lead's note"), blank=True)
    qa_at = models.DateTimeField(null=True, blank=True)
    result = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]


class CoachingTask(models.Model):
    """辅导: a failed inspection (or a failed fatal item) gives the agent's team lead a coaching task."""

    item = models.OneToOneField(InspectionItem, on_delete=models.CASCADE, related_name="coaching_task")
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=8, choices=CoachingState.choices, default=CoachingState.OPEN)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("coaching task")
        verbose_name_plural = _("coaching tasks")
        ordering = ["due_at", "id"]


class QualityEvent(models.Model):
    """Every state change of quality inspection, for the item's history."""

    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="events")
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]


class QualityCase(models.Model):
    """案例库: a scored inspection kept as learning material (优秀案例 / 问题案例). `tags` is stored as
    ",tag,tag," so a tag filter is a plain LIKE on every database; read it through `tag_list`."""

    inspection = models.OneToOneField(Inspection, on_delete=models.CASCADE, related_name="case")
    title = models.CharField(_("title"), max_length=200)
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class ChatCapture(models.Model):
    """The clock's cursor over ended chats (kefu.chat has no end-of-chat fact): every few minutes the
    `quality_chat_capture` job captures the chats that ended since `captured_until` as inspection
    items (kefu.quality.chat_items), so they are pre-screened and sampling plans can draw them. One
    row, made by the migration (and again by `chat_capture_ensure` if it was deleted)."""

    name = models.CharField(max_length=32, unique=True, default="chats")
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    captured_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat capture")
        verbose_name_plural = _("chat captures")

    def __str__(self) -> str:
        return self.name
