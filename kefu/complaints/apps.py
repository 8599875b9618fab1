from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _reads(user: object) -> bool:
    from kefu.complaints.access import may_work

    return may_work(user)  # type: ignore[arg-type]


class ComplaintsConfig(AppConfig):
    name = "kefu.complaints"
    label = "complaints"
    verbose_name = _("Complaint management")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("complaints:board", _("Complaint warnings"), key="complaints", visible=_reads, order=45)
    ]

    def ready(self) -> None:
        from kefu.complaints import panels, reactions

        reactions.subscribe_all()
        panels.register_all()
