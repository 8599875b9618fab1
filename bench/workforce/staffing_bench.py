"""Staffing engine benchmark: required agents for a week of 15-minute intervals (7 × 96 = 672) on real volumes.

Run from the repository root:

    .venv/bin/python bench/workforce/staffing_bench.py
    .venv/bin/python bench/workforce/staffing_bench.py --week-start 1999-12-12 --repeat 50

Data (read in place, never copied into the repository; see ../shared/callcenter/README.md): the "Anonymous Bank"
call center, 1999 (Technion SEE lab; Brown et al., JASA 2005).

* Volumes: ``anonymous_bank_1999_6min_counts.csv``, arrivals per 6-minute bin. A 15-minute interval takes two whole
  bins and half of a third (arrivals assumed uniform within a bin): [0, 15) = b0 + b1 + b2/2, [15, 30) = b2/2 + b3 + b4.
* AHT, patience and the share of arrivals that ask for an agent: the per-call log of the same month
  (``anonymous_bank_1999_10_october.txt`` by default). AHT = mean ``ser_time`` of served calls; patience = exponential
  maximum-likelihood estimate, total time in queue of all calls that asked for an agent / calls that abandoned from
  the queue (Brown et al. 2005, section 5); agent share = (served + abandoned from queue) / all arrivals.

The bank is small (a peak of about 10 Erlangs in a 15-minute interval), so the same week is also scaled to a peak of
130 Erlangs (issue 5's scheduling instance) and of 1,900 Erlangs (a very large center) to show how the engine scales.

Timings are wall-clock per full week (672 intervals), median and best of ``--repeat`` runs after one warm-up run, on
one core (numpy does not parallelise these kernels). Every result is checked outside the timed region: each interval's
n meets all goals and n − 1 misses one (``meets_goals``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kefu.workforce.engine.staffing import StaffingGoals, meets_goals, required_agents  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "callcenter"
BINS_PER_DAY = 240  # 6-minute bins
INTERVAL = 900.0


def load_week(data_dir: Path, start: dt.date) -> np.ndarray:
    """Arrivals per 15-minute interval, shape (7, 96), for the 7 days from ``start``."""
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range(7)]
    bins = {d: np.zeros(BINS_PER_DAY) for d in days}
    with open(data_dir / "anonymous_bank_1999_6min_counts.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["date"] in bins:
                bins[row["date"]][int(row["interval_6min"]) - 1] = float(row["calls"])
    missing = [d for d in days if not bins[d].any()]
    if missing:
        raise SystemExit(f"no arrivals in the data for {', '.join(missing)}")
    six = np.stack([bins[d] for d in days]).reshape(7, 48, 5)  # 48 half hours × 5 bins
    first = six[:, :, 0] + six[:, :, 1] + 0.5 * six[:, :, 2]
    second = 0.5 * six[:, :, 2] + six[:, :, 3] + six[:, :, 4]
    return np.stack([first, second], axis=2).reshape(7, 96)


def call_parameters(log: Path) -> tuple[float, float, float]:
    """(AHT s, mean patience s, share of arrivals asking for an agent) from a per-call log."""
    served = handled = abandoned = exposure = arrivals = 0
    with open(log, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            arrivals += 1
            try:
                outcome, q_time = row["outcome"], int(row["q_time"])
            except ValueError:
                continue  # two malformed rows in October (shifted columns): counted as arrivals, nothing else
            if outcome == "AGENT":
                served += 1
                handled += int(row["ser_time"])
                exposure += q_time
            elif outcome == "HANG" and q_time > 0:
                abandoned += 1
                exposure += q_time
    return handled / served, exposure / abandoned, (served + abandoned) / arrivals


def timed(fn: Callable[[], np.ndarray], repeat: int) -> tuple[np.ndarray, float, float]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--week-start",
        type=dt.date.fromisoformat,
        default=dt.date(1999, 10, 3),
        help="first day of the week (1999-10-03 is a Sunday, the bank's first working day)",
    )
    parser.add_argument(
        "--log", default="anonymous_bank_1999_10_october.txt", help="per-call log for AHT/patience"
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--peaks",
        type=float,
        nargs="*",
        default=[130.0, 1900.0],
        help="also scale the week to these peak loads (Erlangs)",
    )
    args = parser.parse_args()

    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (a figure taken above the core count "
        f"measures the neighbours too)"
    )
    arrivals = load_week(args.data_dir, args.week_start)
    aht, patience, agent_share = call_parameters(args.data_dir / args.log)
    calls = arrivals * agent_share
    print(
        f"week from {args.week_start}: {calls.size} intervals of 15 min, {calls.sum():,.0f} calls for agents "
        f"({agent_share:.1%} of {arrivals.sum():,.0f} arrivals), AHT {aht:.1f} s, mean patience {patience:.0f} s"
    )

    sl_only = StaffingGoals(service_level=0.8, service_time=20)
    all_c = StaffingGoals(service_level=0.8, service_time=20, asa=30, occupancy=0.85)
    all_a = StaffingGoals(service_level=0.8, service_time=20, asa=30, abandonment=0.05, occupancy=0.85)
    cases = [
        ("Erlang C", "80/20", sl_only, "erlang_c"),
        ("Erlang C", "80/20 + ASA<=30s + occ<=85%", all_c, "erlang_c"),
        ("Erlang A", "80/20", sl_only, "erlang_a"),
        ("Erlang A", "80/20 + ASA<=30s + ab<=5% + occ<=85%", all_a, "erlang_a"),
        ("Erlang A", "ASA<=10s (the exact ASA series binds)", StaffingGoals(asa=10), "erlang_a"),
    ]
    print(
        f"\n{'scale':>6} {'peak A':>7}  {'model':8} {'goals':38} {'median ms':>9} {'best ms':>8} "
        f"{'agent-h':>8} {'n<A':>4}"
    )
    peak = float((calls * aht / INTERVAL).max())
    for scale in (1.0, *(p / peak for p in args.peaks)):
        week = calls * scale
        load = week * aht / INTERVAL
        for model, label, goals, kind in cases:
            pat = patience if kind == "erlang_a" else None

            def run(
                week: np.ndarray = week,
                goals: StaffingGoals = goals,
                kind: str = kind,
                pat: float | None = pat,
            ) -> np.ndarray:
                return required_agents(
                    week, aht=aht, goals=goals, interval=INTERVAL, model=kind, patience=pat
                )

            def meets(
                n: np.ndarray,
                week: np.ndarray = week,
                goals: StaffingGoals = goals,
                kind: str = kind,
                pat: float | None = pat,
            ) -> np.ndarray:
                return meets_goals(n, week, aht=aht, goals=goals, interval=INTERVAL, model=kind, patience=pat)

            n, median, best = timed(run, args.repeat)
            busy = week > 0
            assert meets(n).all()
            assert not meets(np.maximum(n - 1, 0))[busy & (n > 1)].any()
            below = int((busy & (n < load)).sum())
            print(
                f"{'x' + format(scale, '.3g'):>6} {load.max():7.1f}  {model:8} {label:38} {median * 1e3:9.2f} "
                f"{best * 1e3:8.2f} {n.sum() / 4:8.0f} {below:4d}"
            )
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
