"""Required agents per interval: the smallest n meeting every staffing goal, vectorised over many intervals.

    agents = required_agents(calls, aht=aht, interval=900, goals=StaffingGoals(service_level=0.8, service_time=20))
    heads = scheduled_heads(agents, shrinkage=0.3)

Every goal is monotone in n (service level rises, ASA, abandonment and occupancy fall), so "meets every goal" is
true from some n on and the answer is that threshold. Each answer is certified before it is returned: the result n
meets every goal and n − 1 misses at least one, both checked with ``meets_goals``, the same function callers and
tests use. An interval with zero calls needs 0 agents; an interval with calls needs at least one agent.

Erlang C walks n upwards from ⌊A⌋ + 1 (the smallest stable n) with the Erlang B recurrence
B(n) = A·B(n−1) / (n + A·B(n−1)), a few cheap array operations per step. Erlang A has no such recurrence
in n, so it brackets the answer by galloping from a guess and then bisects; with abandonment the answer can be
below the offered load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kefu.workforce.engine import erlang
from kefu.workforce.engine.erlang import FloatArray, ServiceLevelDefinition

__all__ = [
    "GOAL_TOLERANCE",
    "Model",
    "StaffingGoals",
    "meets_goals",
    "offered_load",
    "required_agents",
    "scheduled_heads",
]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Goals are compared with this slack (absolute for fractions, relative for seconds) so that double rounding
# (~1e-15) can never flip an exact boundary case such as occupancy 8.5/10 ≤ 85%. It is far below any
# difference a planner can see.
GOAL_TOLERANCE = 1e-12
# ceil(n / (1 − shrinkage)) would turn 100.00000000000001 (float noise for exactly 100) into 101 heads.
_HEADS_SLACK = 1e-9


class Model(StrEnum):
    ERLANG_C = "erlang_c"  # callers never abandon
    ERLANG_A = "erlang_a"  # exponential patience; needs ``patience``


@dataclass(frozen=True, slots=True)
class StaffingGoals:
    """Goals one interval must meet; leave out the ones that do not apply (at least one is required).

    service_level and service_time: at least ``service_level`` (a fraction, 0.8 = 80%) of calls answered within
      ``service_time`` seconds, counted by ``sl_definition`` (default: over all arrivals).
    asa: average speed of answer of answered calls at most this many seconds.
    abandonment: at most this fraction of calls abandon (Erlang A only).
    occupancy: agents busy at most this fraction of their time.
    short_abandon: seconds; required by the excluding_short_abandons definition.
    """

    service_level: float | None = None
    service_time: float | None = None
    asa: float | None = None
    abandonment: float | None = None
    occupancy: float | None = None
    sl_definition: ServiceLevelDefinition = ServiceLevelDefinition.ALL_ARRIVALS
    short_abandon: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sl_definition", erlang._definition(self.sl_definition))
        if (self.service_level is None) != (self.service_time is None):
            raise ValueError(
                "service_level and service_time must be given together (e.g. 0.8 and 20 for 80/20)"
            )
        if self.service_level is not None:
            if not 0 < _finite("service_level", self.service_level) < 1:
                raise ValueError(
                    f"service_level must be a fraction strictly between 0 and 1 (0.8 means 80%), "
                    f"got {self.service_level!r}; 100% can never be guaranteed with random arrivals"
                )
        if self.service_time is not None and _finite("service_time", self.service_time) < 0:
            raise ValueError(f"service_time must be >= 0 seconds, got {self.service_time!r}")
        if self.asa is not None and _finite("asa", self.asa) <= 0:
            raise ValueError(
                f"asa must be > 0 seconds (a zero average wait is unattainable), got {self.asa!r}"
            )
        if self.abandonment is not None and not 0 < _finite("abandonment", self.abandonment) < 1:
            raise ValueError(
                f"abandonment must be a fraction strictly between 0 and 1 (0.05 means 5%), got {self.abandonment!r}"
            )
        if self.occupancy is not None and not 0 < _finite("occupancy", self.occupancy) <= 1:
            raise ValueError(
                f"occupancy must be a fraction in (0, 1] (0.85 means 85%), got {self.occupancy!r}"
            )
        if self.sl_definition is ServiceLevelDefinition.EXCLUDING_SHORT_ABANDONS:
            if self.short_abandon is None or _finite("short_abandon", self.short_abandon) < 0:
                raise ValueError("the excluding_short_abandons definition needs short_abandon >= 0 seconds")
        elif self.short_abandon is not None:
            raise ValueError("short_abandon only applies to sl_definition='excluding_short_abandons'")
        if all(g is None for g in (self.service_level, self.asa, self.abandonment, self.occupancy)):
            raise ValueError(
                "give at least one goal: service_level+service_time, asa, abandonment or occupancy"
            )


def _finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


# --------------------------------------------------------------------------------------------------------------
# Input validation


@dataclass(frozen=True, slots=True)
class _Problem:
    """The intervals with calls, flattened; everything else needs 0 agents."""

    shape: tuple[int, ...]
    busy: BoolArray  # flat mask over all intervals: calls > 0
    load: FloatArray
    aht: FloatArray
    patience: FloatArray | None
    model: Model
    goals: StaffingGoals


def _problem(
    calls: ArrayLike,
    aht: ArrayLike,
    interval: float,
    model: Model | str,
    patience: ArrayLike | None,
    goals: StaffingGoals,
) -> _Problem:
    try:
        model = Model(model)
    except ValueError:
        raise ValueError(f"unknown model {model!r}; use 'erlang_c' or 'erlang_a'") from None
    if not isinstance(goals, StaffingGoals):
        raise ValueError("goals must be a StaffingGoals instance")
    if model is Model.ERLANG_C and goals.abandonment is not None:
        raise ValueError(
            "Erlang C has no abandonment; use model='erlang_a' with a patience for an abandonment goal"
        )
    if model is Model.ERLANG_A and patience is None:
        raise ValueError("model='erlang_a' needs patience (mean seconds a caller waits before hanging up)")
    if model is Model.ERLANG_C and patience is not None:
        raise ValueError("patience only applies to model='erlang_a'")
    interval_s = _finite("interval", interval)
    if interval_s <= 0:
        raise ValueError(f"interval must be > 0 seconds, got {interval!r}")

    arrays = [_array("calls", calls), _array("aht", aht)]
    if patience is not None:
        arrays.append(_array("patience", patience))
    try:
        broadcast = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise ValueError(f"calls, aht and patience must have compatible shapes: {exc}") from None
    shape = broadcast[0].shape
    flat = [np.array(b, dtype=np.float64).reshape(-1) for b in broadcast]
    calls_f, aht_f = flat[0], flat[1]
    if not np.isfinite(calls_f).all() or (calls_f < 0).any():
        raise ValueError("calls must be finite and >= 0 in every interval")
    busy = calls_f > 0
    aht_b = aht_f[busy]
    if not np.isfinite(aht_b).all() or (aht_b <= 0).any():
        raise ValueError("aht must be finite and > 0 seconds in every interval with calls")
    patience_b = None
    if patience is not None:
        patience_b = flat[2][busy]
        if not np.isfinite(patience_b).all() or (patience_b <= 0).any():
            raise ValueError("patience must be finite and > 0 seconds in every interval with calls")
    return _Problem(
        shape=shape,
        busy=busy,
        load=calls_f[busy] * aht_b / interval_s,
        aht=aht_b,
        patience=patience_b,
        model=model,
        goals=goals,
    )


def _array(name: str, value: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc
    return arr


# --------------------------------------------------------------------------------------------------------------
# Goal checks on the busy intervals (1-d), shared by the search, the certification and meets_goals.


Metric = Callable[[NDArray[np.intp]], FloatArray]


def _met(
    goals: StaffingGoals,
    size: int,
    *,
    occupancy: Metric,
    abandonment: Metric | None,
    sl: Metric | None,
    asa: Metric,
) -> BoolArray:
    """AND of the goals present, cheapest first; each later metric is computed only for the rows still passing."""
    checks: list[tuple[Metric, float, bool]] = []  # (metric, bound, is_lower_bound)
    if goals.occupancy is not None:
        checks.append((occupancy, goals.occupancy + GOAL_TOLERANCE, False))
    if goals.abandonment is not None and abandonment is not None:
        checks.append((abandonment, goals.abandonment + GOAL_TOLERANCE, False))
    if goals.service_level is not None and sl is not None:
        checks.append((sl, goals.service_level - GOAL_TOLERANCE, True))
    if goals.asa is not None:
        checks.append((asa, goals.asa * (1 + GOAL_TOLERANCE), False))
    alive = np.arange(size)
    for metric, bound, at_least in checks:
        if not alive.size:
            break
        values = metric(alive)
        alive = alive[values >= bound] if at_least else alive[values <= bound]
    ok = np.zeros(size, dtype=bool)
    ok[alive] = True
    return ok


def _erlang_c_met(
    goals: StaffingGoals, n: FloatArray, load: FloatArray, aht: FloatArray, b: FloatArray
) -> BoolArray:
    """Goals for Erlang C with n > A, given the Erlang B value b = B(n, A)."""
    pw = b / (b + (1.0 - load / n) * (1.0 - b))
    target = goals.service_time

    def sl(i: NDArray[np.intp]) -> FloatArray:
        assert target is not None
        return 1.0 - pw[i] * np.exp(-(n[i] - load[i]) * target / aht[i])

    return _met(
        goals,
        n.size,
        occupancy=lambda i: load[i] / n[i],
        abandonment=None,
        sl=sl,
        asa=lambda i: pw[i] * aht[i] / (n[i] - load[i]),
    )


def _erlang_a_met(
    goals: StaffingGoals, n: FloatArray, load: FloatArray, aht: FloatArray, patience: FloatArray
) -> BoolArray:
    """Goals for Erlang A with n >= 1."""
    core = erlang._erlang_a_core(n, load, aht, patience)
    target = goals.service_time
    short = goals.short_abandon

    def sl(i: NDArray[np.intp]) -> FloatArray:
        assert target is not None
        return erlang._erlang_a_sl_kernel(
            n[i],
            load[i],
            aht[i],
            patience[i],
            np.full(i.size, target),
            goals.sl_definition,
            None if short is None else np.full(i.size, short),
            core=core.take(i),
        )

    def asa(i: NDArray[np.intp]) -> FloatArray:
        """ASA of answered calls where it is close to the goal; elsewhere a bound on the same side of the goal.

        The exact series costs ~16·√x terms per row, so rows are first settled by closed-form bounds:
        ASA ≤ E[W] / P(answered) = p_abandon·patience / (1 − p_abandon), because answered calls' waits are part
        of E[W]; and ASA ≥ t·P(answered, W > t) / P(answered) for every t, because P(answered, W > s) falls in s.
        """
        assert goals.asa is not None
        bound = goals.asa * (1 + GOAL_TOLERANCE)
        c = core.take(i)
        answered = 1.0 - c.p_abandon
        out = c.p_abandon * patience[i] / answered  # upper bound
        open_rows = np.flatnonzero(out > bound)
        for factor in (2.0, 4.0, 8.0):
            if not open_rows.size:
                return out
            t = factor * goals.asa
            c_open = c.take(open_rows)
            late = erlang._erlang_a_answered_after(c_open, np.exp(-t / patience[i][open_rows]))
            lower = t * late / answered[open_rows]
            out[open_rows] = lower
            open_rows = open_rows[lower <= bound]
        if open_rows.size:
            c_open = c.take(open_rows)
            wait_sum = erlang._erlang_a_answered_wait_sum(c_open)
            out[open_rows] = (
                c_open.p_wait
                * patience[i][open_rows]
                * (c_open.a / c_open.x)
                * wait_sum
                / answered[open_rows]
            )
        return out

    return _met(
        goals,
        n.size,
        occupancy=lambda i: np.minimum(load[i] * (1.0 - core.p_abandon[i]) / n[i], 1.0),
        abandonment=lambda i: core.p_abandon[i],
        sl=sl,
        asa=asa,
    )


def _feasible(problem: _Problem, idx: IntArray, n: FloatArray) -> BoolArray:
    """meets every goal, for busy intervals ``idx`` staffed with ``n`` agents."""
    load, aht = problem.load[idx], problem.aht[idx]
    out = np.zeros(idx.size, dtype=bool)
    if problem.model is Model.ERLANG_C:
        live = n > load
        nl, al = n[live], load[live]
        b = np.exp(erlang._log_erlang_b(nl, al))
        out[live] = _erlang_c_met(problem.goals, nl, al, aht[live], b)
    else:
        assert problem.patience is not None
        live = n >= 1
        out[live] = _erlang_a_met(problem.goals, n[live], load[live], aht[live], problem.patience[idx][live])
    return out


# --------------------------------------------------------------------------------------------------------------
# Search


def _lower_bound(problem: _Problem) -> FloatArray:
    """A staffing level nothing below which can meet the goals (every busy interval needs >= 1 agent)."""
    load = problem.load
    lower = np.ones_like(load)
    if problem.model is Model.ERLANG_C:
        lower = np.maximum(lower, np.floor(load) + 1.0)  # stability: n > A
        if problem.goals.occupancy is not None:
            # A/n <= z needs n >= A/z; floor() keeps this a true lower bound despite rounding.
            lower = np.maximum(lower, np.floor(load / (problem.goals.occupancy + GOAL_TOLERANCE)))
    return lower


def _search_erlang_c(problem: _Problem, lower: FloatArray, cap: int) -> FloatArray:
    goals = problem.goals
    result = np.empty_like(problem.load)
    idx = np.arange(problem.load.size)
    n = lower.copy()
    load, aht = problem.load, problem.aht
    b = np.exp(erlang._log_erlang_b(n, load))
    while idx.size:
        done = _erlang_c_met(goals, n, load, aht, b)
        result[idx[done]] = n[done]
        keep = ~done
        idx, n, load, aht, b = idx[keep], n[keep] + 1.0, load[keep], aht[keep], b[keep]
        _check_cap(n, cap)
        b = load * b / (n + load * b)
    return result


def _search_bracketed(
    feasible: Callable[[IntArray, FloatArray], BoolArray], lower: FloatArray, guess: FloatArray, cap: int
) -> FloatArray:
    """Smallest n >= lower with feasible(n), for feasibility monotone in n: gallop to a bracket, then bisect.

    Invariants: every n < lo is infeasible (or below ``lower``); hi is feasible.
    """
    m = lower.size
    lo = lower.copy()
    hi = np.full(m, np.inf)
    probe = np.maximum(np.round(guess), lower)
    step = np.ones(m)

    first = feasible(np.arange(m), probe)
    hi[first] = probe[first]
    # Up: double the step until feasible.
    up = np.flatnonzero(~first)
    lo[up] = probe[up] + 1.0
    while up.size:
        p = probe[up] + step[up]
        _check_cap(p, cap)
        ok = feasible(up, p)
        hi[up[ok]] = p[ok]
        lo[up[~ok]] = p[~ok] + 1.0
        probe[up] = p
        step[up] *= 2.0
        up = up[~ok]
    # Down: from a feasible first guess, double the step until infeasible or at the lower bound.
    step[:] = 1.0
    down = np.flatnonzero(first & (hi > lo))
    while down.size:
        p = hi[down] - step[down]
        below = p < lo[down]
        p = np.maximum(p, lo[down])
        ok = feasible(down, p)
        hi[down[ok]] = p[ok]
        lo[down[~ok]] = p[~ok] + 1.0
        step[down] *= 2.0
        down = down[ok & ~below & (hi[down] > lo[down])]
    # Bisect.
    todo = np.flatnonzero(lo < hi)
    while todo.size:
        mid = np.floor((lo[todo] + hi[todo]) / 2.0)
        ok = feasible(todo, mid)
        hi[todo[ok]] = mid[ok]
        lo[todo[~ok]] = mid[~ok] + 1.0
        todo = todo[lo[todo] < hi[todo]]
    return hi


def _check_cap(n: FloatArray, cap: int) -> None:
    if n.size and n.max() > cap:
        raise ValueError(
            f"an interval needs more than max_agents={cap} agents to meet the goals; check the volumes and goals"
        )


def _certify(problem: _Problem, n: FloatArray, lower: FloatArray, cap: int) -> FloatArray:
    """Make sure meets(n) and not meets(n − 1) with the canonical evaluator, nudging n where the fast search
    (recurrence rounding, ~1e-15) disagreed with it at a boundary."""
    idx = np.arange(n.size)
    bad = ~_feasible(problem, idx, n)
    while bad.any():
        n[bad] += 1.0
        _check_cap(n[bad], cap)
        sub = np.flatnonzero(bad)
        bad[sub] = ~_feasible(problem, sub, n[sub])
    can_drop = np.flatnonzero(n > lower)
    while can_drop.size:
        ok = _feasible(problem, can_drop, n[can_drop] - 1.0)
        can_drop = can_drop[ok]
        n[can_drop] -= 1.0
        can_drop = can_drop[n[can_drop] > lower[can_drop]]
    return n


# --------------------------------------------------------------------------------------------------------------
# Public API


def offered_load(calls: ArrayLike, aht: ArrayLike, interval: float = 900.0) -> FloatArray:
    """Offered load in Erlangs: calls per interval × AHT seconds / interval seconds."""
    return np.asarray(calls, dtype=np.float64) * np.asarray(aht, dtype=np.float64) / float(interval)


def required_agents(
    calls: ArrayLike,
    *,
    aht: ArrayLike,
    goals: StaffingGoals,
    interval: float = 900.0,
    model: Model | str = Model.ERLANG_C,
    patience: ArrayLike | None = None,
    max_agents: int = 100_000,
) -> IntArray:
    """Smallest number of agents on the phones meeting every goal, per interval.

    calls: arrivals per interval (forecasts may be fractional); aht: average handling time, seconds;
    interval: interval length, seconds (900 for 15 minutes); patience: mean patience, seconds (Erlang A).
    ``calls``, ``aht`` and ``patience`` broadcast together; the result has their broadcast shape.
    Intervals with zero calls need 0 agents (their aht and patience are ignored, NaN allowed).
    Raises ValueError on invalid input or when an interval would need more than ``max_agents``.
    """
    problem = _problem(calls, aht, interval, model, patience, goals)
    if not isinstance(max_agents, int | np.integer) or max_agents < 1:
        raise ValueError(f"max_agents must be a positive integer, got {max_agents!r}")
    cap = int(max_agents)
    out = np.zeros(problem.busy.size, dtype=np.int64)
    if problem.load.size:
        lower = _lower_bound(problem)
        _check_cap(lower, cap)
        if problem.model is Model.ERLANG_C:
            found = _search_erlang_c(problem, lower, cap)
        else:
            # Square-root staffing guess; the search is exact whatever the guess, a good one only saves probes.
            guess = problem.load + 0.5 * np.sqrt(problem.load)
            found = _search_bracketed(lambda idx, n: _feasible(problem, idx, n), lower, guess, cap)
        found = _certify(problem, found, lower, cap)
        out[problem.busy] = found.astype(np.int64)
    return out.reshape(problem.shape)


def meets_goals(
    agents: ArrayLike,
    calls: ArrayLike,
    *,
    aht: ArrayLike,
    goals: StaffingGoals,
    interval: float = 900.0,
    model: Model | str = Model.ERLANG_C,
    patience: ArrayLike | None = None,
) -> BoolArray:
    """Whether ``agents`` agents meet every goal in each interval (the check ``required_agents`` certifies with)."""
    problem = _problem(calls, aht, interval, model, patience, goals)
    n_all = np.asarray(agents, dtype=np.float64)
    erlang._check_agents(n_all)
    try:
        n_flat = np.broadcast_to(n_all, problem.shape).reshape(-1)
    except ValueError:
        raise ValueError("agents must broadcast to the shape of calls") from None
    out = np.ones(problem.busy.size, dtype=bool)  # no calls: any staffing, even 0, meets the goals
    out[problem.busy] = _feasible(problem, np.arange(problem.load.size), n_flat[problem.busy])
    return out.reshape(problem.shape)


def scheduled_heads(agents: ArrayLike, shrinkage: ArrayLike) -> IntArray:
    """Heads to schedule so that ``agents`` remain on the phones after ``shrinkage`` (breaks, training, absence).

    ceil(agents / (1 − shrinkage)), with float noise removed: 14 agents at 30% shrinkage is 20 heads, not 21.
    """
    n = np.asarray(agents, dtype=np.float64)
    erlang._check_agents(n)
    s = np.asarray(shrinkage, dtype=np.float64)
    if not np.isfinite(s).all() or (s < 0).any() or (s >= 1).any():
        raise ValueError("shrinkage must be a fraction in [0, 1) (0.3 means 30% of paid time off the phones)")
    heads = np.ceil(n / (1.0 - s) - _HEADS_SLACK)
    return np.maximum(heads, n).astype(np.int64)
