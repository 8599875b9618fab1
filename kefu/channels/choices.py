from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    """The kinds of channel account. Only email is built so far; WeChat, CTI and SMS plug in with
    their own adapter (kefu/channels/<kind>.py) over the same accounts, contacts and deliveries."""

    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    CTI = "cti", _("Phone (CTI)")
    SMS = "sms", _("SMS")


class ContactStatus(models.TextChoices):
    # WeChat: taken in by the callback (answered at once), processed by a task.
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Could not process")
    IGNORED = "ignored", _("Ignored (noise)")
    DISCARDED = "discarded", _("Discarded")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not delivered")
