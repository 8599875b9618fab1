from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    QA = "qa", _("QA inspector")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class SkillKind(models.TextChoices):
    LANGUAGE = "language", _("Language")
    PRODUCT = "product", _("Product line")
    OTHER = "other", _("Other")


class TeamKind(models.TextChoices):
    FRONT = "front", _("Front line")
    BACK_OFFICE = "back_office", _("Back office")


class AssignmentMode(models.TextChoices):
    LOAD_BALANCED = "load_balanced", _("Load balanced")
    ROUND_ROBIN = "round_robin", _("Round robin")
    MANUAL = "manual", _("Manual (queue only)")
