from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem


def _staff(user) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False))


def _decides(user) -> bool:  # noqa: ANN001
    return _staff(user) and (user.is_supervising or (user.role == "team_lead" and user.team_id is not None))


class PointsConfig(AppConfig):
    name = "kefu.points"
    label = "points"
    verbose_name = _("Service value points")
    default_auto_field = "django.db.models.BigAutoField"
    nav_items = [
        NavItem("points:mine", _("My points"), key="points", visible=_staff, order=70),
        NavItem("points:approvals", _("Points approvals"), key="points_approvals", visible=_decides, order=71),
        NavItem("points:star", _("Service star"), key="points_star", visible=_staff, order=72),
    ]

    def ready(self) -> None:
        from kefu.points import reactions

        reactions.subscribe_all()
