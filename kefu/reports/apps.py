from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _supervising(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_supervising", False))


class ReportsConfig(AppConfig):
    name = "kefu.reports"
    label = "reports"
    verbose_name = _("Report packs")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("reports:home", _("Report packs"), key="reports", visible=_supervising, order=65)]
