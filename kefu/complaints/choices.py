from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    ALL = "all", _("All complaints")
    CATEGORY = "category", _("Category")
    TEAM = "team", _("Team")
    CHANNEL = "channel", _("Channel")
    REGION = "region", _("Region")


class Window(models.TextChoices):
    HOUR = "hour", _("Hourly")
    DAY = "day", _("Daily")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    HANDLING = "handling", _("Being handled")
    CLOSED = "closed", _("Closed")


OPEN_WARNING_STATUSES = (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED, WarningStatus.HANDLING)


class Duty(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    ASSIGN_OWNER = "assign_owner", _("Assign an owner")
    PUBLISH_NOTE = "publish_note", _("Publish a handling note")


class WarningEventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    UPGRADED = "upgraded", _("Level raised")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    OWNER = "owner", _("Owner assigned")
    NOTE = "note", _("Handling note")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")
    INCIDENT = "incident", _("Incident opened")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class IncidentEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    LINKED = "linked", _("Tickets linked")
    UNLINKED = "unlinked", _("Ticket unlinked")
    NOTIFIED = "notified", _("Customers notified")
    PLAN = "plan", _("Compensation plan")
    PLAN_OVERDUE = "plan_overdue", _("Compensation plan overdue")
    RESOLVED = "resolved", _("Resolved")


class CompensationKind(models.TextChoices):
    CREDIT = "credit", _("Bill credit")
    REFUND = "refund", _("Refund")
    GIFT = "gift", _("Gift")
    SERVICE = "service", _("Service")


class CompensationState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REFUSED = "refused", _("Refused")


class PostSource(models.TextChoices):
    WEIBO = "weibo", _("Weibo")
    WECHAT = "wechat", _("WeChat")
    FORUM = "forum", _("Forum")
    NEWS = "news", _("News")
    OTHER = "other", _("Other")


class JointTaskReason(models.TextChoices):
    """Why a complaint needs the supervisor and an expert together (重大客诉直达主管 + 专家)."""

    URGENT = "urgent", _("Urgent complaint")
    MAJOR = "major", _("Major complaint")
    VIP = "vip", _("VIP customer's complaint")


# The most pressing reason first: a VIP's major complaint is handled as major.
JOINT_TASK_REASON_RANK = {JointTaskReason.URGENT: 3, JointTaskReason.MAJOR: 2, JointTaskReason.VIP: 1}


class JointTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
