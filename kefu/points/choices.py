from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    LATENT_NEED = "latent_need", _("Latent need uncovered")
    PRAISE = "praise", _("Written praise")
    SUGGESTION = "suggestion", _("Adopted suggestion")
    MANUAL = "manual", _("Award by hand")
    REDEMPTION = "redemption", _("Redemption")
    REVERSAL = "reversal", _("Reversal")


# Kinds a rule awards (one award per source, see PointsEntry.source).
RULE_KINDS = (EntryKind.LATENT_NEED, EntryKind.PRAISE, EntryKind.SUGGESTION)


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ItemKind(models.TextChoices):
    TRAINING = "training", _("Training")
    TIME_OFF = "time_off", _("Time off (调休)")
    GIFT = "gift", _("Gift")


class SuggestionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    REVIEWING = "reviewing", _("Under review")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Rejected")


OPEN_SUGGESTION_STATUSES = (SuggestionStatus.SUBMITTED, SuggestionStatus.REVIEWING)
