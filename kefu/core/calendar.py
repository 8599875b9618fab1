"""Business calendars: working periods, holidays and 调休 make-up days, and business-time arithmetic.

Pure functions, no ORM. The SLA code builds a `BusinessCalendar` from its rows and calls
`add_business_time` (deadline = start + N business minutes) and `business_time_between`
(business time spent between two instants). docs/calendar.md explains the model and the rules.

Conventions (all of them tested in kefu/core/tests/test_calendar.py):

- Inputs are aware datetimes in any time zone; naive ones raise ValueError. Results are in UTC.
- Business time is real elapsed time inside open intervals. A working period is wall-clock time
  in the calendar's zone; it opens at the first instant the local clock reads its start and closes
  at the first instant the clock reads its end. So in a DST gap a boundary moves to the end of the
  gap (a period entirely inside the gap is empty), and in a DST overlap it takes the first
  occurrence (a period spanning the repeated hour is an hour longer).
- Open intervals are half-open, [opening, closing). Adding a positive duration returns an
  instant in (opening, closing] of some working period: never inside a closed period, and a
  deadline that uses up Friday's last second is Friday 18:00, not Monday 09:00. Adding zero
  returns `start` itself (converted to UTC), even inside a closed period.
- `business_time_between(a, b)` is negative when b < a: it is antisymmetric and additive.
- Arithmetic is on integer microseconds since the epoch: exact, no floating point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TZ",
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "WorkingPeriod",
    "add_business_time",
    "business_time_between",
    "chinese_holiday_years",
    "chinese_holidays",
]

DEFAULT_TZ = "Asia/Shanghai"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_DAY = timedelta(days=1)
_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*[-–—~至]\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
# Shared per-calendar caches (see _CalendarState); calendars rebuilt from DB rows on every request
# reuse the days already computed by an equal calendar.
_STATES: dict[BusinessCalendar, _CalendarState] = {}
_MAX_STATES = 128
_MAX_CACHED_DAYS = 50_000

# One day's open intervals as (opening, closing) in epoch microseconds, and their total length.
_Day = tuple[tuple[tuple[int, int], ...], int]


def _fmt_offset(offset: timedelta) -> str:
    seconds = int(offset.total_seconds()) if offset.microseconds == 0 else None
    if seconds is None:
        return str(offset)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


@dataclass(frozen=True, slots=True, order=True)
class WorkingPeriod:
    """A wall-clock working period within one day: offsets from local midnight, 0 ≤ start < end ≤ 24:00."""

    start: timedelta
    end: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.start < self.end <= _DAY:
            raise ValueError(
                f"working period {_fmt_offset(self.start)}-{_fmt_offset(self.end)} must satisfy "
                "00:00 <= start < end <= 24:00"
            )

    @classmethod
    def parse(cls, text: str) -> WorkingPeriod:
        """Parse "09:00-12:00", "13:30–18:00", "20:00-24:00" or "08:00:30-09:00" (seconds optional)."""
        m = _PERIOD_RE.match(text)
        if not m:
            raise ValueError(f"cannot parse working period {text!r}; expected e.g. '09:00-12:00'")
        h1, m1, s1, h2, m2, s2 = (int(g) if g else 0 for g in m.groups())
        if m1 > 59 or s1 > 59 or m2 > 59 or s2 > 59:
            raise ValueError(f"cannot parse working period {text!r}: minutes and seconds must be < 60")
        return cls(timedelta(hours=h1, minutes=m1, seconds=s1), timedelta(hours=h2, minutes=m2, seconds=s2))

    @classmethod
    def coerce(cls, value: WorkingPeriod | str) -> WorkingPeriod:
        return value if isinstance(value, WorkingPeriod) else cls.parse(value)

    @property
    def duration(self) -> timedelta:
        """Nominal length; on a DST transition day the real open time can differ."""
        return self.end - self.start

    def __str__(self) -> str:
        return f"{_fmt_offset(self.start)}-{_fmt_offset(self.end)}"

    def __repr__(self) -> str:
        return f"WorkingPeriod.parse({str(self)!r})"


_FULL_DAY = (WorkingPeriod(timedelta(0), _DAY),)


class _CalendarState:
    """Derived, mutable-but-invisible data of a calendar: zone object and day/week caches."""

    __slots__ = ("zone", "days", "weeks", "always_open", "never_open")

    def __init__(self, cal: BusinessCalendar) -> None:
        self.zone = ZoneInfo(cal.tz)
        self.days: dict[date, _Day] = {}
        self.weeks: dict[date, int] = {}
        self.always_open = not cal.holidays and all(day == _FULL_DAY for day in cal.week)
        # Make-up days use a weekday's periods, so without weekly periods nothing ever opens (and a
        # search for the next opening would never end). With them, every week opens eventually.
        self.never_open = not any(cal.week)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class BusinessCalendar:
    """An immutable business calendar.

    `week` holds 7 tuples of sorted, non-overlapping `WorkingPeriod`s, Monday first (strings such
    as "09:00-12:00" and lists are accepted and normalised). `holidays` are closed all day, whatever
    their weekday. `workdays` are make-up working dates (调休, usually a Saturday or Sunday): they
    open with the periods of `makeup_weekday` (0 = Monday, the default), whatever their weekday.
    A date cannot be both. Build one with `workweek()`, `from_schedule()` or `always_open()`.
    """

    week: tuple[tuple[WorkingPeriod, ...], ...]
    tz: str = DEFAULT_TZ
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0
    _state: _CalendarState = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.week, Mapping) or len(self.week) != 7:
            raise ValueError("week must list the working periods of 7 days, Monday first")
        week = tuple(tuple(WorkingPeriod.coerce(p) for p in day) for day in self.week)
        for name, periods in zip(WEEKDAY_NAMES, week, strict=True):
            for prev, cur in zip(periods, periods[1:], strict=False):
                if cur.start < prev.start:
                    raise ValueError(f"{name}: working periods must be sorted, but {cur} comes after {prev}")
                if cur.start < prev.end:
                    raise ValueError(f"{name}: working periods {prev} and {cur} overlap")
        holidays = frozenset(self.holidays)
        workdays = frozenset(self.workdays)
        for d in holidays | workdays:
            if isinstance(d, datetime) or not isinstance(d, date):
                raise ValueError(f"holidays and workdays must be dates, not {d!r}")
        both = holidays & workdays
        if both:
            raise ValueError(
                "a date cannot be both a holiday and a make-up working day: "
                + ", ".join(d.isoformat() for d in sorted(both))
            )
        if self.makeup_weekday not in range(7):
            raise ValueError(f"makeup_weekday must be 0 (Monday) to 6 (Sunday), not {self.makeup_weekday!r}")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        state = _STATES.get(self)
        if state is None:
            state = _CalendarState(self)
            if len(_STATES) >= _MAX_STATES:
                _STATES.pop(next(iter(_STATES)), None)
            _STATES[self] = state
        object.__setattr__(self, "_state", state)

    def __repr__(self) -> str:
        week = ", ".join(
            f"{name[:3]} {' '.join(str(p) for p in periods)}"
            for name, periods in zip(WEEKDAY_NAMES, self.week, strict=True)
            if periods
        )
        return (
            f"<BusinessCalendar {self.tz} [{week or 'never open'}] {len(self.holidays)} holidays, "
            f"{len(self.workdays)} make-up days on {WEEKDAY_NAMES[self.makeup_weekday]}'s periods>"
        )

    # Constructors -------------------------------------------------------------------------------

    @classmethod
    def from_schedule(
        cls,
        schedule: Mapping[int, Iterable[WorkingPeriod | str]],
        *,
        tz: str = DEFAULT_TZ,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        makeup_weekday: int = 0,
    ) -> BusinessCalendar:
        """Periods per weekday (0 = Monday … 6 = Sunday); weekdays left out are closed."""
        unknown = set(schedule) - set(range(7))
        if unknown:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {sorted(unknown)}")
        week = tuple(tuple(WorkingPeriod.coerce(p) for p in schedule.get(i, ())) for i in range(7))
        return cls(
            week=week,
            tz=tz,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            makeup_weekday=makeup_weekday,
        )

    @classmethod
    def workweek(
        cls,
        *periods: WorkingPeriod | str,
        weekdays: Iterable[int] = range(5),
        tz: str = DEFAULT_TZ,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        makeup_weekday: int = 0,
    ) -> BusinessCalendar:
        """The same periods on each of `weekdays` (Monday to Friday by default), e.g.
        `BusinessCalendar.workweek("09:00-12:00", "13:30-18:00")`."""
        days = set(weekdays)
        return cls.from_schedule(
            {i: periods for i in days},
            tz=tz,
            holidays=holidays,
            workdays=workdays,
            makeup_weekday=makeup_weekday,
        )

    @classmethod
    def always_open(cls, tz: str = DEFAULT_TZ) -> BusinessCalendar:
        """The 24×7 calendar: business time equals elapsed time (23 or 25 hours on DST days)."""
        return cls(week=(_FULL_DAY,) * 7, tz=tz)

    def with_holidays(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> BusinessCalendar:
        """A copy with more holidays and make-up days, e.g. `cal.with_holidays(*chinese_holidays([2026]))`."""
        return BusinessCalendar(
            week=self.week,
            tz=self.tz,
            holidays=self.holidays | frozenset(holidays),
            workdays=self.workdays | frozenset(workdays),
            makeup_weekday=self.makeup_weekday,
        )

    # Queries --------------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._state.zone

    def periods_on(self, day: date) -> tuple[WorkingPeriod, ...]:
        """Wall-clock working periods of a local date (empty on holidays and closed days)."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.week[self.makeup_weekday]
        return self.week[day.weekday()]

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The real open intervals [opening, closing) of a local date, in UTC (DST rules applied)."""
        return [(_from_us(s), _from_us(e)) for s, e in self._day(day)[0]]

    def business_time_on(self, day: date) -> timedelta:
        """Total open time of a local date."""
        return timedelta(microseconds=self._day(day)[1])

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies inside an open interval [opening, closing)."""
        x = _to_us(at, "at")
        d = at.astimezone(self.zone).date()
        # Days before the local date all close by local midnight; in an overlap at midnight the
        # next day may already have started, so look at two days.
        return any(s <= x < e for day in (d, d + _DAY) for s, e in self._day(day)[0])

    def next_open(self, at: datetime) -> datetime:
        """`at` (in UTC) if the calendar is open then, else the next opening."""
        x = _to_us(at, "at")
        self._check_opens()
        d = at.astimezone(self.zone).date()
        while True:
            for s, e in self._day(d)[0]:
                if e > x:
                    return _from_us(max(s, x))
            d += _DAY

    # Internals ------------------------------------------------------------------------------------

    def _day(self, day: date) -> _Day:
        days = self._state.days
        cached = days.get(day)
        if cached is None:
            cached = self._compute_day(day)
            if len(days) >= _MAX_CACHED_DAYS:
                days.clear()
                self._state.weeks.clear()
            days[day] = cached
        return cached

    def _compute_day(self, day: date) -> _Day:
        midnight = datetime(day.year, day.month, day.day)
        intervals: list[tuple[int, int]] = []
        for p in self.periods_on(day):
            s = _wall_to_us(midnight + p.start, self.zone)
            e = _wall_to_us(midnight + p.end, self.zone)
            if e > s:  # a period entirely inside a DST gap is empty
                intervals.append((s, e))
        return tuple(intervals), sum(e - s for s, e in intervals)

    def _week_total(self, monday: date) -> int:
        weeks = self._state.weeks
        total = weeks.get(monday)
        if total is None:
            total = sum(self._day(monday + i * _DAY)[1] for i in range(7))
            weeks[monday] = total
        return total

    def _range_total(self, first: date, last: date) -> int:
        """Open time of the whole local days first..last (inclusive), a week at a time."""
        total = 0
        d = first
        while d <= last and d.weekday() != 0:
            total += self._day(d)[1]
            d += _DAY
        while d + 6 * _DAY <= last:
            total += self._week_total(d)
            d += 7 * _DAY
        while d <= last:
            total += self._day(d)[1]
            d += _DAY
        return total

    def _check_opens(self) -> None:
        if self._state.never_open:
            raise ValueError("the calendar has no working periods: it never opens")


