"""Who may see and work complaint management: warnings, incidents, compensation, public opinion,
root causes. Team leads and managers (and admins) work it; QA inspectors read it; agents see the
warning board read-only. Linked tickets are always filtered by ticket visibility."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.complaints.errors import ComplaintErrorCode
from kefu.core.errors import Forbidden


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def may_read(user: User) -> bool:
    """Every active staff member sees the warning board and the bulletin."""
    return _active(user)


def may_work(user: User) -> bool:
    """Acknowledge and handle warnings, run incidents, set root causes: team leads and up."""
    return _active(user) and (user.is_supervising or user.role == Role.TEAM_LEAD)


def may_configure(user: User) -> bool:
    return _active(user) and user.is_supervising


def require_read(user: User) -> None:
    if not may_read(user):
        raise Forbidden(code=ComplaintErrorCode.FORBIDDEN, message=_("Please log in."))


def require_work(user: User) -> None:
    if not may_work(user):
        raise Forbidden(
            code=ComplaintErrorCode.FORBIDDEN,
            message=_("Only team leads and managers handle complaint warnings and incidents."),
        )


def require_configure(user: User) -> None:
    if not may_configure(user):
        raise Forbidden(code=ComplaintErrorCode.FORBIDDEN, message=_("Only managers may change this."))


def approval_limit(user: User) -> Decimal | None:
    """The largest compensation `user` may approve (None: no limit; 0: may not approve)."""
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    limits: dict[str, object] = getattr(settings, "KEFU_COMPENSATION_LIMITS", {})
    value = limits.get(str(user.role), 0)
    return None if value is None else Decimal(str(value))
