from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _inspects(user) -> bool:  # noqa: ANN001
    return getattr(user, "is_authenticated", False) and (user.role == "qa" or user.is_supervising)


class QualityConfig(AppConfig):
    name = "kefu.quality"
    label = "quality"
    verbose_name = _("Quality inspection")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("quality:queue", _("QA workbench"), key="quality", visible=_inspects, order=60),
        NavItem(
            "quality:mine", _("My QA results"), key="quality_mine",
            visible=lambda u: getattr(u, "is_authenticated", False) and not _inspects(u), order=61,
        ),
    ]

    def ready(self) -> None:
        from kefu.quality import reactions

        reactions.subscribe_all()
