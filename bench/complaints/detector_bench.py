"""Detector quality on simulated complaint streams (issue 18).

Simulates years × categories of daily complaint counts: daily means 1–48 (log-uniform), a weekday
effect (Mon 1.2 … Sun 0.7), negative-binomial noise (phi 0.05), and injected 1–3-day spikes of
×1.5 / ×2 / ×3. Runs kefu.complaints.detector.update_day over each stream and reports recall per
spike size (a spike counts as caught when any of its days alarms) and false alarms per
category-month (alarms on days outside any spike). Seeds are fixed.

    .venv/bin/python bench/complaints/detector_bench.py [--years 20] [--categories 10] [--h 4]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kefu.complaints import detector as d  # noqa: E402

WEEKDAY = np.array([1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.7])


def simulate(rng: np.random.Generator, days: int, mean: float, phi: float = 0.05):
    start = date(2000, 1, 3)
    wd = np.array([(start + timedelta(days=i)).weekday() for i in range(days)])
    mu = mean * WEEKDAY[wd] / WEEKDAY.mean()
    spikes = []
    factor = np.ones(days)
    i = 60
    while i < days - 5:
        i += int(rng.integers(40, 80))
        if i >= days - 5:
            break
        size = float(rng.choice([1.5, 2.0, 3.0]))
        length = int(rng.integers(1, 4))
        factor[i : i + length] = size
        spikes.append((i, length, size))
        i += length
    m = mu * factor
    r = 1 / phi
    counts = rng.negative_binomial(r, r / (r + m))
    return start, counts, spikes


def run(years: int, categories: int, params: d.Params, seed: int = 18):
    rng = np.random.default_rng(seed)
    days = years * 365
    caught = {1.5: [0, 0], 2.0: [0, 0], 3.0: [0, 0]}
    low = {1.5: [0, 0], 2.0: [0, 0], 3.0: [0, 0]}
    false_alarms, months = 0, 0
    for _c in range(categories):
        mean = float(np.exp(rng.uniform(np.log(1), np.log(48))))
        start, counts, spikes = simulate(rng, days, mean)
        b = d.Baseline()
        alarms = np.zeros(days, dtype=bool)
        for i, x in enumerate(counts):
            v = d.update_day(b, int(x), (start + timedelta(days=i)).weekday(), params)
            alarms[i] = v.alarm
        in_spike = np.zeros(days, dtype=bool)
        for s, length, size in spikes:
            in_spike[s : s + length + 1] = True  # the day after a spike may still alarm on the CUSUM
            hit = bool(alarms[s : s + length].any())
            caught[size][0] += hit
            caught[size][1] += 1
            if mean < 10:
                low[size][0] += hit
                low[size][1] += 1
        warm = params.warmup_days
        false_alarms += int((alarms & ~in_spike)[warm:].sum())
        months += (days - warm) / 30.44
    return caught, low, false_alarms / months


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--categories", type=int, default=10)
    ap.add_argument("--h", type=float, default=4.0)
    ap.add_argument("--shewhart", type=float, default=3.5)
    a = ap.parse_args()
    params = replace(d.DEFAULT_PARAMS, h=a.h, shewhart=a.shewhart)
    caught, low, fa = run(a.years, a.categories, params)
    print(f"years={a.years} categories={a.categories} k={params.k} h={params.h} shewhart={params.shewhart}")
    for size in (1.5, 2.0, 3.0):
        hit, n = caught[size]
        lh, ln = low[size]
        print(
            f"x{size}: recall {hit / max(n, 1):.2f} ({hit}/{n}); low-volume (<10/day) {lh / max(ln, 1):.2f} ({lh}/{ln})"
        )
    print(f"false alarms per category-month: {fa:.2f}")


if __name__ == "__main__":
    main()
