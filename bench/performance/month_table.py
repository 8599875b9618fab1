"""A month's 12-indicator table for every agent: live definition vs the rollup read.

Run against a database that holds the demo (or any data):
    DATABASE_URL=... .venv/bin/python bench/performance/month_table.py [2026-11]

Prints the live compute time of the default plan's 12 metrics grouped by agent, the rollup refresh
time of the month, and the time to read the stored month (what pages and the API do)."""

from __future__ import annotations

import os
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from kefu.accounts.models import User  # noqa: E402
from kefu.performance import metrics as M  # noqa: E402
from kefu.performance import scorecard as S  # noqa: E402
from kefu.performance.models import ScorecardPlan  # noqa: E402
from kefu.performance.periods import Period  # noqa: E402
from kefu.performance.selectors import metric_table, plan_results_live  # noqa: E402
from kefu.performance.services import rollup_refresh  # noqa: E402
from kefu.tickets.models import Ticket  # noqa: E402


def best(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    month = Period.parse(sys.argv[1]) if len(sys.argv) > 1 else Period.containing("month", timezone.now()).shift(-1)
    metrics = [m for m, *_ in S.DEFAULT_INDICATORS]
    agents = User.objects.filter(role="agent").count()
    tickets = Ticket.objects.count()
    manager = User.objects.filter(role="manager").first()
    live = best(lambda: M.compute(metrics=metrics, period=month, group="agent"))
    refresh = best(lambda: rollup_refresh(month), n=1)
    stored = best(lambda: metric_table(user=manager, metrics=metrics, period=month, group="agent"), n=5)
    plan = ScorecardPlan.objects.first()
    card = best(lambda: plan_results_live(plan, month), n=3) if plan else float("nan")
    print(f"{tickets} tickets, {agents} agents, month {month.key}")
    print(f"live 12-indicator table by agent: {live * 1000:.0f} ms")
    print(f"rollup refresh of the month (all 23 metrics x all/agent/team): {refresh * 1000:.0f} ms")
    print(f"stored 12-indicator table read: {stored * 1000:.1f} ms")
    print(f"scorecard results (from the rollup): {card * 1000:.1f} ms")


if __name__ == "__main__":
    main()
