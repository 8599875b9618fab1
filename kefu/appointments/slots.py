"""The slot grid of a resource on a day, from its business calendar and the reserved hours.
Pure computation: no writes, one query for reserved hours per call site."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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


Rules = tuple[tuple[time, time, int], ...]


def rules_on(resource: Resource, weekday: int, reserved: dict[int | None, list[ReservedHours]]) -> Rules:
    """The reserved hours that apply to `resource` on `weekday`, as plain values."""
    return tuple(
        (rule.start, rule.end, rule.capacity)
        for rule in reserved.get(resource.pk, []) + reserved.get(None, [])
        if rule.weekday in (None, weekday)
    )


def grid(resource: Resource, day: date, reserved: dict[int | None, list[ReservedHours]]) -> list[GridSlot]:
    rules = rules_on(resource, day.weekday(), reserved)
    return list(_grid(resource.hours, resource.weekdays, resource.slot_minutes, resource.capacity, rules, day))


def grid_with_heads(resource: Resource, day: date, rules: Rules, n: int) -> tuple[tuple[GridSlot, ...], tuple[int, ...]]:
    """The day's cells and the indexes where a run of n slots can start (within one open
    interval, no closed slot): the free-slot search only looks at those. `rules` from `rules_on`."""
    key = (resource.hours, resource.weekdays, resource.slot_minutes, resource.capacity, rules, day)
    return _grid(*key), _heads(*key, n)


@lru_cache(maxsize=4096)
def _heads(hours: str, weekdays: str, slot_minutes: int, capacity: int, rules: Rules, day: date, n: int) -> tuple[int, ...]:
    cells = _grid(hours, weekdays, slot_minutes, capacity, rules, day)
    return tuple(
        i
        for i in range(len(cells) - n + 1)
        if cells[i].interval == cells[i + n - 1].interval and all(c.capacity > 0 for c in cells[i : i + n])
    )


@lru_cache(maxsize=4096)
def _grid(hours: str, weekdays: str, slot_minutes: int, capacity: int, rules: Rules, day: date) -> tuple[GridSlot, ...]:
    # Keyed by everything the grid depends on (the holiday table is itself cached for the process),
    # so resources sharing hours share one computation and an edited resource or rule is a new key.
    cal = _calendar(hours, weekdays)
    step = timedelta(minutes=slot_minutes)
    out: list[GridSlot] = []
    for index, (opens, closes) in enumerate(cal.intervals_on(day)):
        t = opens
        while t + step <= closes:
            cap = capacity
            if rules:
                local = t.astimezone(cal.zone).time()
                for start, end, rule_capacity in rules:
                    if start <= local < end:
                        cap = min(cap, rule_capacity)
            out.append(GridSlot(t, cap, index))
            t += step
    return tuple(out)


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
