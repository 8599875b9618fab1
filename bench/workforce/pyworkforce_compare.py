"""Side by side with pyworkforce (benchmark-only dependency) on the instances it can express.

    .venv/bin/pip install -e '.[bench]'      # or: .venv/bin/pip install pyworkforce
    .venv/bin/python bench/workforce/pyworkforce_compare.py
    .venv/bin/python bench/workforce/pyworkforce_compare.py --skip-erlang-a --cp-time 10

pyworkforce (rodrigo-arenas/pyworkforce, MIT; ortools CP-SAT for scheduling) is never imported by kefu itself, and
not even by this script's own process: ortools ships its own ``libhighs.so.1`` that clashes with highspy's, so every
pyworkforce call runs in a child process (``--worker``) and is timed there, excluding start-up and imports.
Also boundary cases (occupancy cap, shrinkage, round(A + 1) start) with the service level of both answers.

1. Erlang C: agents required per 15-minute interval for the Anonymous Bank week (1999-10-03, read from
   ``../shared/callcenter/``), at its own scale and scaled to 130 Erlangs at peak, 80/20, with and without an 85 %
   occupancy cap and 30 % shrinkage: their ``ErlangC.required_positions`` per interval, their ``MultiErlangC`` over
   the week, and ours (one vectorised call). Every difference is listed with the exact service level of both
   answers (n − 1, ours, theirs), so the reader can check which one is the smallest n meeting the goal. Also their ``ErlangA`` against
   ours on one day of the bank (their week takes minutes).
2. Scheduling: pyworkforce chooses, per day independently, how many agents start each shift of the day (shifts
   are 0/1 coverage vectors inside one day: no shift across midnight, no days-off pattern, no break window, though a
   fixed break can be written into the vector). Both ``MinRequiredResources`` (fewest shifts covering every
   interval) and ``MinAbsDifference`` (least total |scheduled − required|) against ``solve_tours`` on the same
   instances: 20 random days of 8-hour shifts on 24 hourly slots; the issue's week (Erlang C requirement of about
   130 Erlangs, 48 half-hour slots) with 8-hour contiguous shifts that end by midnight; and the same week with
   8.5-hour shifts whose 30-minute break may start 3 to 4.5 hours in (for pyworkforce, one shift per start and
   break offset). Heads (shifts), coverage shortfall (interval-agents below the requirement), over-coverage, time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from staffing_bench import DEFAULT_DATA, INTERVAL, call_parameters, load_week  # noqa: E402

from kefu.workforce.engine.erlang import erlang_a_metrics, erlang_c_metrics  # noqa: E402
from kefu.workforce.engine.staffing import StaffingGoals, required_agents, scheduled_heads  # noqa: E402


def theirs(op: str, **kwargs: object) -> dict:
    """Run one pyworkforce computation in a child process and return its result (timed inside the child).

    A child process because ortools (pyworkforce's solver) ships its own ``libhighs.so.1``, another HiGHS than
    highspy's: whichever of the two is imported second fails with an undefined symbol, so they cannot share a
    process."""
    proc = subprocess.run(
        [sys.executable, __file__, "--worker"],
        input=pickle.dumps((op, kwargs)),
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(proc.stderr.decode()[-2000:])
    return pickle.loads(proc.stdout)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


# ------------------------------------------------------------------------------------- the child (pyworkforce)


def worker() -> None:
    """``--worker``: read (op, kwargs) pickled on stdin, answer pickled on stdout. Imports pyworkforce only."""
    op, kw = pickle.loads(sys.stdin.buffer.read())
    try:
        import pyworkforce
        from pyworkforce.queuing import ErlangA, ErlangC, MultiErlangC
        from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources
    except ImportError as exc:
        raise SystemExit(
            f"pyworkforce is not installed ({exc}): .venv/bin/pip install -e '.[bench]' (or pip install pyworkforce)"
        ) from None
    out: dict = {"version": pyworkforce.__version__}
    t0 = time.perf_counter()
    if op == "erlang_c":  # positions after shrinkage per interval; 0 for empty intervals (it rejects them)
        res = []
        for n in kw["calls"]:
            if n <= 0:
                res.append(0)
                continue
            e = ErlangC(
                transactions=n,
                aht=kw["aht"] / 60,
                asa=kw["target"] / 60,
                interval=kw["interval"] / 60,
                shrinkage=kw["shrink"],
            )
            res.append(e.required_positions(service_level=kw["sl"], max_occupancy=kw["occ"])["positions"])
        out["positions"] = res
    elif op == "multi_erlang_c":
        multi = MultiErlangC(
            param_grid={
                "transactions": kw["calls"],
                "aht": [kw["aht"] / 60],
                "asa": [kw["target"] / 60],
                "interval": [kw["interval"] / 60],
            },
            n_jobs=2,
        )
        out["positions"] = [
            r["raw_positions"] for r in multi.required_positions({"service_level": [kw["sl"]]})
        ]
    elif op == "erlang_a":
        res = []
        for n in kw["calls"]:
            if n <= 0:
                res.append(0)
                continue
            e = ErlangA(
                transactions=n,
                aht=kw["aht"] / 60,
                asa=kw["target"] / 60,
                interval=kw["interval"] / 60,
                patience=kw["patience"] / 60,
            )
            res.append(e.required_positions(service_level=kw["sl"])["raw_positions"])
        out["positions"] = res
    elif op == "schedule":
        req = kw["req"]
        cls = MinRequiredResources if kw["kind"] == "min_required" else MinAbsDifference
        model = cls(
            num_days=len(req),
            periods=len(req[0]),
            shifts_coverage=kw["shifts"],
            required_resources=req,
            max_period_concurrency=kw["cap"],
            max_shift_concurrency=kw["cap"],
            max_search_time=kw["cp_time"],
            num_search_workers=2,
        )
        sol = model.solve()
        out["status"] = sol["status"]
        out["rows"] = [(r["day"], r["shift"], r["resources"]) for r in sol["resources_shifts"]]
    out["seconds"] = time.perf_counter() - t0
    sys.stdout.buffer.write(pickle.dumps(out))


# --------------------------------------------------------------------------------------------------- Erlang C


def ours_c(
    calls: np.ndarray, aht: float, *, sl: float, target: float, occ: float, shrink: float
) -> np.ndarray:
    goals = StaffingGoals(service_level=sl, service_time=target, occupancy=occ if occ < 1 else None)
    return scheduled_heads(required_agents(calls, aht=aht, goals=goals, interval=INTERVAL), shrink)


def best_ms(fn, repeat: int = 20) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def erlang_c_section(calls_week: np.ndarray, aht: float) -> None:
    print(f"\n## Erlang C: agents per 15-minute interval, a week of 7 x 96 intervals ({load()})")
    peak = float((calls_week * aht / INTERVAL).max())
    cases = [(0.8, 20.0, 1.0, 0.0), (0.8, 20.0, 0.85, 0.0), (0.8, 20.0, 1.0, 0.3)]
    print(
        f"{'peak A':>7} {'goal':26} {'ours agent-h':>12} {'theirs agent-h':>14} {'differ':>6} "
        f"{'ours more':>9} {'theirs more':>11} {'ours ms':>8} {'theirs ms':>9}"
    )
    details: list[str] = []
    for scale in (1.0, 130.0 / peak):
        week = calls_week * scale
        for sl, target, occ, shrink in cases:
            label = (
                f"{sl:.0%}/{target:.0f}s"
                + (f" occ<={occ:.0%}" if occ < 1 else "")
                + (f" shrink {shrink:.0%}" if shrink else "")
            )
            ours = ours_c(week, aht, sl=sl, target=target, occ=occ, shrink=shrink)
            t_ours = best_ms(lambda: ours_c(week, aht, sl=sl, target=target, occ=occ, shrink=shrink))  # noqa: B023
            got = theirs(
                "erlang_c",
                calls=[float(v) for v in week.reshape(-1)],
                aht=aht,
                target=target,
                interval=INTERVAL,
                sl=sl,
                occ=occ,
                shrink=shrink,
            )
            them = np.asarray(got["positions"], dtype=np.int64).reshape(week.shape)
            diff = np.flatnonzero((ours != them).reshape(-1))
            print(
                f"{week.max() * aht / INTERVAL:7.1f} {label:26} {ours.sum() / 4:12.0f} {them.sum() / 4:14.0f} "
                f"{len(diff):6d} {int((ours > them).sum()):9d} {int((them > ours).sum()):11d} "
                f"{t_ours:8.2f} {got['seconds'] * 1e3:9.0f}"
            )
            seen: set[tuple[float, int, int]] = set()
            for i in diff:
                key = (
                    round(float(week.reshape(-1)[i]), 9),
                    int(ours.reshape(-1)[i]),
                    int(them.reshape(-1)[i]),
                )
                if key in seen or len(seen) >= 2:
                    continue
                seen.add(key)
                a = float(week.reshape(-1)[i]) * aht / INTERVAL
                o, t = int(ours.reshape(-1)[i]), int(them.reshape(-1)[i])
                line = f"  A = {a:.3f} Erlangs, {label}: ours {o}, theirs {t}"
                if not shrink:
                    sls = [
                        float(erlang_c_metrics(k, a, aht=aht, target=target).service_level)
                        for k in (o - 1, o, t)
                    ]
                    line += (
                        f"; SL {o - 1}: {sls[0]:.4f}, {o}: {sls[1]:.4f} (occ {a / o:.4f}), "
                        f"{t}: {sls[2]:.4f} (occ {a / t:.4f})"
                    )
                else:
                    raw = required_agents(
                        np.array([a * INTERVAL / aht]),
                        aht=aht,
                        interval=INTERVAL,
                        goals=StaffingGoals(service_level=sl, service_time=target),
                    )[0]
                    line += f"; {raw} agents / (1 - {shrink}) = {float(raw / (1 - shrink))!r}"
                details.append(line)
    print("Distinct differences, two per row at most (service level at n - 1, ours and theirs):")
    for line in details:
        print(line)

    boundary_cases(aht)
    week = calls_week * (130.0 / peak)
    goals = StaffingGoals(service_level=0.8, service_time=20)
    t_ours = best_ms(lambda: required_agents(week, aht=aht, goals=goals, interval=INTERVAL))
    flat = [float(v) for v in week.reshape(-1) if v > 0]
    got = theirs("multi_erlang_c", calls=flat, aht=aht, target=20.0, interval=INTERVAL, sl=0.8)
    print(
        f"\nweek of 7 x 96 at 130 Erlangs peak, 80/20: ours {t_ours:.2f} ms (best of 20, one vectorised call); "
        f"pyworkforce MultiErlangC (joblib, n_jobs=2) {got['seconds'] * 1e3:.0f} ms for its {len(flat)} "
        "non-empty intervals"
    )


def boundary_cases(aht: float) -> None:
    """The cases docs/workforce.md names, each at the boundary where one rounding step decides."""
    # Calls per 15 minutes with exactly 21 agents needed for 80/20 at this AHT: 21 agents at 30 % shrinkage.
    calls = np.arange(1, 400, dtype=float)
    need = required_agents(
        calls, aht=aht, interval=INTERVAL, goals=StaffingGoals(service_level=0.8, service_time=20)
    )
    n21 = float(calls[np.flatnonzero(need == 21)[0]])
    cases = [  # (what, calls per 15 min, AHT s, SL, T s, occupancy cap, shrinkage)
        ("A = 4.2, occupancy <= 70% (SL goal 20/20 never binds)", 7.0, 540.0, 0.2, 20.0, 0.7, 0.0),
        ("21 agents, 30% shrinkage", n21, aht, 0.8, 20.0, 1.0, 0.3),
        ("A = 2.6, 25% within 60 s", 2.6 * INTERVAL / 180.0, 180.0, 0.25, 60.0, 1.0, 0.0),
    ]
    print("\nBoundary cases (heads after shrinkage):")
    for what, n, h, sl, target, occ, shrink in cases:
        ours = int(ours_c(np.array([n]), h, sl=sl, target=target, occ=occ, shrink=shrink)[0])
        got = theirs(
            "erlang_c", calls=[n], aht=h, target=target, interval=INTERVAL, sl=sl, occ=occ, shrink=shrink
        )
        a = n * h / INTERVAL
        meets = float(erlang_c_metrics(ours, a, aht=h, target=target).service_level) if not shrink else None
        extra = f" (SL at {ours}: {meets:.4f}, occupancy {a / ours:.4f})" if meets is not None else ""
        print(f"  {what}: ours {ours}, pyworkforce {got['positions'][0]}{extra}")


def erlang_a_section(calls_week: np.ndarray, aht: float, patience: float) -> None:
    print(f"\n## Erlang A: one day of the bank (Monday 1999-10-04, 96 intervals), 80/20 ({load()})")
    day = calls_week[1]
    goals = StaffingGoals(service_level=0.8, service_time=20)
    ours = required_agents(day, aht=aht, goals=goals, interval=INTERVAL, model="erlang_a", patience=patience)
    t_ours = best_ms(
        lambda: required_agents(
            day, aht=aht, goals=goals, interval=INTERVAL, model="erlang_a", patience=patience
        )
    )
    got = theirs(
        "erlang_a",
        calls=[float(v) for v in day],
        aht=aht,
        target=20.0,
        interval=INTERVAL,
        sl=0.8,
        patience=patience,
    )
    them = np.asarray(got["positions"], dtype=np.int64)
    diff = np.flatnonzero(ours != them)
    print(
        f"ours {ours.sum() / 4:.0f} agent-hours in {t_ours:.1f} ms; pyworkforce ErlangA {them.sum() / 4:.0f} in "
        f"{got['seconds']:.2f} s; intervals that differ: {len(diff)}"
    )
    for i in diff[:5]:
        a = float(day[i]) * aht / INTERVAL
        o, t = int(ours[i]), int(them[i])
        sl = [
            float(erlang_a_metrics(k, a, aht=aht, patience=patience, target=20).service_level)
            for k in (o - 1, o, t)
        ]
        print(
            f"  A = {a:.3f}: ours {o}, theirs {t}; SL {o - 1}: {sl[0]:.4f}, {o}: {sl[1]:.4f}, {t}: {sl[2]:.4f}"
        )


# ------------------------------------------------------------------------------------------------- scheduling


def shift_vectors(spd: int, length: int, latest: int, brk: tuple[int, int] | None) -> dict[str, list[int]]:
    """pyworkforce's shifts: one 0/1 vector per start (and per break offset when there is a break)."""
    out: dict[str, list[int]] = {}
    for s in range(latest + 1):
        offsets: list[int | None] = list(range(brk[0], brk[1] + 1)) if brk else [None]
        for k in offsets:
            v = [0] * spd
            for i in range(s, s + length):
                v[i] = 1
            if k is not None:
                v[s + k] = 0
            out[f"s{s}" + (f"b{k}" if k is not None else "")] = v
    return out


def run_theirs(kind: str, req: np.ndarray, shifts: dict[str, list[int]], cp_time: float):  # type: ignore[no-untyped-def]
    got = theirs(
        "schedule",
        kind=kind,
        req=req.astype(int).tolist(),
        shifts=shifts,
        cap=int(req.max()) * 3 + 10,
        cp_time=cp_time,
    )
    cov = np.zeros(req.shape, dtype=np.int64)
    heads = 0
    for day, shift, n in got["rows"]:
        if n > 0:
            heads += n
            cov[day] += n * np.asarray(shifts[shift])
    return heads, cov, got["status"].lower(), got["seconds"]


def run_ours(req: np.ndarray, tpl):  # type: ignore[no-untyped-def]
    from kefu.workforce.engine.schedule import solve_tours

    t0 = time.perf_counter()
    heads = 0
    bound = 0.0
    status = "optimal"
    cov = np.zeros(req.shape, dtype=np.int64)
    for d in range(req.shape[0]):
        r = solve_tours(req[d], [tpl], cyclic=False, mip_rel_gap=0.0)
        heads += int(r.counts.sum())
        bound += r.lp_bound / (tpl.paid_slots * tpl.cost_per_slot)
        cov[d] = r.coverage
        if r.status != "optimal":
            status = r.status
    return heads, cov, status, time.perf_counter() - t0, bound


def scheduling_section(cp_time: float) -> None:
    # Imported here: highspy must never be loaded in the pyworkforce child (see ``theirs``).
    from schedule_bench import week_requirement

    from kefu.workforce.engine.schedule import ShiftTemplate

    print(f"\n## Scheduling: shifts per day, both solvers on the same instances ({load()})")
    print(
        f"pyworkforce: CP-SAT, 2 workers, max_search_time {cp_time:g} s (time includes building its model); "
        "ours: solve_tours per day (HiGHS, one thread)"
    )
    rng = np.random.default_rng(7)
    instances = [
        (
            "20 random days, 24 hourly slots, 8 h shifts",
            rng.integers(0, 40, size=(20, 24)),
            ShiftTemplate("8h", length=8, latest_start=16),
            None,
        ),
        (
            "issue week, 48 half-hour slots, 8 h contiguous",
            week_requirement(),
            ShiftTemplate("8h", length=16, latest_start=32),
            None,
        ),
        (
            "issue week, 8.5 h with a 30-min break 3-4.5 h in",
            week_requirement(),
            ShiftTemplate(
                "8.5h", length=17, latest_start=31, break_length=1, break_earliest=6, break_latest=9
            ),
            (6, 9),
        ),
    ]
    print(
        f"{'instance':50} {'solver':31} {'shifts':>6} {'short':>6} {'over':>6} {'status':>9} {'seconds':>8}"
    )
    for name, req, tpl, brk in instances:
        spd = req.shape[1]
        heads, cov, status, secs, bound = run_ours(req, tpl)
        rows = [("kefu solve_tours", heads, cov, status, secs)]
        shifts = shift_vectors(spd, tpl.length, spd - tpl.length, brk)
        for kind, label in (("min_required", "MinRequiredResources"), ("min_abs", "MinAbsDifference")):
            h, c, st, s = run_theirs(kind, req, shifts, cp_time)
            rows.append((f"pyworkforce {label}", h, c, st, s))
        for i, (solver, h, c, st, s) in enumerate(rows):
            short = int(np.maximum(req - c, 0).sum())
            over = int(np.maximum(c - req, 0).sum())
            print(f"{name if i == 0 else '':50} {solver:31} {h:6d} {short:6d} {over:6d} {st:>9} {s:8.2f}")
        print(f"{'':50} {'(LP bound, shifts)':31} {bound:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cp-time", type=float, default=10.0, help="pyworkforce's max_search_time per model")
    parser.add_argument("--skip-erlang-a", action="store_true")
    parser.add_argument("--skip-scheduling", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    version = theirs("version")["version"]
    print(f"pyworkforce {version}, {os.cpu_count()} cores, {load()}")
    arrivals = load_week(args.data_dir, dt.date(1999, 10, 3))
    aht, patience, share = call_parameters(args.data_dir / "anonymous_bank_1999_10_october.txt")
    calls = arrivals * share
    erlang_c_section(calls, aht)
    if not args.skip_erlang_a:
        erlang_a_section(calls, aht, patience)
    if not args.skip_scheduling:
        scheduling_section(args.cp_time)
    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
