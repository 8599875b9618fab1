"""Upstream actions (上游整改) on a root cause: what is changed, by whom, by when; and whether the
complaint rate of the cause's category / region dropped after it (4 weeks before against 4 weeks
after the action was done).

The complaint rate is complaints ÷ all tickets (投诉率 = 投诉量 / 服务量) of the category subtree and
the customers' region in the window; a window without tickets has no rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.complaints.access import may_work, require_work
from kefu.complaints.choices import ActionStatus
from kefu.complaints.errors import ComplaintErrorCode as E
from kefu.complaints.models import Complaint, RootCause, UpstreamAction
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.tickets.models import Category, Ticket

WINDOW = timedelta(weeks=4)


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(code=E.ACTION_INVALID, message=message, fields={field: [message]})


def upstream_action_create(
    *,
    actor: User,
    cause_id: int,
    title: str,
    owner: User | None,
    due_date: date | None,
    category_id: int | None = None,
    region: str = "",
) -> UpstreamAction:
    """Record an upstream action on a root cause (team leads and managers)."""
    require_work(actor)
    title = (title or "").strip()
    if not title:
        raise _invalid("title", _("Say what is changed upstream."))
    cause = RootCause.objects.filter(pk=cause_id, is_active=True).first()
    if cause is None:
        raise _invalid("cause", _("Choose a root cause."))
    if owner is None or not owner.is_active:
        raise _invalid("owner", _("Choose the action's owner."))
    if due_date is None:
        raise _invalid("due_date", _("Give a due date."))
    if category_id is not None and not Category.objects.filter(pk=category_id).exists():
        raise _invalid("category", _("Unknown category."))
    return UpstreamAction.objects.create(
        cause=cause,
        category_id=category_id,
        region=(region or "").strip()[:32],
        title=title[:300],
        owner=owner,
        due_date=due_date,
        created_by=actor,
        created_at=timezone.now(),
    )


def upstream_action_done(
    *, actor: User, action_id: int, result: str = "", now: datetime | None = None
) -> UpstreamAction:
    """Mark the action done (the change is in place): the after-window starts here. Locks the row;
    a done action refuses a second time (409)."""
    require_work(actor)
    with transaction.atomic():
        action = UpstreamAction.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise NotFound(code=E.NOT_FOUND, message=_("Upstream action not found."))
        if action.status == ActionStatus.DONE:
            raise Conflict(code=E.ACTION_DONE, message=_("This upstream action is already done."))
        action.status, action.done_at, action.result = (
            ActionStatus.DONE,
            now or timezone.now(),
            (result or "").strip(),
        )
        action.save(update_fields=["status", "done_at", "result"])
    return action


@dataclass(frozen=True)
class WindowRate:
    start: datetime
    end: datetime
    complaints: int
    tickets: int
    complete: bool  # the window is over (an after-window still running is partial)

    @property
    def rate(self) -> float | None:
        return self.complaints / self.tickets if self.tickets else None


@dataclass(frozen=True)
class ActionEffect:
    action: UpstreamAction
    before: WindowRate
    after: WindowRate | None  # None until the action is done

    @property
    def change(self) -> float | None:
        """Relative change of the rate (−0.25: a quarter fewer complaints per ticket)."""
        if self.after is None or self.before.rate is None or self.after.rate is None or not self.before.rate:
            return None
        return self.after.rate / self.before.rate - 1


def _scope(action: UpstreamAction, prefix: str, region_field: str) -> Q:
    q = Q()
    if action.category_id:
        q &= Q(**{f"{prefix}category__path__contains": f"/{action.category_id}/"})
    if action.region:
        q &= Q(**{region_field: action.region})
    return q


def _window(action: UpstreamAction, start: datetime, end: datetime, now: datetime) -> WindowRate:
    stop = min(end, now)
    complaints = Complaint.objects.filter(
        _scope(action, "", "region"), created_at__gte=start, created_at__lt=stop
    ).count()
    tickets = Ticket.objects.filter(
        _scope(action, "", "customer__region"), created_at__gte=start, created_at__lt=stop
    ).count()
    return WindowRate(start=start, end=end, complaints=complaints, tickets=tickets, complete=end <= now)


def action_effect(action: UpstreamAction, *, now: datetime | None = None) -> ActionEffect:
    """The rate in the 4 weeks before the action was done (before it is done: the last 4 weeks) and
    in the 4 weeks after."""
    now = now or timezone.now()
    pivot = action.done_at or now
    before = _window(action, pivot - WINDOW, pivot, now)
    after = _window(action, pivot, pivot + WINDOW, now) if action.done_at else None
    return ActionEffect(action=action, before=before, after=after)


def upstream_actions(*, user: User, now: datetime | None = None, limit: int = 100) -> list[ActionEffect]:
    """Every upstream action with its before/after rate (team leads and managers; four counts each)."""
    if not may_work(user):
        return []
    rows = UpstreamAction.objects.select_related("cause", "category", "owner")[:limit]
    return [action_effect(a, now=now) for a in rows]


def upstream_action_detail(*, user: User, action_id: int, now: datetime | None = None) -> ActionEffect:
    """One upstream action with its before/after rate (team leads and managers; 403 for others,
    404 for an unknown id)."""
    require_work(user)
    action = UpstreamAction.objects.select_related("cause", "category", "owner").filter(pk=action_id).first()
    if action is None:
        raise NotFound(code=E.NOT_FOUND, message=_("Upstream action not found."))
    return action_effect(action, now=now)
