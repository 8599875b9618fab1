"""Reporting periods in Asia/Shanghai: a day, ISO week, month, quarter, year or a date range.

`Period.parse` reads what people type and the API takes: ``2026-11-03`` (day), ``2026-W45`` (ISO
week, Monday to Sunday), ``2026-11`` (month), ``2026-Q4`` (quarter), ``2026`` (year). A period is the
half-open interval [start, end) of local midnights; `bounds()` gives the aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
KINDS = ("day", "week", "month", "quarter", "year", "range")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """The text does not name a period (or a range runs backwards)."""


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date  # first local day
    end: date  # first local day after the period

    # --- construction -------------------------------------------------------------------------------

    @classmethod
    def of(cls, kind: str, day: date) -> Period:
        """The period of `kind` that contains local day `day`."""
        if kind == "day":
            return cls("day", day, day + timedelta(days=1))
        if kind == "week":
            start = day - timedelta(days=day.weekday())
            return cls("week", start, start + timedelta(days=7))
        if kind == "month":
            start = day.replace(day=1)
            return cls("month", start, _add_months(start, 1))
        if kind == "quarter":
            start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return cls("quarter", start, _add_months(start, 3))
        if kind == "year":
            return cls("year", date(day.year, 1, 1), date(day.year + 1, 1, 1))
        raise PeriodError(kind)

    @classmethod
    def range(cls, first: date, last: date) -> Period:
        """The local days first..last, both included."""
        if last < first:
            raise PeriodError("from > to")
        return cls("range", first, last + timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Period:
        text = (text or "").strip()
        try:
            if m := _DAY.match(text):
                return cls.of("day", date(int(m[1]), int(m[2]), int(m[3])))
            if m := _WEEK.match(text):
                return cls.of("week", date.fromisocalendar(int(m[1]), int(m[2]), 1))
            if m := _MONTH.match(text):
                return cls.of("month", date(int(m[1]), int(m[2]), 1))
            if m := _QUARTER.match(text):
                return cls.of("quarter", date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1))
            if m := _YEAR.match(text):
                return cls.of("year", date(int(m[1]), 1, 1))
        except ValueError as exc:
            raise PeriodError(text) from exc
        raise PeriodError(text)

    @classmethod
    def containing(cls, kind: str, moment: datetime) -> Period:
        return cls.of(kind, moment.astimezone(TZ).date())

    # --- use ----------------------------------------------------------------------------------------

    def bounds(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time(0), TZ), datetime.combine(self.end, time(0), TZ)

    @property
    def key(self) -> str:
        """The text `parse` reads back (ranges: 'first..last')."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"

    def shift(self, n: int) -> Period:
        """The period `n` steps later (earlier when negative), of the same kind."""
        if self.kind == "day":
            return Period.of("day", self.start + timedelta(days=n))
        if self.kind == "week":
            return Period.of("week", self.start + timedelta(days=7 * n))
        if self.kind == "month":
            return Period.of("month", _add_months(self.start, n))
        if self.kind == "quarter":
            return Period.of("quarter", _add_months(self.start, 3 * n))
        if self.kind == "year":
            return Period.of("year", date(self.start.year + n, 1, 1))
        length = self.end - self.start
        return Period("range", self.start + n * length, self.end + n * length)

    def last(self, n: int) -> list[Period]:
        """The `n` periods ending with this one, oldest first."""
        return [self.shift(i) for i in range(-n + 1, 1)]
