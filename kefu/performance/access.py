"""Who sees whose numbers: agents only themselves, team leads their team (and themselves), QA,
managers and admins everyone. Configuring and locking scorecards: managers and admins."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden
from kefu.performance.errors import PerformanceErrorCode as E
from kefu.performance.metrics import EVERYTHING, Scope


def may_read(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_lead(user: User) -> bool:
    return user.role == Role.TEAM_LEAD and user.team_id is not None


def scope_for(user: User) -> Scope:
    """The rows a user's numbers may include."""
    if not may_read(user):
        return Scope(agent_ids=frozenset(), team_ids=frozenset())
    if user.sees_all_tickets:
        return EVERYTHING
    if is_lead(user):
        assert user.team_id is not None
        return Scope(agent_ids=frozenset({user.pk}), team_ids=frozenset({user.team_id}))
    return Scope(agent_ids=frozenset({user.pk}), team_ids=frozenset())


def may_see_agent(user: User, agent: User) -> bool:
    if not may_read(user):
        return False
    if user.sees_all_tickets or agent.pk == user.pk:
        return True
    return is_lead(user) and agent.team_id == user.team_id


def may_see_team(user: User, team_id: int) -> bool:
    return may_read(user) and (user.sees_all_tickets or (is_lead(user) and user.team_id == team_id))


def may_manage(user: User) -> bool:
    return may_read(user) and user.is_supervising


def require_manage(user: User) -> None:
    if not may_manage(user):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only managers may configure or lock scorecards."))
