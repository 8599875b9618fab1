"""Scorecards (versioned; a published version is frozen), inspection items (one contact's text turns,
whatever channel it came from) and inspections (one inspector's scores on one version)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.quality.choices import ContactKind, InspectionState, ItemKind


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
    state = models.CharField(_("state"), max_length=12, choices=InspectionState.choices, default=InspectionState.DRAFT)
    created_at = models.DateTimeField(_("created at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["item", "inspector"], name="quality_one_inspection_per_inspector")]

    def __str__(self) -> str:
        return f"{self.item} / {self.inspector}"
