from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class KnowledgeConfig(AppConfig):
    name = "kefu.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge")
    nav_items = [
        NavItem("knowledge:index", _("Knowledge"), key="knowledge", visible=lambda u: u.is_authenticated, order=40),
    ]

    def ready(self) -> None:
        from kefu.knowledge import panels

        panels.register_all()
