from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "kefu.bot"
    label = "bot"
    verbose_name = _("Chat bot")
    default_auto_field = "django.db.models.BigAutoField"
