from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    NEW_YEAR = "new_year", _("New Year's Day")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    LANTERN = "lantern", _("Lantern Festival")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    NATIONAL_DAY = "national_day", _("National Day")


class CareChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")


class MessagePurpose(models.TextChoices):
    GREETING = "greeting", _("Greeting")
    POINTS_EXPIRY = "points_expiry", _("Points expiry reminder")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_ADDRESS = "no_address", _("No address on any channel")


class EarnKind(models.TextChoices):
    VISIT = "visit", _("Per visit")
    AMOUNT = "amount", _("Per amount spent")
    SURVEY = "survey", _("Per survey answered")


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    SPEND = "spend", _("Spent")
    EXPIRE = "expire", _("Expired")
