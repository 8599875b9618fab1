"""Weekly tour scheduling as an integer program (HiGHS through highspy), then named agents to tours.

A week is ``7 × slots_per_day`` intervals, cyclic: a shift starting Sunday 22:00 covers Monday 00:00–06:30 of the
same week (a 24/7 centre's weeks repeat). A *tour* is a shift template's start slot combined with a days-off
pattern: the agent starts at the same time on every working day. Breaks are placed implicitly (Bechtold & Jacobs):
for every day and start slot, integer ``y[d, s, k]`` counts the working shifts that take their unpaid break at
offset ``k`` of the template's break window, and the breaks of a (day, start) add up to the shifts working it.
That keeps the program small (no tour × break-combination explosion) and exact for coverage.

    minimise   Σ paid_hours(t) · x_t
    subject to Σ_t on_shift(t, i) · x_t − Σ breaks covering i ≥ requirement_i      for every interval i
               Σ_k y[d, s, k] = Σ_{tours starting s working d} x_t                  for every (day, start)
               x, y ≥ 0 integer

The LP relaxation (the same program without integrality) is the lower bound reported beside every schedule;
gap = (objective − bound) / bound. ``solve_tours`` returns the chosen tours with counts and break offsets per day.

Solving: the LP relaxation first (the bound), then a portfolio of rounding-up LP dives (warm-started re-solves,
milliseconds each) for an incumbent, then HiGHS branch and bound for the rest of the time limit; the better of the
two incumbents is returned. Programs of more than ``_LNS_MIN_TOURS`` tours (a week) run one dive and then a
large-neighbourhood search instead of the branch and bound: windows of consecutive start times are freed, the rest
fixed, and HiGHS looks for a completion one tour cheaper (``_lns``). ``highspy`` rather than ``scipy.optimize.milp``
because milp cannot re-solve an LP warm after a bound change. When every tour costs a multiple of g, ⌈LP / g⌉·g
is a valid bound too: an incumbent there is optimal. With one-slot breaks the integer break placement for fixed
tours is a network LP, solved by simplex.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

__all__ = [
    "AgentSpec",
    "Assignment",
    "ScheduleResult",
    "ShiftTemplate",
    "Tour",
    "WorkRules",
    "assign_agents",
    "build_tours",
    "coverage",
    "solve_tours",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift: it may start at slots ``earliest_start..latest_start`` (every ``start_step`` slots), lasts
    ``length`` slots (span, break included) and has an unpaid break of ``break_length`` slots starting between
    ``break_earliest`` and ``break_latest`` slots after the shift starts (0 = no break)."""

    name: str
    length: int
    earliest_start: int = 0
    latest_start: int | None = None
    start_step: int = 1
    break_length: int = 0
    break_earliest: int = 0
    break_latest: int = 0
    cost_per_slot: float = 1.0

    def starts(self, slots_per_day: int) -> list[int]:
        last = slots_per_day - 1 if self.latest_start is None else self.latest_start
        return list(range(self.earliest_start, last + 1, self.start_step))

    def validate(self, slots_per_day: int) -> None:
        if self.length <= 0 or self.length > slots_per_day:
            raise ValueError(f"shift {self.name!r}: length must be 1..{slots_per_day} slots")
        if not 0 <= self.earliest_start < slots_per_day:
            raise ValueError(f"shift {self.name!r}: earliest_start must be within the day")
        if self.latest_start is not None and not self.earliest_start <= self.latest_start < slots_per_day:
            raise ValueError(
                f"shift {self.name!r}: latest_start must be between earliest_start and the day's end"
            )
        if self.break_length:
            if (
                not 0 < self.break_earliest <= self.break_latest
                or self.break_latest + self.break_length > self.length
            ):
                raise ValueError(f"shift {self.name!r}: the break window must lie inside the shift")

    @property
    def paid_slots(self) -> int:
        return self.length - self.break_length


