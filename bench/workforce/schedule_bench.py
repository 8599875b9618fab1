"""Scheduling benchmark: the issue's 24/7 instance and simple contiguous-shift instances.

    .venv/bin/python bench/workforce/schedule_bench.py [--time-limit 10] [--repeat 3]

24/7 week: 48 start times (30-minute slots), two consecutive days off, 8.5 h span with an unpaid 30-minute break
starting 3–4.5 h in (so it ends within 5 h), requirement from Erlang C (80/20, AHT 300 s) on a two-peak daily
curve of about 130 Erlangs at peak, weekend lighter. Prints objective, LP bound, gap and time. Then single-day
contiguous 8-hour shifts (no breaks) which must be solved exactly.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np

from kefu.workforce.engine import StaffingGoals, required_agents
from kefu.workforce.engine.schedule import ShiftTemplate, WorkRules, solve_tours


def week_requirement(peak_erlangs: float = 130.0) -> np.ndarray:
    t = np.arange(48) / 2.0
    curve = (
        0.08
        + np.exp(-((t - 10.5) ** 2) / 6)
        + 0.85 * np.exp(-((t - 15.5) ** 2) / 8)
        + 0.3 * np.exp(-((t - 20.5) ** 2) / 4)
    )
    curve = curve / curve.max()
    day_factor = np.array([1.0, 0.95, 0.92, 0.93, 0.97, 0.7, 0.6])
    load = peak_erlangs * day_factor[:, None] * curve[None, :]
    aht = 300.0
    calls = load * 1800 / aht
    return required_agents(
        calls, aht=aht, interval=1800, goals=StaffingGoals(service_level=0.8, service_time=20)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1, help="solve the 24/7 week this many times")
    parser.add_argument("--verbose", action="store_true", help="print the solver's phases")
    args = parser.parse_args()
    if args.verbose:
        logging.basicConfig(format="  %(relativeCreated)8.0f ms  %(message)s")
        logging.getLogger("kefu.workforce.engine.schedule").setLevel(logging.DEBUG)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    req = week_requirement()
    tpl = ShiftTemplate("8.5h", length=17, start_step=1, break_length=1, break_earliest=6, break_latest=9)
    rules = WorkRules(days_off=2, consecutive_days_off=True)
    for _ in range(args.repeat):
        cpu0 = time.process_time()
        res = solve_tours(req, [tpl], rules, time_limit=args.time_limit, mip_rel_gap=0.003)
        cpu = time.process_time() - cpu0
        print(
            f"24/7 week: peak requirement {req.max()} agents, {len(res.tours)} tours, {res.counts.sum()} agents, "
            f"paid slots {res.objective:.0f}, LP bound {res.lp_bound:.1f} ({res.lp_bound / 80:.2f} agents), "
            f"gap to the LP bound {res.gap:.3%}, bound {res.best_bound:.0f}, status {res.status}, "
            f"{res.seconds:.2f} s wall, {cpu:.2f} s CPU, load average {os.getloadavg()[0]:.1f}"
        )
        assert (res.coverage >= req).all()
    rng = np.random.default_rng(7)
    worst = 0.0
    for n in range(20):
        day = rng.integers(0, 40, size=24)
        t0 = time.perf_counter()
        r = solve_tours(day, [ShiftTemplate("8h", length=8)], cyclic=bool(n % 2), mip_rel_gap=0.0)
        worst = max(worst, time.perf_counter() - t0)
        assert r.status == "optimal" and r.objective <= np.ceil(r.lp_bound / 8 - 1e-9) * 8, (
            r.objective,
            r.lp_bound,
        )
    print(
        f"contiguous 8-hour shifts, 20 random single days of 24 hourly slots: all optimal, slowest {worst * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
