"""Many spends of one account at the same moment, on PostgreSQL with real connections in threads:
the balance never goes negative, exactly as many spends as the points pay for succeed, and the same
idempotency key sent by many threads at once writes one entry."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from kefu.care import ledger
from kefu.care.models import LoyaltyAccount, LoyaltyEntry
from kefu.care.tests.conftest import NOW
from kefu.core.errors import DomainError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"),
]


def _race(n: int, work) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
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


def test_concurrent_spends_never_overdraw(agent_alice, customer_wang, rules, mug):
    # 100 points; 12 people redeem a 25-point reward at once: 4 succeed, 8 are refused.
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("1000"), idempotency_key="a", now=NOW)

    def spend(i: int) -> str:
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key=f"s{i}", now=NOW)
        return "ok"

    results = _race(12, spend)
    assert results.count("ok") == 4 and results.count("care_insufficient_points") == 8
    assert LoyaltyAccount.objects.get(customer=customer_wang).balance == 0
    assert LoyaltyEntry.objects.filter(kind="spend").count() == 4


def test_one_key_from_many_threads_writes_once(agent_alice, customer_wang, rules):
    def earn(i: int) -> str:
        result = ledger.points_earn(
            actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("200"), idempotency_key="same", now=NOW
        )
        return f"{result.entry.pk}:{result.entry.balance_after}"

    results = _race(10, earn)
    assert len(set(results)) == 1 and results[0].endswith(":20")
    assert LoyaltyAccount.objects.get(customer=customer_wang).balance == 20
    assert LoyaltyEntry.objects.count() == 1


def test_first_use_of_an_account_from_many_threads(agent_alice, customer_wang, rules):
    def earn(i: int) -> str:
        ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key=f"v{i}", now=NOW)
        return "ok"

    assert _race(8, earn) == ["ok"] * 8
    assert LoyaltyAccount.objects.get(customer=customer_wang).balance == 80
