from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _plans(user: object) -> bool:
    from kefu.workforce.access import may_plan

    return may_plan(user)


class WorkforceConfig(AppConfig):
    name = "kefu.workforce"
    label = "workforce"
    verbose_name = _("Workforce")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("workforce:index", _("Schedules"), key="workforce", visible=_plans, order=60),
        NavItem(
            "workforce:my_schedule", _("My schedule"), key="workforce_me", visible=lambda u: True, order=61
        ),
    ]
