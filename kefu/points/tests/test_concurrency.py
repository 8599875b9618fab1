"""Ten redemptions by one agent at the same moment, on PostgreSQL with real connections in threads:
the per-agent account lock lets exactly as many through as the balance pays for; approving them all
at once (two leads' worth of clicks) never takes the balance below zero."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from kefu.core.errors import DomainError
from kefu.points import selectors, services
from kefu.points.models import PointsEntry, Redemption
from kefu.points.tests.conftest import give

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"),
]


def _race(n: int, work: Callable[[int], None]) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_ten_redemptions_at_once_do_not_overdraw(agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 30, lead_linda)  # three gifts' worth
    results = _race(10, lambda _i: services.redemption_request(actor=agent_alice, item_id=gift.pk))
    assert results.count("ok") == 3 and results.count("points_insufficient_balance") == 7
    assert selectors.available_of(agent_alice.pk) == 0


def test_approving_at_once_never_goes_below_zero(agent_alice, lead_linda, manager_mike, gift) -> None:
    entry = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=10, reason="x")
    give(agent_alice, 10, lead_linda)
    ids = [services.redemption_request(actor=agent_alice, item_id=gift.pk).pk for _ in range(2)]
    assert isinstance(entry, PointsEntry)
    services.points_reverse(actor=lead_linda, entry_id=entry.pk, reason="录错了")  # now only one is covered
    deciders = [lead_linda, manager_mike]
    results = _race(2, lambda i: services.redemption_decide(actor=deciders[i], redemption_id=ids[i], approve=True))
    assert sorted(results) == ["ok", "points_insufficient_balance"]
    assert selectors.balance_of(agent_alice.pk) == 0
    assert Redemption.objects.filter(status="approved").count() == 1
