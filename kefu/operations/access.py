"""Who may do what in center operations.

Every active staff member reads the emergency plans and the incidents (the front line must know a
plan is running). Team leads, managers and admins activate plans and run incidents; managers and
admins write plans. Whoever is in an incident's chain acknowledges their notice and ticks steps.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden, NotFound
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import EmergencyPlan, Incident


def is_staff_member(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_lead(user: User) -> bool:
    return is_staff_member(user) and (user.is_supervising or user.role == Role.TEAM_LEAD)


def may_manage(user: User) -> bool:
    return is_staff_member(user) and user.is_supervising


def require_staff(user: User) -> None:
    if not is_staff_member(user):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only staff may do this."))


def require_lead(user: User) -> None:
    if not may_lead(user):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only team leads and managers may do this."))


def require_manager(user: User) -> None:
    if not may_manage(user):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only managers may do this."))


def plans_visible_to(user: User) -> QuerySet[EmergencyPlan]:
    return EmergencyPlan.objects.all() if is_staff_member(user) else EmergencyPlan.objects.none()


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    return Incident.objects.all() if is_staff_member(user) else Incident.objects.none()


def access_plan(*, user: User, plan_id: int) -> EmergencyPlan:
    found = plans_visible_to(user).filter(pk=plan_id).first()
    if found is None:
        raise NotFound(code=E.PLAN_NOT_FOUND, message=_("Emergency plan not found."))
    return found


def access_incident(*, user: User, incident_id: int, for_update: bool = False) -> Incident:
    qs = incidents_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=incident_id).first()
    if found is None:
        raise NotFound(code=E.INCIDENT_NOT_FOUND, message=_("Incident not found."))
    return found


def in_chain(user: User, incident: Incident) -> bool:
    return incident.notices.filter(user=user).exists()


def require_incident_worker(user: User, incident: Incident) -> None:
    """Leads and managers, or someone in the incident's chain."""
    if not (may_lead(user) or in_chain(user, incident)):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only the people in this incident's chain may do this."))
