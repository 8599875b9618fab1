"""The greeting calendar: fixed and lunar holidays, configured dates, 29 February birthdays."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from kefu.care import occasions
from kefu.core.calendar import chinese_holiday_years

NAMES = {"spring_festival": "Spring Festival", "dragon_boat": "Dragon Boat Festival", "mid_autumn": "Mid-autumn Festival"}


@pytest.mark.parametrize("occasion", sorted(NAMES))
def test_the_lunar_table_agrees_with_the_state_council_calendar(occasion):
    # For every year the holiday package knows, the table's day is a holiday of that name.
    checked = 0
    for year, day in occasions.LUNAR_DATES[occasion].items():
        if year in chinese_holiday_years():
            assert chinese_calendar.get_holiday_detail(day) == (True, NAMES[occasion]), (occasion, day)
            checked += 1
    assert checked >= 2


def test_the_lantern_festival_is_fourteen_days_after_the_new_year():
    for year, day in occasions.LUNAR_DATES["lantern"].items():
        assert (day - occasions.LUNAR_DATES["spring_festival"][year]).days == 14


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 17), ["spring_festival"]),
        (date(2026, 9, 25), ["mid_autumn"]),
        (date(2026, 10, 1), ["national_day"]),
        (date(2028, 10, 3), ["mid_autumn"]),
        (date(2026, 1, 1), ["new_year"]),
        (date(2026, 3, 10), []),
        (date(2031, 1, 23), []),  # a year the table does not know: not guessed
    ],
)
def test_holidays_on(day, expected):
    assert occasions.holidays_on(day) == expected


def test_configured_dates_add_and_replace():
    configured = {("spring_festival", 2031): date(2031, 1, 23), ("mid_autumn", 2026): date(2026, 9, 26)}
    assert occasions.holidays_on(date(2031, 1, 23), configured) == ["spring_festival"]
    assert occasions.holidays_on(date(2026, 9, 25), configured) == []
    assert occasions.holidays_on(date(2026, 9, 26), configured) == ["mid_autumn"]


def test_leap_day_birthdays():
    assert occasions.birthday_matches(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert occasions.birthday_matches(date(2028, 2, 28)) == [(2, 28)]
    assert occasions.birthday_in(2027, date(2000, 2, 29)) == date(2027, 2, 28)
    assert occasions.birthday_in(2028, date(2000, 2, 29)) == date(2028, 2, 29)
