from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class ChatConfig(AppConfig):
    name = "kefu.chat"
    label = "chat"
    verbose_name = _("Live chat")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("chat:console", _("Live chat"), key="chat",
                visible=lambda u: getattr(u, "is_authenticated", False), order=15),
    ]

    def ready(self) -> None:
        from kefu.accounts.reactions import on_presence_change
        from kefu.chat import selectors, services
        from kefu.realtime.topics import register_topic

        on_presence_change("chat.offers", services.on_presence)

        register_topic("conv", selectors.may_watch_conversation)
        register_topic("chatqueue", lambda user, key: key == "all" and user.is_active)
