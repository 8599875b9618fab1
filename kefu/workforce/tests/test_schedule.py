"""Tour scheduling: the implicit-break model against an explicit one, bounds, integral breaks, time limits."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from kefu.workforce.engine.schedule import ShiftTemplate, WorkRules, coverage, solve_tours


def explicit_day_optimum(req: np.ndarray, tpl: ShiftTemplate) -> float:
    """Independent model of one non-cyclic day: one integer column per (start, break offset), paid slots each."""
    spd = len(req)
    cols = []
    for s in tpl.starts(spd):
        for off in range(tpl.break_earliest, tpl.break_latest + 1) if tpl.break_length else [None]:
            v = np.zeros(spd)
            v[s : min(spd, s + tpl.length)] = 1
            if off is not None:
                v[s + off : min(spd, s + off + tpl.break_length)] = 0
            cols.append(v)
    a = sparse.csr_array(np.array(cols).T)
    cost = np.full(len(cols), float(tpl.paid_slots))
    res = milp(
        cost,
        constraints=[LinearConstraint(a, lb=req, ub=np.inf)],
        integrality=np.ones(len(cols)),
        bounds=Bounds(0, np.inf),
    )
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_implicit_breaks_match_an_explicit_model_on_single_days(seed):
    rng = np.random.default_rng(seed)
    req = rng.integers(0, 12, size=20).astype(float)
    tpl = ShiftTemplate("6h", length=6, break_length=1, break_earliest=2, break_latest=3)
    res = solve_tours(req, [tpl], cyclic=False, mip_rel_gap=0.0)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(explicit_day_optimum(req, tpl))
    assert res.lp_bound <= res.objective + 1e-6
    assert (res.coverage >= req).all()


def _busy_week() -> np.ndarray:
    t = np.arange(24)
    day = 2 + 14 * np.exp(-((t - 11) ** 2) / 10) + 9 * np.exp(-((t - 17) ** 2) / 6)
    return np.ceil(np.array([1.0, 0.95, 0.9, 0.92, 0.97, 0.7, 0.6])[:, None] * day[None, :])


def test_week_bound_gap_and_breaks_are_consistent():
    req = _busy_week()
    tpl = ShiftTemplate("9h", length=9, break_length=1, break_earliest=3, break_latest=5)
    res = solve_tours(req, [tpl], WorkRules(days_off=2), time_limit=5)
    paid = tpl.paid_slots * 5
    # The LP bound is a lower bound, and so is its rounding up to a whole tour.
    assert res.lp_bound <= res.objective + 1e-6
    assert np.ceil(res.lp_bound / paid - 1e-9) * paid <= res.objective + 1e-6
    assert res.best_bound <= res.objective + 1e-6
    assert res.gap == pytest.approx((res.objective - res.lp_bound) / res.lp_bound)
    assert res.objective == pytest.approx(paid * res.counts.sum())
    # Integral breaks: every working (day, start) has exactly one break per shift, inside its window.
    working: dict[tuple[int, int, int], int] = {}
    for tour, n in zip(res.tours, res.counts, strict=True):
        for d, works in enumerate(tour.pattern):
            if works and n:
                key = (tour.template, d, tour.start)
                working[key] = working.get(key, 0) + int(n)
    assert {k: len(v) for k, v in res.breaks.items() if v} == working
    assert all(3 <= off <= 5 for offs in res.breaks.values() for off in offs)
    cov = coverage(res, [tpl], 24)
    assert np.array_equal(cov, res.coverage)
    assert (cov >= req).all()


def test_an_exhausted_time_limit_still_returns_a_covering_schedule():
    req = _busy_week()
    tpl = ShiftTemplate("9h", length=9, break_length=1, break_earliest=3, break_latest=5)
    res = solve_tours(req, [tpl], WorkRules(days_off=2), time_limit=1e-6)
    assert (coverage(res, [tpl], 24) >= req).all()
    assert res.lp_bound <= res.objective + 1e-6
    assert res.status in {"optimal", "time_limit"}


def test_contiguous_shifts_are_optimal_against_the_explicit_model():
    rng = np.random.default_rng(11)
    for _ in range(5):
        req = rng.integers(0, 40, size=24).astype(float)
        tpl = ShiftTemplate("8h", length=8, latest_start=16)
        res = solve_tours(req, [tpl], cyclic=False, mip_rel_gap=0.0)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(explicit_day_optimum(req, tpl))


def test_large_neighbourhood_search_improves_a_poor_incumbent_and_keeps_coverage():
    # Private helper, tested on its own covering program: one day of 24 hourly slots, 8-hour shifts at every start
    # (cyclic), three shift variants per start (one column each), so windows of starts are the neighbourhoods.
    from kefu.workforce.engine.schedule import _lns

    rng = np.random.default_rng(3)
    req = rng.integers(0, 15, size=24).astype(float)
    starts = np.repeat(np.arange(24), 3)
    a = np.zeros((24, len(starts)))
    for j, s in enumerate(starts):
        a[(s + np.arange(8)) % 24, j] = 1
    c = np.full(len(starts), 8.0)
    lp = linprog(c, A_ub=-a, b_ub=-req, bounds=(0, None))
    bound = np.ceil(lp.fun / 8 - 1e-9) * 8
    x0 = np.full(len(starts), req.max())  # feasible and far too many
    x, obj, optimal = _lns(
        c,
        sparse.csc_array(a),
        req,
        np.full(24, np.inf),
        n_int=len(starts),
        groups=starts,
        x=x0,
        obj=float(c @ x0),
        step=8.0,
        best_bound=bound,
        stop_at=bound,
        deadline=time.perf_counter() + 30,
        wall_start=time.perf_counter(),
        cpu_start=time.process_time(),
    )
    assert obj < c @ x0
    assert obj == pytest.approx(c @ x)
    assert np.array_equal(x, np.rint(x)) and (x >= 0).all()
    assert (a @ x >= req).all()
    # It stops only at the bound or after proving the incumbent optimal with a window of every start.
    assert optimal
    assert obj == pytest.approx(explicit_day_optimum_cyclic(req))


def explicit_day_optimum_cyclic(req: np.ndarray) -> float:
    a = np.zeros((24, 24))
    for s in range(24):
        a[(s + np.arange(8)) % 24, s] = 1
    res = milp(
        np.full(24, 8.0),
        constraints=[LinearConstraint(a, lb=req, ub=np.inf)],
        integrality=np.ones(24),
        bounds=Bounds(0, np.inf),
    )
    assert res.status == 0
    return float(res.fun)
