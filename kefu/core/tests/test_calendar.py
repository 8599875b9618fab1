"""Business calendar engine: table tests, DST rules, validation, and hypothesis properties.

Pure Python, no Django: run with `pytest kefu/core/tests/test_calendar.py -p no:django`.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.calendar import (
    BusinessCalendar,
    WorkingPeriod,
    add_business_time,
    business_time_between,
    chinese_holidays,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
BER = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)

# The State Council's 2026 holiday schedule (published November 2025), written out so these tables
# do not depend on the installed chinese-calendar version; test_chinese_holidays_2026 checks the
# package agrees.
HOLIDAYS_2026 = frozenset(
    [date(2026, 1, d) for d in (1, 2, 3)]  # 元旦
    + [date(2026, 2, d) for d in range(15, 24)]  # 春节
    + [date(2026, 4, d) for d in (4, 5, 6)]  # 清明节
    + [date(2026, 5, d) for d in range(1, 6)]  # 劳动节
    + [date(2026, 6, d) for d in (19, 20, 21)]  # 端午节
    + [date(2026, 9, d) for d in (25, 26, 27)]  # 中秋节
    + [date(2026, 10, d) for d in range(1, 8)]  # 国庆节
)
WORKDAYS_2026 = frozenset(
    [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
)

CN = BusinessCalendar.workweek("09:00-12:00", "13:30-18:00", holidays=HOLIDAYS_2026, workdays=WORKDAYS_2026)
NIGHT = BusinessCalendar.workweek("00:00-06:00", "20:00-24:00", weekdays=range(7))
ALWAYS_SH = BusinessCalendar.always_open()
ALWAYS_NY = BusinessCalendar.always_open("America/New_York")
ALWAYS_BER = BusinessCalendar.always_open("Europe/Berlin")
# Not the 24×7 fast path (it has a holiday), so DST days go through the general algorithm.
ALWAYS_BER_HOLIDAY = ALWAYS_BER.with_holidays([date(2026, 3, 28)])
NY_OFFICE = BusinessCalendar.workweek("09:00-17:00", tz="America/New_York")
NY_NIGHT = BusinessCalendar.workweek("01:00-04:00", weekdays=range(7), tz="America/New_York")
# Periods straddling Berlin's transitions: 02:00→03:00 on 2026-03-29, 03:00→02:00 on 2026-10-25.
BER_NIGHT = BusinessCalendar.workweek(
    "01:00-02:00", "02:15-02:45", "02:45-04:00", weekdays=range(7), tz="Europe/Berlin"
)
# Saturday works mornings; a make-up Sunday uses Saturday's periods.
SAT_MAKEUP = BusinessCalendar.from_schedule(
    {**{i: ["09:00-18:00"] for i in range(5)}, 5: ["09:00-12:00"]},
    workdays=[date(2026, 3, 15)],
    makeup_weekday=5,
)


def _at(zone: tzinfo, *args: int, fold: int = 0) -> datetime:
    y, mo, d, h, mi, sec, us = (*args, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, sec, us, tzinfo=zone, fold=fold)


def sh(*args: int) -> datetime:
    return _at(SH, *args)


def ny(*args: int, fold: int = 0) -> datetime:
    return _at(NY, *args, fold=fold)


def ber(*args: int, fold: int = 0) -> datetime:
    return _at(BER, *args, fold=fold)


def utc(*args: int) -> datetime:
    return _at(UTC, *args)


# add_business_time: table ------------------------------------------------------------------------

ADD_CASES = [
    # CN office calendar: Mon–Fri 09:00–12:00 and 13:30–18:00 (7.5 h a day) with the 2026 holidays.
    ("morning", CN, sh(2026, 3, 10, 10), H, sh(2026, 3, 10, 11)),
    ("lunch break", CN, sh(2026, 3, 10, 11, 30), H, sh(2026, 3, 10, 14)),
    ("ends exactly at noon", CN, sh(2026, 3, 10, 9), 3 * H, sh(2026, 3, 10, 12)),
    ("ends exactly at close", CN, sh(2026, 3, 10, 13, 30), 4 * H + 30 * M, sh(2026, 3, 10, 18)),
    ("last second of the day", CN, sh(2026, 3, 10, 17, 59, 59), S, sh(2026, 3, 10, 18)),
    ("one second past close", CN, sh(2026, 3, 10, 13, 30), 4 * H + 30 * M + S, sh(2026, 3, 11, 9, 0, 1)),
    ("across midnight", CN, sh(2026, 3, 10, 17), 2 * H, sh(2026, 3, 11, 10)),
    ("Friday evening into Monday", CN, sh(2026, 3, 13, 17, 30), H, sh(2026, 3, 16, 9, 30)),
    ("from Friday night", CN, sh(2026, 3, 13, 20), 30 * M, sh(2026, 3, 16, 9, 30)),
    ("from Saturday", CN, sh(2026, 3, 14, 10), H, sh(2026, 3, 16, 10)),
    ("inside lunch break", CN, sh(2026, 3, 10, 12, 30), S, sh(2026, 3, 10, 13, 30, 1)),
    ("one second before opening", CN, sh(2026, 3, 10, 8, 59, 59), S, sh(2026, 3, 10, 9, 0, 1)),
    ("at opening", CN, sh(2026, 3, 10, 9), S, sh(2026, 3, 10, 9, 0, 1)),
    ("at noon close", CN, sh(2026, 3, 10, 12), H, sh(2026, 3, 10, 14, 30)),
    ("at afternoon opening", CN, sh(2026, 3, 10, 13, 30), 30 * M, sh(2026, 3, 10, 14)),
    ("at close", CN, sh(2026, 3, 10, 18), M, sh(2026, 3, 11, 9, 1)),
    (
        "microseconds",
        CN,
        sh(2026, 3, 10, 11, 59, 59, 999_999),
        timedelta(microseconds=2),
        sh(2026, 3, 10, 13, 30, 0, 1),
    ),
    ("48 business hours", CN, sh(2026, 3, 9, 9), 48 * H, sh(2026, 3, 17, 12)),
    ("National Day: from the eve", CN, sh(2026, 9, 30, 17), 2 * H, sh(2026, 10, 8, 10)),
    ("National Day: 4 h from the eve", CN, sh(2026, 9, 30, 16), 4 * H, sh(2026, 10, 8, 11)),
    ("National Day: start on the holiday", CN, sh(2026, 10, 1, 10), 30 * M, sh(2026, 10, 8, 9, 30)),
    ("National Day: 调休 Saturday", CN, sh(2026, 10, 9, 17), 2 * H, sh(2026, 10, 10, 10)),
    ("National Day: from 调休 Saturday", CN, sh(2026, 10, 10, 17), 2 * H, sh(2026, 10, 12, 10)),
    ("Mid-Autumn: holiday Friday", CN, sh(2026, 9, 24, 17), 2 * H, sh(2026, 9, 28, 10)),
    ("调休 Sunday before National Day", CN, sh(2026, 9, 18, 17), 2 * H, sh(2026, 9, 20, 10)),
    ("Spring Festival: 调休 Saturday", CN, sh(2026, 2, 13, 17), 2 * H, sh(2026, 2, 14, 10)),
    ("Spring Festival: across the 9 days", CN, sh(2026, 2, 14, 17), 2 * H, sh(2026, 2, 24, 10)),
    ("New Year: into 调休 Sunday", CN, sh(2025, 12, 31, 17), 2 * H, sh(2026, 1, 4, 10)),
    ("the whole of 2026", CN, sh(2026, 1, 1), 1860 * H, sh(2026, 12, 31, 18)),
    # 2027 is not in the calendar: 140 h = 18 ordinary days and 5 h.
    ("2,000 business hours", CN, sh(2026, 1, 1), 2000 * H, sh(2027, 1, 27, 15, 30)),
    # Night shift: 00:00–06:00 and 20:00–24:00 every day.
    ("night shift across midnight", NIGHT, sh(2026, 3, 10, 23), 2 * H, sh(2026, 3, 11, 1)),
    ("night shift ends at 24:00", NIGHT, sh(2026, 3, 10, 22), 2 * H, sh(2026, 3, 11)),
    ("night shift from the day", NIGHT, sh(2026, 3, 10, 12), H, sh(2026, 3, 10, 21)),
    # 24×7.
    ("24×7", ALWAYS_SH, sh(2026, 3, 14, 23), 48 * H, sh(2026, 3, 16, 23)),
    ("24×7 New York spring forward", ALWAYS_NY, ny(2026, 3, 7, 12), 24 * H, ny(2026, 3, 8, 13)),
    ("24×7 Berlin fall back", ALWAYS_BER, ber(2026, 10, 25), 24 * H, ber(2026, 10, 25, 23)),
    ("24×7 with a holiday", ALWAYS_BER_HOLIDAY, ber(2026, 3, 27, 23), 2 * H, ber(2026, 3, 29, 1)),
    ("24×7 with a holiday, over the gap", ALWAYS_BER_HOLIDAY, ber(2026, 3, 29), 3 * H, ber(2026, 3, 29, 4)),
    # DST: New York.
    ("NY office over spring forward", NY_OFFICE, ny(2026, 3, 6, 16), 2 * H, ny(2026, 3, 9, 10)),
    ("NY night: short day ends at 04:00", NY_NIGHT, ny(2026, 3, 8, 1), 2 * H, ny(2026, 3, 8, 4)),
    ("NY night: next day", NY_NIGHT, ny(2026, 3, 8, 1), 2 * H + M, ny(2026, 3, 9, 1, 1)),
    ("NY night: long day", NY_NIGHT, ny(2026, 11, 1, 1), 3 * H + 30 * M, ny(2026, 11, 1, 3, 30)),
    ("NY night: second 01:30", NY_NIGHT, ny(2026, 11, 1, 1, 30, fold=1), H, ny(2026, 11, 1, 2, 30)),
    # DST: Berlin, periods 01:00–02:00, 02:15–02:45 (inside the gap: empty), 02:45–04:00.
    ("Berlin gap", BER_NIGHT, ber(2026, 3, 29, 1, 30), 45 * M, ber(2026, 3, 29, 3, 15)),
    ("Berlin overlap, first pass", BER_NIGHT, ber(2026, 10, 25, 1, 30), H, ber(2026, 10, 25, 2, 45)),
    ("Berlin overlap, second pass", BER_NIGHT, ber(2026, 10, 25, 2, 20, fold=1), H, ber(2026, 10, 25, 3, 20)),
    # 调休 with Saturday's periods.
    ("make-up Sunday uses Saturday", SAT_MAKEUP, sh(2026, 3, 14, 11), 2 * H, sh(2026, 3, 15, 10)),
    ("make-up Sunday to its close", SAT_MAKEUP, sh(2026, 3, 14, 11), 4 * H, sh(2026, 3, 15, 12)),
    ("after make-up Sunday", SAT_MAKEUP, sh(2026, 3, 14, 11), 4 * H + M, sh(2026, 3, 16, 9, 1)),
]


@pytest.mark.parametrize(
    ("cal", "start", "duration", "expected"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_business_time(
    cal: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime
) -> None:
    result = add_business_time(start, duration, cal)
    # Compare in UTC: Python never finds an ambiguous local time equal to an instant in another zone.
    assert result == expected.astimezone(UTC)
    assert result.tzinfo is UTC
    assert business_time_between(start, result, cal) == duration


@pytest.mark.parametrize(
    "start",
    [
        sh(2026, 3, 10, 10),
        sh(2026, 3, 10, 12, 30),
        sh(2026, 3, 14, 10),
        sh(2026, 10, 1, 10),
        sh(2026, 3, 10, 18),
    ],
    ids=["open", "lunch", "weekend", "holiday", "at close"],
)
def test_add_zero_returns_start(start: datetime) -> None:
    assert add_business_time(start, timedelta(0), CN) == start.astimezone(UTC)


def test_result_is_utc_whatever_the_input_zone() -> None:
    start = datetime(2026, 3, 10, 2, tzinfo=UTC)  # 10:00 in Shanghai
    assert add_business_time(start, H, CN) == utc(2026, 3, 10, 3)
    assert add_business_time(start.astimezone(NY), H, CN) == utc(2026, 3, 10, 3)


# business_time_between: table ------------------------------------------------------------------

BETWEEN_CASES = [
    ("Friday evening to Monday", CN, sh(2026, 3, 13, 17), sh(2026, 3, 16, 10), 2 * H),
    ("reversed is negative", CN, sh(2026, 3, 16, 10), sh(2026, 3, 13, 17), -2 * H),
    ("same instant", CN, sh(2026, 3, 10, 10), sh(2026, 3, 10, 10), timedelta(0)),
    ("lunch break", CN, sh(2026, 3, 10, 11), sh(2026, 3, 10, 14), 90 * M),
    ("within lunch break", CN, sh(2026, 3, 10, 12, 5), sh(2026, 3, 10, 13, 25), timedelta(0)),
    ("overnight", CN, sh(2026, 3, 10, 17), sh(2026, 3, 11, 10), 2 * H),
    ("the whole of 2026: 248 days", CN, sh(2026, 1, 1), sh(2027, 1, 1), 248 * 7.5 * H),
    ("National Day fortnight", CN, sh(2026, 9, 28), sh(2026, 10, 12), 6 * 7.5 * H),
    ("Golden Week itself", CN, sh(2026, 10, 1), sh(2026, 10, 8), timedelta(0)),
    ("Spring Festival fortnight", CN, sh(2026, 2, 14), sh(2026, 2, 28), 5 * 7.5 * H),
    ("mixed input zones", CN, utc(2026, 3, 13, 9), sh(2026, 3, 16, 10), 2 * H),
    ("night shift across midnight", NIGHT, sh(2026, 3, 10, 19), sh(2026, 3, 11, 7), 10 * H),
    ("24×7 New York spring weekend", ALWAYS_NY, ny(2026, 3, 7), ny(2026, 3, 9), 47 * H),
    ("24×7 Berlin autumn weekend", ALWAYS_BER, ber(2026, 10, 24), ber(2026, 10, 26), 49 * H),
    ("24×7 with a holiday", ALWAYS_BER_HOLIDAY, ber(2026, 3, 27), ber(2026, 3, 30), 47 * H),
    ("NY office over spring forward", NY_OFFICE, ny(2026, 3, 6, 16), ny(2026, 3, 9, 10), 2 * H),
    ("NY night, short day", NY_NIGHT, ny(2026, 3, 8), ny(2026, 3, 9), 2 * H),
    ("NY night, long day", NY_NIGHT, ny(2026, 11, 1), ny(2026, 11, 2), 4 * H),
    ("Berlin night, short day", BER_NIGHT, ber(2026, 3, 29), ber(2026, 3, 30), 2 * H),
    ("Berlin night, long day", BER_NIGHT, ber(2026, 10, 25), ber(2026, 10, 26), 3 * H + 45 * M),
    ("make-up Sunday", SAT_MAKEUP, sh(2026, 3, 14), sh(2026, 3, 16), 6 * H),
]


@pytest.mark.parametrize(
    ("cal", "a", "b", "expected"), [c[1:] for c in BETWEEN_CASES], ids=[c[0] for c in BETWEEN_CASES]
)
def test_business_time_between(cal: BusinessCalendar, a: datetime, b: datetime, expected: timedelta) -> None:
    assert business_time_between(a, b, cal) == expected
    assert business_time_between(b, a, cal) == -expected


# DST: the exact open intervals -----------------------------------------------------------------------

INTERVAL_CASES = [
    # A boundary in a gap moves to the end of the gap (the transition); 02:15–02:45 vanishes.
    ("Berlin spring", BER_NIGHT, date(2026, 3, 29), [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
                                                     (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))]),
    # A boundary in an overlap takes its first occurrence; 02:45–04:00 lasts 2 h 15 min.
    ("Berlin autumn", BER_NIGHT, date(2026, 10, 25), [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 0)),
                                                      (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),
                                                      (utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 3))]),
    ("Berlin ordinary", BER_NIGHT, date(2026, 3, 28), [(utc(2026, 3, 28, 0), utc(2026, 3, 28, 1)),
                                                       (utc(2026, 3, 28, 1, 15), utc(2026, 3, 28, 1, 45)),
                                                       (utc(2026, 3, 28, 1, 45), utc(2026, 3, 28, 3))]),
    ("New York spring", NY_NIGHT, date(2026, 3, 8), [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]),
    ("New York autumn", NY_NIGHT, date(2026, 11, 1), [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))]),
    ("24×7 Berlin spring", ALWAYS_BER, date(2026, 3, 29), [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))]),
    ("holiday", CN, date(2026, 10, 1), []),
    ("调休 Saturday", CN, date(2026, 10, 10), [(utc(2026, 10, 10, 1), utc(2026, 10, 10, 4)),
                                             (utc(2026, 10, 10, 5, 30), utc(2026, 10, 10, 10))]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cal", "day", "expected"), [c[1:] for c in INTERVAL_CASES], ids=[c[0] for c in INTERVAL_CASES]
)
def test_intervals_on(cal: BusinessCalendar, day: date, expected: list[tuple[datetime, datetime]]) -> None:
    assert cal.intervals_on(day) == expected
    assert cal.business_time_on(day) == sum((e - s for s, e in expected), timedelta(0))


@pytest.mark.parametrize("cal", [CN, NIGHT, NY_OFFICE, NY_NIGHT, BER_NIGHT, ALWAYS_BER_HOLIDAY, SAT_MAKEUP])
def test_intervals_are_sorted_and_disjoint_all_year(cal: BusinessCalendar) -> None:
    previous_end = utc(2025, 1, 1)
    day = date(2026, 1, 1)
    while day.year == 2026:
        for s, e in cal.intervals_on(day):
            assert previous_end <= s < e
            previous_end = e
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 10, 9), True),
        (sh(2026, 3, 10, 11, 59, 59, 999_999), True),
        (sh(2026, 3, 10, 12), False),
        (sh(2026, 3, 10, 13, 30), True),
        (sh(2026, 3, 10, 18), False),
        (sh(2026, 3, 14, 10), False),
        (sh(2026, 10, 1, 10), False),
        (sh(2026, 10, 10, 10), True),
    ],
)
def test_is_open(at: datetime, expected: bool) -> None:
    assert CN.is_open(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 10, 10), sh(2026, 3, 10, 10)),
        (sh(2026, 3, 10, 12), sh(2026, 3, 10, 13, 30)),
        (sh(2026, 3, 13, 18), sh(2026, 3, 16, 9)),
        (sh(2026, 9, 30, 18), sh(2026, 10, 8, 9)),
    ],
)
def test_next_open(at: datetime, expected: datetime) -> None:
    assert CN.next_open(at) == expected


# Model and validation --------------------------------------------------------------------------------


def test_period_parsing() -> None:
    assert WorkingPeriod.parse("9:00-12:00") == WorkingPeriod(9 * H, 12 * H)
    assert WorkingPeriod.parse("13:30–24:00") == WorkingPeriod(13.5 * H, 24 * H)
    assert WorkingPeriod.parse("08:00:30 ~ 09:00") == WorkingPeriod(8 * H + 30 * S, 9 * H)
    assert str(WorkingPeriod.parse("20:00-24:00")) == "20:00-24:00"


@pytest.mark.parametrize("text", ["9-12", "12:00-09:00", "09:00-09:00", "09:00-24:01", "09:60-10:00", "abc"])
def test_period_parsing_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        WorkingPeriod.parse(text)


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        (["09:00-14:00", "13:30-18:00"], "Monday: working periods 09:00-14:00 and 13:30-18:00 overlap"),
        (["13:30-18:00", "09:00-12:00"], "Monday: working periods must be sorted"),
    ],
)
def test_overlapping_or_unsorted_periods_raise(periods: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.workweek(*periods)


def test_adjacent_periods_are_fine() -> None:
    cal = BusinessCalendar.workweek("09:00-12:00", "12:00-18:00")
    assert add_business_time(sh(2026, 3, 10, 11), 2 * H, cal) == sh(2026, 3, 10, 13)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"week": ((),) * 6}, "7 days"),
        ({"week": ((),) * 7, "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"week": ((),) * 7, "makeup_weekday": 7}, "makeup_weekday"),
        ({"week": ((),) * 7, "holidays": {date(2026, 1, 4)}, "workdays": {date(2026, 1, 4)}}, "both"),
        ({"week": ((),) * 7, "holidays": {datetime(2026, 1, 4)}}, "must be dates"),
    ],
)
def test_calendar_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_schedule_weekday_out_of_range() -> None:
    with pytest.raises(ValueError, match="weekdays are 0"):
        BusinessCalendar.from_schedule({7: ["09:00-10:00"]})


def test_calendar_is_immutable_hashable_and_coerces() -> None:
    a = BusinessCalendar(week=[["09:00-12:00"]] * 5 + [[], []], holidays=[date(2026, 10, 1)])  # type: ignore[arg-type]
    b = BusinessCalendar.workweek("09:00-12:00", holidays={date(2026, 10, 1)})
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.holidays, frozenset) and isinstance(a.week[0], tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.tz = "UTC"  # type: ignore[misc]
    assert a != dataclasses.replace(a, tz="UTC")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 3, 10, 9), H, CN)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(sh(2026, 3, 10, 9), datetime(2026, 3, 10, 10), CN)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(sh(2026, 3, 10, 9), -H, CN)


def test_calendar_that_never_opens_raises_instead_of_looping() -> None:
    never = BusinessCalendar(week=((),) * 7, workdays=frozenset({date(2026, 3, 14)}))
    with pytest.raises(ValueError, match="never opens"):
        add_business_time(sh(2026, 3, 10), H, never)
    with pytest.raises(ValueError, match="never opens"):
        never.next_open(sh(2026, 3, 10))
    assert add_business_time(sh(2026, 3, 10), timedelta(0), never) == sh(2026, 3, 10)
    assert business_time_between(sh(2026, 3, 10), sh(2027, 3, 10), never) == timedelta(0)


def test_chinese_holidays_2026() -> None:
    pytest.importorskip("chinese_calendar")
    holidays, workdays = chinese_holidays([2026])
    assert holidays == HOLIDAYS_2026
    assert workdays == WORKDAYS_2026
    assert len([d for d in holidays if d.weekday() < 5]) == 19
    assert len(workdays) == 6 and all(d.weekday() >= 5 for d in workdays)
    cal = BusinessCalendar.workweek("09:00-12:00", "13:30-18:00").with_holidays(holidays, workdays)
    assert cal == CN


def test_chinese_holidays_unknown_year() -> None:
    pytest.importorskip("chinese_calendar")
    with pytest.raises(ValueError, match="does not know"):
        chinese_holidays([2026, 2100])


# Properties ---------------------------------------------------------------------------------------

CALENDARS = [CN, NIGHT, ALWAYS_SH, ALWAYS_BER_HOLIDAY, NY_OFFICE, NY_NIGHT, BER_NIGHT, SAT_MAKEUP]
LO = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp()) * 10**6
HI = int(datetime(2027, 1, 31, tzinfo=UTC).timestamp()) * 10**6
# Days where the interesting things happen: DST transitions, holiday blocks, 调休 days.
HOT_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25), date(2026, 1, 4),
            date(2026, 2, 14), date(2026, 2, 24), date(2026, 9, 20), date(2026, 9, 30), date(2026, 10, 10)]  # fmt: skip
INPUT_ZONES = [UTC, SH, NY, BER]

calendars = st.sampled_from(CALENDARS)


@st.composite
def instants(draw: st.DrawFn, minute_aligned: bool = False) -> datetime:
    if draw(st.booleans()):
        us = draw(st.integers(LO, HI))
    else:
        day = draw(st.sampled_from(HOT_DAYS))
        base = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 10**6
        us = base + draw(st.integers(-36 * 3600, 36 * 3600)) * 10**6 + draw(st.integers(0, 10**6 - 1))
    if minute_aligned:
        us -= us % (60 * 10**6)
    instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return instant.astimezone(draw(st.sampled_from(INPUT_ZONES)))


durations = st.one_of(
    st.sampled_from([timedelta(0), 30 * M, 4 * H, 8 * H, 48 * H]),
    st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 200 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
)
PROPS = settings(max_examples=200, deadline=None)


def u(dt: datetime) -> datetime:
    """In UTC. Aware datetimes sharing a ZoneInfo compare and subtract by wall clock (PEP 495), so
    properties over instants in DST zones must order and subtract them in UTC."""
    return dt.astimezone(UTC)


def _inside_closed_period(cal: BusinessCalendar, at: datetime) -> bool:
    """True unless `at` lies in (opening, closing] of some open interval."""
    local = at.astimezone(cal.zone).date()
    for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
        if any(s < at <= e for s, e in cal.intervals_on(day)):
            return False
    return True


@PROPS
@given(cal=calendars, start=instants(), duration=durations)
def test_add_then_measure_returns_the_duration(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = add_business_time(start, duration, cal)
    assert end >= u(start)
    assert business_time_between(start, end, cal) == duration


@PROPS
@given(cal=calendars, start=instants(), d1=durations, d2=durations)
def test_monotonic_in_duration(cal: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta) -> None:
    d1, d2 = sorted([d1, d2])
    assert add_business_time(start, d1, cal) <= add_business_time(start, d2, cal)


@PROPS
@given(cal=calendars, s1=instants(), s2=instants(), duration=durations)
def test_monotonic_in_start(cal: BusinessCalendar, s1: datetime, s2: datetime, duration: timedelta) -> None:
    s1, s2 = sorted([s1, s2], key=u)
    assert add_business_time(s1, duration, cal) <= add_business_time(s2, duration, cal)


@PROPS
@given(cal=calendars, start=instants(), duration=durations.filter(lambda d: d > timedelta(0)))
def test_positive_duration_never_lands_in_a_closed_period(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    assert not _inside_closed_period(cal, add_business_time(start, duration, cal))


@PROPS
@given(cal=calendars, a=instants(), b=instants(), c=instants())
def test_between_is_additive_and_antisymmetric(
    cal: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    ab, bc, ac = (business_time_between(x, y, cal) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert business_time_between(b, a, cal) == -ab
    if u(a) <= u(b):
        assert timedelta(0) <= ab <= u(b) - u(a)


def _oracle_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Minute by minute, straight from the definition: the calendar is open at instant t when the
    highest wall-clock reading so far (the clock runs backwards in an overlap and skips a gap)
    lies in a working period of its date."""
    step = timedelta(minutes=1)
    t = u(a) - 3 * H  # long enough to know the highest reading through any overlap
    high: datetime | None = None
    count = 0
    while t < u(b):
        wall = t.astimezone(cal.zone).replace(tzinfo=None)
        high = wall if high is None or wall > high else high
        if t >= u(a):
            day = high.date()
            if day in cal.holidays:
                periods: tuple[WorkingPeriod, ...] = ()
            elif day in cal.workdays:
                periods = cal.week[cal.makeup_weekday]
            else:
                periods = cal.week[day.weekday()]
            tod = high - datetime(day.year, day.month, day.day)
            count += any(p.start <= tod < p.end for p in periods)
        t += step
    return count * step


