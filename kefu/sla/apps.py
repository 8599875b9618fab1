from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _sees_board(user: object) -> bool:
    from kefu.sla.access import may_see_board

    return may_see_board(user)  # type: ignore[arg-type]


class SlaConfig(AppConfig):
    name = "kefu.sla"
    label = "sla"
    verbose_name = _("Time limits (SLA)")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("sla:at_risk", _("At risk"), key="sla", visible=_sees_board, order=40)]

    def ready(self) -> None:
        from kefu.sla import panels, reactions

        reactions.subscribe_all()
        panels.register_all()
