from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    REPAIR = "repair", _("Repair / after-sales")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Online chat")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    WALK_IN = "walk_in", _("Walk-in")
    API = "api", _("API")
    SMS = "sms", _("SMS")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


# Higher rank sorts first in queues.
PRIORITY_RANK = {Priority.URGENT: 4, Priority.HIGH: 3, Priority.NORMAL: 2, Priority.LOW: 1}


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.PENDING_CUSTOMER,
)


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE = "duplicate", _("Duplicate of")
    PARENT = "parent", _("Parent of")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    UNASSIGNED = "unassigned", _("Unassigned")
    TRANSFERRED = "transferred", _("Transferred")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    FIELDS_CHANGED = "fields_changed", _("Fields changed")
    REPLIED = "replied", _("Replied")
    NOTED = "noted", _("Internal note")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    LINKED = "linked", _("Linked")
    MERGED = "merged", _("Merged")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    REOPENED = "reopened", _("Reopened")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
