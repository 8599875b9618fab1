from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class OperationsConfig(AppConfig):
    name = "kefu.operations"
    label = "operations"
    verbose_name = _("Center operations")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem(
            "operations:index",
            _("Emergency plans"),
            key="operations",
            visible=lambda u: getattr(u, "is_authenticated", False),
            order=46,
        ),
    ]

    def ready(self) -> None:
        from kefu.operations import reactions

        reactions.subscribe_all()
