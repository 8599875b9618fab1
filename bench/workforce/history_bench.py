"""How long the `workforce_history` clock job spends counting tickets, on a big ticket table (read only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python bench/workforce/history_bench.py

Times the counting query of services.history_refresh_due (tickets per minute in the database, minutes to
intervals in Python) for an unsaved phone queue (channel phone, every team, 30-minute intervals): a steady-state
run (the last 15 minutes: 5 new plus the 10-minute recount), one back-fill chunk (7 days) and the whole first
back-fill (16 weeks, in 7-day chunks). Nothing is written: the rows it would write are a few hundred per chunk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _setup import django_setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    django_setup()
    from django.db.models import Max

    from kefu.tickets.models import Ticket
    from kefu.workforce import planning, services
    from kefu.workforce.models import Queue

    print(f"load average: {os.getloadavg()}")
    last = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    print(f"tickets: {Ticket.objects.count():,}; newest {last}")
    queue = Queue(name="bench", interval_minutes=30, channels=["phone"], default_aht=300)
    end = services._bucket(queue, last)

    def timed(since, until):  # type: ignore[no-untyped-def]
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            buckets = services._ticket_counts(queue, since, until)
            runs.append(time.perf_counter() - t0)
        return min(runs), statistics.median(runs), len(buckets), sum(b[0] for b in buckets.values())

    for label, span in [
        ("steady state (15 min)", timedelta(minutes=15)),
        ("one chunk (7 days)", services.HISTORY_CHUNK),
    ]:
        best, median, intervals, calls = timed(end - span, end)
        print(
            f"{label:24} best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  {intervals} intervals, {calls:,.0f} tickets"
        )
    start = planning.local_midnight(
        end.astimezone(planning.tz()).date() - timedelta(days=planning.HISTORY_DAYS)
    )
    t0 = time.perf_counter()
    chunks = intervals = 0
    calls = 0.0
    while start < end:
        stop = min(end, start + services.HISTORY_CHUNK)
        buckets = services._ticket_counts(queue, start, stop)
        chunks += 1
        intervals += len(buckets)
        calls += sum(b[0] for b in buckets.values())
        start = stop
    print(
        f"first back-fill (16 weeks) {time.perf_counter() - t0:6.2f} s in {chunks} chunks: {intervals} intervals, {calls:,.0f} tickets"
    )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
