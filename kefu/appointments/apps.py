from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class AppointmentsConfig(AppConfig):
    name = "kefu.appointments"
    label = "appointments"
    verbose_name = _("Appointments")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem(
            "appointments:board",
            _("Appointments"),
            key="appointments",
            visible=lambda u: getattr(u, "is_authenticated", False),
            order=45,
        ),
    ]

    def ready(self) -> None:
        from kefu.appointments import customer_page, reactions

        reactions.subscribe_all()
        customer_page.register_all()
