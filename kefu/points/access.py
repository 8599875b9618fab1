"""Who may see and touch whose points. Agents (and QA) see only themselves, team leads their team,
managers and admins everyone. Deciding (hand awards, approvals, suggestions, marking praise) is for
the agent's team lead or a manager, never on one's own behalf."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden, NotFound
from kefu.points.errors import PointsErrorCode


def _staff(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_lead(user: User) -> bool:
    return _staff(user) and user.role == Role.TEAM_LEAD and user.team_id is not None


def is_decider(user: User) -> bool:
    """Team leads and managers: the approvals page, hand awards, suggestion reviews."""
    return _staff(user) and (user.is_supervising or is_lead(user))


def may_manage_catalogue(user: User) -> bool:
    return _staff(user) and user.is_supervising


def agents_visible_q(user: User, field: str = "") -> Q:
    """Q over a User (field "") or over rows whose `field` is a user id / user FK."""
    prefix = f"{field}__" if field else ""
    if not _staff(user):
        return Q(pk__in=[])
    if user.is_supervising:
        return Q()
    if is_lead(user):
        return Q(**{f"{prefix}team_id": user.team_id}) | Q(**{f"{prefix}pk": user.pk})
    return Q(**{f"{prefix}pk": user.pk})


def agents_visible_to(user: User) -> QuerySet[User]:
    return User.objects.filter(agents_visible_q(user), is_active=True)


def access_agent(*, user: User, agent_id: int) -> User:
    found = User.objects.filter(agents_visible_q(user)).filter(pk=agent_id).first()
    if found is None:
        raise NotFound(code=PointsErrorCode.AGENT_NOT_FOUND, message=_("No such agent."))
    return found


def may_decide_for(actor: User, agent: User) -> bool:
    if not _staff(actor) or actor.pk == agent.pk:
        return False
    if actor.is_supervising:
        return True
    return is_lead(actor) and actor.team_id == agent.team_id


def require_decider_for(actor: User, agent: User) -> None:
    if actor.pk == agent.pk and is_decider(actor):
        raise Forbidden(
            code=PointsErrorCode.OWN_REQUEST, message=_("Your own points are decided by someone else.")
        )
    if not may_decide_for(actor, agent):
        raise Forbidden(code=PointsErrorCode.FORBIDDEN, message=_("You may not decide points for this agent."))


def require_staff(user: User) -> None:
    if not _staff(user):
        raise Forbidden(code=PointsErrorCode.FORBIDDEN, message=_("Only staff may do this."))
