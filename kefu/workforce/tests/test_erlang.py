"""Erlang B, C and A against textbook values, closed forms, and birth–death chains solved numerically.

The birth–death references below share no code with the engine: they build the stationary distribution of the
truncated chain state by state and follow a tagged caller through its queue positions with a matrix exponential.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce.engine.erlang import (
    ServiceLevelDefinition,
    erlang_a_metrics,
    erlang_a_service_level,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
)

PROPERTY = settings(max_examples=100, deadline=None)


# --------------------------------------------------------------------------------------------------------------
# Independent references


def erlang_b_exact(n: int, load: Fraction) -> Fraction:
    """B(n, A) = (A^n/n!) / Σ_{k≤n} A^k/k!, in exact rational arithmetic."""
    terms = [load**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def erlang_c_textbook(n: int, load: float) -> float:
    """The textbook closed form C = (A^n/n! · n/(n−A)) / (Σ_{k<n} A^k/k! + A^n/n! · n/(n−A)); n ≤ 150."""
    top = load**n / math.factorial(n) * n / (n - load)
    return top / (math.fsum(load**k / math.factorial(k) for k in range(n)) + top)


def erlang_b_recurrence(n: int, load: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = load * b / (k + load * b)
    return b


def stationary(n: int, load: float, aht: float, patience: float | None, states: int) -> np.ndarray:
    """Stationary distribution of the M/M/n(+M) queue-length chain truncated at ``states`` − 1 calls."""
    lam, mu = load / aht, 1.0 / aht
    theta = 0.0 if patience is None else 1.0 / patience
    log_p = np.zeros(states)
    for j in range(1, states):
        death = min(j, n) * mu + max(j - n, 0) * theta
        log_p[j] = log_p[j - 1] + math.log(lam / death)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def birth_death_erlang_a(
    n: int, load: float, aht: float, patience: float, target: float, short: float = 5.0, extra: int = 500
) -> dict[str, float]:
    lam, mu, theta = load / aht, 1.0 / aht, 1.0 / patience
    p = stationary(n, load, aht, patience, n + extra + 1)
    assert p[-1] < 1e-30, "truncate further out"
    # Follow tagged callers only from queue positions that carry probability mass (keeps expm small).
    last = n + int(np.flatnonzero(p[n:] > 1e-22 * p.max()).max(initial=0)) + 1
    p = p[: last + 1] / p[: last + 1].sum()
    waiting = p[n:]
    ahead = np.arange(waiting.size)
    p_wait = waiting.sum()
    p_ab = theta * (ahead * waiting).sum() / lam
    # Tagged caller with i callers ahead: moves up at rate nμ + iθ, is answered from i = 0 at rate nμ, and
    # abandons at rate θ. States 0..K transient, K+1 answered, K+2 abandoned.
    k = waiting.size
    gen = np.zeros((k + 2, k + 2))
    for i in range(k):
        up = n * mu + i * theta
        gen[i, i - 1 if i else k] += up
        gen[i, k + 1] += theta
        gen[i, i] -= up + theta

    def absorbed(t: float) -> tuple[np.ndarray, np.ndarray]:
        e = scipy.linalg.expm(gen * t)
        return e[:k, k], e[:k, k + 1]

    answered_by_t, _ = absorbed(target)
    _, abandoned_by_short = absorbed(short)
    on_time = p[:n].sum() + (waiting * answered_by_t).sum()
    # E[W · 1{answered} | i ahead] by first-step analysis.
    served = np.zeros(k)
    wait = np.zeros(k)
    for i in range(k):
        out = n * mu + (i + 1) * theta
        up = (n * mu + i * theta) / out
        served[i] = up * (served[i - 1] if i else 1.0)
        wait[i] = served[i] / out + (up * wait[i - 1] if i else 0.0)
    answered = 1.0 - p_ab
    return {
        "p_wait": p_wait,
        "p_abandon": p_ab,
        "service_level": on_time,
        "service_level_answered": on_time / answered,
        "service_level_excluding_short": on_time / (1.0 - (waiting * abandoned_by_short).sum()),
        "asa": (waiting * wait).sum() / answered,
        "mean_wait": (ahead * waiting).sum() / lam,
        "occupancy": load * answered / n,
    }


def birth_death_erlang_c(
    n: int, load: float, aht: float, target: float, extra: int = 3000
) -> dict[str, float]:
    p = stationary(n, load, aht, None, n + extra + 1)
    assert p[-1] < 1e-30
    waiting = p[n:]
    ahead = np.arange(waiting.size)
    from scipy.special import gammaincc

    # With i callers ahead the wait is Erlang(i + 1, nμ): P(W > t) = Q(i + 1, nμt).
    late = (waiting * gammaincc(ahead + 1.0, n * target / aht)).sum()
    return {
        "p_wait": waiting.sum(),
        "service_level": 1.0 - late,
        "asa": ((ahead + 1.0) * aht / n * waiting).sum(),
    }


# --------------------------------------------------------------------------------------------------------------
# Erlang B


def test_erlang_b_textbook_values():
    # Exact rational values: B(5, 2) = (32/120) / (1 + 2 + 2 + 4/3 + 2/3 + 4/15) = 4/109 ≈ 0.0367.
    assert erlang_b(5, 2.0) == pytest.approx(4 / 109, rel=1e-14)
    for n, load in [(1, Fraction(1)), (10, Fraction(10)), (30, Fraction(41, 2)), (120, Fraction(100))]:
        assert float(erlang_b(n, float(load))) == pytest.approx(float(erlang_b_exact(n, load)), rel=1e-13)


def test_erlang_b_large_and_extreme_arguments_do_not_overflow():
    # References computed with mpmath at 50 digits (1/B = Σ_j n!/(n−j)!/A^j).
    assert float(erlang_b(2000, 1900.0)) == pytest.approx(0.0006789692964986018, rel=1e-13)
    assert float(erlang_b(100_000, 99_000.0)) == pytest.approx(8.225775598504214e-06, rel=1e-12)
    assert float(erlang_b(1000, 1900.0)) == pytest.approx(0.47426628808559124, rel=1e-13)
    # Far below the load the Poisson tail underflows and the series takes over.
    for n in (0, 1, 5, 300):
        assert float(erlang_b(n, 1900.0)) == pytest.approx(erlang_b_recurrence(n, 1900.0), rel=1e-13)
    assert float(erlang_b(5000, 1900.0)) == 0.0
    assert float(erlang_b(0, 0.0)) == 1.0 and float(erlang_b(3, 0.0)) == 0.0


def test_erlang_b_matches_recurrence_on_a_grid():
    n = np.arange(0, 400)
    loads = np.array([0.3, 7.5, 99.0, 250.0, 390.0])
    got = erlang_b(n[:, None], loads[None, :])
    assert got.shape == (400, 5)
    for j, load in enumerate(loads):
        ref = [erlang_b_recurrence(int(k), float(load)) for k in n]
        np.testing.assert_allclose(got[:, j], ref, rtol=1e-12, atol=1e-300)


# --------------------------------------------------------------------------------------------------------------
# Erlang C


def test_erlang_c_classic_80_20_example():
    # The worked example used by callcentrehelper.com's "Erlang C formula made simple" and by pyworkforce's test
    # suite: 100 calls per 30 minutes, AHT 3 minutes, so A = 10 Erlangs. 13 agents give 79.6% within 20 s,
    # 14 agents give 88.8%, P(wait) 17.4%, ASA 7.8 s, occupancy 71.4%.
    m = erlang_c_metrics([13, 14], 100 * 180 / 1800, aht=180, target=20)
    np.testing.assert_allclose(m.p_wait, [0.28527045, 0.17413193], rtol=1e-7)
    np.testing.assert_allclose(m.service_level, [0.79559479, 0.88835002], rtol=1e-7)
    np.testing.assert_allclose(m.asa, [17.11622718, 7.83593701], rtol=1e-7)
    np.testing.assert_allclose(m.occupancy, [10 / 13, 10 / 14])
    assert (m.p_abandon == 0).all()
    np.testing.assert_array_equal(m.service_level_answered, m.service_level)
    np.testing.assert_array_equal(m.mean_wait, m.asa)


def test_erlang_c_equals_textbook_closed_form_on_a_grid():
    loads = np.linspace(0.2, 90.0, 150)
    rows = [(int(np.floor(a)) + 1 + k, a) for a in loads for k in range(16)]  # 2,400 points
    n = np.array([r[0] for r in rows])
    a = np.array([r[1] for r in rows])
    got = erlang_c(n, a)
    ref = np.array([erlang_c_textbook(int(k), float(x)) for k, x in rows])
    np.testing.assert_allclose(got, ref, rtol=1e-11)
    # Service level and ASA follow from C by the closed forms; check them on the same grid.
    aht, target = 240.0, 20.0
    m = erlang_c_metrics(n, a, aht=aht, target=target)
    np.testing.assert_allclose(m.service_level, 1 - ref * np.exp(-(n - a) * target / aht), rtol=1e-11)
    np.testing.assert_allclose(m.asa, ref * aht / (n - a), rtol=1e-11)


@pytest.mark.parametrize(
    ("n", "load", "aht", "target"),
    [(14, 10.0, 180.0, 20.0), (3, 2.5, 300.0, 60.0), (60, 55.3, 420.0, 15.0), (250, 231.0, 200.0, 30.0)],
)
def test_erlang_c_matches_birth_death_chain(n, load, aht, target):
    ref = birth_death_erlang_c(n, load, aht, target)
    m = erlang_c_metrics(n, load, aht=aht, target=target)
    assert float(m.p_wait) == pytest.approx(ref["p_wait"], rel=1e-9)
    assert float(m.service_level) == pytest.approx(ref["service_level"], rel=1e-9)
    assert float(m.asa) == pytest.approx(ref["asa"], rel=1e-9)


def test_erlang_c_large_center():
    m = erlang_c_metrics(2000, 1900.0, aht=300, target=20)
    assert float(m.p_wait) == pytest.approx(0.013406437303183, rel=1e-9)
    assert 0.99 < float(m.service_level) < 1
    assert np.isfinite(m.asa).all()


def test_erlang_c_unstable_and_idle_queues():
    m = erlang_c_metrics([5, 10, 0, 3], [10.0, 10.0, 0.0, 0.0], aht=180, target=20)
    np.testing.assert_array_equal(m.p_wait, [1, 1, 0, 0])
    np.testing.assert_array_equal(m.service_level, [0, 0, 1, 1])
    np.testing.assert_array_equal(m.asa, [np.inf, np.inf, 0, 0])
    np.testing.assert_array_equal(m.occupancy, [1, 1, 0, 0])
    assert float(erlang_c(10, 10.0)) == 1.0


@PROPERTY
@given(
    n=st.integers(1, 400),
    load=st.floats(0.01, 390.0),
    aht=st.floats(10.0, 1200.0),
    target=st.floats(0.0, 120.0),
)
def test_erlang_c_properties(n, load, aht, target):
    ns = np.array([n, n + 1])
    m = erlang_c_metrics(ns, load, aht=aht, target=target)
    c, b = erlang_c(ns, load), erlang_b(ns, load)
    assert (c >= b).all()  # waiting in M/M/n is likelier than blocking in M/M/n/n
    assert m.service_level[1] >= m.service_level[0]
    assert m.asa[1] <= m.asa[0]
    assert m.p_wait[1] <= m.p_wait[0]
    assert ((0 <= m.service_level) & (m.service_level <= 1)).all()


# --------------------------------------------------------------------------------------------------------------
# Erlang A


ERLANG_A_POINTS = [
    # (n, load, aht, patience, target)
    (14, 10.0, 180.0, 120.0, 20.0),  # the classic example with impatient callers
    (8, 10.0, 180.0, 60.0, 20.0),  # n < A: overloaded but stable thanks to abandonment
    (3, 10.0, 180.0, 30.0, 60.0),  # heavily overloaded
    (50, 48.0, 300.0, 600.0, 30.0),  # patient callers, near critical load
    (100, 120.0, 200.0, 100.0, 10.0),  # large, overloaded
    (20, 12.0, 240.0, 2400.0, 0.0),  # very patient callers, T = 0
]


@pytest.mark.parametrize(("n", "load", "aht", "patience", "target"), ERLANG_A_POINTS)
def test_erlang_a_matches_birth_death_chain(n, load, aht, patience, target):
    ref = birth_death_erlang_a(n, load, aht, patience, target, short=5.0)
    m = erlang_a_metrics(n, load, aht=aht, patience=patience, target=target)
    for key in (
        "p_wait",
        "p_abandon",
        "service_level",
        "service_level_answered",
        "asa",
        "mean_wait",
        "occupancy",
    ):
        assert float(getattr(m, key)) == pytest.approx(ref[key], rel=1e-6, abs=1e-15), key
    assert float(m.service_level) == pytest.approx(ref["service_level"], rel=1e-9)
    for definition, key in [
        ("all_arrivals", "service_level"),
        ("answered", "service_level_answered"),
        ("excluding_short_abandons", "service_level_excluding_short"),
    ]:
        sl = erlang_a_service_level(
            n,
            load,
            aht=aht,
            patience=patience,
            target=target,
            definition=definition,
            short_abandon=5.0 if definition == "excluding_short_abandons" else None,
        )
        assert float(sl) == pytest.approx(ref[key], rel=1e-6), definition


def test_erlang_a_approaches_erlang_c_for_patient_callers():
    n = np.array([11, 12, 14, 20])
    c = erlang_c_metrics(n, 10.0, aht=180, target=20)
    a = erlang_a_metrics(n, 10.0, aht=180, patience=1e9, target=20)
    np.testing.assert_allclose(a.p_wait, c.p_wait, rtol=1e-5)
    np.testing.assert_allclose(a.service_level, c.service_level, rtol=1e-5)
    np.testing.assert_allclose(a.asa, c.asa, rtol=1e-5)
    assert (a.p_abandon < 1e-5).all()


def test_erlang_a_large_center_is_finite():
    n = np.array([0, 1, 300, 1800, 1900, 2000, 5000])
    m = erlang_a_metrics(n, 1900.0, aht=300, patience=600, target=20)
    for field in ("p_wait", "p_abandon", "service_level", "service_level_answered", "occupancy"):
        values = getattr(m, field)
        assert np.isfinite(values).all() and ((values >= 0) & (values <= 1)).all(), field
    assert np.isfinite(m.asa[1:]).all()
    assert np.all(np.diff(m.service_level) >= 0) and np.all(np.diff(m.p_abandon) <= 0)
    # With n agents saturated (n ≪ A) the carried load is n, so P(abandon) → 1 − n/A.
    assert float(m.p_abandon[2]) == pytest.approx(1 - 300 / 1900, rel=1e-9)


def test_erlang_a_edge_cases():
    m = erlang_a_metrics([0, 0, 4], [5.0, 0.0, 0.0], aht=180, patience=60, target=20)
    np.testing.assert_array_equal(m.p_abandon, [1, 0, 0])
    np.testing.assert_array_equal(m.service_level, [0, 1, 1])
    np.testing.assert_array_equal(m.asa, [np.inf, 0, 0])
    np.testing.assert_array_equal(m.mean_wait, [60, 0, 0])
    np.testing.assert_array_equal(m.occupancy, [1, 0, 0])


@PROPERTY
@given(
    n=st.integers(1, 200),
    load=st.floats(0.05, 250.0),
    aht=st.floats(30.0, 900.0),
    patience=st.floats(5.0, 3600.0),
    target=st.floats(0.0, 90.0),
)
def test_erlang_a_properties(n, load, aht, patience, target):
    ns = np.array([n, n + 1])
    m = erlang_a_metrics(ns, load, aht=aht, patience=patience, target=target)
    tol = 1e-12
    assert m.service_level[1] >= m.service_level[0] - tol
    assert m.p_abandon[1] <= m.p_abandon[0] + tol
    assert m.p_wait[1] <= m.p_wait[0] + tol
    assert m.asa[1] <= m.asa[0] * (1 + 1e-9)
    assert m.occupancy[1] <= m.occupancy[0] + tol
    assert (m.service_level <= m.service_level_answered + tol).all()
    assert (m.mean_wait <= patience * (1 + 1e-12)).all()
    for field in ("p_wait", "p_abandon", "service_level", "service_level_answered", "occupancy"):
        values = getattr(m, field)
        assert ((values >= 0) & (values <= 1 + tol)).all(), field
    # Abandonment can only help the callers who stay: Erlang A never waits more often than Erlang C.
    if n > load:
        assert m.p_wait[0] <= float(erlang_c(n, load)) + tol


# --------------------------------------------------------------------------------------------------------------
# Input validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1, 3.0), "whole numbers"),
        (lambda: erlang_b(2.5, 3.0), "whole numbers"),
        (lambda: erlang_b(3, -1.0), "load must be >= 0"),
        (lambda: erlang_c(3, float("nan")), "NaN"),
        (lambda: erlang_c(3, "many"), "numeric"),
        (lambda: erlang_c_metrics(3, 1.0, aht=0, target=20), "aht must be > 0"),
        (lambda: erlang_c_metrics(3, 1.0, aht=180, target=-1), "target must be >= 0"),
        (lambda: erlang_a_metrics(3, 1.0, aht=180, patience=0, target=20), "patience must be > 0"),
        (lambda: erlang_a_metrics(3, np.inf, aht=180, patience=60, target=20), "load must be finite"),
        (
            lambda: erlang_a_service_level(3, 1.0, aht=180, patience=60, target=20, definition="most"),
            "unknown",
        ),
        (
            lambda: erlang_a_service_level(
                3,
                1.0,
                aht=180,
                patience=60,
                target=20,
                definition=ServiceLevelDefinition.EXCLUDING_SHORT_ABANDONS,
            ),
            "short_abandon",
        ),
    ],
)
def test_invalid_input_is_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
