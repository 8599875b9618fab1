"""Day-ahead forecast accuracy on the Anonymous Bank 1999 interval counts (../shared/callcenter), 30-minute buckets.

    .venv/bin/python bench/workforce/forecast_bench.py [--data DIR] [--days 365]

Every day from the 57th on is forecast one day ahead from the days before it only (rolling origin), with the
8-week same-slot average and with daily total × weekday profile; prints WAPE of each, the method the per-queue
backtest would choose, and the Poisson noise floor (WAPE of the true mean against Poisson counts, estimated with
the better forecast as the mean).
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import date
from pathlib import Path

import numpy as np

from kefu.workforce.engine import forecast as fc

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "callcenter"

# The bank is in Israel: its business calendar is the Jewish one, published years ahead (hebcal.com, 1999).
# Passed to the forecast as day kinds exactly as kefu passes Chinese holidays and 调休 days from the calendar.
HOLIDAYS_1999 = [
    "1999-04-01",
    "1999-04-07",
    "1999-04-21",
    "1999-05-21",
    "1999-09-11",
    "1999-09-12",
    "1999-09-20",
    "1999-09-25",
    "1999-10-02",
    "1999-03-02",
    "1999-07-22",
]
HOLIDAY_EVES_1999 = [
    "1999-03-31",
    "1999-04-06",
    "1999-04-20",
    "1999-05-20",
    "1999-09-10",
    "1999-09-19",
    "1999-09-24",
    "1999-10-01",
]


def bank_kinds() -> dict[date, str]:
    kinds = {date.fromisoformat(d): fc.DayKind.HOLIDAY.value for d in HOLIDAYS_1999}
    kinds.update({date.fromisoformat(d): fc.DayKind.HOLIDAY_EVE.value for d in HOLIDAY_EVES_1999})
    return kinds


def load(data_dir: Path) -> tuple[list[date], np.ndarray]:
    per_day: dict[date, np.ndarray] = {}
    with open(data_dir / "anonymous_bank_1999_6min_counts.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            d = date.fromisoformat(row["date"])
            per_day.setdefault(d, np.zeros(240))[int(row["interval_6min"]) - 1] = float(row["calls"])
    dates = sorted(per_day)
    six = np.vstack([per_day[d] for d in dates])
    return dates, six.reshape(len(dates), 48, 5).sum(axis=2)  # 30-minute buckets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DIR)
    parser.add_argument(
        "--first", type=int, default=56, help="first forecast day (index); earlier days are history only"
    )
    parser.add_argument("--no-calendar", action="store_true", help="forecast without the holiday calendar")
    args = parser.parse_args()
    dates, counts = load(args.data)
    kinds = {} if args.no_calendar else bank_kinds()
    t0 = time.perf_counter()
    actual, base, prof = [], [], []
    for i in range(args.first, len(dates)):
        actual.append(counts[i])
        base.append(fc.baseline_forecast(counts[:i], dates[:i], dates[i]))
        prof.append(fc.profile_forecast(counts[:i], dates[:i], dates[i], kinds=kinds))
    elapsed = time.perf_counter() - t0
    a, b, p = np.array(actual), np.array(base), np.array(prof)
    chosen = fc.choose_method(counts, dates, kinds=kinds, backtest_days=56)
    print(f"days forecast: {len(a)} ({dates[args.first]}..{dates[-1]}), 30-min buckets, {a.sum():.0f} calls")
    print(f"8-week same-slot average  WAPE {fc.wape(a, b):.4f}")
    print(f"daily total x profile     WAPE {fc.wape(a, p):.4f}")
    print(
        f"Poisson noise floor       WAPE {fc.poisson_floor_wape(p):.4f}  (best achievable with a perfect mean)"
    )
    print(f"per-queue backtest (last 56 days) chooses: {chosen.method.value}  {chosen.wape}")
    normal = np.array([kinds.get(d) is None for d in dates[args.first :]])
    print(
        f"on normal days only: 8-week {fc.wape(a[normal], b[normal]):.4f}  profile {fc.wape(a[normal], p[normal]):.4f}"
    )
    print(f"time: {elapsed:.2f} s for {2 * len(a)} day forecasts")


if __name__ == "__main__":
    main()
