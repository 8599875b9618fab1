"""Who may do what in workforce planning: the only place that answers it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.core.errors import Forbidden, NotFound
from kefu.workforce.errors import WorkforceErrorCode
from kefu.workforce.models import Queue, Schedule

# Half a day: a team lead may approve leave up to this long; longer leave needs the center manager.
HALF_DAY_HOURS = 4.0


def may_plan(user: Any) -> bool:
    """Managers and administrators plan (forecasts, schedules, publishing); team leads may look."""
    return bool(getattr(user, "is_authenticated", False)) and (
        getattr(user, "is_supervising", False) or getattr(user, "role", None) == Role.TEAM_LEAD
    )


def may_edit_plans(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_supervising", False))


def require_planner(user: Any, *, write: bool = False) -> None:
    if not (may_edit_plans(user) if write else may_plan(user)):
        raise Forbidden(
            code=WorkforceErrorCode.FORBIDDEN, message=_("Only the center manager may change plans.")
        )


def access_queue(*, user: Any, queue_id: int, write: bool = False) -> Queue:
    require_planner(user, write=write)
    queue = Queue.objects.filter(pk=queue_id).select_related("team", "skill").first()
    if queue is None:
        raise NotFound(code=WorkforceErrorCode.NOT_FOUND, message=_("No such queue."))
    return queue


def access_schedule(
    *, user: Any, schedule_id: int, write: bool = False, for_update: bool = False
) -> Schedule:
    require_planner(user, write=write)
    qs = Schedule.objects.select_related("queue", "forecast")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    schedule = qs.filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound(code=WorkforceErrorCode.NOT_FOUND, message=_("No such schedule."))
    return schedule


def may_decide_leave(user: Any, *, agent: Any, hours: float) -> bool:
    """Up to half a day: the agent's own team lead (or a manager); longer: the center manager only."""
    if not getattr(user, "is_authenticated", False) or user.pk == agent.pk:
        return False
    if user.is_supervising:
        return True
    return (
        hours <= HALF_DAY_HOURS + 1e-9
        and user.role == Role.TEAM_LEAD
        and user.team_id is not None
        and user.team_id == agent.team_id
    )
