from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Field(models.TextChoices):
    CATEGORY = "category", _("Category")
    PRIORITY = "priority", _("Priority")
    COMPLAINT = "complaint", _("Complaint")
    TEAM = "team", _("Team")


class Mode(models.TextChoices):
    AUTO = "auto", _("Apply automatically above the threshold")
    SUGGEST = "suggest", _("Suggest to the agent")
    IGNORE = "ignore", _("Ignore")


class State(models.TextChoices):
    PENDING = "pending", _("Suggested")
    SAME = "same", _("Agrees with the ticket")
    APPLIED = "applied", _("Applied automatically")
    RULE = "rule", _("A keyword rule decided")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
    CORRECTED = "corrected", _("Corrected by an agent")


class DecidedBy(models.TextChoices):
    MODEL = "model", _("AI model")
    RULE = "rule", _("Keyword rule")
    AGENT = "agent", _("Agent")


COMPLAINT_YES = "yes"
COMPLAINT_NO = "no"
