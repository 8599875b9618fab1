from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    name = "kefu.realtime"
    label = "realtime"
    verbose_name = _("Realtime push")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kefu.realtime import panels, reactions, topics

        topics.register_builtin()
        reactions.subscribe_all()
        panels.register_all()
