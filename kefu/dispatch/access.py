"""Who may see the dispatch board and explanations, and who may change rules and modes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.core.errors import Forbidden, NotFound


def may_lead(user: Any) -> bool:
    """Team leads, managers and administrators see the board."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.role in (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN) or user.is_superuser)
    )


def may_configure(user: Any) -> bool:
    """Managers and administrators edit rules and assignment modes."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_supervising)


def require_configure(user: User) -> None:
    if not may_configure(user):
        raise Forbidden(code="dispatch_forbidden", message=_("Only managers may change dispatch rules."))


def boards_of(user: User) -> list[Team]:
    """The teams whose board `user` may see: a team lead their own, managers every active team."""
    if not may_lead(user):
        return []
    if user.is_supervising:
        return list(Team.objects.filter(is_active=True).order_by("id"))
    if user.team_id is None:
        return []
    return list(Team.objects.filter(pk=user.team_id, is_active=True))


def access_board(*, user: User, team_id: int | None) -> Team:
    """The team board `user` asked for (their first one without an id). 404 when not theirs."""
    teams = boards_of(user)
    if not teams:
        raise NotFound(code="dispatch_board_not_found", message=_("No team board for you."))
    if team_id is None:
        if user.team_id:
            for team in teams:
                if team.pk == user.team_id:
                    return team
        return teams[0]
    for team in teams:
        if team.pk == team_id:
            return team
    raise NotFound(code="dispatch_board_not_found", message=_("No team board for you."))
