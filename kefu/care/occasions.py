"""Which greeting occasions fall on a day. Pure, no ORM.

Solar holidays are fixed (元旦 1-1, 国庆 10-1). Lunar festivals (春节, 元宵, 端午, 中秋) move every
year and are not computed here: they come from `LUNAR_DATES`, the published dates, and from the
dates configured in the admin (`HolidayDate` rows, passed in as `configured`), which add years the
table lacks or replace a year's date. A lunar festival in a year neither knows is simply not greeted,
never guessed. kefu/care/tests/test_occasions.py checks the table against the State Council holiday
names of the `chinese-calendar` package (kefu/core/calendar.py's source) for the years it knows.

Birthdays: a customer born on 29 February is greeted on 28 February in a year without one.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date

from kefu.care.choices import Occasion

FIXED: dict[str, tuple[int, int]] = {
    Occasion.NEW_YEAR.value: (1, 1),
    Occasion.NATIONAL_DAY.value: (10, 1),
}

LUNAR_DATES: dict[str, dict[int, date]] = {
    Occasion.SPRING_FESTIVAL.value: {
        2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
        2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    },
    Occasion.LANTERN.value: {
        2024: date(2024, 2, 24), 2025: date(2025, 2, 12), 2026: date(2026, 3, 3), 2027: date(2027, 2, 20),
        2028: date(2028, 2, 9), 2029: date(2029, 2, 27), 2030: date(2030, 2, 17),
    },
    Occasion.DRAGON_BOAT.value: {
        2024: date(2024, 6, 10), 2025: date(2025, 5, 31), 2026: date(2026, 6, 19), 2027: date(2027, 6, 9),
        2028: date(2028, 5, 28), 2029: date(2029, 6, 16), 2030: date(2030, 6, 5),
    },
    Occasion.MID_AUTUMN.value: {
        2024: date(2024, 9, 17), 2025: date(2025, 10, 6), 2026: date(2026, 9, 25), 2027: date(2027, 9, 15),
        2028: date(2028, 10, 3), 2029: date(2029, 9, 22), 2030: date(2030, 9, 12),
    },
}  # fmt: skip

# When one day is several occasions, the customer gets one greeting: the first of this order.
PRECEDENCE = [
    Occasion.BIRTHDAY.value, Occasion.SPRING_FESTIVAL.value, Occasion.MID_AUTUMN.value, Occasion.NATIONAL_DAY.value,
    Occasion.DRAGON_BOAT.value, Occasion.LANTERN.value, Occasion.NEW_YEAR.value,
]  # fmt: skip


def holiday_date(occasion: str, year: int, configured: Mapping[tuple[str, int], date] | None = None) -> date | None:
    """The day of a holiday occasion in `year`, or None when it is not known."""
    if configured and (occasion, year) in configured:
        return configured[(occasion, year)]
    if occasion in FIXED:
        month, day = FIXED[occasion]
        return date(year, month, day)
    return LUNAR_DATES.get(occasion, {}).get(year)


def holidays_on(day: date, configured: Mapping[tuple[str, int], date] | None = None) -> list[str]:
    """The holiday occasions (not birthdays) that fall on `day`, in precedence order."""
    found = [o for o in PRECEDENCE if o != Occasion.BIRTHDAY and holiday_date(o, day.year, configured) == day]
    return found


def birthday_matches(day: date) -> list[tuple[int, int]]:
    """The (month, day) birthdays greeted on `day`: its own, and 29 February on 28 February of a common year."""
    out = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        out.append((2, 29))
    return out


def birthday_in(year: int, born: date) -> date:
    """The day a birthday is greeted in `year`."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, born.month, born.day)
