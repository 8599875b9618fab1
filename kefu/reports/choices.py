from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    DAY = "day", _("Daily")
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", _("Annual")


class Section(models.TextChoices):
    """The parts of a pack, in the order they are rendered (one Excel sheet each)."""

    INDICATORS = "indicators", _("Indicators")
    TREND = "trend", _("Trends")
    TEAMS = "teams", _("Teams")
    AGENTS = "agents", _("Agents")
    COMPLAINTS = "complaints", _("Top complaint categories")
    SLA = "sla", _("SLA breaches")
    QUALITY = "quality", _("Quality inspection")
    SATISFACTION = "satisfaction", _("Satisfaction")
    WORKFORCE = "workforce", _("Workforce")
    POINTS = "points", _("Points and service star")
    COMPLAINT_BULLETIN = "complaint_bulletin", _("Complaint bulletin")


class RobotKind(models.TextChoices):
    NONE = "", _("None")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class RunStatus(models.TextChoices):
    BUILT = "built", _("Built")
    SENT = "sent", _("Sent")
    PARTLY = "partly", _("Partly sent")
    FAILED = "failed", _("Sending failed")
