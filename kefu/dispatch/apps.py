from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _sees_board(user: object) -> bool:
    from kefu.dispatch.access import may_lead

    return may_lead(user)


class DispatchConfig(AppConfig):
    name = "kefu.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("dispatch:index", _("Dispatch board"), key="dispatch", visible=_sees_board, order=50)]

    def ready(self) -> None:
        from kefu.dispatch import panels, reactions

        reactions.subscribe_all()
        panels.register_all()
