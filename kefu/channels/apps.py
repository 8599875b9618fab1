from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _manages(user: object) -> bool:
    from kefu.channels.access import may_manage

    return may_manage(user)  # type: ignore[arg-type]


class ChannelsConfig(AppConfig):
    name = "kefu.channels"
    label = "kefu_channels"  # "channels" is Django Channels' label
    verbose_name = _("Channels")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [NavItem("channels:accounts", _("Channels"), key="channels", visible=_manages, order=90)]

    def ready(self) -> None:
        from kefu.channels import panels, panels_cti, reactions, reactions_sms, wechat_reactions

        reactions.subscribe_all()
        wechat_reactions.subscribe_all()
        panels.register_all()
        reactions_sms.subscribe_all()  # phone and SMS (kefu/channels/cti.py, sms.py)
        panels_cti.register_all()
