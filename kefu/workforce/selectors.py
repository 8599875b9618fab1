"""Reads for the workforce pages and API; visibility built in (planners see plans, agents their own shifts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import DomainError, NotFound
from kefu.workforce import planning
from kefu.workforce.access import access_queue, access_schedule, require_planner
from kefu.workforce.choices import LeaveStatus, ScheduleStatus
from kefu.workforce.engine.intraday import StandbyAgent, propose_standby, reforecast
from kefu.workforce.errors import WorkforceErrorCode
from kefu.workforce.models import Forecast, LeaveRequest, Queue, Schedule, Shift


def queue_list(*, user: User) -> QuerySet[Queue]:
    require_planner(user)
    return Queue.objects.select_related("team", "skill").order_by("name")


def require_editor(*, user: User) -> None:
    require_planner(user, write=True)


def queue_get(*, user: User, queue_id: int) -> Queue:
    return access_queue(user=user, queue_id=queue_id)


def forecast_list(*, user: User, queue_id: int | None = None) -> QuerySet[Forecast]:
    require_planner(user)
    qs = Forecast.objects.select_related("queue").defer("calls", "aht", "agents", "heads")
    return qs.filter(queue_id=queue_id) if queue_id else qs


def forecast_get(*, user: User, forecast_id: int) -> Forecast:
    require_planner(user)
    fc = Forecast.objects.select_related("queue").filter(pk=forecast_id).first()
    if fc is None:
        raise NotFound(code=WorkforceErrorCode.NOT_FOUND, message=_("No such forecast."))
    return fc


def schedule_list(*, user: User, queue_id: int | None = None) -> QuerySet[Schedule]:
    require_planner(user)
    qs = Schedule.objects.select_related("queue", "forecast").defer(
        "forecast__calls", "forecast__aht", "forecast__agents", "forecast__heads"
    )
    return qs.filter(queue_id=queue_id) if queue_id else qs


def schedule_get(*, user: User, schedule_id: int) -> Schedule:
    return access_schedule(user=user, schedule_id=schedule_id)


def actuals(queue: Queue, week_start: date) -> np.ndarray:
    _, calls, _h = planning.history_matrix(queue, week_start, week_start + timedelta(days=6))
    return calls


def coverage_of(schedule: Schedule, *, net_of_leave: bool = True) -> np.ndarray:
    """Heads on duty per interval of the week (7 × slots), breaks excluded and, by default, approved leave
    removed: an agent on approved leave leaves a hole in every interval it overlaps."""
    queue = schedule.queue
    spd = queue.slots_per_day
    slot = timedelta(minutes=queue.interval_minutes)
    week0 = planning.local_midnight(schedule.week_start)
    total = 7 * spd
    cov = np.zeros(total, dtype=np.int64)
    shifts = list(schedule.shifts.values_list("agent_id", "start", "end", "break_start", "break_end"))
    leaves: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if net_of_leave:
        agent_ids = {a for a, *_rest in shifts if a}
        for agent_id, s, e in LeaveRequest.objects.filter(
            agent_id__in=agent_ids,
            status=LeaveStatus.APPROVED,
            start__lt=week0 + timedelta(days=8),
            end__gt=week0 - timedelta(days=1),
        ).values_list("agent_id", "start", "end"):
            leaves[agent_id].append((s, e))
    for agent_id, start, end, bs, be in shifts:
        i0 = round((start - week0) / slot)
        n = round((end - start) / slot)
        mask = np.ones(n, dtype=bool)
        if bs is not None and be is not None:
            mask[round((bs - start) / slot) : round((be - start) / slot)] = False
        for ls, le in leaves.get(agent_id, ()):
            for k in range(n):
                t = start + k * slot
                if t < le and t + slot > ls:
                    mask[k] = False
        idx = (i0 + np.arange(n)) % total  # a Sunday-night shift wraps into the (repeating) week's Monday
        np.add.at(cov, idx[mask], 1)
    return cov.reshape(7, spd)


@dataclass
class ScheduleRow:
    agent: User | None
    tour: int
    cells: list[Shift | None]  # Monday..Sunday
    hours: float


def schedule_grid(schedule: Schedule) -> list[ScheduleRow]:
    """One row per tour (agent), seven cells; a shift that approved leave overlaps carries on_leave=True.
    N+1-free: two queries (shifts with agents, the week's approved leave)."""
    rows: dict[int, ScheduleRow] = {}
    shifts = list(schedule.shifts.select_related("agent").order_by("tour", "day"))
    week0 = planning.local_midnight(schedule.week_start)
    leaves: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for agent_id, ls, le in LeaveRequest.objects.filter(
        agent_id__in={s.agent_id for s in shifts if s.agent_id},
        status=LeaveStatus.APPROVED,
        start__lt=week0 + timedelta(days=8),
        end__gt=week0,
    ).values_list("agent_id", "start", "end"):
        leaves[agent_id].append((ls, le))
    for shift in shifts:
        on_leave = any(ls < shift.end and le > shift.start for ls, le in leaves.get(shift.agent_id or 0, ()))
        shift.on_leave = on_leave  # type: ignore[attr-defined]
        row = rows.get(shift.tour)
        if row is None:
            row = rows[shift.tour] = ScheduleRow(
                agent=shift.agent, tour=shift.tour, cells=[None] * 7, hours=0.0
            )
        row.cells[(shift.day - schedule.week_start).days] = shift
        paid = (
            shift.end
            - shift.start
            - (
                (shift.break_end - shift.break_start)
                if shift.break_start and shift.break_end
                else timedelta(0)
            )
        )
        row.hours += paid.total_seconds() / 3600
    return sorted(rows.values(), key=lambda r: (r.agent is None, r.agent.name if r.agent else "", r.tour))


def my_shifts(*, user: User, start: date, days: int = 14) -> list[Shift]:
    """The user's shifts in published schedules, with approved leave marked on each (attribute on_leave)."""
    t0 = planning.local_midnight(start)
    t1 = t0 + timedelta(days=days)
    shifts = list(
        Shift.objects.filter(agent=user, schedule__status=ScheduleStatus.PUBLISHED, start__lt=t1, end__gt=t0)
        .select_related("schedule__queue")
        .order_by("start")
    )
    leaves = list(
        LeaveRequest.objects.filter(
            agent=user, status=LeaveStatus.APPROVED, start__lt=t1, end__gt=t0
        ).values_list("start", "end")
    )
    for s in shifts:
        s.on_leave = any(ls < s.end and le > s.start for ls, le in leaves)  # type: ignore[attr-defined]
    return shifts


def leave_list_mine(*, user: User) -> QuerySet[LeaveRequest]:
    return LeaveRequest.objects.filter(agent=user).select_related("decided_by").order_by("-start")


def leave_list_to_decide(*, user: User) -> QuerySet[LeaveRequest]:
    """Pending requests the user may see as approver: all for managers, their team's for a team lead."""
    qs = (
        LeaveRequest.objects.filter(status=LeaveStatus.PENDING)
        .select_related("agent", "agent__team")
        .order_by("start")
    )
    if user.is_supervising:
        return qs.exclude(agent=user)
    if user.role == "team_lead" and user.team_id:
        return qs.filter(agent__team_id=user.team_id).exclude(agent=user)
    return qs.none()


@dataclass
class WhatIf:
    agents: list[int]
    heads: list[int]
    peak_heads: int
    paid_hours: float
    cost: float


def what_if(
    *,
    user: User,
    forecast_id: int,
    service_level: float,
    service_time: float,
    aht_factor: float = 1.0,
    shrinkage: float,
) -> WhatIf:
    """Heads and cost of the forecast's week under other goals: no write. Paid hours = Σ heads × interval."""
    fc = forecast_get(user=user, forecast_id=forecast_id)
    fields: dict[str, list[str]] = {}
    if not 0 < service_level < 1:
        fields["service_level"] = [_("Between 0 and 1, e.g. 0.8.")]
    if not 0 <= service_time <= 3600:
        fields["service_time"] = [_("Between 0 and 3600 seconds.")]
    if not 0.2 <= aht_factor <= 5:
        fields["aht_factor"] = [_("Between 0.2 and 5.")]
    if not 0 <= shrinkage < 0.9:
        fields["shrinkage"] = [_("Between 0 and 0.9.")]
    if fields:
        raise DomainError(
            code=WorkforceErrorCode.INVALID_WHAT_IF,
            message=_("Some of the input is not valid."),
            fields=fields,
        )
    queue = fc.queue
    aht = np.asarray(fc.aht, dtype=float) * aht_factor
    agents, heads = planning.requirement(
        queue, fc.calls, aht, shrinkage=shrinkage, service_level=service_level, service_time=service_time
    )
    hours = float(heads.sum()) * queue.interval_minutes / 60
    return WhatIf(
        agents=agents.tolist(), heads=heads.tolist(), peak_heads=int(heads.max(initial=0)), paid_hours=hours,
        cost=hours * float(queue.hourly_cost),
    )  # fmt: skip


@dataclass
class Intraday:
    queue: Queue
    day: date
    now_slot: int
    ratio: float
    forecast: list[float]
    reforecast: list[float]
    actual: list[float]
    required: list[int]
    scheduled: list[int]
    gap: list[int]
    proposals: list[dict[str, Any]]


def intraday(
    *,
    user: User,
    queue_id: int,
    now: datetime | None = None,
    notice_minutes: int = 30,
    standby_hours: float = 4.0,
) -> Intraday:
    """Re-forecast the rest of today from the actuals so far, the gap per interval against the published schedule
    (net of leave), and which standby agents (the queue's agents not on shift today, not on leave) to call in."""
    queue = access_queue(user=user, queue_id=queue_id)
    now = now or timezone.now()
    day, now_slot = planning.slot_of(queue, now)
    week_start = day - timedelta(days=day.weekday())
    k = day.weekday()
    spd = queue.slots_per_day
    fc = Forecast.objects.filter(queue=queue, week_start=week_start).order_by("-id").first()
    if fc is None:
        raise DomainError(
            code=WorkforceErrorCode.NO_FORECAST, message=_("There is no forecast for this week.")
        )
    f_day = np.asarray(fc.calls, dtype=float).reshape(7, spd)[k]
    aht = np.asarray(fc.aht, dtype=float).reshape(7, spd)[k]
    act = actuals(queue, week_start)[k]
    ref, ratio = reforecast(f_day, act, now_slot)
    _agents, heads = planning.requirement(queue, ref, aht)
    schedule = (
        Schedule.objects.filter(queue=queue, week_start=week_start, status=ScheduleStatus.PUBLISHED)
        .select_related("queue")
        .first()
    )
    scheduled = coverage_of(schedule)[k] if schedule else np.zeros(spd, dtype=np.int64)
    gap = heads - scheduled
    gap[:now_slot] = 0
    d0 = planning.local_midnight(day)
    busy = set(
        Shift.objects.filter(
            start__lt=d0 + timedelta(days=1), end__gt=d0, schedule__status=ScheduleStatus.PUBLISHED
        ).values_list("agent_id", flat=True)
    )
    on_leave = set(
        LeaveRequest.objects.filter(
            status=LeaveStatus.APPROVED, start__lt=d0 + timedelta(days=1), end__gt=d0
        ).values_list("agent_id", flat=True)
    )
    pool = User.objects.filter(is_active=True, role__in=["agent", "team_lead"]).exclude(
        Q(pk__in=busy) | Q(pk__in=on_leave)
    )
    if queue.team_id:
        pool = pool.filter(team_id=queue.team_id)
    people = {u.pk: u for u in pool.order_by("id")[:200]}
    notice = -(-notice_minutes // queue.interval_minutes)
    standby = [
        StandbyAgent(
            key=pk,
            earliest_slot=now_slot + notice,
            max_slots=round(standby_hours * 60 / queue.interval_minutes),
        )
        for pk in people
    ]
    slot = timedelta(minutes=queue.interval_minutes)
    proposals = [
        {
            "agent_id": p.key,
            "agent": people[p.key].name,
            "start": d0 + p.start_slot * slot,
            "end": d0 + p.end_slot * slot,
            "covers": p.covers,
        }
        for p in propose_standby(gap, standby)
    ]
    return Intraday(
        queue=queue, day=day, now_slot=now_slot, ratio=ratio, forecast=f_day.round(2).tolist(), reforecast=ref.round(2).tolist(),
        actual=act.tolist(), required=heads.tolist(), scheduled=scheduled.tolist(), gap=gap.tolist(), proposals=proposals,
    )  # fmt: skip


def queue_teams() -> dict[int, tuple[str, int | None]]:
    """{queue id: (name, team id)} of every queue, for KPIs grouped by queue (kefu.performance)."""
    return {pk: (name, team_id) for pk, name, team_id in Queue.objects.values_list("pk", "name", "team_id")}


def shifts_between(*, start: datetime, end: datetime) -> list[tuple[int, datetime, datetime, datetime | None, datetime | None]]:
    """(agent id, start, end, break start, break end) of assigned shifts of published schedules that
    overlap [start, end), for schedule adherence and utilisation (kefu.performance)."""
    return list(
        Shift.objects.filter(
            agent__isnull=False, start__lt=end, end__gt=start, schedule__status=ScheduleStatus.PUBLISHED
        ).values_list("agent_id", "start", "end", "break_start", "break_end").order_by()
    )


@dataclass
class StaffingRow:
    """One queue's plan against what happened over local days [start, end) (see staffing_summary)."""

    queue_id: int
    name: str
    forecast_contacts: float
    actual_contacts: float
    forecast_wape: float | None  # Σ|actual − forecast| / Σ actual over the intervals, percent
    required_hours: float  # Σ forecast heads × interval
    scheduled_hours: float  # Σ published coverage (breaks and approved leave out) × interval
    staffing: float | None  # scheduled / required head-hours, percent
    short_intervals: int  # intervals with fewer heads on duty than required
    occupancy: float | None  # handled seconds / (scheduled heads × (1 − shrinkage) × interval), percent


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def staffing_summary(*, user: User, start: date, end: date, team_id: int | None = None) -> list[StaffingRow]:
    """Per active queue (of `team_id` when given), over the local days [start, end): contacts forecast
    (the latest forecast of each week) and counted (interval history), the forecast's WAPE, the head-hours
    the forecast requires and the published schedules put on duty (coverage_of: breaks and approved
    leave out), staffing = scheduled / required, the intervals short of heads, and occupancy = handled
    seconds / available agent-seconds (heads on duty × (1 − shrinkage)). Weeks without a forecast add
    no requirement; weeks without a published schedule no coverage. Planners only (may_plan)."""
    require_planner(user)
    queues = Queue.objects.filter(is_active=True).order_by("name")
    if team_id is not None:
        queues = queues.filter(team_id=team_id)
    out = []
    for queue in queues:
        spd = queue.slots_per_day
        hours = queue.interval_minutes / 60
        first = start - timedelta(days=start.weekday())
        f_tot = a_tot = err = req = sch = handled = avail = 0.0
        short = 0
        week = first
        while week < end:
            days = [week + timedelta(days=i) for i in range(7)]
            mask = np.array([[start <= d < end] * spd for d in days], dtype=bool)
            _d, calls, handle = planning.history_matrix(queue, week, week + timedelta(days=6))
            fc = Forecast.objects.filter(queue=queue, week_start=week).order_by("-id").first()
            sched = (
                Schedule.objects.filter(queue=queue, week_start=week, status=ScheduleStatus.PUBLISHED)
                .select_related("queue")
                .first()
            )
            cov = coverage_of(sched) if sched else np.zeros((7, spd), dtype=np.int64)
            a_tot += float(calls[mask].sum())
            sch += float(cov[mask].sum()) * hours
            handled += float(handle[mask].sum())
            avail += float(cov[mask].sum()) * (1 - queue.shrinkage) * queue.interval_minutes * 60
            if fc is not None:
                f = np.asarray(fc.calls, dtype=float).reshape(7, spd)
                h = np.asarray(fc.heads, dtype=np.int64).reshape(7, spd)
                f_tot += float(f[mask].sum())
                err += float(np.abs(calls - f)[mask].sum())
                req += float(h[mask].sum()) * hours
                short += int(((cov < h) & mask).sum())
            week += timedelta(days=7)
        out.append(StaffingRow(
            queue_id=queue.pk, name=queue.name, forecast_contacts=round(f_tot, 1), actual_contacts=round(a_tot, 1),
            forecast_wape=_pct(err, a_tot) if f_tot else None, required_hours=round(req, 1),
            scheduled_hours=round(sch, 1), staffing=_pct(sch, req), short_intervals=short,
            occupancy=_pct(handled, avail),
        ))  # fmt: skip
    return out