@dataclass(frozen=True)
class WorkRules:
    """Days off per week, optionally consecutive (as a cyclic week: Sunday+Monday counts), at most
    ``max_consecutive_days`` working days in a row (cyclic), weekly paid hours within [min, max]."""

    days_off: int = 2
    consecutive_days_off: bool = True
    max_consecutive_days: int = 6
    min_weekly_hours: float = 0.0
    max_weekly_hours: float = 168.0

    def patterns(self) -> list[tuple[int, ...]]:
        """Working-day patterns (7 zeros/ones, Monday first) allowed by the rules."""
        out = []
        for off in itertools.combinations(range(7), self.days_off):
            if self.consecutive_days_off and self.days_off > 1:
                ok = any(all((s + k) % 7 in off for k in range(self.days_off)) for s in range(7))
                if not ok:
                    continue
            pattern = tuple(0 if d in off else 1 for d in range(7))
            if _max_run(pattern) > self.max_consecutive_days:
                continue
            out.append(pattern)
        return out


def _max_run(pattern: tuple[int, ...]) -> int:
    if all(pattern):
        return 7 * 52
    best = run = 0
    for v in pattern + pattern:
        run = run + 1 if v else 0
        best = max(best, run)
    return best


@dataclass(frozen=True)
class Tour:
    template: int  # index into the templates
    start: int  # slot of the day
    pattern: tuple[int, ...]  # 1 = works that day (Monday first)


@dataclass
class ScheduleResult:
    tours: list[Tour]
    counts: IntArray  # agents on each tour
    breaks: dict[
        tuple[int, int, int], list[int]
    ]  # (template, day, start) -> break offset of each shift, expanded
    objective: float
    lp_bound: float
    gap: float  # (objective − LP bound) / LP bound
    status: str
    best_bound: float
    seconds: float
    coverage: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def build_tours(templates: Sequence[ShiftTemplate], rules: WorkRules, slots_per_day: int) -> list[Tour]:
    patterns = rules.patterns()
    tours: list[Tour] = []
    for ti, tpl in enumerate(templates):
        tpl.validate(slots_per_day)
        hours = tpl.paid_slots * 24.0 / slots_per_day
        for pattern in patterns:
            weekly = hours * sum(pattern)
            if not rules.min_weekly_hours - 1e-9 <= weekly <= rules.max_weekly_hours + 1e-9:
                continue
            tours.extend(Tour(ti, s, pattern) for s in tpl.starts(slots_per_day))
    if not tours:
        raise ValueError("no tour satisfies the work rules (check days off and weekly hours)")
    return tours


