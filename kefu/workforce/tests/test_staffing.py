"""required_agents: exact minimality (n meets every goal, n − 1 misses one), shrinkage, zero volume, bad input."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce.engine.erlang import ServiceLevelDefinition, erlang_a_metrics, erlang_c_metrics
from kefu.workforce.engine.staffing import (
    Model,
    StaffingGoals,
    meets_goals,
    offered_load,
    required_agents,
    scheduled_heads,
)
from kefu.workforce.tests.test_erlang import birth_death_erlang_a, erlang_c_textbook

PROPERTY = settings(max_examples=100, deadline=None)
SL_80_20 = StaffingGoals(service_level=0.8, service_time=20)


def assert_minimal(n, calls, **kw):
    """The proof of minimality: n meets every goal and n − 1 misses at least one (0 agents for 0 calls)."""
    n = np.asarray(n)
    assert meets_goals(n, calls, **kw).all()
    calls = np.broadcast_to(np.asarray(calls, dtype=float), n.shape)
    busy = calls > 0
    assert (n[~busy] == 0).all()
    assert (n[busy] >= 1).all()
    assert not meets_goals(np.maximum(n - 1, 0), calls, **kw)[busy & (n > 1)].any()


# --------------------------------------------------------------------------------------------------------------
# Worked examples


def test_classic_80_20_example_and_shrinkage():
    # 100 calls per 30 minutes, AHT 180 s, 80% within 20 s: 14 agents (13 reach only 79.6%); at 30% shrinkage
    # 20 heads. Same figures as callcentrehelper.com's worked example and pyworkforce's test suite.
    n = required_agents(100, aht=180, interval=1800, goals=SL_80_20)
    assert int(n) == 14
    assert int(scheduled_heads(n, 0.3)) == 20
    assert_minimal(n, 100, aht=180, interval=1800, goals=SL_80_20)
    # pyworkforce's max_occupancy=0.7 case: ceil(10 / 0.7) = 15.
    both = StaffingGoals(service_level=0.8, service_time=20, occupancy=0.7)
    assert int(required_agents(100, aht=180, interval=1800, goals=both)) == 15


def test_first_stable_staffing_is_not_skipped():
    # pyworkforce starts its search at round(A + 1), which skips n = ⌊A⌋ + 1 when A's fraction is >= .5.
    # A = 10.6 Erlangs here, and 11 agents already meet a lenient ASA goal.
    load = offered_load(53, 180, 900)
    assert float(load) == pytest.approx(10.6)
    asa_11 = float(erlang_c_metrics(11, load, aht=180, target=0).asa)
    goals = StaffingGoals(asa=asa_11 * 1.001)
    assert int(required_agents(53, aht=180, goals=goals)) == 11


def test_occupancy_boundary_is_exact():
    # A = 8.4 Erlangs with occupancy <= 70%: 12 agents give exactly 70%. In floating point 8.4/0.7 is
    # 12.000000000000002, so a plain ceil() asks for 13 agents.
    goals = StaffingGoals(occupancy=0.7)
    assert math.ceil(8.4 / 0.7) == 13
    assert int(required_agents(42, aht=180, goals=goals)) == 12
    assert_minimal(required_agents(42, aht=180, goals=goals), 42, aht=180, goals=goals)


@pytest.mark.parametrize(
    ("agents", "shrinkage", "heads"),
    [(14, 0.3, 20), (21, 0.3, 30), (63, 0.3, 90), (67, 0.33, 100), (0, 0.3, 0), (5, 0.0, 5), (1, 0.99, 100)],
)
def test_scheduled_heads_known_values(agents, shrinkage, heads):
    # 21 / 0.7 is 30.000000000000004 in floating point: ceil() would schedule 31. And 0.7 × 90 is
    # 62.99999999999999, so pyworkforce's floor((1 − s)·heads) turns a 63-agent plan into 62 agents.
    assert int(scheduled_heads(agents, shrinkage)) == heads


def test_scheduled_heads_is_exact_against_rational_arithmetic():
    agents = np.arange(0, 400)
    for s in (
        "0",
        "0.05",
        "0.1",
        "0.125",
        "0.15",
        "0.2",
        "0.25",
        "0.29",
        "0.3",
        "0.33",
        "0.35",
        "0.4",
        "0.5",
        "0.71",
    ):
        heads = scheduled_heads(agents, float(s))
        keep = 1 - Fraction(s)
        for n, h in zip(agents.tolist(), heads.tolist(), strict=True):
            # h heads leave at least n on the phones, h − 1 would not.
            assert h * keep >= n and (h == 0 or (h - 1) * keep < n), (n, s, h)


# --------------------------------------------------------------------------------------------------------------
# Minimality against independent references


def test_erlang_c_requirements_match_textbook_closed_form_on_a_grid():
    rng = np.random.default_rng(7)
    calls = rng.uniform(1, 270, 300)
    aht = rng.uniform(60, 600, 300)  # A <= 90 Erlangs keeps the textbook factorials in range
    interval = 1800.0
    goals = StaffingGoals(service_level=0.85, service_time=15)
    got = required_agents(calls, aht=aht, interval=interval, goals=goals)
    checked = 0
    for c, h, n in zip(calls, aht, got, strict=True):
        load = c * h / interval
        k = math.floor(load) + 1
        sl = []
        while True:
            value = 1 - erlang_c_textbook(k, load) * math.exp(-(k - load) * 15 / h)
            sl.append((k, value))
            if value >= 0.85:
                break
            k += 1
        if abs(sl[-1][1] - 0.85) < 1e-9 or (len(sl) > 1 and abs(sl[-2][1] - 0.85) < 1e-9):
            continue  # too close to call in double precision
        assert n == k
        checked += 1
    assert checked > 290


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "goals"),
    [
        (100, 180.0, 120.0, SL_80_20),
        (300, 300.0, 120.0, SL_80_20),  # A = 100 Erlangs, 98 agents suffice
        (300, 300.0, 60.0, StaffingGoals(abandonment=0.1)),
        (60, 240.0, 300.0, StaffingGoals(service_level=0.9, service_time=30, asa=12, abandonment=0.02)),
        (
            40,
            200.0,
            90.0,
            StaffingGoals(service_level=0.8, service_time=20, sl_definition=ServiceLevelDefinition.ANSWERED),
        ),
        (
            40,
            200.0,
            90.0,
            StaffingGoals(
                service_level=0.8,
                service_time=20,
                sl_definition=ServiceLevelDefinition.EXCLUDING_SHORT_ABANDONS,
                short_abandon=5,
            ),
        ),
    ],
)
def test_erlang_a_requirements_are_minimal_against_birth_death_chain(calls, aht, patience, goals):
    n = int(required_agents(calls, aht=aht, goals=goals, model="erlang_a", patience=patience))
    load = calls * aht / 900

    def meets(k: int) -> bool:
        ref = birth_death_erlang_a(
            k, load, aht, patience, goals.service_time or 0.0, short=goals.short_abandon or 0.0
        )
        ok = True
        if goals.service_level is not None:
            key = {
                "all_arrivals": "service_level",
                "answered": "service_level_answered",
                "excluding_short_abandons": "service_level_excluding_short",
            }[goals.sl_definition]
            ok &= ref[key] >= goals.service_level
        if goals.asa is not None:
            ok &= ref["asa"] <= goals.asa
        if goals.abandonment is not None:
            ok &= ref["p_abandon"] <= goals.abandonment
        return ok

    assert meets(n)
    assert n == 1 or not meets(n - 1)


def test_erlang_a_can_staff_below_the_offered_load():
    # A = 100 Erlangs; callers hang up after 2 minutes on average, so 98 agents answer 80% within 20 s.
    n = int(required_agents(300, aht=300, goals=SL_80_20, model="erlang_a", patience=120))
    assert n < 100
    m = erlang_a_metrics([n - 1, n], 100.0, aht=300, patience=120, target=20)
    assert m.service_level[0] < 0.8 <= m.service_level[1]
    # Erlang C cannot go below the load at all.
    assert int(required_agents(300, aht=300, goals=SL_80_20)) > 100


def test_combined_goals_need_the_most_demanding_single_goal():
    rng = np.random.default_rng(3)
    calls = rng.uniform(0, 400, 96)
    kw: dict[str, Any] = {"aht": 260.0, "model": "erlang_a", "patience": 150.0}
    single = [
        StaffingGoals(service_level=0.8, service_time=20),
        StaffingGoals(asa=10),
        StaffingGoals(abandonment=0.03),
        StaffingGoals(occupancy=0.88),
    ]
    combined = StaffingGoals(service_level=0.8, service_time=20, asa=10, abandonment=0.03, occupancy=0.88)
    each = np.max([required_agents(calls, goals=g, **kw) for g in single], axis=0)
    np.testing.assert_array_equal(required_agents(calls, goals=combined, **kw), each)


def test_service_level_definitions_order_the_requirements():
    calls = np.array([50.0, 120.0, 400.0])
    kw: dict[str, Any] = {"aht": 240.0, "model": "erlang_a", "patience": 60.0}
    everyone = required_agents(calls, goals=SL_80_20, **kw)
    answered = required_agents(
        calls,
        goals=StaffingGoals(
            service_level=0.8, service_time=20, sl_definition=ServiceLevelDefinition.ANSWERED
        ),
        **kw,
    )
    short = required_agents(
        calls,
        goals=StaffingGoals(
            service_level=0.8,
            service_time=20,
            sl_definition=ServiceLevelDefinition.EXCLUDING_SHORT_ABANDONS,
            short_abandon=5,
        ),
        **kw,
    )
    assert (answered <= short).all() and (short <= everyone).all()


# --------------------------------------------------------------------------------------------------------------
# Vectorised weeks, shapes, zero volume


def test_a_week_keeps_its_shape_and_zero_volume_needs_nobody():
    rng = np.random.default_rng(11)
    calls = rng.poisson(120, size=(7, 96)).astype(float)
    calls[:, :28] = 0  # closed at night
    aht = np.full((7, 96), np.nan)  # no AHT history for empty intervals is fine
    aht[calls > 0] = 200.0
    for model, patience in ((Model.ERLANG_C, None), (Model.ERLANG_A, 180.0)):
        n = required_agents(calls, aht=aht, goals=SL_80_20, model=model, patience=patience)
        assert n.shape == (7, 96) and n.dtype == np.int64
        assert (n[:, :28] == 0).all() and (n[:, 28:] > 0).all()
        assert_minimal(n, calls, aht=aht, goals=SL_80_20, model=model, patience=patience)
        assert (scheduled_heads(n, 0.35)[:, :28] == 0).all()


def test_tiny_volume_needs_one_agent():
    assert int(required_agents(0.01, aht=60, goals=StaffingGoals(occupancy=0.99))) == 1
    assert (
        int(
            required_agents(0.01, aht=60, goals=StaffingGoals(abandonment=0.5), model="erlang_a", patience=10)
        )
        == 1
    )


def test_large_center():
    goals = StaffingGoals(service_level=0.8, service_time=20, asa=15, occupancy=0.97)
    calls = np.array([5700.0, 100.0, 0.0])  # 5,700 calls per 15 min at 300 s = 1,900 Erlangs
    n = required_agents(calls, aht=300, goals=goals)
    assert 1900 < n[0] < 2000
    assert_minimal(n, calls, aht=300, goals=goals)
    n_a = required_agents(calls, aht=300, goals=goals, model="erlang_a", patience=180)
    assert_minimal(n_a, calls, aht=300, goals=goals, model="erlang_a", patience=180)
    assert (n_a <= n).all()


goal_strategy = st.builds(
    lambda sl, t, asa, ab, occ, use: StaffingGoals(
        service_level=sl if use[0] else None,
        service_time=t if use[0] else None,
        asa=asa if use[1] else None,
        abandonment=ab if use[2] else None,
        occupancy=occ if use[3] else None,
    ),
    st.floats(0.3, 0.98),
    st.floats(0.0, 60.0),
    st.floats(1.0, 120.0),
    st.floats(0.005, 0.3),
    st.floats(0.6, 1.0),
    st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()).filter(any),
)


@PROPERTY
@given(
    calls=st.lists(st.floats(0.0, 800.0), min_size=1, max_size=12),
    aht=st.floats(30.0, 900.0),
    patience=st.floats(10.0, 1200.0),
    goals=goal_strategy,
    erlang_a=st.booleans(),
)
def test_required_agents_are_minimal(calls, aht, patience, goals, erlang_a):
    if not erlang_a and goals.abandonment is not None:
        goals = dataclasses.replace(goals, abandonment=None) if _other_goals(goals) else SL_80_20
    kw: dict[str, Any] = {
        "aht": aht,
        "goals": goals,
        "model": "erlang_a" if erlang_a else "erlang_c",
        "patience": patience if erlang_a else None,
    }
    n = required_agents(calls, **kw)
    assert_minimal(n, calls, **kw)


def _other_goals(goals: StaffingGoals) -> bool:
    return any(v is not None for v in (goals.service_level, goals.asa, goals.occupancy))


# --------------------------------------------------------------------------------------------------------------
# Invalid input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one goal"),
        ({"service_level": 0.8}, "together"),
        ({"service_time": 20}, "together"),
        ({"service_level": 80, "service_time": 20}, "0.8 means 80%"),
        ({"service_level": 1.0, "service_time": 20}, "strictly between"),
        ({"service_level": 0.8, "service_time": -1}, "service_time must be >= 0"),
        ({"asa": 0}, "asa must be > 0"),
        ({"abandonment": 0}, "abandonment must be a fraction"),
        ({"occupancy": 1.2}, "occupancy must be a fraction"),
        ({"occupancy": float("nan")}, "finite"),
        ({"service_level": 0.8, "service_time": 20, "sl_definition": "median"}, "unknown service-level"),
        (
            {"service_level": 0.8, "service_time": 20, "sl_definition": "excluding_short_abandons"},
            "short_abandon",
        ),
        ({"service_level": 0.8, "service_time": 20, "short_abandon": 5}, "only applies"),
    ],
)
def test_invalid_goals_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StaffingGoals(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calls": [-1.0]}, "calls must be finite and >= 0"),
        ({"calls": [float("nan")]}, "calls must be finite"),
        ({"calls": ["lots"]}, "calls must be numeric"),
        ({"aht": 0}, "aht must be finite and > 0"),
        ({"aht": [180, 180, np.nan]}, "aht must be finite"),
        ({"aht": [180, 180]}, "compatible shapes"),
        ({"interval": 0}, "interval must be > 0"),
        ({"model": "erlang_x"}, "unknown model"),
        ({"goals": StaffingGoals(abandonment=0.05)}, "Erlang C has no abandonment"),
        ({"model": "erlang_a"}, "needs patience"),
        ({"model": "erlang_a", "patience": -5}, "patience must be finite and > 0"),
        ({"patience": 60}, "patience only applies"),
        ({"goals": {"service_level": 0.8}}, "StaffingGoals"),
        ({"max_agents": 10}, "more than max_agents=10"),
        ({"max_agents": 0}, "max_agents must be a positive integer"),
    ],
)
def test_invalid_input_is_rejected(kwargs, message):
    args = {"calls": [100.0, 0.0, 50.0], "aht": 180.0, "goals": SL_80_20, **kwargs}
    with pytest.raises(ValueError, match=message):
        required_agents(**args)


def test_invalid_shrinkage_and_agents_are_rejected():
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled_heads(10, 1.0)
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled_heads(10, -0.1)
    with pytest.raises(ValueError, match="whole numbers"):
        scheduled_heads(10.5, 0.3)
    with pytest.raises(ValueError, match="whole numbers"):
        meets_goals(-1, 100, aht=180, goals=SL_80_20)
