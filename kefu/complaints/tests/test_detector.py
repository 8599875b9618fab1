"""The detector as pure code: baseline learning, the daily CUSUM/Shewhart check, the hourly window,
grading and the Chinese calendar's day types."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kefu.complaints import detector as d


def _learnt(mean: float = 20.0, days: int = 60, seed: int = 1) -> d.Baseline:
    rng = np.random.default_rng(seed)
    b = d.Baseline()
    start = date(2026, 3, 2)  # a Monday
    for i in range(days):
        day = date.fromordinal(start.toordinal() + i)
        factor = 1.3 if day.weekday() == 0 else (0.6 if day.weekday() >= 5 else 1.0)
        d.update_day(b, int(rng.poisson(mean * factor)), d.day_type(day))
    return b


def test_day_types_know_holidays_and_makeup_days() -> None:
    national_day = date(2026, 10, 1)
    makeup = date(2026, 10, 10)  # a Saturday that works
    assert d.day_type(national_day, {national_day}, set()) == d.HOLIDAY
    assert d.day_type(makeup, set(), {makeup}) == 0
    assert d.day_type(date(2026, 10, 14)) == 2


def test_the_baseline_learns_level_and_weekday_factors() -> None:
    b = _learnt()
    assert 16 < b.level < 24
    assert b.factors[0] > b.factors[2] > b.factors[6]
    assert b.days == 60


def test_an_ordinary_day_does_not_alarm_and_a_tripled_day_does() -> None:
    b = _learnt()
    calm = d.update_day(b, round(b.expected_day(2)), 2)
    assert not calm.alarm
    spike = d.update_day(b, round(b.expected_day(2) * 3), 2)
    assert spike.alarm and spike.ratio > 2.5


def test_a_spike_does_not_teach_the_baseline() -> None:
    b = _learnt()
    before = b.level
    d.update_day(b, 500, 2)
    assert b.level < before * 1.2


def test_no_alarm_while_warming_up() -> None:
    b = d.Baseline()
    verdicts = [d.update_day(b, x, 2) for x in [5, 6, 4, 50]]
    assert not any(v.alarm for v in verdicts) and verdicts[-1].warming_up


def test_the_hourly_check_sees_a_tripled_morning_within_two_hours() -> None:
    b = _learnt()
    hours = [9, 10, 11]
    normal = [round(b.expected_day(2) * b.hour_share[h]) for h in hours]
    assert not d.check_hours(b, 2, normal, hours).alarm
    tripled = [normal[0], normal[1] * 3 + 2, normal[2] * 3 + 2]
    verdict = d.check_hours(b, 2, tripled, hours)
    assert verdict.alarm and verdict.ratio > 2


def test_nb_tail_is_a_probability_and_heavier_than_poisson() -> None:
    assert d.nb_tail(0, 5.0, 0.1) == 1.0
    assert d.nb_tail(15, 5.0, 0.5) > d.nb_tail(15, 5.0, 0.0)
    assert 0 < d.nb_tail(15, 5.0, 0.0) < 0.001


@pytest.mark.parametrize(
    ("ratio", "count", "expected"),
    [(1.2, 50, None), (1.6, 50, "blue"), (2.2, 50, "yellow"), (3.5, 50, "red"), (3.5, 6, "yellow")],
)
def test_grade_takes_the_highest_level_reached(ratio, count, expected) -> None:
    levels = [
        d.LevelRule("blue", 1, 1.5, 3),
        d.LevelRule("yellow", 2, 2.0, 5),
        d.LevelRule("orange", 3, 2.5, 8),
        d.LevelRule("red", 4, 3.0, 10),
    ]
    got = d.grade(ratio, count, levels)
    assert (got.code if got else None) == expected


def test_baseline_round_trips_through_json() -> None:
    b = _learnt(days=30)
    again = d.Baseline.from_json(b.to_json())
    assert again == b
    assert d.Baseline.from_json({}) == d.Baseline()
