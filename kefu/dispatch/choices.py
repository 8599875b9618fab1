from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    """Complaint grade (投诉分级)."""

    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")
    URGENT = "urgent", _("Urgent")


SEVERITY_RANK = {"": 0, Severity.GENERAL: 1, Severity.MAJOR: 2, Severity.URGENT: 3}
# 重大 and 紧急 go straight to the supervisor and an expert.
ALARMING_SEVERITIES = frozenset({Severity.MAJOR, Severity.URGENT})


class SuggestionState(models.TextChoices):
    NONE = "", _("No suggestion")
    PENDING = "pending", _("Suggested")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class Trigger(models.TextChoices):
    CREATE = "create", _("New ticket")
    QUEUE = "queue", _("Team queue drained")
    PRESENCE = "presence", _("Presence changed")
    TRANSFER = "transfer", _("Transferred")
    RETURN = "return", _("Returned to the queue")


class Outcome(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    QUEUED = "queued", _("Waiting in the team queue")
    KEPT = "kept", _("Kept as it was")
    RETURNED = "returned", _("Returned to the team queue")


class PassReason(models.TextChoices):
    """Why a candidate was passed over (or chosen)."""

    CHOSEN = "chosen", _("Chosen")
    OFFLINE = "offline", _("Not online")
    AT_CAPACITY = "at_capacity", _("At capacity")
    MISSING_SKILL = "missing_skill", _("Missing skill")
    HIGHER_LOAD = "higher_load", _("Higher load")
    LESS_IDLE = "less_idle", _("Same load, idle for less time")
    NOT_NEXT = "not_next", _("Not next in turn")
    MANUAL = "manual", _("Manual team: nobody is chosen automatically")