def solve_tours(
    requirement: ArrayLike,
    templates: Sequence[ShiftTemplate],
    rules: WorkRules | None = None,
    *,
    time_limit: float = 10.0,
    mip_rel_gap: float = 0.002,
    cyclic: bool = True,
) -> ScheduleResult:
    """Cheapest set of tours covering ``requirement`` (7 × slots_per_day heads, or one day × slots for a single
    day when ``rules`` is None: then every tour is a single shift and ``cyclic`` wraps the day around itself)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    req = np.asarray(requirement, dtype=float)
    single_day = req.ndim == 1
    if single_day:
        req = req[None, :]
        rules_ = WorkRules(days_off=0, consecutive_days_off=False, max_consecutive_days=7 * 52)
        patterns_days = 1
    else:
        if req.ndim != 2 or req.shape[0] != 7:
            raise ValueError("requirement must be 7 × slots_per_day (or one day of slots)")
        rules_ = rules or WorkRules()
        patterns_days = 7
    if not np.all(np.isfinite(req)) or np.any(req < 0):
        raise ValueError("requirement must be finite and non-negative")
    n_days, spd = req.shape
    total = n_days * spd
    req_flat = np.ceil(req.reshape(-1) - 1e-9)

    if single_day:
        tours: list[Tour] = []
        for ti, tpl in enumerate(templates):
            tpl.validate(spd)
            tours.extend(Tour(ti, s, (1,)) for s in tpl.starts(spd))
    else:
        tours = build_tours(templates, rules_, spd)

    def wrap(i: int) -> int | None:
        if i < total:
            return i
        return i % total if cyclic else None

    # x columns: tours; y columns: (template, day, start, break offset).
    rows_c: list[int] = []
    cols_c: list[int] = []
    vals_c: list[float] = []
    cost = []
    for j, tour in enumerate(tours):
        tpl = templates[tour.template]
        cost.append(tpl.paid_slots * tpl.cost_per_slot * sum(tour.pattern))
        for d in range(patterns_days):
            if not tour.pattern[d]:
                continue
            for k in range(tpl.length):
                i = wrap(d * spd + tour.start + k)
                if i is not None:
                    rows_c.append(i)
                    cols_c.append(j)
                    vals_c.append(1.0)
    y_keys: list[tuple[int, int, int, int]] = []
    link_keys: dict[tuple[int, int, int], int] = {}
    for ti, tpl in enumerate(templates):
        if not tpl.break_length:
            continue
        for d in range(patterns_days):
            for s in tpl.starts(spd):
                link_keys[(ti, d, s)] = len(link_keys)
                for off in range(tpl.break_earliest, tpl.break_latest + 1):
                    col = len(tours) + len(y_keys)
                    y_keys.append((ti, d, s, off))
                    for k in range(tpl.break_length):
                        i = wrap(d * spd + s + off + k)
                        if i is not None:
                            rows_c.append(i)
                            cols_c.append(col)
                            vals_c.append(-1.0)
    n_vars = len(tours) + len(y_keys)
    a_cov = sparse.csr_array((vals_c, (rows_c, cols_c)), shape=(total, n_vars))
    constraints = [LinearConstraint(a_cov, lb=req_flat, ub=np.inf)]
    if y_keys:
        rl: list[int] = []
        cl: list[int] = []
        vl: list[float] = []
        for j, tour in enumerate(tours):
            if not templates[tour.template].break_length:
                continue
            for d in range(patterns_days):
                if tour.pattern[d]:
                    rl.append(link_keys[(tour.template, d, tour.start)])
                    cl.append(j)
                    vl.append(1.0)
        for yi, (ti, d, s, _off) in enumerate(y_keys):
            rl.append(link_keys[(ti, d, s)])
            cl.append(len(tours) + yi)
            vl.append(-1.0)
        a_link = sparse.csr_array((vl, (rl, cl)), shape=(len(link_keys), n_vars))
        constraints.append(LinearConstraint(a_link, lb=0.0, ub=0.0))
    c = np.concatenate([np.asarray(cost, dtype=float), np.zeros(len(y_keys))])
    a_all = sparse.vstack([sparse.csr_array(k.A) for k in constraints]).tocsc()
    row_lo = np.concatenate(
        [np.broadcast_to(np.asarray(k.lb, dtype=float), k.A.shape[0]) for k in constraints]
    )
    row_hi = np.concatenate(
        [np.broadcast_to(np.asarray(k.ub, dtype=float), k.A.shape[0]) for k in constraints]
    )
    # Only the tours are integer: for integer tours, placing breaks is a transportation problem (consecutive
    # windows into slots with spare heads), whose matrix is totally unimodular, so integer breaks exist whenever
    # fractional ones do. Fewer integer columns make HiGHS's branch and bound far faster.
    solved = _solve_highs(
        c,
        a_all,
        row_lo,
        row_hi,
        n_int=len(tours),
        groups=_start_groups(tours),
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        t0=t0,
        c0=c0,
    )
    lp_bound = solved.lp_bound
    x = np.rint(solved.x).astype(np.int64)
    if y_keys:
        fixed_lb = np.zeros(n_vars)
        fixed_ub = np.full(n_vars, np.inf)
        fixed_lb[: len(tours)] = fixed_ub[: len(tours)] = x[: len(tours)]
        # With one-slot breaks every break column has one −1 (its slot) and one +1 (its link row): a network
        # matrix, so the simplex answer is already integral; longer breaks may need the integer solve.
        yl = _highs(np.zeros(n_vars), a_all, row_lo, row_hi)
        yl.changeColsBounds(n_vars, np.arange(n_vars, dtype=np.int32), fixed_lb, fixed_ub)
        yl.run()
        yx = np.asarray(yl.getSolution().col_value, dtype=float)
        if yl.getModelStatus() != highspy.HighsModelStatus.kOptimal or np.abs(yx - np.rint(yx)).max() > 1e-7:
            ys = milp(
                c, constraints=constraints, bounds=Bounds(fixed_lb, fixed_ub), integrality=np.ones(n_vars)
            )
            if ys.x is None:  # cannot happen (total unimodularity); keep the tours and say so
                raise ValueError("could not place integer breaks for the chosen tours")
            yx = ys.x
        x = np.rint(yx).astype(np.int64)
        logger.debug("integer breaks placed after %.2f s", time.perf_counter() - t0)
    counts = x[: len(tours)]
    breaks: dict[tuple[int, int, int], list[int]] = {}
    for cidx, (ti, d, s, off) in enumerate(y_keys):
        breaks.setdefault((ti, d, s), []).extend([off] * int(x[len(tours) + cidx]))
    objective = float(c @ x)
    cov = np.rint(a_cov @ x).astype(np.int64)
    gap = (objective - lp_bound) / lp_bound if lp_bound > 0 else 0.0
    best_bound = solved.best_bound
    status = solved.status
    result = ScheduleResult(
        tours=tours,
        counts=counts,
        breaks=breaks,
        objective=objective,
        lp_bound=lp_bound,
        gap=gap,
        status=status,
        best_bound=best_bound,
        seconds=time.perf_counter() - t0,
        coverage=cov.reshape(n_days, spd) if not single_day else cov,
    )
    return result


@dataclass
class _Solved:
    x: FloatArray
    lp_bound: float
    best_bound: float
    status: str  # "optimal" (proven within mip_rel_gap), "time_limit"


def _highs(c: FloatArray, a: sparse.csc_array, row_lo: FloatArray, row_hi: FloatArray) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = len(c)
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = c
    lp.col_lower_ = np.zeros(len(c))
    lp.col_upper_ = np.full(len(c), inf)
    lp.row_lower_ = np.where(np.isinf(row_lo), -inf, row_lo)
    lp.row_upper_ = np.where(np.isinf(row_hi), inf, row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    h.passModel(lp)
    return h


# Large-neighbourhood search: used instead of HiGHS's branch and bound when there are more tours than this (a week's
# tour program; single days keep the exact branch and bound), sub-MIP cap in CPU seconds, first window, seed.
_LNS_MIN_TOURS = 150
_LNS_SUB_CPU_SECONDS = 1.5
_LNS_FIRST_WIDTH = 6
_LNS_SEED = 0
# CPU seconds kept back from the time limit for placing integer breaks and building the result (≈ 30 ms measured on
# the week), with 0.1 s of wall time for the last sub-MIP's overshoot; at most 10 % of the limit.
_RESERVE_CPU = 0.1


def _start_groups(tours: Sequence[Tour]) -> IntArray:
    """Index of each tour's (template, start) in start order: the LNS frees windows of consecutive groups."""
    keys = sorted({(t.start, t.template) for t in tours})
    index = {k: i for i, k in enumerate(keys)}
    return np.array([index[(t.start, t.template)] for t in tours], dtype=np.int64)


