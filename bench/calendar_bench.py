"""Micro-benchmark of the business-calendar engine (kefu/core/calendar.py). Not part of the test suite.

    .venv/bin/python bench/calendar_bench.py [--calls N]

Prints calls per second of add_business_time for typical SLA targets and of business_time_between,
on the Chinese office calendar (09:00–12:00, 13:30–18:00, 2025–2026 holidays and 调休), from
random start instants in 2026. "warm" reuses the calendar's day cache, as a running process does;
"cold" rebuilds the calendar and drops its day cache before every call: a first call's cost.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kefu.core import calendar as cal_mod  # noqa: E402
from kefu.core.calendar import (  # noqa: E402
    BusinessCalendar,
    add_business_time,
    business_time_between,
    chinese_holidays,
)

HOLIDAYS, WORKDAYS = chinese_holidays([2025, 2026])


def _calendar() -> BusinessCalendar:
    return BusinessCalendar.workweek("09:00-12:00", "13:30-18:00", holidays=HOLIDAYS, workdays=WORKDAYS)


def _rate(fn: Callable[[int], object], calls: int) -> float:
    t0 = time.perf_counter()
    for i in range(calls):
        fn(i)
    return calls / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    calls: int = args.calls

    rng = random.Random(2026)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(calls)]
    ends = [s + timedelta(seconds=rng.randrange(14 * 86400)) for s in starts]
    cal = _calendar()
    for s in starts[:1000]:  # warm the day cache over 2026-2027
        add_business_time(s, timedelta(hours=2000), cal)

    print(f"kefu.core.calendar, {calls} calls each, Python {sys.version.split()[0]}")
    targets = [
        ("add 30 min", timedelta(minutes=30)),
        ("add 4 h", timedelta(hours=4)),
        ("add 48 business h", timedelta(hours=48)),
        ("add 2,000 business h", timedelta(hours=2000)),
    ]
    for label, duration in targets:
        n = calls if duration < timedelta(hours=100) else max(calls // 10, 1)

        def add(i: int, d: timedelta = duration) -> object:
            return add_business_time(starts[i], d, cal)

        rate = _rate(add, n)
        print(f"  {label:<26} warm {rate:>12,.0f} calls/s")
    rate = _rate(lambda i: business_time_between(starts[i], ends[i], cal), calls)
    print(f"  {'between (0-14 days)':<26} warm {rate:>12,.0f} calls/s")

    def cold(i: int) -> object:
        cal_mod._STATES.clear()  # drop the shared day cache: every call computes its days afresh
        return add_business_time(starts[i], timedelta(hours=48), _calendar())

    rate = _rate(cold, max(calls // 20, 1))
    print(f"  {'add 48 business h, cold':<26} cold {rate:>12,.0f} calls/s (incl. building the calendar)")


if __name__ == "__main__":
    main()
