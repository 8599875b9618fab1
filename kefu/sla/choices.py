from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SlaTarget(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch")
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaStateChoice(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (closed)")
    WORKDAY = "workday", _("Make-up working day (调休)")
    # A manual row that cancels a seeded holiday or make-up day: the weekday's normal hours apply.
    NORMAL = "normal", _("Ordinary day (overrides the seeded calendar)")


class DaySource(models.TextChoices):
    PACKAGE = "package", _("Seeded from chinese-calendar")
    MANUAL = "manual", _("Entered by hand")


class SlaEventKind(models.TextChoices):
    WARNING = "warning", _("SLA warning")
    BREACH = "breach", _("SLA breached")
    ESCALATION = "escalation", _("SLA escalated")


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