def _integral_step(costs: FloatArray) -> float:
    """The largest g with every tour cost a multiple of g (0 when the costs are not integers): any integer
    schedule then costs a multiple of g, so ⌈LP / g⌉·g is a valid lower bound."""
    if not len(costs) or not np.allclose(costs, np.rint(costs)) or costs.max() > 2**52:
        return 0.0
    return float(np.gcd.reduce(np.rint(costs).astype(np.int64)))


# Dives of a portfolio: each step rounds up the ⌈k / d⌉ most fractional of the k fractional tours. Which dive lands
# lowest varies with the instance (on the week, 244 to 247 agents), so several run and the best is kept; a
# dive costs 10 to 60 warm LP re-solves.
_DIVE_DIVISORS = (8, 32, 16, 0)  # 0: one tour per step


def _dive(h: highspy.Highs, n_int: int, deadline: float, divisor: int) -> FloatArray:
    """Rounding-up LP dive (covering program: rounding a tour up never loses feasibility) from the LP optimum in
    ``h``. Each step keeps every tour at least at its current floor, rounds up the ⌈k / divisor⌉ most fractional of
    the k fractional tours (one when ``divisor`` is 0), and re-solves the LP warm-started (dual simplex from the
    previous basis, milliseconds).
    Past the deadline, round everything up. Leaves ``h`` with its column bounds changed."""
    lower = np.zeros(n_int)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    while True:
        xt = x[:n_int]
        floor = np.floor(xt + 1e-7)
        frac = xt - floor
        fractional = np.flatnonzero(frac > 1e-6)
        if not len(fractional):
            return x
        new_lower = np.maximum(lower, floor)
        if time.perf_counter() > deadline:
            new_lower[fractional] = np.ceil(xt[fractional] - 1e-7)
        else:
            k = -(-len(fractional) // divisor) if divisor else 1
            top = fractional[np.argsort(-frac[fractional], kind="stable")[:k]]
            new_lower[top] = np.ceil(xt[top] - 1e-7)
        changed = np.flatnonzero(new_lower != lower).astype(np.int32)
        h.changeColsBounds(
            len(changed), changed, new_lower[changed], np.full(len(changed), highspy.kHighsInf)
        )
        lower = new_lower
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # cannot happen for a covering program
            raise ValueError("the LP dive lost feasibility")
        x = np.asarray(h.getSolution().col_value, dtype=float)


def _lns(
    c: FloatArray,
    a: sparse.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    *,
    n_int: int,
    groups: IntArray,
    x: FloatArray,
    obj: float,
    step: float,
    best_bound: float,
    stop_at: float,
    deadline: float,
    wall_start: float,
    cpu_start: float,
) -> tuple[FloatArray, float, bool]:
    """Large-neighbourhood search from the incumbent ``x``: fix every tour outside a window of consecutive start
    groups (cyclic), and ask HiGHS for a completion of the window at least ``step`` cheaper (a cut row
    Σ cost·x ≤ incumbent − step, so a window without an improvement is infeasible, usually proven so in tens of
    milliseconds). Windows of one width sweep the whole day, overlapping by half, from a random group (seeded); a
    sweep without improvement widens them by a quarter, an improvement starts a new sweep. A sub-MIP gets at most
    ``_LNS_SUB_CPU_SECONDS`` of CPU: HiGHS's limit is wall time, so the cap is divided by the share of a core this
    process has had since ``cpu_start`` (on a loaded machine the window that finds the improvement must not be cut
    short). Stops at ``stop_at``, at the deadline, or when a window of every group is infeasible.
    Returns the incumbent, its cost, and whether it is proven optimal."""
    rng = np.random.default_rng(_LNS_SEED)
    mip = _highs(c, a, row_lo, row_hi)
    cols = np.arange(n_int, dtype=np.int32)
    mip.changeColsIntegrality(n_int, cols, np.full(n_int, highspy.HighsVarType.kInteger))
    inf = highspy.kHighsInf
    mip.addRow(-inf, obj - step, n_int, cols, c[:n_int])
    cut_row = mip.getNumRow() - 1
    mip.setOptionValue("mip_rel_gap", 0.0)

    def stop_at_deadline(event: highspy.HighsCallbackEvent) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    mip.cbMipInterrupt.subscribe(stop_at_deadline)
    n_groups = int(groups.max()) + 1
    width = min(n_groups, _LNS_FIRST_WIDTH)
    sweep: list[int] = []  # first groups of the windows still to try at this width
    tried = 0
    while obj > stop_at:
        now = time.perf_counter()
        share = (time.process_time() - cpu_start) / max(now - wall_start, 1e-3)
        cap = _LNS_SUB_CPU_SECONDS / min(1.0, max(share, 0.1))
        limit = min(cap, deadline - now)
        if limit < 0.02:
            break
        if not sweep:  # windows overlapping by half, around the whole day from a random group
            offset = int(rng.integers(n_groups))
            stride = max(1, (width + 1) // 2) if width < n_groups else n_groups
            sweep = [(offset + k) % n_groups for k in range(0, n_groups, stride)]
        first = sweep.pop(0)
        free = np.isin(groups, (first + np.arange(width)) % n_groups)
        mip.changeColsBounds(n_int, cols, np.where(free, 0.0, x[:n_int]), np.where(free, inf, x[:n_int]))
        mip.changeRowBounds(cut_row, -inf, obj - step)
        mip.setOptionValue("time_limit", limit)
        mip.clearSolver()
        began = time.perf_counter()
        mip.run()
        took = time.perf_counter() - began
        tried += 1
        status = mip.getModelStatus()
        if mip.getInfo().primal_solution_status == 2:
            xn = np.asarray(mip.getSolution().col_value, dtype=float)
            xn[:n_int] = np.rint(xn[:n_int])
            if float(c @ xn) < obj - 1e-9:
                x, obj = xn, float(c @ xn)
                logger.debug(
                    "LNS: %.1f from starts %d+%d, sub-MIP %d (%.2f s)", obj, first, width, tried, took
                )
                sweep = []
                continue
        logger.debug("LNS: starts %d+%d %s after %.2f s", first, width, status.name, took)
        if status == highspy.HighsModelStatus.kInfeasible and width == n_groups:
            return x, obj, True
        if not sweep:  # a whole sweep without improvement: wider windows
            width = min(n_groups, width + max(1, width // 4))
    return x, obj, obj <= best_bound + 1e-6


def _solve_highs(
    c: FloatArray,
    a: sparse.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    *,
    n_int: int,
    groups: IntArray,
    time_limit: float,
    mip_rel_gap: float,
    t0: float,
    c0: float,
) -> _Solved:
    """LP relaxation (the bound), an LP-diving incumbent, then HiGHS branch and bound warm-started from it."""
    deadline = t0 + time_limit
    h = _highs(c, a, row_lo, row_hi)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ValueError("the requirement cannot be covered by these shifts (some interval is never worked)")
    lp_bound = float(h.getInfo().objective_function_value)
    step = _integral_step(c[:n_int])
    best_bound = max(lp_bound, np.ceil(lp_bound / step - 1e-9) * step) if step else lp_bound

    def proven(obj: float) -> bool:
        return obj <= best_bound + max(mip_rel_gap * abs(best_bound), 1e-6)

    # The first dive may take up to 60 % of the time (an unfinished dive rounds everything up: a poor schedule); the
    # others start only if they should end within the first third. Together they usually take under a second.
    portfolio_deadline = t0 + time_limit / 3
    all_cols = np.arange(n_int, dtype=np.int32)
    x, obj = np.zeros(0), np.inf
    last = 0.0  # how long the last dive took: a dive that would not finish in time is not started
    use_lns = n_int > _LNS_MIN_TOURS and step > 0
    for i, divisor in enumerate(_DIVE_DIVISORS):
        began = time.perf_counter()
        if i and (use_lns or began + last > portfolio_deadline or proven(obj)):
            break
        dive_deadline = t0 + 0.6 * time_limit if i == 0 else portfolio_deadline
        if i:  # back to the LP optimum, warm from the last basis
            h.changeColsBounds(n_int, all_cols, np.zeros(n_int), np.full(n_int, highspy.kHighsInf))
            h.run()
        xd = _dive(h, n_int, dive_deadline, divisor)
        xd[:n_int] = np.rint(xd[:n_int])
        if float(c @ xd) < obj:
            x, obj = xd, float(c @ xd)
        last = time.perf_counter() - began
        logger.debug("dive 1/%d: %.1f after %.2f s", divisor, float(c @ xd), time.perf_counter() - t0)
    if proven(obj):
        return _Solved(x, lp_bound, best_bound, "optimal")
    if use_lns:
        # The share of a core this process has had: on a loaded machine the break placement after the search takes
        # longer in wall time, and so does each sub-MIP.
        share = min(1.0, (time.process_time() - c0) / max(time.perf_counter() - t0, 1e-3))
        x, obj, optimal = _lns(
            c,
            a,
            row_lo,
            row_hi,
            n_int=n_int,
            groups=groups,
            x=x,
            obj=obj,
            step=step,
            best_bound=best_bound,
            stop_at=best_bound + max(mip_rel_gap * abs(best_bound), 1e-6),
            deadline=deadline - min(0.1 * time_limit, 0.1 + _RESERVE_CPU / max(share, 0.05)),
            wall_start=t0,
            cpu_start=c0,
        )
        logger.debug("LNS %.1f after %.2f s", obj, time.perf_counter() - t0)
        if optimal:
            best_bound = max(best_bound, obj)
        return _Solved(x, lp_bound, best_bound, "optimal" if optimal or proven(obj) else "time_limit")
    remaining = deadline - time.perf_counter()
    if remaining < 0.05:
        return _Solved(x, lp_bound, best_bound, "time_limit")
    mip = _highs(c, a, row_lo, row_hi)
    mip.changeColsIntegrality(
        n_int, np.arange(n_int, dtype=np.int32), np.full(n_int, highspy.HighsVarType.kInteger)
    )
    # No starting solution: given the dives' incumbent, HiGHS's first round of root cuts ran 11 s past a 4 s time
    # limit on the week (the separators do not look at the clock), without it the limit holds. The better of
    # the two incumbents is kept below.
    mip.setOptionValue("time_limit", remaining)
    mip.setOptionValue("mip_rel_gap", mip_rel_gap)

    def stop_at_deadline(event: highspy.HighsCallbackEvent) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    mip.cbMipInterrupt.subscribe(stop_at_deadline)
    logger.debug("branch and bound from %.1f with %.2f s left", obj, remaining)
    mip.run()
    info = mip.getInfo()
    if info.primal_solution_status == 2 and info.objective_function_value < obj - 1e-9:
        x = np.asarray(mip.getSolution().col_value, dtype=float)
        x[:n_int] = np.rint(x[:n_int])
        obj = float(c @ x)
    if np.isfinite(info.mip_dual_bound):
        best_bound = max(best_bound, float(info.mip_dual_bound))
    logger.debug("branch and bound %.1f after %.2f s", obj, time.perf_counter() - t0)
    ok = mip.getModelStatus() == highspy.HighsModelStatus.kOptimal or proven(obj)
    return _Solved(x, lp_bound, best_bound, "optimal" if ok else "time_limit")


def coverage(
    result: ScheduleResult, templates: Sequence[ShiftTemplate], slots_per_day: int, *, cyclic: bool = True
) -> IntArray:
    """Heads on duty per interval (breaks excluded) of a solved week, recomputed from tours and breaks."""
    days = len(result.tours[0].pattern) if result.tours else 7
    cov = np.zeros(days * slots_per_day, dtype=np.int64)
    total = cov.size
    for tour, n in zip(result.tours, result.counts, strict=True):
        if not n:
            continue
        tpl = templates[tour.template]
        for d in range(days):
            if tour.pattern[d]:
                for k in range(tpl.length):
                    i = d * slots_per_day + tour.start + k
                    if i < total or cyclic:
                        cov[i % total] += n
    for (ti, d, s), offs in result.breaks.items():
        tpl = templates[ti]
        for off in offs:
            for k in range(tpl.break_length):
                i = d * slots_per_day + s + off + k
                if i < total or cyclic:
                    cov[i % total] -= 1
    return cov.reshape(days, slots_per_day) if days > 1 else cov


@dataclass(frozen=True)
class AgentSpec:
    """A named agent for assignment: ``skills`` they have, ``unavailable`` days (0..6, e.g. approved leave),
    ``preferred_start`` slot range and ``preferred_days_off`` (soft)."""

    key: int
    skills: frozenset[str] = frozenset()
    unavailable: frozenset[int] = frozenset()
    preferred_start: tuple[int, int] | None = None
    preferred_days_off: frozenset[int] = frozenset()
    max_weekly_hours: float | None = None


@dataclass(frozen=True)
class Assignment:
    agent: int | None  # AgentSpec.key, None = open tour nobody could take
    tour: Tour
    break_offsets: tuple[int | None, ...]  # per day, None when not working or no break


# Costs of the assignment problem: hard violations are never chosen while a feasible alternative exists.
_FORBIDDEN = 1e6
_PREF_START = 10.0
_PREF_DAY_OFF = 5.0


def assign_agents(
    result: ScheduleResult,
    templates: Sequence[ShiftTemplate],
    agents: Sequence[AgentSpec],
    *,
    required_skills: frozenset[str] = frozenset(),
    slots_per_day: int = 48,
) -> list[Assignment]:
    """Give each chosen tour to at most one agent with the skills, not on leave on its working days, preferring
    their start times and days off (a linear assignment, Hungarian method). Tours left over stay open (agent None)."""
    slots: list[Tour] = []
    for tour, n in zip(result.tours, result.counts, strict=True):
        slots.extend([tour] * int(n))
    # Hand out the break offsets of each (template, day, start) in order.
    pools = {k: list(v) for k, v in result.breaks.items()}
    offsets: list[tuple[int | None, ...]] = []
    for tour in slots:
        per_day: list[int | None] = []
        for d, works in enumerate(tour.pattern):
            pool = pools.get((tour.template, d, tour.start))
            per_day.append(pool.pop() if works and pool else None)
        offsets.append(tuple(per_day))
    if not slots:
        return []
    if not agents:
        return [Assignment(None, t, o) for t, o in zip(slots, offsets, strict=True)]
    cost = np.zeros((len(agents), len(slots)))
    for a, agent in enumerate(agents):
        for j, tour in enumerate(slots):
            tpl = templates[tour.template]
            c = 0.0
            if not required_skills <= agent.skills:
                c += _FORBIDDEN
            if any(tour.pattern[d] for d in agent.unavailable if d < len(tour.pattern)):
                c += _FORBIDDEN
            hours = tpl.paid_slots * 24.0 / slots_per_day * sum(tour.pattern)
            if agent.max_weekly_hours is not None and hours > agent.max_weekly_hours + 1e-9:
                c += _FORBIDDEN
            if (
                agent.preferred_start
                and not agent.preferred_start[0] <= tour.start <= agent.preferred_start[1]
            ):
                c += _PREF_START
            c += _PREF_DAY_OFF * sum(
                1 for d in agent.preferred_days_off if d < len(tour.pattern) and tour.pattern[d]
            )
            cost[a, j] = c
    rows, cols = linear_sum_assignment(cost)
    taken: dict[int, int] = {}
    for r, col in zip(rows, cols, strict=True):
        if cost[r, col] < _FORBIDDEN:
            taken[int(col)] = agents[int(r)].key
    return [Assignment(taken.get(j), t, o) for j, (t, o) in enumerate(zip(slots, offsets, strict=True))]
