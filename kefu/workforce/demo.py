"""Workforce demo data (排班演示数据), written through the real services.

Two queues: 客服热线 (the phone hotline, 08:00–22:00, every agent and team lead) with eight weeks of generated
interval history — a morning and an afternoon peak, busy Mondays, quiet weekends, Poisson noise, deterministic for a
seed — as if imported from the old phone system, plus this week so far; and 在线客服 (chat, WeChat, web form of the
一线客服 team) whose history the clock counts from the demo's own tickets. The hotline gets forecasts for last week
(beside its actuals), this week and next, a published schedule for this week and next, two approved leave requests
(a day before the schedule was built, three hours after it was published: a hole in next Thursday's coverage) and
one pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.tickets.choices import Channel
from kefu.workforce import planning, services
from kefu.workforce.choices import HistorySource
from kefu.workforce.models import Forecast, IntervalVolume, LeaveRequest, Queue, Schedule

SEED = 20261122
HOTLINE = "客服热线"
ONLINE = "在线客服"
HISTORY_WEEKS = 8
OPEN_HOUR, CLOSE_HOUR = 8, 22
# Calls per half hour at the weekday peak and the shape of a day (per hour, local time, 08:00..21:00).
PEAK_CALLS = 30.0
HOUR_SHAPE = [0.45, 0.8, 1.0, 0.9, 0.65, 0.6, 0.85, 0.9, 0.8, 0.65, 0.5, 0.45, 0.35, 0.25]
# Monday..Sunday relative to an average weekday.
WEEKDAY_SHAPE = [1.18, 1.05, 1.0, 0.98, 0.95, 0.72, 0.62]
AHT_SECONDS = 240.0


@dataclass
class WorkforceDemoSummary:
    queues: int = 0
    intervals: int = 0
    forecasts: int = 0
    schedules: int = 0
    shifts: int = 0
    leave_requests: int = 0


def _expected_calls(day: date) -> np.ndarray:
    """Mean calls per 30-minute slot of a day (48 slots): zero while the hotline is closed."""
    mean = np.zeros(48)
    for h, weight in enumerate(HOUR_SHAPE):
        hour = OPEN_HOUR + h
        mean[2 * hour] = mean[2 * hour + 1] = PEAK_CALLS * weight * WEEKDAY_SHAPE[day.weekday()]
    return mean


def _history(queue: Queue, first: date, until: datetime, rng: np.random.Generator) -> int:
    """Generated interval rows from `first` (local midnight) up to the interval holding `until`."""
    rows = []
    slot = timedelta(minutes=queue.interval_minutes)
    day = first
    while planning.local_midnight(day) < until:
        d0 = planning.local_midnight(day)
        calls = rng.poisson(_expected_calls(day))
        aht = np.clip(rng.normal(AHT_SECONDS, 25, size=calls.size), 120, 480)
        for k in range(calls.size):
            start = d0 + k * slot
            if start + slot > until:
                break
            if calls[k]:
                rows.append(
                    IntervalVolume(
                        queue=queue, start=start, calls=float(calls[k]), handle_seconds=float(round(calls[k] * aht[k])),
                        source=HistorySource.IMPORT,
                    )
                )  # fmt: skip
        day += timedelta(days=1)
    # Demo loading writes history rows directly: they stand for a file imported from the old phone system
    # (history_import_run writes the same rows from a CSV).
    IntervalVolume.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _leave(
    agent: User, approver: User, start: datetime, hours: float, reason: str, *, approve: bool
) -> LeaveRequest:
    leave = services.leave_request_create(
        actor=agent, start=start, end=start + timedelta(hours=hours), reason=reason
    )
    if approve:
        leave = services.leave_decide(actor=approver, leave_id=leave.pk, approve=True, note="已安排顶班")
    return leave


def load_workforce_demo(
    *, manager: User | None = None, now: datetime | None = None, seed: int = SEED, time_limit: float = 10.0
) -> WorkforceDemoSummary:
    """Queues, history, forecasts, published schedules and leave for the demo cast (agent1..agent20, lead1..3,
    manager). Call once, after the people (and, for 在线客服's history, the tickets) exist. All or nothing."""
    summary = WorkforceDemoSummary()
    manager = manager or User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    if manager is None:
        raise ValueError("The workforce demo needs a center manager.")
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    today = now.astimezone(planning.tz()).date()
    this_monday = today - timedelta(days=today.weekday())
    next_monday = this_monday + timedelta(days=7)
    with transaction.atomic():
        hotline = services.queue_create(
            actor=manager, name=HOTLINE, interval_minutes=30, service_level=0.8, service_time=20, asa=30, occupancy=0.85,
            shrinkage=0.3, default_aht=AHT_SECONDS, hourly_cost=45, channels=[Channel.PHONE], shift_hours=8.5,
            shift_earliest_start="08:00", shift_latest_start="13:30", break_minutes=30, break_after_hours=3,
            break_before_hours=5.5, days_off=2, consecutive_days_off=True, max_weekly_hours=44,
        )  # fmt: skip
        front = Team.objects.filter(is_default=True).first()
        online = services.queue_create(
            actor=manager, name=ONLINE, team=front, interval_minutes=60, service_level=0.8, service_time=60,
            shrinkage=0.25, default_aht=420, hourly_cost=40, count_tickets=True,
            channels=[Channel.CHAT, Channel.WECHAT, Channel.WEB], shift_earliest_start="08:00", shift_latest_start="13:00",
        )  # fmt: skip
        summary.queues = 2
        summary.intervals += _history(hotline, this_monday - timedelta(weeks=HISTORY_WEEKS), now, rng)
        # 在线客服: the clock's own job counts the demo tickets (a first run back-fills in weekly chunks).
        online.refresh_from_db()
        while online.history_due_at is not None:
            services.history_refresh_due(queue_id=online.pk, due_at=online.history_due_at, now=now)
            online.refresh_from_db()
            if online.history_counted_until is not None and online.history_due_at > now:
                break  # caught up: due again HISTORY_REFRESH_EVERY after `now`
        summary.intervals += IntervalVolume.objects.filter(queue=online).count()

        agents = {u.username: u for u in User.objects.filter(username__in=["agent2", "agent3"])}
        if len(agents) == 2:
            # Approved before the schedule is built, so no shift lands on agent2's day off; agent3's request waits.
            wednesday = planning.local_midnight(next_monday + timedelta(days=2))
            friday = planning.local_midnight(next_monday + timedelta(days=4))
            _leave(agents["agent2"], manager, wednesday, 24, "家中有事，请事假一天", approve=True)
            _leave(agents["agent3"], manager, friday + timedelta(hours=9), 4, "上午去医院复查", approve=False)
            summary.leave_requests = 2

        # Last week: a forecast beside a whole week of actuals (the forecast-vs-actual chart at its most telling).
        services.forecast_create(
            actor=manager, queue_id=hotline.pk, week_start=this_monday - timedelta(days=7)
        )
        summary.forecasts += 1
        for week in (this_monday, next_monday):
            fc = services.forecast_create(actor=manager, queue_id=hotline.pk, week_start=week)
            schedule = services.schedule_create(actor=manager, forecast_id=fc.pk, time_limit=time_limit)
            services.schedule_publish(actor=manager, schedule_id=schedule.pk)
            summary.forecasts += 1
            summary.schedules += 1
            summary.shifts += schedule.shifts.count()
            if week == next_monday:
                # A short leave approved after publishing: the grid marks the shift, the coverage chart shows the hole.
                thursday = week + timedelta(days=3)
                shift = (
                    schedule.shifts.filter(day=thursday, agent__role=Role.AGENT)
                    .order_by("start", "agent_id")
                    .first()
                )
                if shift is not None and shift.agent is not None:
                    _leave(
                        shift.agent,
                        manager,
                        shift.start + timedelta(hours=1),
                        3,
                        "孩子学校开家长会",
                        approve=True,
                    )
                    summary.leave_requests += 1
        if IntervalVolume.objects.filter(queue=online).exists():
            services.forecast_create(actor=manager, queue_id=online.pk, week_start=next_monday)
            summary.forecasts += 1
    return summary


def workforce_demo_present() -> bool:
    return (
        Queue.objects.filter(name=HOTLINE).exists()
        and Schedule.objects.exists()
        and Forecast.objects.exists()
    )
