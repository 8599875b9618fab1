"""Who may see the SLA board and edit SLA configuration."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden
from kefu.sla.errors import SlaErrorCode


def may_see_board(user: User) -> bool:
    """Team leads (their own team) and managers/admins (every team)."""
    return bool(user.is_authenticated and user.is_active and (user.is_supervising or user.role == Role.TEAM_LEAD))


def may_edit_config(user: User) -> bool:
    """Calendars and policies are center-wide: managers and administrators only."""
    return bool(user.is_authenticated and user.is_active and user.is_supervising)


def require_board(user: User) -> None:
    if not may_see_board(user):
        raise Forbidden(code=SlaErrorCode.BOARD_FORBIDDEN, message=_("Only team leads and managers see this board."))


def require_config(user: User) -> None:
    if not may_edit_config(user):
        raise Forbidden(code=SlaErrorCode.CONFIG_FORBIDDEN, message=_("Only managers may edit calendars and policies."))
