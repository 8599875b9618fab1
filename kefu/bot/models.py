from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BotAnswer(models.Model):
    """Every bot reply, with what it was based on. `unresolved`: the visitor said "没解决" to it,
    which also counts against the article (not_helpful) for the knowledge review."""

    question = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind"), max_length=16)  # answer / choices / handover / smalltalk
    confidence = models.FloatField(_("confidence"), default=0.0)
    source_kind = models.CharField(max_length=8, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_title = models.CharField(max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    # The chat conversation it was given in (kefu.chat sits beside the bot, so no foreign key).
    conversation_ref = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    unresolved = models.BooleanField(_("not solved"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bot answer")
        verbose_name_plural = _("bot answers")
        indexes = [models.Index(fields=["unresolved", "-created_at"], name="bot_answer_unresolved")]

    def __str__(self) -> str:
        return f"{self.kind} {self.confidence:.2f} {self.question[:30]}"
