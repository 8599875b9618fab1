"""Equipment availability (设备可用率), pure: no ORM, table-tested in tests/test_availability.py.

Availability of a device over a period = 1 − downtime / period. Downtime is the union of its fault
intervals [reported, resolved) clipped to the period: two faults open at the same time count once,
a fault still open counts up to `now` (never past the period's end), a fault that crosses a month
boundary counts in each month for its part. The period of a month is the whole month (from the
device's first day in service when that is later): the month's figure can only fall while the
month runs, so "fell under the target" is a fact that stays true and is alerted once.

Per kind: the downtime of all its devices over the sum of their periods (device-time weighted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime | None]  # (reported, resolved or None while open)

DEFAULT_TARGET = Decimal("99.00")  # percent


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first local midnight of the month, first local midnight of the next)."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(0), zone), datetime.combine(nxt, time(0), zone)


def months_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """The first days of the local months that [start, end] touches, oldest first."""
    out: list[date] = []
    d = start.astimezone(zone).date().replace(day=1)
    last = end.astimezone(zone).date().replace(day=1)
    while d <= last:
        out.append(d)
        d = (d + timedelta(days=32)).replace(day=1)
    return out


def merged(intervals: Iterable[Interval], start: datetime, end: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """The intervals clipped to [start, min(end, now)) and merged where they overlap or touch."""
    stop = min(end, now)
    clipped = []
    for a, b in intervals:
        lo = max(a, start)
        hi = min(b if b is not None else now, stop)
        if hi > lo:
            clipped.append((lo, hi))
    clipped.sort()
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def downtime_seconds(intervals: Iterable[Interval], start: datetime, end: datetime, now: datetime) -> float:
    return sum((hi - lo).total_seconds() for lo, hi in merged(intervals, start, end, now))


@dataclass(frozen=True)
class Availability:
    downtime_seconds: float
    period_seconds: float

    @property
    def downtime_hours(self) -> float:
        return round(self.downtime_seconds / 3600, 1)

    @property
    def ratio(self) -> float | None:
        """1 − downtime/period; None for an empty period (not yet in service)."""
        if self.period_seconds <= 0:
            return None
        return max(0.0, 1.0 - self.downtime_seconds / self.period_seconds)

    @property
    def percent(self) -> Decimal | None:
        """Percent with two places, rounded down: 98.996… shows 98.99, under a 99 target as it is."""
        r = self.ratio
        if r is None:
            return None
        return (Decimal(repr(r)) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)

    def under(self, target_percent: Decimal) -> bool:
        r = self.ratio
        return r is not None and Decimal(repr(r)) * 100 < target_percent


def device_availability(
    intervals: Sequence[Interval], start: datetime, end: datetime, now: datetime, *, in_service_from: datetime | None = None
) -> Availability:
    """One device over [start, end): the period starts when the device came into service if later."""
    begin = max(start, in_service_from) if in_service_from is not None else start
    if begin >= end:
        return Availability(0.0, 0.0)
    return Availability(downtime_seconds(intervals, begin, end, now), (end - begin).total_seconds())


def combined(parts: Iterable[Availability]) -> Availability:
    """Several devices together (a kind): downtime and period summed."""
    down = period = 0.0
    for p in parts:
        down += p.downtime_seconds
        period += p.period_seconds
    return Availability(down, period)
