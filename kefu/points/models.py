"""Service value points (服务价值积分): the ledger, hand awards waiting for approval, the redemption
catalogue and redemptions, improvement suggestions (合理化建议) and the monthly 服务之星.

The ledger is append-only: a row is never edited or deleted; a reversal is a new row pointing at the
one it reverses. An agent's balance is the sum of their rows. `source` names what a rule award came
from ("ticket:12:praise", "survey:7:praise", "suggestion:3") and is unique, so the same fact never
pays twice, whatever retries or races happen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.points.choices import EntryKind, ItemKind, RequestStatus, SuggestionStatus


class PointsSettings(models.Model):
    """The one row of points rules (pk 1), edited by managers on the catalogue page."""

    latent_need_points = models.PositiveSmallIntegerField(_("points for a latent need uncovered"), default=3)
    praise_points = models.PositiveSmallIntegerField(_("points for written praise"), default=5)
    suggestion_points = models.PositiveSmallIntegerField(_("points for an adopted suggestion"), default=10)
    approval_threshold = models.PositiveSmallIntegerField(
        _("hand awards above this need approval"), default=10,
        help_text=_("An award by hand of more points than this waits for a team lead's or manager's approval."),
    )
    latent_need_tag = models.CharField(_("ticket tag for a latent need"), max_length=32, default="挖掘潜在需求")
    praise_tag = models.CharField(_("ticket tag for praise"), max_length=32, default="表扬")
    star_weight_points = models.PositiveSmallIntegerField(_("service star weight: points"), default=40)
    star_weight_csat = models.PositiveSmallIntegerField(_("service star weight: CSAT"), default=30)
    star_weight_qa = models.PositiveSmallIntegerField(_("service star weight: QA pass rate"), default=30)

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")

    def __str__(self) -> str:
        return str(_("points settings"))


class PointsAccount(models.Model):
    """One row per agent, written on first use: the lock that serialises one agent's balance changes
    (redeem, approve), so concurrent redemptions cannot overdraw."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="points_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class PointsEntry(models.Model):
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_entries")
    points = models.IntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    reason = models.CharField(_("reason"), max_length=200)
    source = models.CharField(max_length=64, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    survey = models.ForeignKey("surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggestion = models.ForeignKey(
        "points.Suggestion", verbose_name=_("suggestion"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redemption = models.ForeignKey(
        "points.Redemption", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "created_at"], name="points_entry_agent_idx")]
        constraints = [
            models.UniqueConstraint(fields=["source"], condition=~Q(source=""), name="points_entry_source_once"),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.points:+d} {self.kind}"


class AwardRequest(models.Model):
    """A hand award above the approval threshold, waiting for a lead (not the one who asked)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "agent"], name="points_award_status_idx")]


class CatalogueItem(models.Model):
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    cost = models.PositiveIntegerField(_("cost (points)"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    leave_hours = models.PositiveSmallIntegerField(_("time off (hours)"), null=True, blank=True)
    is_active = models.BooleanField(_("on offer"), default=True)

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=1), name="points_item_cost_min"),
            models.CheckConstraint(
                condition=~Q(kind=ItemKind.TIME_OFF) | Q(leave_hours__gte=1), name="points_item_time_off_hours"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """An agent spends points on a catalogue item. Pending ones reserve their cost (an agent cannot
    ask for more than the balance minus what is pending); approval writes the negative ledger row,
    and for time off an approved leave request in workforce."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_redemptions")
    item = models.ForeignKey(CatalogueItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="redemptions")
    cost = models.PositiveIntegerField(_("cost (points)"))
    leave_start = models.DateTimeField(_("time off from"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    leave = models.ForeignKey("workforce.LeaveRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["agent", "status"], name="points_redemption_agent_idx")]


class Suggestion(models.Model):
    """合理化建议: a process improvement proposed by staff; adopting it pays its author."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_suggestions")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("suggestion"), max_length=4000)
    status = models.CharField(_("status"), max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.SUBMITTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("improvement suggestion")
        verbose_name_plural = _("improvement suggestions")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ServiceStar(models.Model):
    """The announced 服务之星 of one month, with the ranking it was chosen from (frozen)."""

    month = models.DateField(_("month"), unique=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    ranking = models.JSONField(default=list)
    weights = models.JSONField(default=dict)
    citation = models.CharField(_("citation"), max_length=300, blank=True)
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    announced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("service star")
        verbose_name_plural = _("service stars")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent_id}"
