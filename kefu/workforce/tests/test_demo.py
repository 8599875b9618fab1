"""The workforce demo on top of the product's demo seed (a small one: 60 tickets)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from kefu.accounts.models import User
from kefu.demo.seed import demo_load
from kefu.points.models import Redemption
from kefu.workforce import planning, selectors
from kefu.workforce.choices import HistorySource, LeaveStatus, ScheduleStatus
from kefu.workforce.demo import HOTLINE, ONLINE, load_workforce_demo
from kefu.workforce.models import Forecast, IntervalVolume, LeaveRequest, Queue, Schedule, Shift

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 15, 20, tzinfo=planning.tz())  # a Wednesday afternoon


@pytest.fixture
def demo():
    demo_load(tickets=60, customers=20, days=30, workforce=False)
    return load_workforce_demo(now=NOW, time_limit=5)


def _snapshot():
    return {
        "volumes": sorted(
            IntervalVolume.objects.filter(queue__name=HOTLINE).values_list("start", "calls", "handle_seconds")
        ),
        "forecasts": sorted(Forecast.objects.values_list("queue__name", "week_start", "calls", "heads")),
    }


def test_demo_queues_history_forecasts_and_published_schedules(demo):
    assert (demo.queues, demo.forecasts, demo.schedules, demo.leave_requests) == (2, 4, 2, 3)
    hotline = Queue.objects.get(name=HOTLINE)
    this_monday = NOW.date() - timedelta(days=NOW.weekday())
    # Eight weeks of history with a daily and a weekly shape, and this week up to the current interval.
    _, calls, handle = planning.history_matrix(
        hotline, this_monday - timedelta(weeks=8), this_monday + timedelta(days=6)
    )
    days = calls.sum(axis=1)
    assert NOW.weekday() == 2 and (days[:56] > 0).all() and days[56 + 2] > 0 and days[56 + 3 :].sum() == 0
    weekly = days[:56].reshape(8, 7).mean(axis=0)
    assert weekly[0] == weekly.max() and weekly[6] == weekly.min()  # busy Mondays, quiet Sundays
    hourly = calls[:56].reshape(56, 24, 2).sum(axis=(0, 2))
    assert hourly[:8].sum() == 0 and hourly[22:].sum() == 0 and hourly[10] > 2 * hourly[20]
    assert 200 < handle.sum() / calls.sum() < 280
    # 在线客服 is counted from the demo's own tickets (chat, WeChat, web form of 一线客服) by the clock's service.
    online = Queue.objects.get(name=ONLINE)
    assert online.count_tickets and online.history_counted_until is not None
    assert set(IntervalVolume.objects.filter(queue=online).values_list("source", flat=True)) <= {
        HistorySource.TICKETS
    }
    # A published schedule for this week and next, with the demo agents and team leads, covering the requirement.
    next_monday = this_monday + timedelta(days=7)
    for week in (this_monday, next_monday):
        schedule = Schedule.objects.get(queue=hotline, week_start=week)
        assert schedule.status == ScheduleStatus.PUBLISHED
        cov = selectors.coverage_of(schedule, net_of_leave=False).reshape(-1)
        assert (cov >= np.asarray(schedule.forecast.heads)).all()
    people = set(Shift.objects.exclude(agent=None).values_list("agent__username", flat=True))
    assert people <= {f"agent{i}" for i in range(1, 21)} | {"lead1", "lead2", "lead3"} and len(people) >= 15
    # agent2's day of leave was approved before the schedule was built: no shift that day. A short leave approved
    # after publishing leaves a hole in the coverage. agent3's request waits.
    # (the points demo's redeemed time off is leave too: left out here, it is the points app's)
    redeemed = Redemption.objects.exclude(leave=None).values("leave_id")
    day_leave, short_leave = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED).exclude(pk__in=redeemed).order_by("id")
    pending = LeaveRequest.objects.get(status=LeaveStatus.PENDING)
    assert day_leave.agent.username == "agent2" and pending.agent.username == "agent3"
    leave_day = day_leave.start.astimezone(planning.tz()).date()
    assert not Shift.objects.filter(agent=day_leave.agent, day=leave_day).exists()
    next_week = Schedule.objects.get(queue=hotline, week_start=next_monday)
    hole = selectors.coverage_of(next_week, net_of_leave=False) - selectors.coverage_of(next_week)
    shift = Shift.objects.get(
        schedule=next_week, agent=short_leave.agent, day=next_monday + timedelta(days=3)
    )
    slots = [
        short_leave.start + timedelta(minutes=30 * k) for k in range(6)
    ]  # three hours of 30-minute intervals
    on_break = sum(1 for t in slots if shift.break_start and shift.break_start <= t < shift.break_end)
    assert hole.sum() == hole[3].sum() == 6 - on_break  # all on Thursday
    assert (
        [r for r in selectors.schedule_grid(next_week) if r.agent == short_leave.agent][0].cells[3].on_leave
    )
    # The agent sees their own shifts.
    someone = User.objects.get(username=sorted(people)[0])
    assert selectors.my_shifts(user=someone, start=this_monday)
    # Deterministic: loaded again (on the same cast and tickets), the same history and forecasts.
    # One test, not two: the product's demo seed underneath costs most of half a minute.
    first = _snapshot()
    IntervalVolume.objects.all().delete()
    Shift.objects.all().delete()
    Schedule.objects.all().delete()
    Forecast.objects.all().delete()
    LeaveRequest.objects.all().delete()
    Queue.objects.all().delete()
    load_workforce_demo(now=NOW, time_limit=5)
    assert _snapshot() == first
