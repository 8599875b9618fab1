"""Replay a real week through a published schedule (ciw discrete-event simulation) and check the service goal.

    .venv/bin/python bench/workforce/replay_bench.py [--week-start 1999-10-03] [--service-level 0.8 --answer 20]

Data: the Anonymous Bank per-call log of October 1999, read in place from ../shared/callcenter/ (see its README).
Every call that asked for an agent (served, or abandoned from the queue) is replayed at its real queue-entry time
(``q_start``, or ``vru_exit`` when it did not wait); served calls keep their real ``ser_time``, abandoned calls get a
handling time drawn from the week's served calls (seeded) and, pessimistically, never hang up (Erlang C world).

Plan: Erlang C requirement (80 % within 20 s by default) per 30-minute slot from the week's own counts and AHT per
slot (a perfect forecast, so the replay tests the staffing and scheduling, not the forecast), no shrinkage; a
7-day schedule of 8.5-hour shifts with a 30-minute break 3–5 h in and two consecutive days off (``solve_tours``).
The simulation staffs each slot with the schedule's agents on duty (breaks excluded; a call in service finishes
when its agent's slot ends). Prints the service level over all arrivals per day and for the week, and the share
of slots that met the goal. Not part of the test suite (ciw is a test/bench-only dependency).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

import ciw
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kefu.workforce.engine import StaffingGoals, required_agents  # noqa: E402
from kefu.workforce.engine.schedule import ShiftTemplate, WorkRules, solve_tours  # noqa: E402

DATA = Path(__file__).resolve().parents[3] / "shared" / "callcenter" / "anonymous_bank_1999_10_october.txt"
SLOT = 1800.0


def _sec(hms: str) -> int:
    h, m, s = (int(p) for p in hms.split(":"))
    return 3600 * h + 60 * m + s


def load_calls(path: Path, start: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(arrival s since start, handling s, served?) of the 7 days' calls that asked for an agent, by arrival."""
    arr, ser, served = [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            try:
                day = dt.datetime.strptime(row["date"], "%y%m%d").date()
                q_time, outcome = int(row["q_time"]), row["outcome"]
                t = _sec(row["q_start"]) if q_time > 0 else _sec(row["vru_exit"])
                s = int(row["ser_time"])
            except (ValueError, KeyError):
                continue
            k = (day - start).days
            if not 0 <= k < 7 or not (outcome == "AGENT" or (outcome == "HANG" and q_time > 0)):
                continue
            arr.append(k * 86400 + t)
            ser.append(s if outcome == "AGENT" else -1)
            served.append(outcome == "AGENT")
    order = np.argsort(arr, kind="stable")
    return np.asarray(arr, float)[order], np.asarray(ser, float)[order], np.asarray(served)[order]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--week-start", default="1999-10-03")
    p.add_argument("--service-level", type=float, default=0.8)
    p.add_argument("--answer", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    start = dt.date.fromisoformat(args.week_start)
    arrivals, handle, served = load_calls(DATA, start)
    rng = np.random.default_rng(args.seed)
    pool = handle[served]
    handle = np.where(served, handle, rng.choice(pool, size=handle.size))
    handle = np.maximum(handle, 1.0)
    slot = (arrivals // SLOT).astype(int)
    calls = np.bincount(slot, minlength=7 * 48)[: 7 * 48].reshape(7, 48).astype(float)
    work = np.bincount(slot, weights=handle, minlength=7 * 48)[: 7 * 48].reshape(7, 48)
    aht = np.divide(work, calls, out=np.full_like(work, pool.mean()), where=calls > 0)
    goals = StaffingGoals(service_level=args.service_level, service_time=args.answer)
    req = required_agents(calls, aht=aht, interval=SLOT, goals=goals)
    tpl = ShiftTemplate("8.5h", length=17, break_length=1, break_earliest=6, break_latest=9)
    res = solve_tours(req, [tpl], WorkRules(days_off=2, consecutive_days_off=True), time_limit=10)
    cov = res.coverage.reshape(-1)
    print(f"week from {start}: {arrivals.size} calls for agents ({(~served).sum()} abandoned in reality), "
          f"peak requirement {req.max()} agents")  # fmt: skip
    print(
        f"schedule: {res.counts.sum()} agents, gap to LP bound {res.gap:.2%} ({res.status}, {res.seconds:.1f} s)"
    )

    t0 = time.perf_counter()
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Sequential(list(np.diff(arrivals, prepend=0.0) + 1e-9))],
        service_distributions=[ciw.dists.Sequential(list(handle))],
        number_of_servers=[
            ciw.Schedule(
                numbers_of_servers=[int(n) for n in cov],
                shift_end_dates=[SLOT * (i + 1) for i in range(cov.size)],
            )
        ],
    )
    ciw.seed(args.seed)
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(7 * 86400 + 6 * 3600)
    recs = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    got = np.array([r.arrival_date for r in recs])
    wait = np.array([r.waiting_time for r in recs])
    lost = arrivals.size - len(recs)
    print(f"replayed {len(recs)} calls in {time.perf_counter() - t0:.1f} s ({lost} still queued at the end)")
    ok = wait <= args.answer
    rslot = (got // SLOT).astype(int)
    names = [(start + dt.timedelta(days=k)).strftime("%a %m-%d") for k in range(7)]
    for k in range(7):
        day = (got >= k * 86400) & (got < (k + 1) * 86400)
        print(f"  {names[k]}: {day.sum():5d} calls, {ok[day].mean():.1%} answered within {args.answer:.0f} s, "
              f"ASA {wait[day].mean():.1f} s")  # fmt: skip
    sl = ok.sum() / arrivals.size  # unreplayed calls count as misses
    per_slot = [ok[rslot == i].mean() for i in range(7 * 48) if (rslot == i).sum() >= 10]
    met = np.mean(np.asarray(per_slot) >= args.service_level)
    verdict = "MET" if sl >= args.service_level else "MISSED"
    print(f"week: {sl:.1%} answered within {args.answer:.0f} s (goal {args.service_level:.0%}) → {verdict}; "
          f"{met:.0%} of the {len(per_slot)} half hours with ≥ 10 calls met the goal on their own")  # fmt: skip


if __name__ == "__main__":
    main()
