"""Who may configure channel accounts and work the "could not process" list: managers and admins.
Everyone on the staff sees the delivery state of replies on the tickets they may see."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.channels.errors import ChannelErrorCode
from kefu.core.errors import Forbidden


def may_manage(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_supervising)


def require_manage(user: User) -> None:
    if not may_manage(user):
        raise Forbidden(code=ChannelErrorCode.FORBIDDEN, message=_("Only managers may configure channels."))
