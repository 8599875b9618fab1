from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from kefu.workforce.engine import forecast as fc
from kefu.workforce.engine.intraday import StandbyAgent, propose_standby, reforecast
from kefu.workforce.engine.schedule import (
    AgentSpec,
    ShiftTemplate,
    WorkRules,
    assign_agents,
    coverage,
    solve_tours,
)


def _history(days: int = 84, seed: int = 1) -> tuple[list[date], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dates = [date(2025, 1, 6) + timedelta(days=i) for i in range(days)]
    shape = np.exp(-((np.arange(48) - 22) ** 2) / 60)
    level = np.array([[300, 280, 270, 260, 250, 120, 100][d.weekday()] for d in dates], dtype=float)
    mean = level[:, None] * shape / shape.sum()
    return dates, rng.poisson(mean).astype(float), mean


def test_wape_and_poisson_floor():
    assert fc.wape([10, 10], [8, 12]) == pytest.approx(0.2)
    assert np.isnan(fc.wape([0, 0], [1, 1]))
    # E|X − λ| for λ = 1 is 2/e.
    assert fc.poisson_floor_wape([1.0]) == pytest.approx(2 / np.e)


def test_profile_beats_baseline_on_trending_history_and_backtest_chooses_it():
    dates, counts, _ = _history()
    counts = counts * np.linspace(1, 2, len(dates))[:, None]  # growing volume: the 8-week average lags
    res = fc.choose_method(counts, dates)
    assert res.method == fc.Method.PROFILE
    assert res.wape["profile"] < res.wape["baseline"]


def test_holidays_are_forecast_low_and_do_not_pollute_normal_days():
    dates, counts, mean = _history()
    holiday = dates[-1]
    counts[dates.index(holiday - timedelta(days=7))] *= 0.1  # last week's same weekday was a holiday
    kinds = {holiday - timedelta(days=7): "holiday", holiday: "holiday"}
    normal = fc.profile_forecast(counts[:-1], dates[:-1], holiday)
    as_holiday = fc.profile_forecast(counts[:-1], dates[:-1], holiday, kinds=kinds)
    assert as_holiday.sum() < 0.3 * normal.sum()
    nxt = holiday + timedelta(days=7)
    clean = fc.profile_forecast(counts, dates, nxt, kinds=kinds)
    assert clean.sum() == pytest.approx(mean[-1].sum(), rel=0.15)


def test_makeup_day_is_forecast_like_a_weekday():
    dates, counts, _ = _history()
    saturday = dates[-1] + timedelta(days=(5 - dates[-1].weekday()) % 7 or 7)
    kinds = {saturday: fc.DayKind.MAKEUP.value}
    assert (
        fc.profile_forecast(counts, dates, saturday, kinds=kinds).sum()
        > 2 * fc.profile_forecast(counts, dates, saturday).sum()
    )


def test_aht_forecast_shrinks_sparse_slots():
    dates, counts, _ = _history(28)
    handle = counts * 200.0
    handle[:, 0] = counts[:, 0] * 2000
    aht = fc.aht_forecast(counts, handle, dates, dates[-1] + timedelta(days=1))
    assert aht[22] == pytest.approx(200, rel=0.05)
    assert 200 < aht[0] < 2000 or counts[:, 0].sum() == 0


@pytest.mark.parametrize("bad", [np.ones(5), -np.ones((7, 48)), np.full((7, 48), np.nan)])
def test_forecast_rejects_bad_history(bad):
    dates = [date(2025, 1, 6) + timedelta(days=i) for i in range(len(bad))]
    with pytest.raises(ValueError):
        fc.baseline_forecast(bad, dates, dates[-1] + timedelta(days=1))


def test_work_rules_patterns():
    assert len(WorkRules(days_off=2, consecutive_days_off=True).patterns()) == 7
    assert len(WorkRules(days_off=2, consecutive_days_off=False).patterns()) == 21
    assert WorkRules(days_off=1, max_consecutive_days=5).patterns() == []


def test_contiguous_single_day_is_exactly_optimal():
    req = np.array([0, 0, 2, 4, 6, 6, 6, 5, 4, 4, 3, 1])
    res = solve_tours(req, [ShiftTemplate("4h", length=4)], cyclic=False, mip_rel_gap=0.0)
    assert res.status == "optimal"
    assert (res.coverage >= req).all()
    assert res.objective == pytest.approx(np.ceil(res.lp_bound / 4 - 1e-9) * 4)


def test_week_with_breaks_and_midnight_covers_requirement():
    req = np.zeros((7, 24))
    req[:, 20:24] = 3  # late evening …
    req[:, 0:3] = 2  # … into the night: shifts must cross midnight
    tpl = ShiftTemplate("8h", length=8, break_length=1, break_earliest=3, break_latest=4)
    res = solve_tours(req, [tpl], WorkRules(days_off=2), time_limit=5)
    cov = coverage(res, [tpl], 24)
    assert (cov >= req).all()
    assert np.array_equal(cov, res.coverage)
    assert res.lp_bound <= res.objective
    assert any(t.start + 8 > 24 for t, n in zip(res.tours, res.counts, strict=True) if n)


def test_assign_respects_skills_leave_and_preferences():
    req = np.zeros((7, 24))
    req[:, 8:16] = 1
    tpl = ShiftTemplate("8h", length=8, earliest_start=8, latest_start=8)
    res = solve_tours(req, [tpl], WorkRules(days_off=2), time_limit=5)
    agents = [
        AgentSpec(key=1, skills=frozenset({"en"}), unavailable=frozenset(range(7))),  # on leave all week
        AgentSpec(key=2, skills=frozenset()),  # lacks the skill
        AgentSpec(key=3, skills=frozenset({"en"}), preferred_days_off=frozenset({5, 6})),
        AgentSpec(key=4, skills=frozenset({"en"})),
    ]
    out = assign_agents(res, [tpl], agents, required_skills=frozenset({"en"}), slots_per_day=24)
    taken = {a.agent for a in out}
    assert 1 not in taken and 2 not in taken
    mine = [a for a in out if a.agent == 3]
    weekend = min(a.tour.pattern[5] + a.tour.pattern[6] for a in out)
    assert mine and mine[0].tour.pattern[5] + mine[0].tour.pattern[6] == weekend


def test_infeasible_shift_raises():
    with pytest.raises(ValueError):
        solve_tours(
            np.ones(24), [ShiftTemplate("x", length=4, earliest_start=0, latest_start=0)], cyclic=False
        )


def test_reforecast_and_standby():
    f = np.full(10, 10.0)
    a = np.zeros(10)
    a[:4] = 20
    ref, ratio = reforecast(f, a, 4)
    assert ratio > 1.5 and ref[5] == pytest.approx(10 * ratio) and ref[0] == 20
    gap = np.array([0, 0, 0, 0, 2, 2, 2, 1, 0, 0])
    props = propose_standby(gap, [StandbyAgent(1, 4, 3), StandbyAgent(2, 4, 3), StandbyAgent(3, 9, 3)])
    assert [p.key for p in props] == [1, 2]
    assert props[0].start_slot == 4 and props[0].covers == 3
