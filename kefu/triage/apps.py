from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _sees_models(user: object) -> bool:
    from kefu.triage.access import may_see_models

    return may_see_models(user)


class TriageConfig(AppConfig):
    name = "kefu.triage"
    label = "triage"
    verbose_name = _("AI triage")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("triage:index", _("AI triage"), key="triage", visible=_sees_models, order=55)]

    def ready(self) -> None:
        from kefu.triage import panels, reactions

        reactions.subscribe_all()
        panels.register_all()
