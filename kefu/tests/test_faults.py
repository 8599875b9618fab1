"""Nothing lost under faults (issue 13), the short form of bench/api_faults.py: API creates with
Idempotency-Keys against a real gunicorn on the test database while one worker is SIGKILLed and
every PostgreSQL connection of the app is cut; then every answered create exists once, no retry
doubled one, each ticket has its event, SLA clocks and dispatch decision, and the load counters
agree with a recount.

PostgreSQL only: the fault is PostgreSQL's pg_terminate_backend, and gunicorn's workers must share
the test database with this process (the in-memory SQLite test database cannot be shared). The
PostgreSQL run of the suite (`make test-pg`, part of .ci/run) runs it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection

from kefu.accounts.choices import Presence
from kefu.accounts.models import Team
from kefu.accounts.services import api_token_create
from kefu.sla.models import SlaPolicy
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import api_faults  # noqa: E402

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend is PostgreSQL's"),
]


@pytest.fixture
def sla_seeded(transactional_db) -> None:
    """The SLA calendars and policies the migrations seed, again if an earlier transactional test
    flushed them (the tickets here must get their SLA clocks)."""
    if not SlaPolicy.objects.exists():
        importlib.import_module("kefu.sla.migrations.0002_seed_calendars_and_policies").seed(django_apps, None)


@pytest.fixture
def server(sla_seeded, transactional_db) -> Iterator[tuple[Any, int]]:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = api_faults.free_port()
    proc = api_faults.start_gunicorn(port, 2, {"DATABASE_URL": url})
    try:
        api_faults.wait_ready(f"http://127.0.0.1:{port}", proc)
        yield proc, port
    finally:
        api_faults.stop(proc)


def test_creates_survive_a_killed_worker_and_cut_connections(server: tuple[Any, int]) -> None:
    proc, port = server
    team = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    agent = UserFactory(username="agent1", team=team, presence=Presence.ONLINE)
    UserFactory(username="agent2", team=team, presence=Presence.ONLINE)
    _row, token = api_token_create(user=agent, name="faults")
    client = api_faults.KeyedClient("127.0.0.1", port, token)
    api_faults.warm_up(client, 2)
    after_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Four cuts, half a second apart, so some land on requests in flight (not only idle connections).
    cuts = [api_faults.Fault(3.5 + k / 2, f"cut {k}", api_faults.cut_database_connections) for k in range(4)]
    faults = [api_faults.Fault(2.0, "worker SIGKILL", api_faults.kill_one_worker(proc.pid)), *cuts]

    assert SlaPolicy.objects.exists()
    outcomes, _elapsed = api_faults.run(client, rate=25, duration=6, senders=6, attempts=8, faults=faults)
    connection.close()  # the cut took this process's connection too
    report = api_faults.audit(outcomes, after_id=after_id)

    assert all(f.done_at is not None for f in faults)
    assert "SIGKILL worker" in faults[0].said and all("terminated" in f.said for f in cuts)
    assert api_faults.problems(report) == []
    assert report["answered_2xx"] == report["sent"] == 150
    assert report["tickets"] == 150
    # No 5xx but while the worker died: a request that met a cut connection is run again by the
    # server (kefu.api.LostConnectionRetryMiddleware), so the client never sees it.
    failures = api_faults.failures_by_window(outcomes, faults, 1.0)
    assert {name: n for name, n in failures.items() if name != "worker SIGKILL"} == {}, failures
