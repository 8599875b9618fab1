"""The slot grid of a resource on a day, from its business calendar and the reserved hours.
Pure computation: no writes, one query for reserved hours per call site."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from kefu.appointments.models import ReservedHours, Resource
from kefu.core.calendar import BusinessCalendar, chinese_holiday_years, chinese_holidays


@dataclass(frozen=True, slots=True)
class GridSlot:
    start: datetime  # UTC
    capacity: int
    interval: int  # which open interval of the day; a booking never spans a break


@lru_cache(maxsize=8)
def _holidays() -> tuple[frozenset[date], frozenset[date]]:
    try:
        holidays, workdays = chinese_holidays(chinese_holiday_years())
    except ValueError:  # pragma: no cover - the package always knows some year
        return frozenset(), frozenset()
    return frozenset(holidays), frozenset(workdays)


@lru_cache(maxsize=256)
def _calendar(hours: str, weekdays: str) -> BusinessCalendar:
    periods = hours.split()
    days = sorted({int(c) for c in weekdays if c.isdigit() and int(c) < 7})
    holidays, workdays = _holidays()
    return BusinessCalendar.workweek(*periods, weekdays=days).with_holidays(holidays, workdays)


def resource_calendar(resource: Resource) -> BusinessCalendar:
    return _calendar(resource.hours, resource.weekdays)


def reserved_for(resources: Iterable[Resource]) -> dict[int | None, list[ReservedHours]]:
    ids = [r.pk for r in resources]
    out: dict[int | None, list[ReservedHours]] = {}
    for rule in ReservedHours.objects.filter(resource_id__in=ids) | ReservedHours.objects.filter(resource__isnull=True):
        out.setdefault(rule.resource_id, []).append(rule)
    return out


def grid(resource: Resource, day: date, reserved: dict[int | None, list[ReservedHours]]) -> list[GridSlot]:
    cal = resource_calendar(resource)
    step = timedelta(minutes=resource.slot_minutes)
    rules = reserved.get(resource.pk, []) + reserved.get(None, [])
    out: list[GridSlot] = []
    for index, (opens, closes) in enumerate(cal.intervals_on(day)):
        t = opens
        while t + step <= closes:
            capacity = resource.capacity
            local = t.astimezone(cal.zone)
            for rule in rules:
                if rule.weekday in (None, day.weekday()) and rule.start <= local.time() < rule.end:
                    capacity = min(capacity, rule.capacity)
            out.append(GridSlot(t, capacity, index))
            t += step
    return out


def runs(cells: list[GridSlot], n: int) -> dict[datetime, list[GridSlot]]:
    """Every start of n consecutive slots within one open interval."""
    out: dict[datetime, list[GridSlot]] = {}
    for i in range(len(cells) - n + 1):
        run = cells[i : i + n]
        if run[0].interval == run[-1].interval:
            out[run[0].start] = run
    return out


def business_days_before(cal: BusinessCalendar, day: date, n: int) -> date:
    """The date n business days before `day` (days with opening hours)."""
    d = day
    for _ in range(366):
        if n == 0:
            return d
        d -= timedelta(days=1)
        if cal.periods_on(d):
            n -= 1
    return d
