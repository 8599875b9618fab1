"""Shared bench helpers: Django setup, the bench cast (teams and staff), percentiles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    if not os.getenv("DATABASE_URL", "").startswith("postgres"):
        print("warning: DATABASE_URL is not PostgreSQL; figures will not be comparable", file=sys.stderr)
    import django

    django.setup()


TEAMS = ["一线客服", "投诉处理组", "技术支持", "售后", "物流", "外呼组"]
AGENTS = 20


def bench_cast() -> dict[str, object]:
    """Teams, 20 agents (bench_agent1..20, spread over the teams), 6 leads and a manager.

    Staff set-up is bench scaffolding, not product data: it is created with the ORM directly."""
    from kefu.accounts.choices import Role
    from kefu.accounts.models import Team, User

    teams = []
    for i, name in enumerate(TEAMS):
        team, _ = Team.objects.get_or_create(name=name, defaults={"is_default": i == 0})
        teams.append(team)
    from django.contrib.auth.hashers import make_password

    password = make_password("bench-pass-123")  # hashed once: PBKDF2 per user would cost seconds
    agents = []
    for i in range(1, AGENTS + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench_agent{i}",
            defaults={"team": teams[(i - 1) % len(teams)], "display_name": f"坐席{i}", "password": password},
        )
        agents.append(user)
    leads = []
    for i, team in enumerate(teams, start=1):
        user, _ = User.objects.get_or_create(
            username=f"bench_lead{i}", defaults={"team": team, "role": Role.TEAM_LEAD, "display_name": f"班组长{i}"}
        )
        leads.append(user)
    manager, _ = User.objects.get_or_create(
        username="bench_manager", defaults={"role": Role.MANAGER, "display_name": "主管"}
    )
    from kefu.customers.models import CustomerTier

    CustomerTier.objects.get_or_create(name="普通", defaults={"rank": 0, "is_default": True})
    return {"teams": teams, "agents": agents, "leads": leads, "manager": manager}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(ms: list[float]) -> str:
    return (
        f"n={len(ms)} p50={percentile(ms, 50):.1f}ms p95={percentile(ms, 95):.1f}ms "
        f"p99={percentile(ms, 99):.1f}ms max={max(ms) if ms else float('nan'):.1f}ms"
    )


def machine_line() -> str:
    """Cores and load average: the box is shared, so every figure carries the load it ran under."""
    import datetime

    la = os.getloadavg()
    return (
        f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores, "
        f"load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"
    )


class QueryCounter:
    """Counts the queries run inside `with connection.execute_wrapper(counter)` (works with DEBUG off,
    unlike connection.queries, which request_started resets)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        import time

        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
