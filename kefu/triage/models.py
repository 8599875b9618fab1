"""AI triage (AI 预判分流): trained models, per-field policy, suggestions and agents' feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.triage.choices import DecidedBy, Field, Mode, State


class TriageModel(models.Model):
    """One trained model: its file under KEFU_DATA_DIR/triage, its held-out scores and those of the
    model that was active when it was trained (on the same held-out tickets). Exactly one is active."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    file_name = models.CharField(max_length=100)
    trained_at = models.DateTimeField(_("trained at"))
    n_train = models.PositiveIntegerField(_("training tickets"), default=0)
    n_test = models.PositiveIntegerField(_("held-out tickets"), default=0)
    score = models.FloatField(_("held-out score"), default=0.0)
    # The then-active model's score on the same held-out tickets (None: there was none).
    previous_score = models.FloatField(_("previous model's score"), null=True, blank=True)
    previous_version = models.PositiveIntegerField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)  # engine.evaluate() of this model
    previous_scores = models.JSONField(default=dict, blank=True)
    promoted = models.BooleanField(_("promoted"), default=False)
    is_active = models.BooleanField(_("active"), default=False)
    seconds = models.FloatField(_("training seconds"), default=0.0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="triage_one_active_model"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class TriagePolicy(models.Model):
    """What the center does with one field's prediction. Auto-apply is off until a manager turns it
    on, having seen the model's figures for that threshold."""

    field = models.CharField(_("field"), max_length=12, choices=Field.choices, unique=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.SUGGEST)
    threshold = models.FloatField(_("auto-apply threshold"), default=0.9)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("triage policy")
        verbose_name_plural = _("triage policies")
        ordering = ["field"]

    def __str__(self) -> str:
        return f"{self.field}: {self.mode}"


class TriageSchedule(models.Model):
    """The nightly training's due time (one row), run by `kefu clock`."""

    train_due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["train_due_at"], name="triage_train_due_idx")]


class TriageSuggestion(models.Model):
    """The model's prediction for one field of one ticket, and what became of it."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="triage_suggestions")
    field = models.CharField(_("field"), max_length=12, choices=Field.choices)
    value = models.CharField(_("predicted value"), max_length=64)  # category id, priority, yes/no, team id
    label = models.CharField(_("predicted"), max_length=200)
    confidence = models.FloatField(_("confidence"))
    reasons = models.JSONField(default=list, blank=True)  # the words that weighed most
    model_version = models.PositiveIntegerField()
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    decided_by = models.CharField(_("decided by"), max_length=8, choices=DecidedBy.choices, blank=True)
    rule_note = models.CharField(max_length=200, blank=True)  # which keyword rule won
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("triage suggestion")
        verbose_name_plural = _("triage suggestions")
        constraints = [models.UniqueConstraint(fields=["ticket", "field"], name="triage_one_suggestion_per_field")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.field}={self.value}"

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


class TriageFeedback(models.Model):
    """An agent accepted, dismissed or corrected a suggestion. The next training weighs these
    tickets more and uses the agent's value even before the ticket closes."""

    suggestion = models.ForeignKey(TriageSuggestion, on_delete=models.CASCADE, related_name="feedback")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=12, choices=Field.choices)
    suggested = models.CharField(max_length=64)
    final = models.CharField(max_length=64, blank=True)  # "" : dismissed without a value
    accepted = models.BooleanField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("triage feedback")
        verbose_name_plural = _("triage feedback")
        indexes = [models.Index(fields=["ticket", "field"], name="triage_feedback_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.field}: {self.suggested} → {self.final}"
