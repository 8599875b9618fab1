from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class SurveysConfig(AppConfig):
    name = "kefu.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem(
            "surveys:callbacks",
            _("Callbacks"),
            key="surveys",
            visible=lambda u: getattr(u, "is_authenticated", False),
            order=40,
        ),
    ]

    def ready(self) -> None:
        from kefu.surveys import panels, reactions

        reactions.subscribe_all()
        panels.register_all()