def _to_us(dt: datetime, name: str) -> int:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got naive {dt.isoformat()})")
    return (dt - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _wall_to_us(naive: datetime, zone: ZoneInfo) -> int:
    """The first instant at which the local clock in `zone` reads `naive` or later.

    Unambiguous wall times map to their only instant; ambiguous ones (DST overlap) to their first
    occurrence; non-existent ones (DST gap) to the transition, i.e. the end of the gap.
    """
    off0 = naive.replace(tzinfo=zone).utcoffset()
    off1 = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert off0 is not None and off1 is not None
    if off0 >= off1:  # unambiguous, or an overlap: fold=0 is the first occurrence
        return (naive - off0 - _EPOCH_NAIVE) // _US
    # A gap: the clock reads `naive` or later from the transition on. It lies in (lo, hi]; before
    # it the clock runs on off0 (reads < naive), from it on off1 (reads ≥ naive). Bisect.
    lo = (naive - off1 - _EPOCH_NAIVE) // _US
    hi = (naive - off0 - _EPOCH_NAIVE) // _US
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _from_us(mid).astimezone(zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The instant (in UTC) at which `duration` of business time has elapsed since `start`.

    A positive duration never ends inside a closed period: from a closed period the clock starts
    at the next opening, and the result is in (opening, closing] of a working period. A zero
    duration returns `start` unchanged (converted to UTC). Negative durations raise ValueError.
    Cost: O(days spanned), whole days and weeks skipped via cached totals.
    """
    x = _to_us(start, "start")
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative (got {duration})")
    remaining = duration // _US
    if remaining == 0:
        return _from_us(x)
    if calendar._state.always_open:
        return _from_us(x + remaining)
    calendar._check_opens()
    first_day = start.astimezone(calendar.zone).date()
    d = first_day
    while True:
        intervals, total = calendar._day(d)
        if intervals and not (total < remaining and intervals[0][0] >= x):
            for s, e in intervals:
                if e <= x:
                    continue
                if s < x:
                    s = x
                if remaining <= e - s:
                    return _from_us(s + remaining)
                remaining -= e - s
        else:
            remaining -= total
        d += _DAY
        # From the second day after start on, every interval lies after `start`: skip whole weeks.
        if d.weekday() == 0 and d - first_day >= 2 * _DAY:
            while True:
                week = calendar._week_total(d)
                if week >= remaining:
                    break
                remaining -= week
                d += 7 * _DAY


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time from `a` to `b`: the open time inside [a, b), negative when b < a.

    It is antisymmetric and additive: between(a, b) + between(b, c) == between(a, c) for any order,
    and between(start, add_business_time(start, d)) == d. Cost: O(days spanned), by whole weeks.
    """
    x = _to_us(a, "a")
    y = _to_us(b, "b")
    if y < x:
        return -business_time_between(b, a, calendar)
    if calendar._state.always_open:
        return timedelta(microseconds=y - x)
    zone = calendar.zone
    da = a.astimezone(zone).date()
    db = b.astimezone(zone).date()
    # Days before `da` close before `a`; days after `db + 1` open after `b`. Days da+2..db-1 lie
    # wholly inside [a, b); the (at most four) edge days are clipped interval by interval.
    total = 0
    if da + 2 * _DAY <= db - _DAY:
        total += calendar._range_total(da + 2 * _DAY, db - _DAY)
    for d in sorted({da, da + _DAY, db, db + _DAY}):
        for s, e in calendar._day(d)[0]:
            lo, hi = max(s, x), min(e, y)
            if hi > lo:
                total += hi - lo
    return timedelta(microseconds=total)


# Chinese public holidays ---------------------------------------------------------------------------


def chinese_holiday_years() -> list[int]:
    """Years the installed `chinese-calendar` package knows (new years arrive each November)."""
    import chinese_calendar

    return sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})


def chinese_holidays(years: Iterable[int]) -> tuple[set[date], set[date]]:
    """(holidays, make-up working days) of the given years, as published by the State Council.

    Straight from the `chinese-calendar` package: holidays include the weekend days inside a
    holiday block (closed anyway); make-up days are the weekend days that work (调休). A year the
    package does not know raises ValueError rather than silently returning an ordinary year.
    """
    import chinese_calendar

    wanted = set(years)
    known = set(chinese_holiday_years())
    missing = wanted - known
    if missing:
        version = getattr(chinese_calendar, "__version__", "?")
        raise ValueError(
            f"chinese-calendar {version} does not know {sorted(missing)} "
            f"(it knows {min(known)}–{max(known)}); enter those holidays by hand or upgrade the package"
        )
    holidays = {d for d in chinese_calendar.holidays if d.year in wanted}
    workdays = {d for d in chinese_calendar.workdays if d.year in wanted}
    return holidays, workdays
