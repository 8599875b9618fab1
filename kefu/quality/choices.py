from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    """How a scorecard item is scored."""

    SCORED = "scored", _("Scored 0..N")
    YES_NO = "yes_no", _("Yes / no")
    FATAL = "fatal", _("Fatal item")


class ContactKind(models.TextChoices):
    """What an inspection item is a copy of; chats and calls plug in with their own kind."""

    TICKET = "ticket", _("Ticket")
    CHAT = "chat", _("Chat")
    CALL = "call", _("Call")


class InspectionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Speaker(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    NOTE = "note", _("Internal note")
