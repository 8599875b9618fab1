"""Who sees and does what in quality inspection.

QA inspectors (Role.QA) inspect what they are given (and contacts nobody inspects yet), never a
contact of their own, and see another inspector's scores on an item only once their own is in (so
a double-blind pair cannot copy). QA leads (the `quality.lead_qa` permission) and managers/admins
see everything, settle calibrations and appeals; managers spot-check. A team lead sees the
submitted results of their team (and their own); an agent sees only their own submitted results.
Invisible rows answer 404."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden
from kefu.quality.choices import InspectionState
from kefu.quality.errors import QualityErrorCode
from kefu.quality.models import Inspection


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_manager(user: User) -> bool:
    return _active(user) and user.is_supervising


def is_qa_lead(user: User) -> bool:
    return _active(user) and (user.is_supervising or user.has_perm("quality.lead_qa"))


def may_inspect(user: User) -> bool:
    return _active(user) and (user.role == Role.QA or is_qa_lead(user))


def require_inspector(user: User) -> None:
    if not may_inspect(user):
        raise Forbidden(code=QualityErrorCode.FORBIDDEN, message=_("Only QA inspectors and managers may do this."))


def require_qa_lead(user: User) -> None:
    if not is_qa_lead(user):
        raise Forbidden(code=QualityErrorCode.FORBIDDEN, message=_("Only QA leads and managers may do this."))


def require_manager(user: User) -> None:
    if not is_manager(user):
        raise Forbidden(code=QualityErrorCode.FORBIDDEN, message=_("Only managers may do this."))


def sees_all_results(user: User) -> bool:
    return is_qa_lead(user)


def visible_inspections_q(user: User) -> Q:
    """A filter on Inspection."""
    if not _active(user):
        return Q(pk__in=[])
    if is_qa_lead(user):
        return Q()
    submitted = Q(state=InspectionState.SUBMITTED)
    if may_inspect(user):
        open_own = Inspection.objects.filter(item=OuterRef("item"), inspector_id=user.pk, state=InspectionState.DRAFT)
        return Q(inspector_id=user.pk) | (submitted & ~Q(Exists(open_own)))
    q = Q(item__agent_id=user.pk)
    if user.role == Role.TEAM_LEAD and user.team_id:
        q |= Q(item__team_id=user.team_id)
    return q & submitted


def leads_team(user: User, team_id: int | None) -> bool:
    """The team lead of the team (or a manager): decides the first step of an appeal, coaches."""
    if is_manager(user):
        return True
    return _active(user) and user.role == Role.TEAM_LEAD and team_id is not None and user.team_id == team_id
