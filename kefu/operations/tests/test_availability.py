"""The availability arithmetic, table-tested: 1 − downtime/period, overlaps counted once, faults
crossing a month boundary split between the months, open faults up to now."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kefu.operations import availability as A

Z = ZoneInfo("Asia/Shanghai")
NOV = A.month_bounds(date(2026, 11, 1), Z)  # 30 days = 720 h
DEC = A.month_bounds(date(2026, 12, 1), Z)  # 31 days = 744 h
END_OF_YEAR = datetime(2027, 1, 1, tzinfo=Z)


def t(day: int, hour: float = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, tzinfo=Z) + timedelta(hours=hour)


@pytest.mark.parametrize(
    ("intervals", "bounds", "now", "hours"),
    [
        ([], NOV, END_OF_YEAR, 0),
        ([(t(3, 9), t(3, 12))], NOV, END_OF_YEAR, 3),
        # two faults at the same time count once: 9–12 and 10–14 → 9–14
        ([(t(3, 9), t(3, 12)), (t(3, 10), t(3, 14))], NOV, END_OF_YEAR, 5),
        # one inside the other
        ([(t(3, 9), t(3, 20)), (t(3, 10), t(3, 11))], NOV, END_OF_YEAR, 11),
        # touching ones join, apart ones add
        ([(t(3, 9), t(3, 10)), (t(3, 10), t(3, 11)), (t(5, 0), t(5, 2))], NOV, END_OF_YEAR, 4),
        # crossing the month boundary: Nov 30 20:00 → Dec 1 04:00 is 4 h in each month
        ([(t(30, 20), t(1, 4, month=12))], NOV, END_OF_YEAR, 4),
        ([(t(30, 20), t(1, 4, month=12))], DEC, END_OF_YEAR, 4),
        # started in October, resolved Nov 2 at 06:00
        ([(datetime(2026, 10, 30, tzinfo=Z), t(2, 6))], NOV, END_OF_YEAR, 30),
        # still open: up to now, never past the month's end
        ([(t(29, 0), None)], NOV, t(29, 10), 10),
        ([(t(29, 0), None)], NOV, END_OF_YEAR, 48),
        ([(t(29, 0), None)], DEC, t(2, 0, month=12), 24),
        # open and overlapping a closed one
        ([(t(29, 0), None), (t(28, 20), t(29, 2))], NOV, t(29, 10), 14),
        # entirely outside the month
        ([(t(1, 0, month=12), t(2, 0, month=12))], NOV, END_OF_YEAR, 0),
    ],
)
def test_downtime(intervals, bounds, now, hours) -> None:
    assert A.downtime_seconds(intervals, *bounds, now) == pytest.approx(hours * 3600)


@pytest.mark.parametrize(
    ("hours_down", "percent", "under_99"),
    [
        (0, Decimal("100.00"), False),
        (7.2, Decimal("99.00"), False),  # exactly 1% of 720 h: on target, not under
        (7.3, Decimal("98.98"), True),
        (72, Decimal("90.00"), True),
        (720, Decimal("0.00"), True),
    ],
)
def test_ratio_percent_and_target(hours_down, percent, under_99) -> None:
    a = A.device_availability([(t(1), t(1) + timedelta(hours=hours_down))], *NOV, END_OF_YEAR)
    assert a.period_seconds == 720 * 3600
    assert a.percent == percent
    assert a.under(Decimal("99")) is under_99


def test_in_service_mid_month_shortens_the_period() -> None:
    a = A.device_availability([(t(20), t(20, 3))], *NOV, END_OF_YEAR, in_service_from=t(16))
    assert a.period_seconds == 15 * 24 * 3600 and a.downtime_seconds == 3 * 3600
    assert A.device_availability([], *NOV, END_OF_YEAR, in_service_from=t(1, month=12)).ratio is None


def test_a_kind_weights_by_device_time() -> None:
    one = A.device_availability([(t(1), t(1, 36))], *NOV, END_OF_YEAR)  # 36 h down: 95%
    two = A.device_availability([], *NOV, END_OF_YEAR)
    both = A.combined([one, two])
    assert both.percent == Decimal("97.50") and both.under(Decimal("99"))
    assert A.combined([]).ratio is None


def test_months_between() -> None:
    assert A.months_between(t(30, 20), t(2, 0, month=12) + timedelta(days=31), Z) == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
    ]
