"""Who may define and read packs: managers and admins (every pack); a team lead the packs of their own
team (define, preview, download, send). Agents: none (their own numbers are on the KPI pages)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Forbidden
from kefu.performance.access import is_lead
from kefu.reports.errors import ReportErrorCode as E


def may_use(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_supervising or is_lead(user)))


def packs_q(user: User) -> Q:
    if not may_use(user):
        return Q(pk__in=[])
    if user.is_supervising:
        return Q()
    return Q(team_id=user.team_id)


def require_define(user: User, team_id: int | None) -> None:
    if not may_use(user) or (not user.is_supervising and team_id != user.team_id):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only managers, or a team lead for their own team, may define report packs."))
