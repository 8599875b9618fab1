from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    BOT = "bot", _("With the bot")
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", _("With an agent")
    ENDED = "ended", _("Ended")


class Sender(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    BOT = "bot", _("Bot")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


OPEN_STATUSES = (ConversationStatus.BOT, ConversationStatus.WAITING, ConversationStatus.ACTIVE)


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Not answered in time")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OfferReason(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("VIP customer's account manager")
    LEAST_BUSY = "least_busy", _("Least busy agent online")
