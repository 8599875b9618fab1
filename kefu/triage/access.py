"""Who sees the triage figures and who changes the policy or trains a model."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.core.errors import Forbidden


def may_see_models(user: Any) -> bool:
    """Team leads, managers and administrators see the models' figures."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.role in (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN) or user.is_superuser)
    )


def may_manage(user: Any) -> bool:
    """Managers and administrators change the policy and train."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_supervising)


def require_manage(user: Any) -> None:
    if not may_manage(user):
        raise Forbidden(code="triage_forbidden", message=_("Only managers may change AI triage."))


def require_see_models(user: Any) -> None:
    if not may_see_models(user):
        raise Forbidden(code="triage_forbidden", message=_("Only team leads and managers see the AI triage models."))
