"""Who sees and does what in quality inspection.

QA inspectors (Role.QA), managers and admins inspect and see everything; an inspector never
inspects a contact of their own. A team lead sees the submitted results of their team (and their
own); an agent sees only their own submitted results. Invisible rows answer 404."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden
from kefu.quality.choices import InspectionState
from kefu.quality.errors import QualityErrorCode


def may_inspect(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.role == Role.QA or user.is_supervising))


def require_inspector(user: User) -> None:
    if not may_inspect(user):
        raise Forbidden(code=QualityErrorCode.FORBIDDEN, message=_("Only QA inspectors and managers may do this."))


def sees_all_results(user: User) -> bool:
    return may_inspect(user)


def visible_inspections_q(user: User) -> Q:
    """A filter on Inspection."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_all_results(user):
        return Q()
    q = Q(item__agent_id=user.pk)
    if user.role == Role.TEAM_LEAD and user.team_id:
        q |= Q(item__team_id=user.team_id)
    return q & Q(state=InspectionState.SUBMITTED)
