from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


class CareConfig(AppConfig):
    name = "kefu.care"
    label = "care"
    verbose_name = _("Customer care")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("care:home", _("Customer care"), key="care", visible=lambda u: getattr(u, "is_authenticated", False), order=47),
    ]

    def ready(self) -> None:
        from kefu.care import customer_page, reactions

        reactions.subscribe_all()
        customer_page.register_all()
