"""Glue between rows and the pure engine: history matrices in local time, goals, templates. No writes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from kefu.core.calendar import chinese_holiday_years, chinese_holidays
from kefu.sla.choices import DayKind as CalendarDayKind
from kefu.sla.models import CalendarDay
from kefu.workforce.engine import StaffingGoals, required_agents, scheduled_heads
from kefu.workforce.engine.forecast import DayKind, day_kinds
from kefu.workforce.engine.schedule import ShiftTemplate, WorkRules
from kefu.workforce.models import IntervalVolume, Queue

HISTORY_DAYS = 7 * 16


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz())


def slot_of(queue: Queue, moment: datetime) -> tuple[date, int]:
    local = moment.astimezone(tz())
    return local.date(), (local.hour * 60 + local.minute) // queue.interval_minutes


def history_matrix(queue: Queue, first: date, last: date) -> tuple[list[date], np.ndarray, np.ndarray]:
    """(dates, calls, handle_seconds) day × slot for first..last inclusive (local days), zeros where no rows."""
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    spd = queue.slots_per_day
    calls = np.zeros((len(dates), spd))
    handle = np.zeros((len(dates), spd))
    rows = IntervalVolume.objects.filter(
        queue=queue, start__gte=local_midnight(first), start__lt=local_midnight(last + timedelta(days=1))
    ).values_list("start", "calls", "handle_seconds")
    for start, c, h in rows:
        d, s = slot_of(queue, start)
        i = (d - first).days
        if 0 <= i < len(dates):
            calls[i, s] += c
            handle[i, s] += h
    return dates, calls, handle


def calendar_days(queue: Queue, first: date, last: date) -> tuple[set[date], set[date]]:
    """(holidays, make-up working days) between first and last: from the queue's business calendar when it has
    one (the SLA calendars' days, seeded from chinese-calendar and edited by hand), else Chinese public holidays."""
    if queue.calendar_id:
        rows = CalendarDay.objects.filter(calendar_id=queue.calendar_id, date__range=(first, last))
        holidays: set[date] = set()
        makeup: set[date] = set()
        for day, kind in rows.values_list("date", "kind"):
            if kind == CalendarDayKind.HOLIDAY:
                holidays.add(day)
            elif kind == CalendarDayKind.WORKDAY:
                makeup.add(day)
        return holidays, makeup
    years = [y for y in range(first.year, last.year + 1) if y in set(chinese_holiday_years())]
    return chinese_holidays(years) if years else (set(), set())


def kinds_for(queue: Queue, first: date, last: date) -> dict[date, str]:
    holidays, makeup = calendar_days(queue, first, last)
    promotions = {date.fromisoformat(d) for d in queue.promotion_days if isinstance(d, str)}
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {
        d: k.value
        for d, k in zip(
            dates, day_kinds(dates, holidays=holidays, makeup_days=makeup, promotions=promotions), strict=True
        )
        if k != DayKind.NORMAL
    }


def goals_of(queue: Queue, **override: Any) -> StaffingGoals:
    values: dict[str, Any] = {
        "service_level": queue.service_level,
        "service_time": queue.service_time,
        "asa": queue.asa,
        "abandonment": queue.abandonment if queue.staffing_model == "erlang_a" else None,
        "occupancy": queue.occupancy,
    }
    values.update({k: v for k, v in override.items() if k in values})
    return StaffingGoals(**values)


def requirement(
    queue: Queue, calls: Any, aht: Any, *, shrinkage: float | None = None, **goal_override: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(agents, heads) per interval for the queue's goals (optionally overridden, for what-if)."""
    goals = goals_of(queue, **goal_override)
    agents = required_agents(
        np.asarray(calls, dtype=float),
        aht=np.asarray(aht, dtype=float),
        goals=goals,
        interval=queue.interval_minutes * 60.0,
        model=queue.staffing_model,
        patience=queue.patience if queue.staffing_model == "erlang_a" else None,
    )
    heads = scheduled_heads(agents, queue.shrinkage if shrinkage is None else shrinkage)
    return agents, heads


def template_of(queue: Queue) -> ShiftTemplate:
    per_hour = 60 // queue.interval_minutes
    spd = queue.slots_per_day

    def slot(t: Any) -> int:
        if isinstance(t, str):
            t = time.fromisoformat(t)
        return min(spd - 1, (t.hour * 60 + t.minute) // queue.interval_minutes)

    brk = queue.break_minutes // queue.interval_minutes
    return ShiftTemplate(
        name="main",
        length=round(queue.shift_hours * per_hour),
        earliest_start=slot(queue.shift_earliest_start),
        latest_start=slot(queue.shift_latest_start),
        break_length=brk,
        break_earliest=round(queue.break_after_hours * per_hour) if brk else 0,
        break_latest=(round(queue.break_before_hours * per_hour) - brk) if brk else 0,
    )


def rules_of(queue: Queue) -> WorkRules:
    return WorkRules(
        days_off=queue.days_off,
        consecutive_days_off=queue.consecutive_days_off,
        max_consecutive_days=queue.max_consecutive_days,
        min_weekly_hours=queue.min_weekly_hours,
        max_weekly_hours=queue.max_weekly_hours,
    )
