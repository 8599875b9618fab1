from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _reads(user: object) -> bool:
    from kefu.performance.access import may_read

    return may_read(user)  # type: ignore[arg-type]


class PerformanceConfig(AppConfig):
    name = "kefu.performance"
    label = "performance"
    verbose_name = _("Performance management")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("performance:home", _("Performance"), key="performance", visible=_reads, order=60)]