@settings(max_examples=120, deadline=None)
@given(cal=calendars, a=instants(minute_aligned=True), minutes=st.integers(0, 2 * 24 * 60))
def test_between_matches_minute_by_minute_oracle(cal: BusinessCalendar, a: datetime, minutes: int) -> None:
    b = u(a) + timedelta(minutes=minutes)
    assert business_time_between(a, b, cal) == _oracle_between(cal, a, b)


@PROPS
@given(cal=calendars, start=instants(), d1=durations, d2=durations)
def test_adding_in_two_steps_equals_adding_once(
    cal: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta
) -> None:
    once = add_business_time(start, d1 + d2, cal)
    assert add_business_time(add_business_time(start, d1, cal), d2, cal) == once


# São Paulo (until 2019) moved its clocks at midnight: 2018-11-04 00:00 did not exist, and on
# 2019-02-16 the clock ran 23:59 → 23:00, so part of Saturday came after Sunday's midnight had passed.
SAO = BusinessCalendar.workweek("00:00-00:30", "22:30-24:00", weekdays=range(7), tz="America/Sao_Paulo")


@pytest.mark.parametrize("day", [date(2018, 11, 3), date(2019, 2, 15)])
def test_midnight_transitions(day: date) -> None:
    a = datetime(day.year, day.month, day.day, tzinfo=UTC)
    b = a + timedelta(days=3)
    assert business_time_between(a, b, SAO) == _oracle_between(SAO, a, b)
    for minutes in range(0, 3 * 24 * 60, 17):
        start = a + timedelta(minutes=minutes)
        for duration in (M, 45 * M, 2 * H):
            end = add_business_time(start, duration, SAO)
            assert business_time_between(start, end, SAO) == duration
            assert not _inside_closed_period(SAO, end)
